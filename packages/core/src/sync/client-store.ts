// The client's local bookkeeping for sync, over its own database (the same
// schema as the server's plus the sync_* client tables of migration 0003).
import type { Db, Queryable, Transaction } from '@helio/db';
import { SCHEMA_VERSION, type ParsedMutation, type RowChange } from './protocol.js';
import {
  ORGANISATION_COLUMN,
  reachesOf,
  SQL_IDENTIFIER,
  type SyncedTableDescriptor,
  type SyncSchema,
  type WritableTable,
} from './synced-table.js';

type Row = Record<string, unknown>;

// PGlite answers without waiting on I/O, so a transaction of many statements
// runs as one unbroken chain of promise callbacks: timers and I/O (in the
// desktop app, the IPC that serves the UI) wait for all of it. Steps that may
// run many statements in a row let the event loop in at least this often.
const EVENT_LOOP_BUDGET_MS = 10;
let eventLoopLastIn = 0;

/** Lets the event loop run if it has not for EVENT_LOOP_BUDGET_MS; an open transaction stays open meanwhile. */
export async function letEventLoopIn(): Promise<void> {
  if (performance.now() - eventLoopLastIn < EVENT_LOOP_BUDGET_MS) return;
  await new Promise<void>((resolve) => setImmediate(resolve));
  eventLoopLastIn = performance.now();
}

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

/** The row as the client stores it: columns the server keeps to itself hold a placeholder (see serverOnlyColumns). */
function withPlaceholders(table: SyncedTableDescriptor, row: Row): Row {
  const kept = table.serverOnlyColumns ?? [];
  return kept.length === 0 ? row : { ...Object.fromEntries(kept.map((c) => [c, ''])), ...row };
}

/** Replaces a local version with the given columns of the incoming row, but never the client's server-only columns. */
function onConflictReplace(table: SyncedTableDescriptor, columns: readonly string[]): string {
  const kept = table.serverOnlyColumns ?? [];
  const updates = columns.filter((c) => c !== 'id' && !kept.includes(c)).map((c) => `${c} = EXCLUDED.${c}`);
  return `ON CONFLICT (id) DO UPDATE SET ${updates.join(', ')}`;
}

/** The server sent rows of a table this version of the client does not sync. */
export class UnknownSyncedTableError extends Error {
  readonly code = 'SYNC_UNKNOWN_TABLE';
  constructor(readonly table: string) {
    super(`the server sent rows of ${table}, a table this version of Helio does not sync: update the app to receive them`);
    this.name = 'UnknownSyncedTableError';
  }
}

/** The last version of each row, in order: one statement may not write a row twice. */
function lastOfEach(rows: readonly Row[]): Row[] {
  const byId = new Map<unknown, Row>();
  for (const row of rows) {
    byId.delete(row['id']);
    byId.set(row['id'], row);
  }
  return [...byId.values()];
}

// A statement of this many rows takes 10-25 ms in PGlite: with the bookkeeping around it, well within the desktop's 100 ms budget.
const ROWS_PER_STATEMENT = 250;

/** Rows with the same columns, a statement's worth at a time: one statement sets the same columns on every row. */
function statementGroups(rows: readonly Row[]): Row[][] {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const key = Object.keys(row).sort().join(',');
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(row);
  }
  const chunks: Row[][] = [];
  for (const group of groups.values()) {
    for (let i = 0; i < group.length; i += ROWS_PER_STATEMENT) chunks.push(group.slice(i, i + ROWS_PER_STATEMENT));
  }
  return chunks;
}

/**
 * Writes whole rows (as to_jsonb gives them) into their table, replacing any
 * local versions; PostgreSQL converts each value to its column's type. One
 * statement per set of columns, not one per row.
 */
