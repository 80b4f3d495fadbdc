// The client's local bookkeeping for sync, over its own database (the same
// schema as the server's plus the sync_* client tables of migration 0003).
import type { Queryable, Transaction } from '@helio/db';
import type { ParsedMutation, RowChange, SyncedTableName, WritableTableName } from './protocol.js';
import { serverOnlyColumns, writable } from './tables.js';

type Row = Record<string, unknown>;

/** Applies rows as they are: no clock stamping, no FK checks (a page may hold a child before its parent). */
export async function replicaMode(tx: Queryable): Promise<void> {
  await tx.query('SET LOCAL session_replication_role = replica');
}

export async function readState<T>(q: Queryable, key: string): Promise<T | undefined> {
  const { rows } = await q.query<{ value: T }>('SELECT value FROM sync_client_state WHERE key = $1', [key]);
  return rows[0]?.value;
}

export async function writeState(q: Queryable, key: string, value: unknown): Promise<void> {
  await q.query(
    'INSERT INTO sync_client_state (key, value) VALUES ($1, $2::jsonb) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value',
    [key, JSON.stringify(value)],
  );
}

export async function loadLocalRow(q: Queryable, table: string, id: string): Promise<Row | undefined> {
  const { rows } = await q.query<{ row: Row }>(`SELECT to_jsonb(x) AS row FROM ${table} x WHERE id = $1`, [id]);
  return rows[0]?.row;
}

/**
 * Writes a whole row (as to_jsonb gives it) into its table, replacing any
 * local version; PostgreSQL converts each value to its column's type.
 */
async function upsertRow(tx: Queryable, table: string, row: Row): Promise<void> {
  const kept = serverOnlyColumns[table as SyncedTableName] ?? [];
  const updates = Object.keys(row)
    .filter((c) => c !== 'id' && !kept.includes(c))
    .map((c) => `${c} = EXCLUDED.${c}`);
  const inserted = { ...Object.fromEntries(kept.map((c) => [c, ''])), ...row };
  await tx.query(
    `INSERT INTO ${table} SELECT * FROM jsonb_populate_record(NULL::${table}, $1::jsonb)
     ON CONFLICT (id) DO UPDATE SET ${updates.join(', ')}`,
    [JSON.stringify(inserted)],
  );
}

async function pendingFor(q: Queryable, table: string, id: string): Promise<ParsedMutation[]> {
  const { rows } = await q.query<{ mutation: ParsedMutation }>(
    `SELECT mutation FROM sync_outbox o WHERE table_name = $1 AND row_id = $2 AND (result IS NULL OR result->>'status' <> 'rejected')
       AND NOT EXISTS (SELECT 1 FROM sync_rejected r WHERE r.seq = o.seq) ORDER BY seq`,
    [table, id],
  );
  return rows.map((r) => r.mutation);
}

/** The effect of one pending mutation on a local row (or its absence). */
function applyMutation(table: WritableTableName, row: Row | undefined, m: ParsedMutation, now: string): Row | undefined {
  const { columns } = writable[table];
  const clocks = { ...((row?.['field_clocks'] as Record<string, string> | undefined) ?? {}) };
  const set = (target: Row, column: string, value: unknown) => {
    target[column] = value;
    clocks[column] = m.hlc;
  };
  if (m.op === 'create') {
    if (row) return row;
    const created: Row = { id: m.id, organisation_id: m.organisationId, created_at: now, updated_at: now, deleted_at: null, change_seq: 0 };
    if (table === 'sites') created['timezone'] = 'UTC';
    for (const [field, value] of Object.entries(m.fields)) set(created, columns[field]!, value);
    return { ...created, field_clocks: clocks };
  }
  if (!row) return row;
  const next: Row = { ...row, updated_at: now };
  if (m.op === 'update') for (const [field, value] of Object.entries(m.fields)) set(next, columns[field]!, value);
  if (m.op === 'delete' && !row['deleted_at']) set(next, 'deleted_at', now);
  if (m.op === 'restore') set(next, 'deleted_at', null);
  return { ...next, field_clocks: clocks };
}

/** A pending removal that reaches into `table`: rows whose `column` names `id` lose it (a portfolio's sites). */
export interface Cascade {
  column: string;
  mutation: ParsedMutation;
}

/** Pending removals whose side effect reaches rows of `table`, in seq order. */
export async function pendingCascades(q: Queryable, table: WritableTableName): Promise<Cascade[]> {
  const sources = Object.entries(writable).filter(([, t]) => t.onRemove?.table === table);
  const cascades: Cascade[] = [];
  for (const [source, t] of sources) {
    const { rows } = await q.query<{ mutation: ParsedMutation }>(
      `SELECT mutation FROM sync_outbox o WHERE table_name = $1 AND mutation->>'op' = 'delete' AND (result IS NULL OR result->>'status' <> 'rejected')
         AND NOT EXISTS (SELECT 1 FROM sync_rejected r WHERE r.seq = o.seq) ORDER BY seq`,
      [source],
    );
    for (const r of rows) cascades.push({ column: t.onRemove!.column, mutation: r.mutation });
  }
  return cascades.sort((a, b) => a.mutation.seq - b.mutation.seq);
}

/** pendingCascades for every writable table, as applyChange takes them. */
export async function pendingCascadesByTable(q: Queryable): Promise<Map<WritableTableName, Cascade[]>> {
  const byTable = new Map<WritableTableName, Cascade[]>();
  for (const table of Object.keys(writable) as WritableTableName[]) byTable.set(table, await pendingCascades(q, table));
  return byTable;
}

