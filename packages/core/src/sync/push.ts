// sync.push on the server: applies a client's mutation log in one
// transaction, through the same services as REST, exactly once per (clientId, seq).
import { DbError, nestedDb, type Queryable, type Transaction } from '@helio/db';
import { authorize } from '../auth/principal.js';
import { allocateChangeSeqs } from '../changes.js';
import type { ServiceContext } from '../context.js';
import { toDomainError } from '../db-errors.js';
import { conflict, DomainError, isDomainError, notFound, validationError } from '../errors.js';
import { parseInput } from '../validation.js';
import { clampHlc, compareHlc, parseHlc, sameNode } from './hlc.js';
import { pushRequest, type MutationResult, type ParsedMutation, type PushResponse } from './protocol.js';
import { bindClient, checkVersions, syncUser } from './session.js';
import type { SyncSchema, WritableTable } from './synced-table.js';
import { syncSchema } from './tables.js';

type RowMutation = Exclude<ParsedMutation, { op: 'resolve' }>;
type ResolveMutation = Extract<ParsedMutation, { op: 'resolve' }>;

interface LoadedRow {
  organisation_id: string;
  deleted_at: Date | null;
  field_clocks: Record<string, string>;
  [column: string]: unknown;
}

interface ConflictRecord {
  table: string;
  rowId: string;
  field: string | null;
  kind: 'field' | 'delete';
  kept: unknown;
  lost: unknown;
  keptClock: string | null;
  lostClock: string | null;
  lostBy: string | null;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

async function loadRow(tx: Queryable, table: string, id: string): Promise<LoadedRow | undefined> {
  const { rows } = await tx.query<LoadedRow>(`SELECT * FROM ${table} WHERE id = $1 FOR UPDATE`, [id]);
  return rows[0];
}

async function recordConflicts(
  tx: Queryable,
  ctx: ServiceContext,
  organisationId: string,
  m: ParsedMutation,
  clientId: string,
  records: ConflictRecord[],
): Promise<void> {
  if (records.length === 0) return;
  const first = await allocateChangeSeqs(tx, organisationId, records.length);
  for (const [i, c] of records.entries()) {
    await tx.query(
      `INSERT INTO sync_conflicts (id, organisation_id, table_name, row_id, field, kind, kept, lost, kept_clock, lost_clock,
         lost_by, client_id, mutation_seq, created_at, updated_at, change_seq)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10, $11, $12, $13, $14, $14, $15)`,
      [
        ctx.ids.uuid(),
        organisationId,
        c.table,
        c.rowId,
        c.field,
        c.kind,
        JSON.stringify(c.kept ?? null),
        JSON.stringify(c.lost ?? null),
        c.keptClock,
        c.lostClock,
        c.lostBy,
        clientId,
        m.seq,
        ctx.clock.now(),
        first + i,
      ],
    );
  }
}

/** The columns of a row as API fields, for the fields the table lets clients write. */
function apiValues(table: WritableTable, row: LoadedRow, fields?: readonly string[]): Record<string, unknown> {
  const { columns } = table.writes;
  const names = fields ?? Object.keys(columns);
  return Object.fromEntries(names.map((f) => [f, row[columns[f]!] ?? null]));
}

async function applyRowMutation(
  ctx: ServiceContext,
  tx: Queryable,
  table: WritableTable,
  m: RowMutation,
  clientId: string,
  clock: string,
): Promise<'applied' | 'conflict'> {
  const { writes } = table;
  const unknown = Object.keys(m.fields).filter((f) => !(f in writes.columns));
  if (unknown.length > 0) {
    throw validationError(
      `unknown ${writes.entity} fields: ${unknown.join(', ')}`,
      unknown.map((f) => ({ path: `fields.${f}`, message: 'unknown field' })),
    );
  }
  const userId = syncUser(ctx);

  if (m.op === 'create') {
    await writes.create(ctx, m.id, m.organisationId, m.fields);
    return 'applied';
  }

  const row = await loadRow(tx, table.table, m.id);
  if (!row || row.organisation_id !== m.organisationId) throw notFound(writes.entity, m.id);
  authorize(ctx.principal, row.organisation_id, 'write', writes.entity, m.id);
  const clockOf = (field: string) => row.field_clocks[writes.columns[field]!] ?? null;
  // Whether the client had seen the field's current value when it wrote: its
  // base names that value's clock, or the value is the client's own earlier
  // write (whose stored clock may be a clamped one the client never saw).
  const seen = (field: string) => {
    const current = clockOf(field);
    return current === (m.base[field] ?? null) || (current !== null && sameNode(current, m.hlc));
  };

  if (m.op === 'restore') {
    if (row.deleted_at) await writes.restore(ctx, m.id);
    return 'applied';
  }

  if (m.op === 'delete') {
    if (row.deleted_at) return 'applied';
    // Someone changed the row since this client last saw it: the delete wins,
    // and what it removed is kept in a conflict record, restorable.
    const changed = Object.keys(writes.columns).filter((f) => f in m.base && !seen(f));
    await writes.remove(ctx, m.id);
    if (changed.length === 0) return 'applied';
    await recordConflicts(tx, ctx, row.organisation_id, m, clientId, [
      {
        table: m.table,
        rowId: m.id,
        field: null,
        kind: 'delete',
        kept: null,
        lost: apiValues(table, row),
        keptClock: clock,
        lostClock: null,
        lostBy: null,
      },
    ]);
    return 'conflict';
  }

  // update
  if (row.deleted_at) {
    // Deleted concurrently: the delete wins; the update is kept, restorable.
    await recordConflicts(tx, ctx, row.organisation_id, m, clientId, [
      {
        table: m.table,
        rowId: m.id,
        field: null,
        kind: 'delete',
        kept: null,
        lost: m.fields,
        keptClock: row.field_clocks['deleted_at'] ?? null,
        lostClock: clock,
        lostBy: userId,
      },
    ]);
    return 'conflict';
  }
  const winners: Record<string, unknown> = {};
  const conflicts: ConflictRecord[] = [];
  for (const [field, value] of Object.entries(m.fields)) {
    const current = clockOf(field);
    const stored = row[writes.columns[field]!] ?? null;
    if (current === null || seen(field)) {
      winners[field] = value;
    } else if (sameValue(stored, value)) {
      // Both sides wrote the same value: nothing to choose between.
    } else if (compareHlc(clock, current) > 0) {
      winners[field] = value;
      const lostBy = await authorOfClock(tx, current);
      conflicts.push({
        table: m.table,
        rowId: m.id,
        field,
        kind: 'field',
        kept: value,
        lost: stored,
        keptClock: clock,
        lostClock: current,
        lostBy,
      });
    } else {
      conflicts.push({
        table: m.table,
        rowId: m.id,
        field,
        kind: 'field',
        kept: stored,
        lost: value,
        keptClock: current,
        lostClock: clock,
        lostBy: userId,
      });
    }
  }
  if (Object.keys(winners).length > 0) await writes.update(ctx, m.id, winners);
  await recordConflicts(tx, ctx, row.organisation_id, m, clientId, conflicts);
  return conflicts.length > 0 ? 'conflict' : 'applied';
}

/**
 * Who wrote the value a clock stamps: a client's clocks carry its id as their
 * node, and each client is bound to one user. Null for a write made on the
 * server itself (REST, the CLI), whose clocks carry the node `server`.
 */
async function authorOfClock(tx: Queryable, clock: string): Promise<string | null> {
  const node = parseHlc(clock)?.node ?? '';
  if (!/^[0-9a-f]{32}$/.test(node)) return null;
  const clientId = `${node.slice(0, 8)}-${node.slice(8, 12)}-${node.slice(12, 16)}-${node.slice(16, 20)}-${node.slice(20)}`;
  const { rows } = await tx.query<{ user_id: string }>('SELECT user_id FROM sync_clients WHERE client_id = $1', [clientId]);
  return rows[0]?.user_id ?? null;
}

async function applyResolve(ctx: ServiceContext, tx: Queryable, schema: SyncSchema, m: ResolveMutation): Promise<'applied'> {
  const { rows } = await tx.query<{
    organisation_id: string;
    table_name: string;
    row_id: string;
    field: string | null;
    kind: 'field' | 'delete';
    lost: unknown;
    resolution: string | null;
  }>('SELECT organisation_id, table_name, row_id, field, kind, lost, resolution FROM sync_conflicts WHERE id = $1 FOR UPDATE', [m.id]);
  const c = rows[0];
  if (!c || c.organisation_id !== m.organisationId) throw notFound('conflict', m.id);
  authorize(ctx.principal, c.organisation_id, 'write', 'conflict', m.id);
  if (c.resolution) return 'applied';
  const table = schema.writableTable(c.table_name);
  // A conflict recorded on a table this server no longer lets clients write: nothing can be restored through it.
  if (!table) throw conflict(`this conflict is on ${c.table_name}, which clients can no longer write: it cannot be resolved here`);
  const { writes } = table;
  if (m.fields.resolution === 'restored') {
    if (c.kind === 'field' && c.field) {
      await writes.update(ctx, c.row_id, { [c.field]: c.lost });
    } else {
      const row = await loadRow(tx, c.table_name, c.row_id);
      if (row?.deleted_at) await writes.restore(ctx, c.row_id);
      const lost = (c.lost ?? {}) as Record<string, unknown>;
      const fields = Object.fromEntries(Object.entries(lost).filter(([f]) => f in writes.columns));
      if (Object.keys(fields).length > 0) await writes.update(ctx, c.row_id, fields);
    }
  }
  const seq = await allocateChangeSeqs(tx, c.organisation_id);
  await tx.query(
    'UPDATE sync_conflicts SET resolution = $2, resolved_by = $3, resolved_at = $4, updated_at = $4, change_seq = $5 WHERE id = $1',
    [m.id, m.fields.resolution, syncUser(ctx), ctx.clock.now(), seq],
  );
  return 'applied';
}

/**
 * The services' own transactions, run inside a mutation's savepoint: that
 * savepoint already undoes a mutation that fails (the services let errors
 * through, they do not catch one and carry on), so a savepoint per service
 * call would be two more statements per mutation for nothing.
 */
function withinSavepoint(ctx: ServiceContext, tx: Transaction): ServiceContext {
  return { ...ctx, db: { ...nestedDb(tx, ctx.db.engine), transaction: (fn) => fn(tx) } };
}

async function applyOne(ctx: ServiceContext, schema: SyncSchema, m: ParsedMutation, clientId: string): Promise<MutationResult> {
  const clock = clampHlc(m.hlc, ctx.clock.now());
  try {
    return await ctx.db.transaction(async (tx) => {
      // The trigger stamps the fields this mutation changes with its (clamped) clock.
      await tx.query("SELECT set_config('helio.hlc', $1, true)", [clock]);
      const within = withinSavepoint(ctx, tx);
      const status =
        m.op === 'resolve'
          ? await applyResolve(within, tx, schema, m)
          : await applyRowMutation(within, tx, schema.mustWrite(m.table), m, clientId, clock);
      const { rows } = await tx.query<{ last_seq: number }>(
        "SELECT last_seq, set_config('helio.hlc', '', true) FROM organisation_change_counters WHERE organisation_id = $1",
        [m.organisationId],
      );
      return {
        seq: m.seq,
        status,
        organisationId: m.organisationId,
        changeSeq: rows[0]?.last_seq ?? null,
        code: null,
        message: null,
        hlc: m.hlc,
      };
    });
  } catch (err) {
    // A deadlock or serialisation failure says nothing of the mutation: the batch runs again (push), it is not refused.
    if (isTransient(err)) throw err;
    const domain = toDomainError(err);
    if (!isDomainError(domain)) throw err;
    return {
      seq: m.seq,
      status: 'rejected',
      organisationId: m.organisationId,
      changeSeq: null,
      code: domain.code,
      message: domain.message,
      hlc: m.hlc,
    };
  }
}

function isTransient(err: unknown): boolean {
  return err instanceof DbError && err.kind === 'serialization_failure';
}

/** How many times a batch runs when PostgreSQL aborts it for a deadlock or a serialisation failure. */
const ATTEMPTS = 3;

/**
 * The locks that writers of the batch's tables take first (SyncedWrites.lockFirst),
 * each once: a resolve may write any table, so a batch with one takes them all.
 */
function locksFirst(schema: SyncSchema, mutations: readonly ParsedMutation[]): ((tx: Queryable) => Promise<void>)[] {
  const anyTable = mutations.some((m) => m.op === 'resolve');
  const tables = anyTable ? schema.writable : mutations.flatMap((m) => (m.op === 'resolve' ? [] : [schema.mustWrite(m.table)]));
  return [...new Set(tables.flatMap((t) => (t.writes.lockFirst ? [t.writes.lockFirst] : [])))];
}

/** A batch naming a table clients may not write is refused whole, as one that fails the protocol's shape is. */
function checkTables(schema: SyncSchema, mutations: readonly ParsedMutation[]): void {
  const details = mutations.flatMap((m, i) =>
    m.op === 'resolve' || schema.writableTable(m.table)
      ? []
      : [{ path: `mutations[${i}].table`, message: `${m.table} is not a table clients write`, issue: 'invalid_value' }],
  );
  if (details.length > 0) throw validationError(`invalid input: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, details);
}

/**
 * Another mutation than the one applied under this seq: a copy of the
 * device's data (a restored backup, a copied profile) is sending under the
 * same client id. Answering it from the stored result would drop the copy's
 * write without a word; the client takes a new id and sends again.
 */
function identityInUse(seq: number): DomainError {
  return new DomainError(
    'SYNC_IDENTITY_IN_USE',
    `change #${seq} of this device was already received from another copy of its data: this copy must sync under a new device id`,
  );
}

/**
 * Applies a batch in one transaction. A seq already applied returns its
 * stored result again; the next seq is applied; a later one (a gap) stops the
 * batch. An invalid or forbidden mutation is rejected with its reason and the
 * queue goes on. An applied seq that comes back as another mutation (another
 * clock) fails the whole batch: two devices are sending under one client id.
 */
export async function push(ctx: ServiceContext, input: unknown, schema: SyncSchema = syncSchema): Promise<PushResponse> {
  await checkVersions(ctx, input, { park: true });
  const req = parseInput(pushRequest, input);
  checkTables(schema, req.mutations);
  const mutations = [...req.mutations].sort((a, b) => a.seq - b.seq);
  const locks = locksFirst(schema, mutations);
  for (let attempt = 1; ; attempt++) {
    try {
      return await pushOnce(ctx, schema, req.clientId, mutations, locks);
    } catch (err) {
      if (attempt >= ATTEMPTS || !isTransient(err)) throw err;
    }
  }
}

async function pushOnce(
  ctx: ServiceContext,
  schema: SyncSchema,
  clientId: string,
  mutations: readonly ParsedMutation[],
  locks: readonly ((tx: Queryable) => Promise<void>)[],
): Promise<PushResponse> {
  return ctx.db.transaction(async (tx) => {
    for (const lock of locks) await lock(tx);
    let last = await bindClient(tx, ctx, clientId);
    const inner: ServiceContext = { ...ctx, db: nestedDb(tx, ctx.db.engine) };
    const results: MutationResult[] = [];
    // Recorded together at the end, in the same transaction; a seq sent twice in one batch is answered from here.
    const recorded = new Map<number, MutationResult>();
    let gap = false;
    for (const m of mutations) {
      if (m.seq <= last) {
        const stored =
          recorded.get(m.seq) ??
          (
            await tx.query<{ result: MutationResult }>('SELECT result FROM sync_mutations WHERE client_id = $1 AND seq = $2', [
              clientId,
              m.seq,
            ])
          ).rows[0]?.result;
        if (stored?.hlc !== undefined && stored.hlc !== m.hlc) throw identityInUse(m.seq);
        if (stored) results.push(stored);
        continue;
      }
      if (gap || m.seq !== last + 1) {
        gap = true;
        results.push({
          seq: m.seq,
          status: 'gap',
          organisationId: null,
          changeSeq: null,
          code: 'SYNC_GAP',
          message: `mutation ${last + 1} has not arrived yet`,
        });
        continue;
      }
      const result = await applyOne(inner, schema, m, clientId);
      recorded.set(m.seq, result);
      results.push(result);
      last = m.seq;
    }
    if (recorded.size > 0) {
      await tx.query(
        `INSERT INTO sync_mutations (client_id, seq, status, organisation_id, change_seq, result, created_at)
         SELECT $1, (r ->> 'seq')::bigint, r ->> 'status', (r ->> 'organisationId')::uuid, (r ->> 'changeSeq')::bigint, r, $3
         FROM jsonb_array_elements($2::jsonb) AS r`,
        [clientId, JSON.stringify([...recorded.values()]), ctx.clock.now()],
      );
    }
    await tx.query('UPDATE sync_clients SET last_seq = $2, last_seen_at = $3 WHERE client_id = $1', [clientId, last, ctx.clock.now()]);
    return { results, lastAppliedSeq: last };
  });
}
