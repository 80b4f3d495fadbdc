// The pull side of the sync client: where the next pull starts, storing what
// it brings page by page, then confirming (only then dropping) the queued
// mutations it has delivered and removing revoked organisations.
import type { Db, Transaction } from '@helio/db';
import type { Clock } from '../ids.js';
import { storeDirectoryEntries } from '../users/directory.js';
import type { HybridClock } from './hlc.js';
import type { PullResponse } from './protocol.js';
import { listUnsent, rebuildAfterRemoval, recordResults, type OutboxEntry } from './client-outbox.js';
import {
  applyChanges,
  dropShadowsOf,
  letEventLoopIn,
  pendingCascadesByTable,
  purgeOrganisation,
  readState,
  replicaMode,
  writeState,
} from './client-store.js';
import type { SyncSchema } from './synced-table.js';

/** The device's database a pull is stored into, and the client it is stored for. */
export interface Replica {
  db: Db;
  schema: SyncSchema;
  userId: string;
  clock: Clock;
  /** The client's id as the pull is stored. */
  clientId: string;
  /** The client's hybrid clock, read at each use: a new identity (SyncClient.takeNewIdentity) replaces it. */
  hlc: () => HybridClock;
}

/** A pull's response, with the client id it was asked for under. */
export interface Pulled {
  response: PullResponse;
  clientId: string;
}

/** Mutations confirmed per transaction (see confirm). */
const CONFIRM_CHUNK = 250;

export const hasMore = (response: PullResponse) => response.organisations.some((o) => o.hasMore);

/** Where the next pull starts: the stored cursors and the highest seq answered. */
export async function pullPosition(db: Db): Promise<{ cursors: Record<string, number>; ackedSeq: number }> {
  const { rows } = await db.query<{ organisation_id: string; cursor: number }>('SELECT organisation_id, cursor FROM sync_cursors');
  return {
    cursors: Object.fromEntries(rows.map((r) => [r.organisation_id, Number(r.cursor)])),
    ackedSeq: (await readState<number>(db, 'ackedSeq')) ?? 0,
  };
}

/**
 * Stores a pulled response: each organisation's page with its cursor, in
 * one transaction per page (a crash repeats at most that page); the answers
 * to this client's mutations, revocations and the clock with the last one.
 * Returns how many rows, results and revocations it brought, and whether an
 * answer was another device's (see SyncClient.takeNewIdentity).
 */
export async function storePull(replica: Replica, { response, clientId }: Pulled): Promise<{ received: number; othersAnswer: boolean }> {
  const { db, schema } = replica;
  let received = response.revoked.length + response.mutations.length;
  const pages = response.organisations;
  // Answers asked for under an id this client has since left behind are the other copy's (see SyncClient.takeNewIdentity).
  const answers = clientId === replica.clientId ? response.mutations : [];
  const finish = async (tx: Transaction): Promise<boolean> => {
    const othersAnswer = await recordResults(tx, schema, replica.userId, answers);
    for (const org of response.revoked) await purgeRevoked(tx, schema, replica.userId, org);
    await writeState(tx, 'hlc', replica.hlc().now());
    await writeState(tx, 'lastSyncAt', replica.clock.now().toISOString());
    return othersAnswer;
  };
  let othersAnswer = false;
  for (const [i, page] of pages.entries()) {
    othersAnswer = await db.transaction(async (tx) => {
      await replicaMode(tx);
      await tx.query(
        'INSERT INTO organisation_change_counters (organisation_id, last_seq) VALUES ($1, 0) ON CONFLICT (organisation_id) DO NOTHING',
        [page.organisationId],
      );
      await storeDirectoryEntries(tx, page.users);
      const cascades = page.changes.length > 0 ? await pendingCascadesByTable(tx, schema) : undefined;
      received += page.changes.length;
      for (const change of page.changes) for (const clock of Object.values(change.fieldClocks)) replica.hlc().receive(clock);
      await applyChanges(tx, schema, page.changes, cascades);
      await tx.query(
        'INSERT INTO sync_cursors (organisation_id, cursor) VALUES ($1, $2) ON CONFLICT (organisation_id) DO UPDATE SET cursor = EXCLUDED.cursor',
        [page.organisationId, page.cursor],
      );
      // The last page's transaction also takes the answers and the bookkeeping: one commit fewer per pull.
      return i === pages.length - 1 ? finish(tx) : false;
    });
  }
  if (pages.length === 0) othersAnswer = await db.transaction(finish);
  await confirm(
    db,
    schema,
    pages.filter((o) => !o.hasMore).map((o) => o.organisationId),
  );
  return { received, othersAnswer };
}

/**
 * Drops mutations whose effect a pulled page has delivered, and rebuilds
 * their rows from the server's version. Only for organisations whose last
 * page caught up with the server: a row changed again after the mutation
 * sorts after it, so a cursor past the mutation does not mean the row's
 * newer version has arrived, and rebuilding from an older one would show
 * the row as it was before the user's write.
 *
 * Runs right after the page that caught up commits (one round of sync at
 * a time, so nothing moves the cursor in between), in transactions of
 * CONFIRM_CHUNK mutations: local reads and writes wait for one chunk at
 * most, not for a whole drained queue. Each chunk leaves every row as the
 * server's version plus what is still pending on it; a crash between
 * chunks leaves the rest to the next pull that catches up.
 */
async function confirm(db: Db, schema: SyncSchema, caughtUp: readonly string[]): Promise<void> {
  if (caughtUp.length === 0) return;
  for (;;) {
    const confirmed = await db.transaction(async (tx) => {
      await letEventLoopIn();
      const { rows } = await tx.query<OutboxEntry>(
        `DELETE FROM sync_outbox WHERE seq IN (
           SELECT o.seq FROM sync_outbox o JOIN sync_cursors c ON c.organisation_id = o.organisation_id
           WHERE o.result IS NOT NULL AND (o.result->>'changeSeq')::bigint <= c.cursor AND o.organisation_id = ANY($1::uuid[])
           ORDER BY o.seq LIMIT $2)
         RETURNING table_name, row_id, mutation->>'op' AS op`,
        [caughtUp, CONFIRM_CHUNK],
      );
      if (rows.length > 0) {
        await replicaMode(tx);
        await rebuildAfterRemoval(tx, schema, rows);
      }
      return rows.length;
    });
    if (confirmed < CONFIRM_CHUNK) return;
  }
}

/**
 * Removes a revoked organisation's rows. Its mutations the server already
 * answered are done with. The unanswered ones go to the could-not-sync
 * list but stay queued: their seqs must still reach the server (which now
 * rejects them, or returns what it applied before an answer was lost), or
 * every later mutation of this client would wait behind a gap forever.
 */
async function purgeRevoked(tx: Transaction, schema: SyncSchema, userId: string, org: string): Promise<void> {
  await replicaMode(tx);
  await tx.query('DELETE FROM sync_outbox WHERE organisation_id = $1 AND result IS NOT NULL', [org]);
  await listUnsent(tx, [org], userId, 'REVOKED', 'your access to this organisation was revoked before this change reached the server');
  await dropShadowsOf(tx, schema, org);
  await purgeOrganisation(tx, schema, org);
}
