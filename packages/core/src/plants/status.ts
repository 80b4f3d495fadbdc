// A plant's connection state and the status messages it reports.
//
// The gateway calls `setConnection` when a plant connects and when it goes
// (a clean disconnect, a dropped connection). A status message
// `{"status": "ONLINE"|"OFFLINE"|"FAULT"|..., "faults"?: [...], "ts"?}`
// updates the same state, and its faults open and close Device Fault alerts
// on the plant's component through the monitoring events (alerts/events.ts):
// `active: true` opens (or updates) the fault's alert, `active: false`
// closes it. A plant without a site has no component to raise faults on:
// its status still counts, its faults are ignored (and the answer says so).
import type { Queryable } from '@helio/db';
import { z } from 'zod';
import { systemPrincipal } from '../auth/principal.js';
import { withPrincipal, type ServiceContext } from '../context.js';
import { isDomainError } from '../errors.js';
import { recordEvents } from '../monitoring/alerts/events.js';
import type { PlantRow } from './rows.js';
import { unstorableString } from './telemetry-decode.js';

/** A plant's connection, as the gateway that accepted it knows it. */
export interface PlantConnection {
  /** The gateway's MQTT broker id. */
  via: string;
  /** This connection among all of the plant's. */
  id: string;
  /** When the gateway accepted it: a connection accepted later wins. */
  since: Date;
}

/**
 * Marks a plant online (connected) or offline, and when it was last seen.
 * Online through `conn` records the connection, unless the plant is online
 * through one accepted later (a late report of an older connection changes
 * nothing; the gateway that held it reports its end after it). Offline
 * applies only while the row still names the connection that ended: `conn`
 * itself, or with only `via` (a dead server's will, which names no
 * connection) any connection of that gateway; last seen moves then only for
 * a connection named. Without `conn`, unconditionally.
 */
export async function setConnection(
  db: Queryable,
  plantId: string,
  online: boolean,
  now: Date,
  conn: PlantConnection | { via: string } | null = null,
): Promise<void> {
  const id = conn && 'id' in conn ? conn.id : null;
  if (online) {
    if (!conn || !('id' in conn)) {
      await db.query(`UPDATE plants SET status = 'ONLINE', last_seen_at = GREATEST(last_seen_at, $2) WHERE id = $1`, [plantId, now]);
      return;
    }
    await db.query(
      `UPDATE plants SET status = 'ONLINE', connected_via = $3, connection_id = $4, connected_at = $5, last_seen_at = GREATEST(last_seen_at, $2)
       WHERE id = $1 AND (status = 'OFFLINE' OR connected_at IS NULL OR connected_at <= $5)`,
      [plantId, now, conn.via, conn.id, conn.since],
    );
    return;
  }
  // A dead server's will: when it is published is not when the plant was last seen.
  const seen = !conn || id !== null;
  await db.query(
    `UPDATE plants SET status = 'OFFLINE', last_seen_at = CASE WHEN $5 THEN GREATEST(last_seen_at, $2) ELSE last_seen_at END
     WHERE id = $1
       AND ($3::text IS NULL OR connection_id IS NULL OR connection_id = $3)
       AND ($4::text IS NULL OR connected_via IS NULL OR connected_via = $4)`,
    [plantId, now, id, conn?.via ?? null, seen],
  );
}

/** Text the database can store: no U+0000, no lone surrogate (a write of it would fail each time the plant sent it again). */
const storable = <T extends z.ZodType<string>>(schema: T) =>
  schema.superRefine((text, issues) => {
    const why = unstorableString(text);
    if (why !== null) issues.addIssue({ code: 'custom', message: why });
  });

/** A fault as a plant reports it. */
export const reportedFault = z.strictObject({
  code: storable(z.string().trim().min(1).max(100)),
  message: storable(z.string().trim().max(4000)).optional(),
  active: z.boolean(),
  /** Helio: High, Medium (the default) or Low, any case, as monitoring events take it. */
  priority: storable(z.string().max(20)).optional(),
});

