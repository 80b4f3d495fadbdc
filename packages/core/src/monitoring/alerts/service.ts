// Alerts as Helio's own API and the desktop see them: a site's open and
// recent alerts, and acknowledging one, the only write anyone but the
// server's rules makes on an alert (through tRPC, or offline through sync).
import type { Queryable } from '@helio/db';
import { actingUserId, authorize } from '../../auth/principal.js';
import { allocateChangeSeqs } from '../../changes.js';
import type { ServiceContext } from '../../context.js';
import { DomainError, notFound, validationError } from '../../errors.js';
import { parseId, parseInput } from '../../validation.js';
import { acknowledgementFields, listSiteAlertsInput, type Alert } from './schema.js';
import { ALERT_COLUMNS, ALERT_NAMES, ALERT_NAMES_JOIN, alertsByIds, toAlert, type AlertRow } from './writer.js';

/** API field → column: what a device may write on an alert (see sync.ts). */
export const alertColumns = {
  acknowledgedAt: 'acknowledged_at',
  acknowledgedBy: 'acknowledged_by',
} as const;

/** The site's alerts that are open, or closed within the last `recentDays` days; open ones first, newest first. */
export async function listSiteAlerts(ctx: ServiceContext, input: unknown): Promise<Alert[]> {
  const { siteId, recentDays } = parseInput(listSiteAlertsInput, input);
  const { rows: sites } = await ctx.db.query<{ organisation_id: string }>(
    'SELECT organisation_id FROM sites WHERE id = $1 AND deleted_at IS NULL',
    [siteId],
  );
  if (!sites[0]) throw notFound('site', siteId);
  authorize(ctx.principal, sites[0].organisation_id, 'read', 'site', siteId);
  const since = new Date(ctx.clock.now().getTime() - recentDays * 86_400_000);
  const { rows } = await ctx.db.query<AlertRow & { component_name: string | null; acknowledged_by_name: string | null }>(
    `SELECT ${ALERT_COLUMNS}, ${ALERT_NAMES} FROM alerts a ${ALERT_NAMES_JOIN}
     WHERE a.site_id = $1 AND a.deleted_at IS NULL AND (a.ended_at IS NULL OR a.ended_at >= $2)
     ORDER BY a.ended_at IS NULL DESC, a.started_at DESC, a.id`,
    [siteId, since],
  );
  return rows.map(toAlert);
}

async function loadAlert(q: Queryable, ctx: ServiceContext, id: string, forUpdate = false): Promise<AlertRow> {
  parseId(id);
  const { rows } = await q.query<AlertRow>(
    `SELECT ${ALERT_COLUMNS} FROM alerts a WHERE a.id = $1 AND a.deleted_at IS NULL${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  const row = rows[0];
  if (!row) throw notFound('alert', id);
  authorize(ctx.principal, row.organisation_id, 'read', 'alert', id);
  return row;
}

export async function getAlert(ctx: ServiceContext, id: string): Promise<Alert> {
  const row = await loadAlert(ctx.db, ctx, id);
  return (await alertsByIds(ctx.db, [row.id]))[0]!;
}

/**
 * Sets or withdraws an alert's acknowledgement: `{acknowledgedAt,
 * acknowledgedBy}`. `acknowledgedBy` is the writer's own user id (filled in
 * when left out; another user's id is refused); a time in the future is taken
 * as now; `acknowledgedAt: null` withdraws it (and clears `acknowledgedBy`).
 * Technicians and above.
 */
export async function acknowledgeAlert(ctx: ServiceContext, id: string, input: unknown): Promise<Alert> {
  const fields = parseInput(acknowledgementFields, input);
  const actor = actingUserId(ctx.principal);
  if (fields.acknowledgedBy && ctx.principal.kind !== 'system' && fields.acknowledgedBy !== actor) {
    throw validationError('acknowledgedBy must be your own user id: an alert is acknowledged by whoever acknowledges it', [
      { path: 'acknowledgedBy', message: 'not the acting user' },
    ]);
  }
  // Who acknowledged goes with when: one without the other would erase or take over someone's acknowledgement.
  if (fields.acknowledgedBy !== undefined && fields.acknowledgedAt === undefined) {
    throw validationError('acknowledgedBy is written only with acknowledgedAt: send both, or acknowledgedAt: null to withdraw', [
      { path: 'acknowledgedAt', message: 'required with acknowledgedBy' },
    ]);
  }
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const current = await loadAlert(tx, ctx, id, true);
    authorize(ctx.principal, current.organisation_id, 'write', 'alert', id);
    let at = current.acknowledged_at;
    let by = current.acknowledged_by;
    if (fields.acknowledgedAt !== undefined) {
      at = fields.acknowledgedAt === null ? null : new Date(Math.min(Date.parse(fields.acknowledgedAt), now.getTime()));
      by = at === null ? null : (fields.acknowledgedBy ?? actor ?? by);
    }
    const seq = await allocateChangeSeqs(tx, current.organisation_id);
    await tx.query('UPDATE alerts SET acknowledged_at = $2, acknowledged_by = $3, updated_at = $4, change_seq = $5 WHERE id = $1', [
      id,
      at,
      by,
      now,
      seq,
    ]);
    return (await alertsByIds(tx, [id]))[0]!;
  });
}

/** Alerts come and go with the conditions the server watches: no one else creates, deletes or restores one. */
export function serverOwned(what: 'create' | 'delete' | 'restore'): DomainError {
  return new DomainError(
    'FORBIDDEN',
    `alerts are raised and closed by the server's rules: they cannot be ${what === 'create' ? 'created' : what === 'delete' ? 'deleted' : 'restored'} here, only acknowledged`,
  );
}
