// The sync panel's reads on a device: conflicts to review (what the server
// kept, what was lost, whose it was) and changes that could not sync, over
// the device's own database.
import type { Db, Queryable } from '@helio/db';
import type { Principal } from '../auth/principal.js';
import { conflict } from '../errors.js';
import { directoryEntries } from '../users/directory.js';
import type { ParsedMutation } from './protocol.js';
import type { SyncSchema } from './synced-table.js';

/** A conflict to show side by side: what the server kept and what was lost, and who lost it. */
export interface OpenConflict {
  id: string;
  organisationId: string;
  table: string;
  rowId: string;
  /** The row's name (its table's labelColumn: a site's or portfolio's name), as this client has it. */
  rowLabel: string | null;
  /** The API field (siteName, capacity, ...); null for a delete conflict. */
  field: string | null;
  kind: 'field' | 'delete';
  kept: unknown;
  lost: unknown;
  keptClock: string | null;
  lostClock: string | null;
  lostBy: { id: string; name: string | null } | null;
  createdAt: string;
}

export interface RejectedChange {
  seq: number;
  organisationId: string;
  table: string;
  op: string;
  rowId: string;
  fields: Record<string, unknown>;
  code: string;
  message: string;
  /** Still queued: its seq must reach the server (see purgeRevoked), so it cannot be dismissed yet. */
  stillQueued: boolean;
}

/** How a conflict's row is named: each writable table's label column, joined by the conflict's table and row. */
function labelSql(schema: SyncSchema): { column: string; joins: string } {
  const labelled = schema.writable.filter((t) => t.writes.labelColumn);
  if (labelled.length === 0) return { column: 'NULL::text', joins: '' };
  return {
    column: `COALESCE(${labelled.map((t, i) => `l${i}.${t.writes.labelColumn}::text`).join(', ')})`,
    joins: labelled.map((t, i) => `LEFT JOIN ${t.table} l${i} ON c.table_name = '${t.table}' AND l${i}.id = c.row_id`).join('\n       '),
  };
}

/** Conflicts nobody has resolved yet (nor this device, still queued), oldest first; `id` narrows to one. */
export async function openConflicts(q: Queryable, schema: SyncSchema, id?: string): Promise<OpenConflict[]> {
  const label = labelSql(schema);
  const { rows } = await q.query<{
    id: string;
    organisation_id: string;
    table_name: string;
    row_id: string;
    row_label: string | null;
    field: string | null;
    kind: 'field' | 'delete';
    kept: unknown;
    lost: unknown;
    kept_clock: string | null;
    lost_clock: string | null;
    lost_by: string | null;
    created_at: string;
  }>(
    `SELECT c.id, c.organisation_id, c.table_name, c.row_id, ${label.column} AS row_label, c.field, c.kind, c.kept, c.lost,
            c.kept_clock, c.lost_clock, c.lost_by, c.created_at
     FROM sync_conflicts c
     ${label.joins}
     WHERE c.resolution IS NULL AND c.deleted_at IS NULL AND ($1::uuid IS NULL OR c.id = $1)
       AND NOT EXISTS (SELECT 1 FROM sync_outbox o WHERE o.table_name = 'sync_conflicts' AND o.row_id = c.id
                         AND NOT EXISTS (SELECT 1 FROM sync_rejected r WHERE r.seq = o.seq))
     ORDER BY c.created_at, c.id`,
    [id ?? null],
  );
  const authors = [...new Set(rows.flatMap((r) => (r.lost_by ? [r.lost_by] : [])))];
  const names = new Map((await directoryEntries(q, authors)).map((u) => [u.id, u.name]));
  return rows.map((r) => ({
    id: r.id,
    organisationId: r.organisation_id,
    table: r.table_name,
    rowId: r.row_id,
    rowLabel: r.row_label,
    field: r.field,
    kind: r.kind,
    kept: r.kept,
    lost: r.lost,
    keptClock: r.kept_clock,
    lostClock: r.lost_clock,
    lostBy: r.lost_by ? { id: r.lost_by, name: names.get(r.lost_by) ?? null } : null,
    createdAt: new Date(r.created_at).toISOString(),
  }));
}

/** The conflicts of the organisations the principal belongs to (all for the system principal); `organisationId` narrows to one. */
export function visibleTo(principal: Principal, conflicts: readonly OpenConflict[], organisationId?: string): OpenConflict[] {
  const visible = (org: string) => principal.kind === 'system' || principal.memberships.has(org);
  return conflicts.filter((c) => visible(c.organisationId) && (!organisationId || c.organisationId === organisationId));
}

/** Changes the server refused (or that could not reach it: a revoked organisation), with its reasons, for this user. */
export async function rejectedChanges(q: Queryable, userId: string): Promise<RejectedChange[]> {
  const { rows } = await q.query<{
    seq: number;
    organisation_id: string;
    mutation: ParsedMutation;
    code: string;
    message: string;
    queued: boolean;
  }>(
    `SELECT r.seq, r.organisation_id, r.mutation, r.code, r.message, EXISTS (SELECT 1 FROM sync_outbox o WHERE o.seq = r.seq) AS queued
     FROM sync_rejected r WHERE r.user_id IS NULL OR r.user_id = $1 ORDER BY r.seq`,
    [userId],
  );
  return rows.map((r) => ({
    seq: Number(r.seq),
    organisationId: r.organisation_id,
    table: r.mutation.table,
    op: r.mutation.op,
    rowId: r.mutation.id,
    fields: r.mutation.fields,
    code: r.code,
    message: r.message,
    stillQueued: r.queued,
  }));
}

/** Removes a refused change from the list once the user has read it; one still being delivered stays. */
export async function dismissRejected(db: Db, userId: string, seq: number): Promise<void> {
  await db.transaction(async (tx) => {
    if ((await tx.query('SELECT 1 FROM sync_outbox WHERE seq = $1', [seq])).rowCount > 0) {
      throw conflict('this change is still being delivered to the server: it can be dismissed once the server has answered');
    }
    await tx.query('DELETE FROM sync_rejected WHERE seq = $1 AND (user_id IS NULL OR user_id = $2)', [seq, userId]);
  });
}