/** The payload of a status message. */
export const statusMessage = z.strictObject({
  status: z
    .string()
    .trim()
    .min(1)
    .max(50)
    .regex(/^[A-Za-z_]+$/, 'a word such as ONLINE, OFFLINE or FAULT'),
  faults: z.array(reportedFault).max(1000).optional(),
  ts: z.iso.datetime({ offset: true }).optional(),
});
export type StatusMessage = z.infer<typeof statusMessage>;

export type StatusResult =
  | {
      ok: true;
      status: string;
      faults: number;
      opened: number;
      updated: number;
      closed: number;
      /** Why the message's faults were not recorded (the connection state was): `no-site`. */
      faultsIgnored?: 'no-site';
    }
  | { ok: false; reason: string };

export interface RecordStatusOptions {
  /**
   * What the message says of the connection. `reported` (the default): the
   * plant sent it, so it is there: OFFLINE marks it offline, any other
   * status online. `lost`: its will message, published because the
   * connection is gone, whatever status it names: offline. `unchanged`: a
   * will of a plant already connected again (here or on another server): its
   * faults count, the connection state is left alone.
   */
  connection?: 'reported' | 'lost' | 'unchanged';
  /** The connection the message came through, or that was lost: its gateway only, for a dead server's will (see `setConnection`). */
  through?: PlantConnection | { via: string };
}

/**
 * Applies a plant's status message (the envelope's payload text): the
 * connection state (OFFLINE marks it offline; any other status means it is
 * there and talking: online; a will message: see `opts.connection`), last
 * seen, and its faults as Device Fault events of its component. `ok: false` (with the reason, for the drop
 * counter) for a message that is not one; nothing is changed then. Faults
 * from a plant without a site (no component to raise them on) are ignored,
 * the rest applied: the answer says `faultsIgnored: 'no-site'`.
 */
export async function recordStatus(
  ctx: ServiceContext,
  plant: PlantRow,
  payloadText: string,
  now: Date,
  opts: RecordStatusOptions = {},
): Promise<StatusResult> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payloadText);
  } catch {
    return { ok: false, reason: 'malformed JSON' };
  }
  const result = statusMessage.safeParse(parsed);
  if (!result.success) {
    return { ok: false, reason: `bad status: ${result.error.issues.map((i) => `${i.path.join('.') || '.'} ${i.message}`).join('; ')}` };
  }
  const message = result.data;
  const status = message.status.toUpperCase();
  const faults = message.faults ?? [];
  const faultsIgnored = faults.length > 0 && !plant.component_id;

  let counts = { opened: 0, updated: 0, closed: 0 };
  if (faults.length > 0 && !faultsIgnored) {
    const ts = message.ts ?? now.toISOString();
    const events = faults.map((f) => {
      const text = f.message?.trim() || undefined;
      return {
        ts,
        code: f.code,
        state: f.active ? 'active' : 'cleared',
        ...(f.priority ? { priority: f.priority } : {}),
        ...(text ? { descriptionShort: text.length <= 200 ? text : `${text.slice(0, 199)}…` } : {}),
        ...(text && text.length > 200 ? { descriptionLong: text } : {}),
      };
    });
    try {
      const recorded = await recordEvents(withPrincipal(ctx, systemPrincipal), plant.component_id!, { events });
      counts = { opened: recorded.opened, updated: recorded.updated, closed: recorded.closed };
    } catch (err) {
      if (isDomainError(err)) return { ok: false, reason: `bad faults: ${err.message}` };
      throw err;
    }
  }
  const connection = opts.connection ?? 'reported';
  // A will never marks a plant online: it is published because the connection is gone.
  if (connection !== 'unchanged')
    await setConnection(ctx.db, plant.id, connection === 'reported' && status !== 'OFFLINE', now, opts.through ?? null);
  return { ok: true, status, faults: faults.length, ...counts, ...(faultsIgnored ? { faultsIgnored: 'no-site' as const } : {}) };
}
