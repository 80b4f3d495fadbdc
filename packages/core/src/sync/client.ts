// The sync client: local writes go through the same services as on the
// server, into the local database, with a mutation appended to the outbox in
// the same transaction; push sends the outbox, pull brings the server's
// changes and confirms (only then drops) pending mutations.
import { nestedDb, type Db, type Queryable, type Transaction } from '@helio/db';
import { authorize, type Principal } from '../auth/principal.js';
import { notFound, validationError } from '../errors.js';
import { parseId } from '../validation.js';
import type { ServiceContext } from '../context.js';
import type { Clock, IdGenerator } from '../ids.js';
import { storeDirectoryEntries } from '../users/directory.js';
import { membershipsOf } from '../users/service.js';
import { HybridClock } from './hlc.js';
import {
  PROTOCOL_VERSION,
  SCHEMA_VERSION,
  type MutationResult,
  type ParsedMutation,
  type PullRequest,
  type PullResponse,
  type PushRequest,
  type PushResponse,
} from './protocol.js';
import {
  applyChanges,
  dropShadowsOf,
  ensureShadow,
  loadLocalRow,
  pendingCascadesByTable,
  purgeAll,
  prepareReplica,
  purgeOrganisation,
  letEventLoopIn,
  readState,
  rebuildDependents,
  rebuildRows,
  replicaMode,
  shadowDependents,
  writeState,
} from './client-store.js';
import { dismissRejected, openConflicts, rejectedChanges, visibleTo, type OpenConflict, type RejectedChange } from './client-review.js';
import type { SyncSchema } from './synced-table.js';
import { syncSchema } from './tables.js';

/** How the client reaches the server: tRPC over HTTP in the app, direct calls in tests. */
export interface SyncTransport {
  push(request: PushRequest): Promise<PushResponse>;
  pull(request: PullRequest): Promise<PullResponse>;
}

export interface LocalWrite {
  /** A writable synced table (see SyncSchema). */
  table: string;
  op: 'create' | 'update' | 'delete' | 'restore';
  id?: string;
  organisationId: string;
  fields?: Record<string, unknown>;
}

export interface SyncClientOptions {
  db: Db;
  clock: Clock;
  ids: IdGenerator;
  /** The signed-in user: local writes act with their (synced) memberships. */
  userId: string;
  transport: SyncTransport;
  /** The synced tables; Helio's own (tables.ts) unless given. */
  tables?: SyncSchema;
}

/** The server answered a push with gaps only: it lacks earlier changes of this client. */
export class SyncGapError extends Error {
  constructor(
    readonly firstSent: number,
    readonly serverLastApplied: number,
  ) {
    super(
      `the server has applied this device's changes only up to #${serverLastApplied} and refuses #${firstSent}: it is missing changes it acknowledged before (was it restored from a backup?)`,
    );
    this.name = 'SyncGapError';
  }
}

