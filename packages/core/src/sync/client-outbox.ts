// The client's outbox: local writes queued in the transaction that makes
// them, the server's answers recorded against them, and what taking entries
// out of the queue means for local rows.
import type { Queryable, Transaction } from '@helio/db';
import { validationError } from '../errors.js';
import type { ServiceContext } from '../context.js';
import type { IdGenerator } from '../ids.js';
import type { HybridClock } from './hlc.js';
import type { MutationResult, ParsedMutation } from './protocol.js';
import {
  ensureShadow,
  letEventLoopIn,
  loadLocalRow,
  readState,
  rebuildDependents,
  rebuildRows,
  replicaMode,
  shadowDependents,
  writeState,
} from './client-store.js';
import type { SyncSchema } from './synced-table.js';

export interface LocalWrite {
  /** A writable synced table (see SyncSchema). */
  table: string;
  op: 'create' | 'update' | 'delete' | 'restore';
  id?: string;
  organisationId: string;
  fields?: Record<string, unknown>;
}

/** What a local write is made with: the client's tables, ids and clock, and the signed-in user's services. */
export interface Writer {
  schema: SyncSchema;
  ids: IdGenerator;
  hlc: HybridClock;
  /** A service context acting as the signed-in user inside this transaction. */
  contextIn(tx: Transaction): Promise<ServiceContext>;
}

/** Adds the unanswered mutations of these organisations to the could-not-sync list; returns how many. */
export async function listUnsent(
  tx: Queryable,
  organisationIds: readonly string[] | null,
  userId: string,
  code: string,
  message: string,
): Promise<number> {
  const { rowCount } = await tx.query(
    `INSERT INTO sync_rejected (seq, organisation_id, mutation, code, message, user_id)
     SELECT seq, organisation_id, mutation, $2, $3, $4 FROM sync_outbox WHERE ($1::uuid[] IS NULL OR organisation_id = ANY($1::uuid[])) AND result IS NULL
     ON CONFLICT (seq) DO NOTHING`,
    [organisationIds, code, message, userId],
  );
  return rowCount;
}

/** An outbox entry taken out of the queue (confirmed or refused): what its removal means for local rows. */
export interface OutboxEntry {
  table_name: string;
  row_id: string;
  op: string;
}

/** Rebuilds the rows of mutations just taken out of the outbox, and the rows their removals reached. */
export async function rebuildAfterRemoval(tx: Transaction, schema: SyncSchema, removed: readonly OutboxEntry[]): Promise<void> {
  const rowsByTable = new Map<string, string[]>();
  const removalsByTable = new Map<string, string[]>();
  const add = (map: Map<string, string[]>, table: string, id: string) => {
    let ids = map.get(table);
    if (!ids) map.set(table, (ids = []));
    ids.push(id);
  };
  for (const r of removed) {
    if (!schema.writableTable(r.table_name)) continue;
    add(rowsByTable, r.table_name, r.row_id);
    if (r.op === 'delete' || r.op === 'restore') add(removalsByTable, r.table_name, r.row_id);
  }
  for (const [table, ids] of rowsByTable) await rebuildRows(tx, schema, schema.mustWrite(table), ids);
  for (const [table, ids] of removalsByTable) await rebuildDependents(tx, schema, schema.mustWrite(table), ids);
}

/** Applies a local write through the services and queues it for the server, in the caller's transaction. */
export async function queueWrite(tx: Transaction, writer: Writer, input: LocalWrite): Promise<{ id: string; seq: number }> {
  const table = writer.schema.writableTable(input.table);
  if (!table) {
    throw validationError(`${input.table} is not a table this device writes`, [{ path: 'table', message: 'not a writable synced table' }]);
  }
  const { writes } = table;
  const id = input.id ?? writer.ids.uuid();
  const fields = input.fields ?? {};
  const clock = await tick(tx, writer.hlc);
  await tx.query("SELECT set_config('helio.hlc', $1, true)", [clock]);
  const before = await loadLocalRow(tx, input.table, id);
  const clocks = (before?.['field_clocks'] as Record<string, string> | undefined) ?? {};
  const seen = input.op === 'delete' ? Object.keys(writes.columns) : Object.keys(fields);
  const base = Object.fromEntries(seen.map((f) => [f, clocks[writes.columns[f] ?? ''] ?? null]));
  await ensureShadow(tx, input.table, id);
  if (input.op === 'delete' || input.op === 'restore') await shadowDependents(tx, table, id, input.op);
  const ctx = await writer.contextIn(tx);
  if (input.op === 'create') await writes.create(ctx, id, input.organisationId, fields);
  else if (input.op === 'update') await writes.update(ctx, id, fields);
  else if (input.op === 'delete') await writes.remove(ctx, id);
  else await writes.restore(ctx, id);
  const seq = await enqueue(tx, {
    table: input.table,
    op: input.op,
    id,
    organisationId: input.organisationId,
    fields,
    base,
    hlc: clock,
  });
  return { id, seq };
}