function cascadeHits(row: Row | undefined, c: Cascade): boolean {
  return row !== undefined && row[c.column] === c.mutation.id;
}

/**
 * Rebuilds a local row as the server's version plus every pending mutation of
 * it, in seq order: local reads always show the user's own unconfirmed writes,
 * including what their pending removals did to it (a deleted portfolio's site
 * is out of the portfolio).
 */
export async function rebuildRow(tx: Transaction, table: WritableTableName, id: string): Promise<void> {
  const { rows: shadows } = await tx.query<{ row: Row | null }>('SELECT row FROM sync_shadows WHERE table_name = $1 AND row_id = $2', [table, id]);
  const shadow = shadows[0];
  if (!shadow) return; // nothing recorded: the local row already holds the pending writes
  const steps = [
    ...(await pendingFor(tx, table, id)).map((m) => ({ seq: m.seq, own: m, cascade: undefined })),
    ...(await pendingCascades(tx, table)).map((c) => ({ seq: c.mutation.seq, own: undefined, cascade: c })),
  ].sort((a, b) => a.seq - b.seq);
  const now = new Date().toISOString();
  let row: Row | undefined = shadow.row ?? undefined;
  let pending = false;
  for (const step of steps) {
    if (step.own) {
      row = applyMutation(table, row, step.own, now);
      pending = true;
    } else if (step.cascade && cascadeHits(row, step.cascade)) {
      const clocks = { ...((row!['field_clocks'] as Record<string, string> | undefined) ?? {}), [step.cascade.column]: step.cascade.mutation.hlc };
      row = { ...row, [step.cascade.column]: null, updated_at: now, field_clocks: clocks };
      pending = true;
    }
  }
  if (!pending) {
    await tx.query('DELETE FROM sync_shadows WHERE table_name = $1 AND row_id = $2', [table, id]);
    if (shadow.row) await upsertRow(tx, table, shadow.row);
    else await tx.query(`DELETE FROM ${table} WHERE id = $1`, [id]);
    return;
  }
  if (row) await upsertRow(tx, table, row);
  else await tx.query(`DELETE FROM ${table} WHERE id = $1`, [id]);
}

/** After a removal is confirmed or taken back, the rows its side effect reached show the server's version again. */
export async function rebuildDependents(tx: Transaction, table: WritableTableName, id: string): Promise<void> {
  const onRemove = writable[table].onRemove;
  if (!onRemove) return;
  const { rows } = await tx.query<{ row_id: string }>(
    `SELECT row_id FROM sync_shadows WHERE table_name = $1 AND (row ->> '${onRemove.column}') = $2::text ORDER BY row_id`,
    [onRemove.table, id],
  );
  for (const r of rows) await rebuildRow(tx, onRemove.table, r.row_id);
}

/** Before a removal, keep the server's version of the rows its side effect will change. */
export async function shadowDependents(tx: Queryable, table: WritableTableName, id: string): Promise<void> {
  const onRemove = writable[table].onRemove;
  if (!onRemove) return;
  const { rows } = await tx.query<{ id: string }>(`SELECT id FROM ${onRemove.table} WHERE ${onRemove.column} = $1 ORDER BY id`, [id]);
  for (const r of rows) await ensureShadow(tx, onRemove.table, r.id);
}

/** Before a row's first pending mutation, keep the server's version of it (or that it has none). */
export async function ensureShadow(tx: Queryable, table: WritableTableName, id: string): Promise<void> {
  const row = await loadLocalRow(tx, table, id);
  await tx.query(
    'INSERT INTO sync_shadows (table_name, row_id, row) VALUES ($1, $2, $3::jsonb) ON CONFLICT (table_name, row_id) DO NOTHING',
    [table, id, row ? JSON.stringify(row) : null],
  );
}

/**
 * Stores a pulled row: as the shadow when local mutations are pending on it
 * (or a pending removal reaches it), else straight into its table.
 * `cascades`: the pending removals (pendingCascades) per table, read once per page.
 */
export async function applyChange(tx: Transaction, change: RowChange, cascades: ReadonlyMap<string, readonly Cascade[]> = new Map()): Promise<void> {
  const row: Row = { ...change.row, field_clocks: change.fieldClocks, change_seq: change.changeSeq };
  if ((change.table as string) in writable) {
    const table = change.table as WritableTableName;
    const shadowed = await tx.query('UPDATE sync_shadows SET row = $3::jsonb WHERE table_name = $1 AND row_id = $2', [table, change.id, JSON.stringify(row)]);
    if (shadowed.rowCount === 0 && (cascades.get(table) ?? []).some((c) => cascadeHits(row, c))) {
      await tx.query('INSERT INTO sync_shadows (table_name, row_id, row) VALUES ($1, $2, $3::jsonb)', [table, change.id, JSON.stringify(row)]);
    } else if (shadowed.rowCount === 0) {
      await upsertRow(tx, table, row);
      return;
    }
    await rebuildRow(tx, table, change.id);
    return;
  }
  await upsertRow(tx, change.table, row);
}

/** Every table that holds an organisation's rows, children first. */
const purgeOrder: readonly SyncedTableName[] = ['sync_conflicts', 'documents', 'sites', 'portfolios', 'memberships', 'organisations'];

export async function purgeOrganisation(tx: Queryable, organisationId: string): Promise<void> {
  for (const table of purgeOrder) await tx.query(`DELETE FROM ${table} WHERE organisation_id = $1`, [organisationId]);
  await tx.query('DELETE FROM organisation_change_counters WHERE organisation_id = $1', [organisationId]);
  await tx.query('DELETE FROM sync_cursors WHERE organisation_id = $1', [organisationId]);
}
