// The one place alerts are written by the server (rules and device events).
// Alerts are synced rows: each write takes the organisation's next change
// sequence inside the transaction.
//
// One open alert per (component, alert type, condition key): every writer
// that opens or closes alerts of a site first takes the site's advisory lock
// (lockSite), then reads the open alerts, so two writers never both see "none
// open" and both open one, on one server or several sharing a database.
//
// Lock order, the same as every other writer of synced rows (push, the
// acknowledge service): the alert rows (FOR UPDATE) before the change counter,
// which is taken last and held only for the writes themselves.
import type { Queryable } from '@helio/db';
import { allocateChangeSeqs } from '../../changes.js';
import type { ServiceContext } from '../../context.js';
import type { Alert, AlertType, Priority } from './schema.js';

export interface AlertRow {
  id: string;
  organisation_id: string;
  site_id: string;
  component_id: string;
  locus_id: number;
  alert_type: AlertType;
  priority: Priority;
  condition_key: string;
  started_at: Date;
  ended_at: Date | null;
  description_short: string | null;
  description_long: string | null;
  details: Record<string, unknown> | null;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  created_at: Date;
  updated_at: Date;
}

export const ALERT_COLUMNS =
  'a.id, a.organisation_id, a.site_id, a.component_id, a.locus_id, a.alert_type, a.priority, a.condition_key, a.started_at, a.ended_at, a.description_short, a.description_long, a.details, a.acknowledged_at, a.acknowledged_by, a.created_at, a.updated_at';

const iso = (d: Date | string) => (d instanceof Date ? d : new Date(d)).toISOString();

/** The joins that name an alert's component and acknowledging user (`FROM alerts a` + this). */
export const ALERT_NAMES_JOIN = 'LEFT JOIN components c ON c.id = a.component_id LEFT JOIN users u ON u.id = a.acknowledged_by';
export const ALERT_NAMES = 'c.name AS component_name, u.name AS acknowledged_by_name';