/** The next clock of this client, kept across restarts. */
export async function tick(tx: Transaction, hlc: HybridClock): Promise<string> {
  const clock = hlc.now();
  await writeState(tx, 'hlc', clock);
  return clock;
}

/** Appends a mutation to the outbox under the next seq. */
export async function enqueue(tx: Transaction, mutation: Omit<ParsedMutation, 'seq'>): Promise<number> {
  const seq = (await readState<number>(tx, 'nextSeq')) ?? 1;
  await writeState(tx, 'nextSeq', seq + 1);
  await tx.query('INSERT INTO sync_outbox (seq, organisation_id, table_name, row_id, mutation) VALUES ($1, $2, $3, $4, $5::jsonb)', [
    seq,
    mutation.organisationId,
    mutation.table,
    mutation.id,
    JSON.stringify({ ...mutation, seq }),
  ]);
  return seq;
}

/**
 * Records the server's answers, a few statements for a whole push: applied
 * ones wait in the outbox for a pull to confirm them (see confirm in
 * client-pull.ts), refused ones go to the could-not-sync list and their rows
 * are rebuilt without them. Returns whether an answer was another device's
 * (see SyncClient.takeNewIdentity).
 */
export async function recordResults(
  tx: Transaction,
  schema: SyncSchema,
  userId: string,
  results: readonly MutationResult[],
): Promise<boolean> {
  const answers = new Map<number, MutationResult>();
  for (const result of results) if (result.status !== 'gap') answers.set(result.seq, result);
  const acked = Math.max((await readState<number>(tx, 'ackedSeq')) ?? 0, ...answers.keys());
  const othersAnswer = answers.size > 0 && (await recordAnswers(tx, schema, userId, answers));
  await writeState(tx, 'ackedSeq', acked);
  return othersAnswer;
}

/** Records answers (see recordResults); returns whether one of them answered another device's mutation, not this one's. */
async function recordAnswers(
  tx: Transaction,
  schema: SyncSchema,
  userId: string,
  answers: ReadonlyMap<number, MutationResult>,
): Promise<boolean> {
  await letEventLoopIn();
  // Listed as could-not-sync when its organisation was revoked, but still queued: see purgeRevoked (client-pull.ts).
  const { rows } = await tx.query<OutboxEntry & { seq: string | number; hlc: string; withdrawn: boolean }>(
    `SELECT o.seq, o.table_name, o.row_id, o.mutation->>'op' AS op, o.mutation->>'hlc' AS hlc,
            EXISTS (SELECT 1 FROM sync_rejected r WHERE r.seq = o.seq) AS withdrawn
     FROM sync_outbox o WHERE o.seq = ANY($1::bigint[])`,
    [[...answers.keys()]],
  );
  const applied: MutationResult[] = [];
  const refused: MutationResult[] = [];
  const refusedEntries: OutboxEntry[] = [];
  const withdrawnApplied: number[] = [];
  let othersAnswer = false;
  for (const entry of rows) {
    const result = answers.get(Number(entry.seq))!;
    if (result.hlc !== undefined && result.hlc !== entry.hlc) {
      // Another copy of this device's data sent a mutation under the same id and seq: this one never reached the server.
      othersAnswer = true;
    } else if (result.status === 'rejected') {
      refused.push(result);
      refusedEntries.push(entry);
    } else if (entry.withdrawn) {
      // The server had applied it before the revocation (its answer was lost): it did sync after all.
      withdrawnApplied.push(result.seq);
    } else applied.push(result);
  }
  if (applied.length > 0) {
    await letEventLoopIn();
    await tx.query(
      `UPDATE sync_outbox o SET result = e.result FROM jsonb_array_elements($1::jsonb) AS e(result) WHERE o.seq = (e.result ->> 'seq')::bigint`,
      [JSON.stringify(applied)],
    );
  }
  if (withdrawnApplied.length > 0) {
    await tx.query('DELETE FROM sync_rejected WHERE seq = ANY($1::bigint[])', [withdrawnApplied]);
    await tx.query('DELETE FROM sync_outbox WHERE seq = ANY($1::bigint[])', [withdrawnApplied]);
  }
  if (refused.length > 0) {
    await letEventLoopIn();
    await tx.query(
      `INSERT INTO sync_rejected (seq, organisation_id, mutation, code, message, user_id)
       SELECT o.seq, o.organisation_id, o.mutation, e.code, e.message, $2 FROM jsonb_to_recordset($1::jsonb) AS e(seq bigint, code text, message text)
       JOIN sync_outbox o ON o.seq = e.seq
       ON CONFLICT (seq) DO NOTHING`,
      [
        JSON.stringify(refused.map((r) => ({ seq: r.seq, code: r.code ?? 'REJECTED', message: r.message ?? 'rejected by the server' }))),
        userId,
      ],
    );
    await tx.query('DELETE FROM sync_outbox WHERE seq = ANY($1::bigint[])', [refused.map((r) => r.seq)]);
    await replicaMode(tx);
    await rebuildAfterRemoval(tx, schema, refusedEntries);
  }
  return othersAnswer;
}