/** Adds the unanswered mutations of these organisations to the could-not-sync list; returns how many. */
async function listUnsent(
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
interface OutboxEntry {
  table_name: string;
  row_id: string;
  op: string;
}

/** Rebuilds the rows of mutations just taken out of the outbox, and the rows their removals reached. */
async function rebuildAfterRemoval(tx: Transaction, schema: SyncSchema, removed: readonly OutboxEntry[]): Promise<void> {
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

/** Mutations confirmed per transaction (see confirm). */
const CONFIRM_CHUNK = 250;

const hasMore = (response: PullResponse) => response.organisations.some((o) => o.hasMore);

/** Moves kept entries out of the way of a new numbering (client seqs stay far below it). */
const SEQ_SHIFT = 1_000_000_000_000;

/** A client's hybrid clock: its node is the client id. */
function clockOf(clientId: string, clock: Clock): HybridClock {
  return new HybridClock(clientId.replaceAll('-', ''), clock);
}

/** Refused because another copy of this device's data sends under its client id (see push). */
function isIdentityInUse(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'SYNC_IDENTITY_IN_USE';
}

const versions = { protocolVersion: PROTOCOL_VERSION, schemaVersion: SCHEMA_VERSION };

export class SyncClient {
  private received = 0;
  private readonly schema: SyncSchema;

  private constructor(
    private readonly options: SyncClientOptions,
    private id: string,
    private hlc: HybridClock,
  ) {
    this.schema = options.tables ?? syncSchema;
  }

  /** This device's id on the server; a new one once another copy of its data was found sending under the old (see takeNewIdentity). */
  get clientId(): string {
    return this.id;
  }

  /** Opens the client's sync state, creating its id on first use. */
  static async open(options: SyncClientOptions): Promise<SyncClient> {
    let clientId = await readState<string>(options.db, 'clientId');
    if (!clientId) {
      clientId = options.ids.uuid();
      await writeState(options.db, 'clientId', clientId);
    }
    await prepareReplica(options.db);
    const client = new SyncClient(options, clientId, clockOf(clientId, options.clock));
    const last = await readState<string>(options.db, 'hlc');
    if (last) client.hlc.receive(last);
    return client;
  }

  /** A service context acting as the signed-in user over the local database. */
  async context(db: Db = this.options.db): Promise<ServiceContext> {
    const memberships = await membershipsOf({ db }, this.options.userId);
    return { db, clock: this.options.clock, ids: this.options.ids, principal: { kind: 'user', userId: this.options.userId, memberships } };
  }

  /** A local write: validated and applied by the services locally, queued for the server in the same transaction. */
  async write(input: LocalWrite): Promise<{ id: string; seq: number }> {
    return this.options.db.transaction((tx) => this.queueWrite(tx, input));
  }

  private async queueWrite(tx: Transaction, input: LocalWrite): Promise<{ id: string; seq: number }> {
    const table = this.schema.writableTable(input.table);
    if (!table) {
      throw validationError(`${input.table} is not a table this device writes`, [
        { path: 'table', message: 'not a writable synced table' },
      ]);
    }
    const { writes } = table;
    const id = input.id ?? this.options.ids.uuid();
    const fields = input.fields ?? {};
    const clock = await this.tick(tx);
    await tx.query("SELECT set_config('helio.hlc', $1, true)", [clock]);
    const before = await loadLocalRow(tx, input.table, id);
    const clocks = (before?.['field_clocks'] as Record<string, string> | undefined) ?? {};
    const seen = input.op === 'delete' ? Object.keys(writes.columns) : Object.keys(fields);
    const base = Object.fromEntries(seen.map((f) => [f, clocks[writes.columns[f] ?? ''] ?? null]));
    await ensureShadow(tx, input.table, id);
    if (input.op === 'delete' || input.op === 'restore') await shadowDependents(tx, table, id, input.op);
    const ctx = await this.context(nestedDb(tx, this.options.db.engine));
    if (input.op === 'create') await writes.create(ctx, id, input.organisationId, fields);
    else if (input.op === 'update') await writes.update(ctx, id, fields);
    else if (input.op === 'delete') await writes.remove(ctx, id);
    else await writes.restore(ctx, id);
    const seq = await this.enqueue(tx, {
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
  private async tick(tx: Transaction): Promise<string> {
    const clock = this.hlc.now();
    await writeState(tx, 'hlc', clock);
    return clock;
  }

  /** Appends a mutation to the outbox under the next seq. */
  private async enqueue(tx: Transaction, mutation: Omit<ParsedMutation, 'seq'>): Promise<number> {
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
   * Resolves a conflict: `kept` accepts what the server kept; `restored`
   * puts the lost value (or the deleted row) back. Queued like any write, in
   * one transaction: restoring is a local write of the lost value (shown at
   * once, offline too), then the resolution itself, which the server records
   * for every member to see.
   */
  async resolveConflict(id: string, resolution: 'kept' | 'restored'): Promise<{ seq: number }> {
    parseId(id);
    return this.options.db.transaction(async (tx) => {
      const conflictRow = (await this.openConflicts(tx, id))[0];
      if (!conflictRow) throw notFound('conflict', id);
      const ctx = await this.context(nestedDb(tx, this.options.db.engine));
      authorize(ctx.principal, conflictRow.organisationId, 'write', 'conflict', id);
      const { organisationId, table, rowId } = conflictRow;
      if (resolution === 'restored') {
        if (conflictRow.kind === 'field' && conflictRow.field) {
          await this.queueWrite(tx, { table, op: 'update', id: rowId, organisationId, fields: { [conflictRow.field]: conflictRow.lost } });
        } else {
          const row = await loadLocalRow(tx, table, rowId);
          if (row?.['deleted_at']) await this.queueWrite(tx, { table, op: 'restore', id: rowId, organisationId });
          const lost = (conflictRow.lost ?? {}) as Record<string, unknown>;
          const fields = Object.fromEntries(Object.entries(lost).filter(([f]) => f in this.schema.mustWrite(table).writes.columns));
          if (Object.keys(fields).length > 0) await this.queueWrite(tx, { table, op: 'update', id: rowId, organisationId, fields });
        }
      }
      const hlc = await this.tick(tx);
      const seq = await this.enqueue(tx, {
        table: 'sync_conflicts',
        op: 'resolve',
        id,
        organisationId,
        fields: { resolution },
        base: {},
        hlc,
      });
      return { seq };
    });
  }

  /** Conflicts nobody has resolved yet (nor this client, still queued), oldest first; `id` narrows to one. */
  openConflicts(q: Queryable = this.options.db, id?: string): Promise<OpenConflict[]> {
    return openConflicts(q, this.schema, id);
  }

  /** The open conflicts of the organisations the principal belongs to (all for the system principal); `organisationId` narrows to one. */
  async conflictsFor(principal: Principal, organisationId?: string): Promise<OpenConflict[]> {
    return visibleTo(principal, await this.openConflicts(), organisationId);
  }

  /** Changes the server refused (or that could not reach it: a revoked organisation), with its reasons. */
  rejectedChanges(): Promise<RejectedChange[]> {
    return rejectedChanges(this.options.db, this.options.userId);
  }

  /** Removes a refused change from the list once the user has read it. */
  dismissRejected(seq: number): Promise<void> {
    return dismissRejected(this.options.db, this.options.userId, seq);
  }

  /** Sends unanswered mutations (up to one batch); returns how many were sent. */
  async pushOnce(limit = 500): Promise<number> {
    await letEventLoopIn();
    const { rows } = await this.options.db.query<{ mutation: ParsedMutation }>(
      'SELECT mutation FROM sync_outbox WHERE result IS NULL ORDER BY seq LIMIT $1',
      [limit],
    );
    if (rows.length === 0) return 0;
    let response: PushResponse;
    try {
      response = await this.options.transport.push({ ...versions, clientId: this.clientId, mutations: rows.map((r) => r.mutation) });
    } catch (err) {
      if (!isIdentityInUse(err)) throw err;
      // Sent again, renumbered under the new id, by the next push.
      await this.takeNewIdentity();
      return rows.length;
    }
    if (response.results.length > 0 && response.results.every((r) => r.status === 'gap')) {
      // Nothing was applied: the server lacks changes this client sent and was answered for earlier (restored from a backup?).
      throw new SyncGapError(rows[0]!.mutation.seq, response.lastAppliedSeq);
    }
    // Confirmation waits for a pull: only a page that catches up shows what the mutation did.
    if (await this.options.db.transaction((tx) => this.recordResults(tx, response.results))) await this.takeNewIdentity();
    return rows.length;
  }

  /**
   * Records the server's answers, a few statements for a whole push: applied
   * ones wait in the outbox for a pull to confirm them (see confirm), refused
   * ones go to the could-not-sync list and their rows are rebuilt without
   * them. Returns whether an answer was another device's (see takeNewIdentity).
   */
  private async recordResults(tx: Transaction, results: readonly MutationResult[]): Promise<boolean> {
    const answers = new Map<number, MutationResult>();
    for (const result of results) if (result.status !== 'gap') answers.set(result.seq, result);
    const acked = Math.max((await readState<number>(tx, 'ackedSeq')) ?? 0, ...answers.keys());
    const othersAnswer = answers.size > 0 && (await this.recordAnswers(tx, answers));
    await writeState(tx, 'ackedSeq', acked);
    return othersAnswer;
  }

  /** Records answers (see recordResults); returns whether one of them answered another device's mutation, not this one's. */
  private async recordAnswers(tx: Transaction, answers: ReadonlyMap<number, MutationResult>): Promise<boolean> {
    await letEventLoopIn();
    // Listed as could-not-sync when its organisation was revoked, but still queued: see purgeRevoked.
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
          this.options.userId,
        ],
      );
      await tx.query('DELETE FROM sync_outbox WHERE seq = ANY($1::bigint[])', [refused.map((r) => r.seq)]);
      await replicaMode(tx);
      await rebuildAfterRemoval(tx, this.schema, refusedEntries);
    }
    return othersAnswer;
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
  private async confirm(caughtUp: readonly string[]): Promise<void> {
    if (caughtUp.length === 0) return;
    for (;;) {
      const confirmed = await this.options.db.transaction(async (tx) => {
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
          await rebuildAfterRemoval(tx, this.schema, rows);
        }
        return rows.length;
      });
      if (confirmed < CONFIRM_CHUNK) return;
    }
  }

  /** Pulls one page per organisation; returns whether any organisation has more. */
  async pullOnce(limit?: number): Promise<boolean> {
    const { cursors, ackedSeq } = await this.pullPosition();
    const pulled = await this.requestPull(cursors, ackedSeq, limit);
    await this.storePull(pulled);
    return hasMore(pulled.response);
  }

  /**
   * Pulls until every organisation has caught up. Each next page is asked
   * for as soon as a page arrives, so the server and the network work on it
   * while this one is stored (pages still commit one after the other, each
   * with its cursor).
   */
  async pullAll(options: { limit?: number; onPage?: () => void } = {}): Promise<void> {
    let { cursors, ackedSeq } = await this.pullPosition();
    let next = this.requestPull(cursors, ackedSeq, options.limit);
    for (;;) {
      const pulled = await next;
      const { response } = pulled;
      const more = hasMore(response);
      if (more) {
        cursors = { ...cursors };
        for (const page of response.organisations) cursors[page.organisationId] = page.cursor;
        for (const org of response.revoked) delete cursors[org];
        ackedSeq = Math.max(ackedSeq, ...response.mutations.map((m) => m.seq));
        next = this.requestPull(cursors, ackedSeq, options.limit);
        // Awaited on the next turn; should storing this page fail first, its failure is not left unhandled.
        next.catch(() => undefined);
      }
      await this.storePull(pulled);
      options.onPage?.();
      if (!more) return;
    }
  }

  /** Where the next pull starts: the stored cursors and the highest seq answered. */
  private async pullPosition(): Promise<{ cursors: Record<string, number>; ackedSeq: number }> {
    const db = this.options.db;
    const { rows } = await db.query<{ organisation_id: string; cursor: number }>('SELECT organisation_id, cursor FROM sync_cursors');
    return {
      cursors: Object.fromEntries(rows.map((r) => [r.organisation_id, Number(r.cursor)])),
      ackedSeq: (await readState<number>(db, 'ackedSeq')) ?? 0,
    };
  }

  private async requestPull(
    cursors: Record<string, number>,
    ackedSeq: number,
    limit: number | undefined,
  ): Promise<{ response: PullResponse; clientId: string }> {
    const clientId = this.clientId;
    const response = await this.options.transport.pull({ ...versions, clientId, cursors, ackedSeq, ...(limit ? { limit } : {}) });
    return { response, clientId };
  }

  /**
   * Stores a pulled response: each organisation's page with its cursor, in
   * one transaction per page (a crash repeats at most that page); the answers
   * to this client's mutations, revocations and the clock with the last one.
   */
  private async storePull({ response, clientId }: { response: PullResponse; clientId: string }): Promise<void> {
    const db = this.options.db;
    let received = response.revoked.length + response.mutations.length;
    const pages = response.organisations;
    // Answers asked for under an id this client has since left behind are the other copy's (see takeNewIdentity).
    const answers = clientId === this.clientId ? response.mutations : [];
    const finish = async (tx: Transaction): Promise<boolean> => {
      const othersAnswer = await this.recordResults(tx, answers);
      for (const org of response.revoked) await this.purgeRevoked(tx, org);
      await writeState(tx, 'hlc', this.hlc.now());
      await writeState(tx, 'lastSyncAt', this.options.clock.now().toISOString());
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
        const cascades = page.changes.length > 0 ? await pendingCascadesByTable(tx, this.schema) : undefined;
        received += page.changes.length;
        for (const change of page.changes) for (const clock of Object.values(change.fieldClocks)) this.hlc.receive(clock);
        await applyChanges(tx, this.schema, page.changes, cascades);
        await tx.query(
          'INSERT INTO sync_cursors (organisation_id, cursor) VALUES ($1, $2) ON CONFLICT (organisation_id) DO UPDATE SET cursor = EXCLUDED.cursor',
          [page.organisationId, page.cursor],
        );
        // The last page's transaction also takes the answers and the bookkeeping: one commit fewer per pull.
        return i === pages.length - 1 ? finish(tx) : false;
      });
    }
    if (pages.length === 0) othersAnswer = await db.transaction(finish);
    await this.confirm(pages.filter((o) => !o.hasMore).map((o) => o.organisationId));
    if (othersAnswer) await this.takeNewIdentity();
    this.received += received;
  }

  /** How many rows, results and revocations pulls have brought since this client was opened: when it grows, local data may have changed. */
  get receivedChanges(): number {
    return this.received;
  }

  /**
   * Removes a revoked organisation's rows. Its mutations the server already
   * answered are done with. The unanswered ones go to the could-not-sync
   * list but stay queued: their seqs must still reach the server (which now
   * rejects them, or returns what it applied before an answer was lost), or
   * every later mutation of this client would wait behind a gap forever.
   */
  private async purgeRevoked(tx: Transaction, org: string): Promise<void> {
    await replicaMode(tx);
    await tx.query('DELETE FROM sync_outbox WHERE organisation_id = $1 AND result IS NOT NULL', [org]);
    await listUnsent(
      tx,
      [org],
      this.options.userId,
      'REVOKED',
      'your access to this organisation was revoked before this change reached the server',
    );
    await dropShadowsOf(tx, this.schema, org);
    await purgeOrganisation(tx, this.schema, org);
  }

  /**
   * Lists the queued changes of these organisations as could-not-sync with
   * this reason, before the server answers them (it will refuse them): for
   * organisations the server cannot know, such as those a device made while
   * it worked on its own. They stay queued, like a revoked organisation's.
   */
  async withdraw(organisationIds: readonly string[], code: string, message: string): Promise<number> {
    return this.options.db.transaction((tx) => listUnsent(tx, organisationIds, this.options.userId, code, message));
  }

  /**
   * Starts this device afresh for another server or another user: what is
   * still queued is listed as could-not-sync (with `message`, for the user
   * who made it, `owner`), the synced data of every organisation is removed (the next
   * pull brings what the new sign-in may see), and the device takes a new
   * client id, numbering its changes from 1 again (open a new SyncClient
   * for it). Earlier could-not-sync entries are kept, under keys of their own.
   * `unsent: 'setAside'`: the caller has kept what is queued elsewhere (the
   * desktop's work made before its first sign-in), so it is not listed.
   */
  async startOver(unsent: { code: string; message: string; owner?: string } | 'setAside'): Promise<void> {
    const { db } = this.options;
    await db.transaction(async (tx) => {
      if (unsent !== 'setAside') await listUnsent(tx, null, unsent.owner ?? this.options.userId, unsent.code, unsent.message);
      // Shift the kept entries out of the way of the new numbering (each start-over by one more step).
      await tx.query(`UPDATE sync_rejected SET seq = seq - ${SEQ_SHIFT}`);
      await tx.query('DELETE FROM sync_outbox');
      await tx.query('DELETE FROM sync_shadows');
      await replicaMode(tx);
      await purgeAll(tx, this.schema);
      await tx.query('DELETE FROM sync_cursors');
      await writeState(tx, 'clientId', this.options.ids.uuid());
      await writeState(tx, 'nextSeq', 1);
      await writeState(tx, 'ackedSeq', 0);
      await tx.query("DELETE FROM sync_client_state WHERE key = 'lastSyncAt'");
    });
  }

  /**
   * Another copy of this device's data (a restored backup, a copied profile)
   * has sent changes under this client id: the server answered the same seqs
   * for other mutations. This copy takes a new id and renumbers what the
   * server has not answered from 1, in the same order, so the next push sends
   * it all as this new device's (nothing is dropped, nothing is answered
   * with the other copy's result). Answered mutations only wait for a pull
   * to confirm them and keep their order, below the new numbers; entries
   * already listed as could-not-sync leave the queue (under a new id there is
   * no sequence they must hold a place in).
   */
  private async takeNewIdentity(): Promise<void> {
    const clientId = this.options.ids.uuid();
    await this.options.db.transaction(async (tx) => {
      await tx.query('DELETE FROM sync_outbox o WHERE o.result IS NULL AND EXISTS (SELECT 1 FROM sync_rejected r WHERE r.seq = o.seq)');
      await tx.query(`UPDATE sync_rejected SET seq = seq - ${SEQ_SHIFT}`);
      // Two steps: seq is a key, and a statement that renumbers in place may meet a number not yet moved.
      await tx.query(
        `UPDATE sync_outbox SET seq = seq - ${SEQ_SHIFT}, mutation = jsonb_set(mutation, '{seq}', to_jsonb(seq - ${SEQ_SHIFT})) WHERE result IS NOT NULL`,
      );
      await tx.query(`UPDATE sync_outbox SET seq = seq + ${SEQ_SHIFT} WHERE result IS NULL`);
      const { rowCount } = await tx.query(
        `UPDATE sync_outbox o SET seq = n.seq, mutation = jsonb_set(o.mutation, '{seq}', to_jsonb(n.seq))
         FROM (SELECT seq AS old, row_number() OVER (ORDER BY seq) AS seq FROM sync_outbox WHERE result IS NULL) n WHERE o.seq = n.old`,
      );
      await writeState(tx, 'clientId', clientId);
      await writeState(tx, 'nextSeq', rowCount + 1);
      await writeState(tx, 'ackedSeq', 0);
    });
    const last = this.hlc.now();
    this.id = clientId;
    this.hlc = clockOf(clientId, this.options.clock);
    this.hlc.receive(last);
  }

  /** Push everything, then pull until caught up. */
  async sync(): Promise<void> {
    while ((await this.pushOnce()) > 0) {
      /* next batch */
    }
    await this.pullAll();
  }

  async status(): Promise<{ pending: number; rejected: number; conflicts: number; lastSyncAt: string | null }> {
    const db = this.options.db;
    const count = async (sql: string, params: unknown[] = []) => (await db.query<{ n: number }>(sql, params)).rows[0]?.n ?? 0;
    return {
      pending: await count(
        'SELECT count(*)::int AS n FROM sync_outbox o WHERE NOT EXISTS (SELECT 1 FROM sync_rejected r WHERE r.seq = o.seq)',
      ),
      rejected: await count('SELECT count(*)::int AS n FROM sync_rejected WHERE user_id IS NULL OR user_id = $1', [this.options.userId]),
      conflicts: await count('SELECT count(*)::int AS n FROM sync_conflicts WHERE resolution IS NULL AND deleted_at IS NULL'),
      lastSyncAt: (await readState<string>(db, 'lastSyncAt')) ?? null,
    };
  }
}