async function upsertRows(tx: Queryable, table: SyncedTableDescriptor, rows: readonly Row[]): Promise<void> {
  const name = table.table;
  for (const group of statementGroups(lastOfEach(rows))) {
    await letEventLoopIn();
    const stored = group.map((row) => withPlaceholders(table, row));
    // The row's own columns only: a column it lacks (a row created on this
    // device, rebuilt from its pending writes) takes the column's default.
    const columns = Object.keys(stored[0]!).filter((c) => SQL_IDENTIFIER.test(c));
    await tx.query(
      `INSERT INTO ${name} (${columns.join(', ')}) SELECT ${columns.join(', ')} FROM jsonb_populate_recordset(NULL::${name}, $1::jsonb) ${onConflictReplace(table, Object.keys(group[0]!))}`,
      [JSON.stringify(stored)],
    );
  }
}

/** Each row's pending mutations (not refused), in seq order. */
async function pendingFor(q: Queryable, table: string, ids: readonly string[]): Promise<Map<string, ParsedMutation[]>> {
  const { rows } = await q.query<{ row_id: string; mutation: ParsedMutation }>(
    `SELECT row_id, mutation FROM sync_outbox o WHERE table_name = $1 AND row_id = ANY($2::uuid[]) AND (result IS NULL OR result->>'status' <> 'rejected')
       AND NOT EXISTS (SELECT 1 FROM sync_rejected r WHERE r.seq = o.seq) ORDER BY seq`,
    [table, ids],
  );
  const byRow = new Map<string, ParsedMutation[]>();
  for (const r of rows) {
    let list = byRow.get(r.row_id);
    if (!list) byRow.set(r.row_id, (list = []));
    list.push(r.mutation);
  }
  return byRow;
}

