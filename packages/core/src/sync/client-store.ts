// The client's local bookkeeping for sync, over its own database (the same
// schema as the server's plus the sync_* client tables of migration 0003).
import type { Queryable, Transaction } from '@helio/db';
import type { ParsedMutation, RowChange, SyncedTableName, WritableTableName } from './protocol.js';
import { writable } from './tables.js';

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
  const updates = Object.keys(row)
    .filter((c) => c !== 'id')
    .map((c) => `${c} = EXCLUDED.${c}`);
  await tx.query(
    `INSERT INTO ${table} SELECT * FROM jsonb_populate_record(NULL::${table}, $1::jsonb)
     ON CONFLICT (id) DO UPDATE SET ${updates.join(', ')}`,
    [JSON.stringify(row)],
  );
}

async function pendingFor(q: Queryable, table: string, id: string): Promise<ParsedMutation[]> {
  const { rows } = await q.query<{ mutation: ParsedMutation }>(
    `SELECT mutation FROM sync_outbox WHERE table_name = $1 AND row_id = $2 AND (result IS NULL OR result->>'status' <> 'rejected') ORDER BY seq`,
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

/**
 * Rebuilds a local row as the server's version plus every pending mutation of
 * it, in seq order: local reads always show the user's own unconfirmed writes.
 */
export async function rebuildRow(tx: Transaction, table: WritableTableName, id: string): Promise<void> {
  const pending = await pendingFor(tx, table, id);
  const { rows: shadows } = await tx.query<{ row: Row | null }>('SELECT row FROM sync_shadows WHERE table_name = $1 AND row_id = $2', [table, id]);
  const shadow = shadows[0];
  if (pending.length === 0) {
    if (shadow) {
      await tx.query('DELETE FROM sync_shadows WHERE table_name = $1 AND row_id = $2', [table, id]);
      if (shadow.row) await upsertRow(tx, table, shadow.row);
      else await tx.query(`DELETE FROM ${table} WHERE id = $1`, [id]);
    }
    return;
  }
  if (!shadow) return; // nothing recorded: the local row already holds the pending writes
  const now = new Date().toISOString();
  let row: Row | undefined = shadow.row ?? undefined;
  for (const m of pending) row = applyMutation(table, row, m, now);
  if (row) await upsertRow(tx, table, row);
  else await tx.query(`DELETE FROM ${table} WHERE id = $1`, [id]);
}

/** Before a row's first pending mutation, keep the server's version of it (or that it has none). */
export async function ensureShadow(tx: Queryable, table: WritableTableName, id: string): Promise<void> {
  const row = await loadLocalRow(tx, table, id);
  await tx.query(
    'INSERT INTO sync_shadows (table_name, row_id, row) VALUES ($1, $2, $3::jsonb) ON CONFLICT (table_name, row_id) DO NOTHING',
    [table, id, row ? JSON.stringify(row) : null],
  );
}

/** Stores a pulled row: as the shadow when local mutations are pending on it, else straight into its table. */
export async function applyChange(tx: Transaction, change: RowChange): Promise<void> {
  const row: Row = { ...change.row, field_clocks: change.fieldClocks, change_seq: change.changeSeq };
  const isWritable = (change.table as string) in writable;
  if (isWritable) {
    const shadowed = await tx.query('UPDATE sync_shadows SET row = $3::jsonb WHERE table_name = $1 AND row_id = $2', [change.table, change.id, JSON.stringify(row)]);
    if (shadowed.rowCount > 0) {
      await rebuildRow(tx, change.table as WritableTableName, change.id);
      return;
    }
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