export function toAlert(r: AlertRow & { component_name?: string | null; acknowledged_by_name?: string | null }): Alert {
  return {
    id: r.id,
    locusId: Number(r.locus_id) > 0 ? Number(r.locus_id) : null,
    organisationId: r.organisation_id,
    siteId: r.site_id,
    componentId: r.component_id,
    componentName: r.component_name ?? null,
    alertType: r.alert_type,
    priority: r.priority,
    conditionKey: r.condition_key,
    startedAt: iso(r.started_at),
    endedAt: r.ended_at ? iso(r.ended_at) : null,
    descriptionShort: r.description_short,
    descriptionLong: r.description_long,
    details: r.details,
    acknowledgedAt: r.acknowledged_at ? iso(r.acknowledged_at) : null,
    acknowledgedBy: r.acknowledged_by,
    acknowledgedByName: r.acknowledged_by_name ?? null,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

/**
 * Serialises the alert writers of one site for the rest of the transaction.
 * `wait: false` gives up at once when another holds it (the scheduled
 * evaluation: the holder is doing the same work) and returns false.
 */
export async function lockSite(tx: Queryable, siteId: string, wait: boolean): Promise<boolean> {
  const fn = wait ? 'pg_advisory_xact_lock' : 'pg_try_advisory_xact_lock';
  const { rows } = await tx.query<{ locked: boolean | string }>(`SELECT ${fn}(hashtext('helio.alerts'), hashtext($1)) AS locked`, [siteId]);
  // pg_advisory_xact_lock returns void (an empty value); it returns only once the lock is held.
  return wait || rows[0]?.locked === true;
}

/** The open alerts of a site (of one component, when given), locked for update. */
export async function lockOpenAlerts(tx: Queryable, siteId: string, componentId?: string): Promise<AlertRow[]> {
  const { rows } = await tx.query<AlertRow>(
    `SELECT ${ALERT_COLUMNS} FROM alerts a
     WHERE a.site_id = $1 AND ($2::uuid IS NULL OR a.component_id = $2) AND a.ended_at IS NULL AND a.deleted_at IS NULL
     ORDER BY a.started_at, a.id FOR UPDATE`,
    [siteId, componentId ?? null],
  );
  return rows;
}

export interface OpenAlert {
  kind: 'open';
  siteId: string;
  componentId: string;
  alertType: AlertType;
  conditionKey: string;
  priority: Priority;
  startedAt: Date;
  /** Set when the condition already cleared (a device fault raised and cleared in one batch of events). */
  endedAt?: Date | null;
  descriptionShort: string | null;
  descriptionLong: string | null;
  details: Record<string, unknown> | null;
}

export interface ChangeAlert {
  kind: 'change';
  id: string;
  set: Partial<{
    priority: Priority;
    descriptionShort: string | null;
    descriptionLong: string | null;
    details: Record<string, unknown> | null;
    endedAt: Date;
  }>;
}

export type AlertWrite = OpenAlert | ChangeAlert;

const changeColumns = {
  priority: 'priority',
  descriptionShort: 'description_short',
  descriptionLong: 'description_long',
  details: 'details',
  endedAt: 'ended_at',
} as const;

/** Applies the writes of one organisation's alerts, each under its own change sequence; `updated_at` is `now`. Returns the ids written. */
export async function writeAlerts(
  tx: Queryable,
  ctx: Pick<ServiceContext, 'ids'>,
  organisationId: string,
  writes: readonly AlertWrite[],
  now: Date,
): Promise<string[]> {
  if (writes.length === 0) return [];
  const first = await allocateChangeSeqs(tx, organisationId, writes.length);
  const ids: string[] = [];
  for (const [i, w] of writes.entries()) {
    const seq = first + i;
    if (w.kind === 'open') {
      const id = ctx.ids.uuid();
      await tx.query(
        `INSERT INTO alerts (id, organisation_id, site_id, component_id, alert_type, priority, condition_key, started_at, ended_at,
           description_short, description_long, details, created_at, updated_at, change_seq)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13, $13, $14)`,
        [
          id,
          organisationId,
          w.siteId,
          w.componentId,
          w.alertType,
          w.priority,
          w.conditionKey,
          w.startedAt,
          w.endedAt ?? null,
          w.descriptionShort,
          w.descriptionLong,
          w.details === null ? null : JSON.stringify(w.details),
          now,
          seq,
        ],
      );
      ids.push(id);
    } else {
      const entries = Object.entries(w.set).filter(([, v]) => v !== undefined) as [keyof typeof changeColumns, unknown][];
      const sets = entries.map(([field], j) => `${changeColumns[field]} = $${j + 4}${field === 'details' ? '::jsonb' : ''}`);
      await tx.query(`UPDATE alerts SET ${['updated_at = $2', 'change_seq = $3', ...sets].join(', ')} WHERE id = $1`, [
        w.id,
        now,
        seq,
        ...entries.map(([field, v]) => (field === 'details' && v !== null ? JSON.stringify(v) : v)),
      ]);
      ids.push(w.id);
    }
  }
  return ids;
}

/** The alerts with these ids, with their component's name, in the order given. */
export async function alertsByIds(q: Queryable, ids: readonly string[]): Promise<Alert[]> {
  if (ids.length === 0) return [];
  const { rows } = await q.query<AlertRow & { component_name: string | null; acknowledged_by_name: string | null }>(
    `SELECT ${ALERT_COLUMNS}, ${ALERT_NAMES} FROM alerts a ${ALERT_NAMES_JOIN} WHERE a.id = ANY($1::uuid[])`,
    [[...new Set(ids)]],
  );
  const byId = new Map(rows.map((r) => [r.id, toAlert(r)]));
  return [...new Set(ids)].map((id) => byId.get(id)!).filter(Boolean);
}