/** The effect of one pending mutation on a local row (or its absence). */
function applyMutation(table: WritableTable, row: Row | undefined, m: ParsedMutation, now: string): Row | undefined {
  const { columns, defaults } = table.writes;
  const clocks = { ...((row?.['field_clocks'] as Record<string, string> | undefined) ?? {}) };
  const set = (target: Row, column: string, value: unknown) => {
    target[column] = value;
    clocks[column] = m.hlc;
  };
  if (m.op === 'create') {
    if (row) return row;
    const created: Row = {
      ...defaults,
      id: m.id,
      [ORGANISATION_COLUMN]: m.organisationId,
      created_at: now,
      updated_at: now,
      deleted_at: null,
      change_seq: 0,
    };
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
 * A pending removal (or, for rows removed with it, restoration) that reaches
 * into `table`: rows whose `column` names `id` lose it (a portfolio's sites),
 * or go and come back with it (a community member's delivery points).
 */
export interface Cascade {
  column: string;
  effect: 'detach' | 'remove';
  mutation: ParsedMutation;
}

/** Pending removals and restorations whose side effect reaches rows of `table`, in seq order. */
export async function pendingCascades(q: Queryable, schema: SyncSchema, table: string): Promise<Cascade[]> {
  const cascades: Cascade[] = [];
  for (const t of schema.writable) {
    for (const reach of reachesOf(t.writes)) {
      if (reach.table !== table) continue;
      const effect = reach.effect ?? 'detach';
      const { rows } = await q.query<{ mutation: ParsedMutation }>(
        `SELECT mutation FROM sync_outbox o WHERE table_name = $1 AND mutation->>'op' = ANY($2::text[]) AND (result IS NULL OR result->>'status' <> 'rejected')
           AND NOT EXISTS (SELECT 1 FROM sync_rejected r WHERE r.seq = o.seq) ORDER BY seq`,
        [t.table, effect === 'remove' ? ['delete', 'restore'] : ['delete']],
      );
      for (const r of rows) cascades.push({ column: reach.column, effect, mutation: r.mutation });
    }
  }
  return cascades.sort((a, b) => a.mutation.seq - b.mutation.seq);
}

/** pendingCascades for every writable table, as applyChanges takes them. */
export async function pendingCascadesByTable(q: Queryable, schema: SyncSchema): Promise<Map<string, Cascade[]>> {
  const byTable = new Map<string, Cascade[]>();
  for (const { table } of schema.writable) byTable.set(table, await pendingCascades(q, schema, table));
  return byTable;
}

function cascadeHits(row: Row | undefined, c: Cascade): boolean {
  return row !== undefined && row[c.column] === c.mutation.id;
}

/** What the caller of rebuildRows already knows, so that it need not be read again. */
export interface KnownState {
  /** Shadows just written, by row id. */
  shadows?: ReadonlyMap<string, Row>;
  /** The pending removals reaching the table (pendingCascades). */
  cascades?: readonly Cascade[];
}

/** Rows rebuilt per round of statements: a round's statements stay short, so the event loop gets in between them. */
const REBUILD_CHUNK = ROWS_PER_STATEMENT;

/**
 * Rebuilds local rows as the server's version plus every pending mutation of
 * them, in seq order: local reads always show the user's own unconfirmed
 * writes, including what their pending removals did to them (a deleted
 * portfolio's site is out of the portfolio). A row whose shadow has nothing
 * pending on it any more goes back to the server's version, and loses the shadow.
 */
export async function rebuildRows(
  tx: Transaction,
  schema: SyncSchema,
  table: WritableTable,
  ids: readonly string[],
  known: KnownState = {},
): Promise<void> {
  const unique = [...new Set(ids)];
  let cascades = known.cascades;
  for (let at = 0; at < unique.length; at += REBUILD_CHUNK) {
    cascades = await rebuildChunk(tx, schema, table, unique.slice(at, at + REBUILD_CHUNK), known.shadows, cascades);
  }
}

/** rebuildRows for a few ids; returns the pending removals it used, for the next chunk. */
async function rebuildChunk(
  tx: Transaction,
  schema: SyncSchema,
  table: WritableTable,
  ids: readonly string[],
  knownShadows: ReadonlyMap<string, Row> | undefined,
  knownCascades: readonly Cascade[] | undefined,
): Promise<readonly Cascade[] | undefined> {
  const shadows = new Map<string, Row | null>();
  const unknown: string[] = [];
  for (const id of ids) {
    const shadow = knownShadows?.get(id);
    if (shadow) shadows.set(id, shadow);
    else unknown.push(id);
  }
  if (unknown.length > 0) {
    await letEventLoopIn();
    const { rows } = await tx.query<{ row_id: string; row: Row | null }>(
      'SELECT row_id, row FROM sync_shadows WHERE table_name = $1 AND row_id = ANY($2::uuid[])',
      [table.table, unknown],
    );
    for (const r of rows) shadows.set(r.row_id, r.row);
  }
  // A row without a shadow: nothing recorded, the local row already holds the pending writes.
  if (shadows.size === 0) return knownCascades;
  await letEventLoopIn();
  const pending = await pendingFor(tx, table.table, [...shadows.keys()]);
  const cascades = knownCascades ?? (await pendingCascades(tx, schema, table.table));
  const now = new Date().toISOString();
  const settled: string[] = [];
  const upserts: Row[] = [];
  const deletes: string[] = [];
  for (const [id, shadow] of shadows) {
    const steps = [
      ...(pending.get(id) ?? []).map((m) => ({ seq: m.seq, own: m, cascade: undefined })),
      ...cascades.map((c) => ({ seq: c.mutation.seq, own: undefined, cascade: c })),
    ].sort((a, b) => a.seq - b.seq);
    let row: Row | undefined = shadow ?? undefined;
    let changed = false;
    // The removals that took the row out here, so that a restoration of the same row brings it back.
    const removedBy = new Set<string>();
    for (const step of steps) {
      if (step.own) {
        row = applyMutation(table, row, step.own, now);
        changed = true;
      } else if (step.cascade && cascadeHits(row, step.cascade)) {
        const { column, effect, mutation } = step.cascade;
        const set = (field: string, value: unknown) => {
          const clocks = { ...((row!['field_clocks'] as Record<string, string> | undefined) ?? {}), [field]: mutation.hlc };
          row = { ...row, [field]: value, updated_at: now, field_clocks: clocks };
          changed = true;
        };
        if (effect === 'detach') set(column, null);
        else if (mutation.op === 'delete' && !row!['deleted_at']) {
          set('deleted_at', now);
          removedBy.add(mutation.id);
        } else if (mutation.op === 'restore' && removedBy.delete(mutation.id)) set('deleted_at', null);
      }
    }
    if (!changed) settled.push(id);
    if (row) upserts.push(row);
    else deletes.push(id);
  }
  if (settled.length > 0) {
    await letEventLoopIn();
    await tx.query('DELETE FROM sync_shadows WHERE table_name = $1 AND row_id = ANY($2::uuid[])', [table.table, settled]);
  }
  await upsertRows(tx, table, upserts);
  if (deletes.length > 0) {
    await letEventLoopIn();
    await tx.query(`DELETE FROM ${table.table} WHERE id = ANY($1::uuid[])`, [deletes]);
  }
  return cascades;
}

/** After removals (and restorations) are confirmed or taken back, the rows their side effect reached show the server's version again. */
export async function rebuildDependents(tx: Transaction, schema: SyncSchema, table: WritableTable, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  for (const reach of reachesOf(table.writes)) {
    const { rows } = await tx.query<{ row_id: string }>(
      `SELECT row_id FROM sync_shadows WHERE table_name = $1 AND (row ->> '${reach.column}') = ANY($2::text[]) ORDER BY row_id`,
      [reach.table, ids],
    );
    await rebuildRows(
      tx,
      schema,
      schema.mustWrite(reach.table),
      rows.map((r) => r.row_id),
    );
  }
}

/** Before a removal (or the restoration of rows removed with it), keep the server's version of the rows its side effect will change. */
export async function shadowDependents(tx: Queryable, table: WritableTable, id: string, op: 'delete' | 'restore'): Promise<void> {
  for (const reach of reachesOf(table.writes)) {
    if (op === 'restore' && reach.effect !== 'remove') continue;
    const { rows } = await tx.query<{ id: string }>(`SELECT id FROM ${reach.table} WHERE ${reach.column} = $1 ORDER BY id`, [id]);
    for (const r of rows) await ensureShadow(tx, reach.table, r.id);
  }
}

/** Before a row's first pending mutation, keep the server's version of it (or that it has none). */
export async function ensureShadow(tx: Queryable, table: string, id: string): Promise<void> {
  const row = await loadLocalRow(tx, table, id);
  await tx.query(
    'INSERT INTO sync_shadows (table_name, row_id, row) VALUES ($1, $2, $3::jsonb) ON CONFLICT (table_name, row_id) DO NOTHING',
    [table, id, row ? JSON.stringify(row) : null],
  );
}

/**
 * Stores pulled rows: as the shadow of a row with local mutations pending on
 * it (or that a pending removal reaches), which is then rebuilt, else straight
 * into its table. A page takes a few statements per table, not a few per row.
 * `cascades`: the pending removals (pendingCascades) per table, read once per page.
 */
export async function applyChanges(
  tx: Transaction,
  schema: SyncSchema,
  changes: readonly RowChange[],
  cascades?: ReadonlyMap<string, readonly Cascade[]>,
): Promise<void> {
  const byTable = new Map<string, Row[]>();
  for (const change of changes) {
    let rows = byTable.get(change.table);
    if (!rows) byTable.set(change.table, (rows = []));
    rows.push({ ...change.row, field_clocks: change.fieldClocks, change_seq: change.changeSeq });
  }
  // A page holds each row once, and rows do not depend on each other (replica mode: no foreign keys, no triggers), so tables go one at a time.
  for (const [name, rows] of byTable) {
    const table = schema.get(name);
    // Rows of a table this client does not know (a newer server's, whose schema version should have
    // told it to update): refused, so the page rolls back and its cursor stays, and nothing is lost.
    if (!table) throw new UnknownSyncedTableError(name);
    if (table.writes) await applyWritable(tx, schema, table as WritableTable, lastOfEach(rows), cascades?.get(name));
    else await upsertRows(tx, table, rows);
  }
}

async function applyWritable(
  tx: Transaction,
  schema: SyncSchema,
  table: WritableTable,
  rows: readonly Row[],
  cascades: readonly Cascade[] | undefined,
): Promise<void> {
  await letEventLoopIn();
  const { rows: found } = await tx.query<{ row_id: string }>(
    'SELECT row_id FROM sync_shadows WHERE table_name = $1 AND row_id = ANY($2::uuid[])',
    [table.table, rows.map((row) => row['id'])],
  );
  const pending = new Set(found.map((r) => r.row_id));
  const shadowed = new Map<string, Row>();
  const direct: Row[] = [];
  for (const row of rows) {
    const id = row['id'] as string;
    if (pending.has(id) || cascades?.some((c) => cascadeHits(row, c))) shadowed.set(id, row);
    else direct.push(row);
  }
  await upsertRows(tx, table, direct);
  if (shadowed.size === 0) return;
  const versions = [...shadowed.values()];
  for (let at = 0; at < versions.length; at += ROWS_PER_STATEMENT) {
    await letEventLoopIn();
    await tx.query(
      `INSERT INTO sync_shadows (table_name, row_id, row) SELECT $1, (e.row ->> 'id')::uuid, e.row FROM jsonb_array_elements($2::jsonb) AS e(row)
       ON CONFLICT (table_name, row_id) DO UPDATE SET row = EXCLUDED.row`,
      [table.table, JSON.stringify(versions.slice(at, at + ROWS_PER_STATEMENT))],
    );
  }
  await rebuildRows(tx, schema, table, [...shadowed.keys()], { shadows: shadowed, ...(cascades ? { cascades } : {}) });
}

/** Removes an organisation's rows from every synced table (children first), with its counter and cursor. */
export async function purgeOrganisation(tx: Queryable, schema: SyncSchema, organisationId: string): Promise<void> {
  for (const table of schema.purgeOrder) await tx.query(`DELETE FROM ${table} WHERE ${ORGANISATION_COLUMN} = $1`, [organisationId]);
  await tx.query('DELETE FROM organisation_change_counters WHERE organisation_id = $1', [organisationId]);
  await tx.query('DELETE FROM sync_cursors WHERE organisation_id = $1', [organisationId]);
}

/** Removes every organisation's rows (a device starting afresh). */
export async function purgeAll(tx: Queryable, schema: SyncSchema): Promise<void> {
  for (const table of schema.purgeOrder) await tx.query(`DELETE FROM ${table}`);
  await tx.query('DELETE FROM organisation_change_counters');
}

/** The shadows of an organisation's rows (its writable tables'), before a purge. */
export async function dropShadowsOf(tx: Queryable, schema: SyncSchema, organisationId: string): Promise<void> {
  const owned = schema.writable.map((t) => `SELECT id FROM ${t.table} WHERE ${ORGANISATION_COLUMN} = $1`);
  if (owned.length === 0) return;
  await tx.query(`DELETE FROM sync_shadows WHERE row_id IN (${owned.join(' UNION ')})`, [organisationId]);
}

/**
 * Readies a device's database for the rows of this schema version, once per
 * version. Integer (Locus) ids are the server's to hand out: the device's
 * copy of their sequence counts down from -1, so a row created here holds a
 * placeholder no server id can equal until the server's version arrives.
 * When the schema changed since the last pull (an app update brought new
 * columns or tables), the cursors start over: the next pull brings every row
 * again, with the columns the old version did not store.
 */
export async function prepareReplica(db: Db): Promise<void> {
  const prepared = await readState<number>(db, 'schemaVersion');
  if (prepared === SCHEMA_VERSION) return;
  await db.transaction(async (tx) => {
    await tx.query(
      'ALTER SEQUENCE helio_locus_ids MINVALUE -9223372036854775807 MAXVALUE -1 INCREMENT BY -1 START WITH -1 RESTART WITH -1',
    );
    if (prepared !== undefined || (await tx.query('SELECT 1 FROM sync_cursors LIMIT 1')).rowCount > 0) {
      await tx.query('DELETE FROM sync_cursors');
    }
    await writeState(tx, 'schemaVersion', SCHEMA_VERSION);
  });
}
