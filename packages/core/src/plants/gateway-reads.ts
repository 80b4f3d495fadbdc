// What the MQTT gateway reads of many plants at once, for its check of the
// plants connected to it every second (one query for all of them, not one
// each), and the reset of connection state when a gateway starts alone.
import type { Queryable } from '@helio/db';
import { PLANT_COLUMNS, type PlantRow } from './rows.js';

/** The rows of these plants (decommissioned ones included: the caller decides). */
export async function plantRows(db: Queryable, ids: readonly string[]): Promise<Map<string, PlantRow>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<PlantRow>(`SELECT ${PLANT_COLUMNS} FROM plants WHERE id = ANY($1::uuid[])`, [ids]);
  return new Map(rows.map((r) => [r.id, r]));
}

/** Which of these certificate fingerprints are of active (not retired, not revoked) certificates. */
export async function activeFingerprints(db: Queryable, fingerprints: readonly string[]): Promise<Set<string>> {
  if (fingerprints.length === 0) return new Set();
  const { rows } = await db.query<{ fingerprint: string }>(
    `SELECT fingerprint FROM plant_certificates WHERE fingerprint = ANY($1::text[]) AND state = 'active'`,
    [fingerprints],
  );
  return new Set(rows.map((r) => r.fingerprint));
}

/** Which of these plants have a queued, unexpired command. */
export async function plantsWithQueuedCommands(db: Queryable, ids: readonly string[], now: Date): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { rows } = await db.query<{ plant_id: string }>(
    `SELECT DISTINCT plant_id FROM plant_commands WHERE plant_id = ANY($1::uuid[]) AND state = 'queued' AND expires_at > $2`,
    [ids, now],
  );
  return new Set(rows.map((r) => r.plant_id));
}

/** One plant's row, for a will published after its session is gone. */
export async function plantRow(db: Queryable, id: string): Promise<PlantRow | null> {
  return (await plantRows(db, [id])).get(id) ?? null;
}

/**
 * Every plant marked ONLINE goes OFFLINE: for a gateway starting alone (no
 * Redis, so no other server holds plant connections), after a stop that left
 * no chance to record disconnections (a crash). Plants reconnecting turn ONLINE again.
 */
export async function markAllOffline(db: Queryable): Promise<number> {
  const { rowCount } = await db.query(`UPDATE plants SET status = 'OFFLINE' WHERE status = 'ONLINE'`);
  return rowCount;
}

/**
 * Plants ONLINE through a gateway that is not among `live` (the MQTT broker
 * ids of the servers still running) go OFFLINE: their server died, and they
 * have not connected again anywhere since. So do plants ONLINE through no
 * recorded gateway (left so before connections were recorded): a running
 * gateway records each connection it holds. Resolves to their ids.
 */
export async function markOfflineUnlessVia(db: Queryable, live: readonly string[]): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE plants SET status = 'OFFLINE'
     WHERE status = 'ONLINE' AND (connected_via IS NULL OR NOT (connected_via = ANY($1::text[])))
     RETURNING id`,
    [live],
  );
  return rows.map((r) => r.id);
}
