// The sync client: local writes go through the same services as on the
// server, into the local database, with a mutation appended to the outbox in
// the same transaction; push sends the outbox, pull brings the server's
// changes and confirms (only then drops) pending mutations.
import { nestedDb, type Db, type Queryable, type Transaction } from '@helio/db';
import { authorize, type Principal } from '../auth/principal.js';
import { notFound } from '../errors.js';
import { parseId } from '../validation.js';
import type { ServiceContext } from '../context.js';
import type { Clock, IdGenerator } from '../ids.js';
import { membershipsOf } from '../users/service.js';
import { HybridClock } from './hlc.js';
import {
  PROTOCOL_VERSION,
  SCHEMA_VERSION,
  type ParsedMutation,
  type PullRequest,
  type PullResponse,
  type PushRequest,
  type PushResponse,
} from './protocol.js';
import { letEventLoopIn, loadLocalRow, prepareReplica, purgeAll, readState, replicaMode, writeState } from './client-store.js';
import { enqueue, listUnsent, queueWrite, recordResults, tick, type LocalWrite, type Writer } from './client-outbox.js';
import { hasMore, pullPosition, storePull, type Pulled, type Replica } from './client-pull.js';
import { dismissRejected, openConflicts, rejectedChanges, visibleTo, type OpenConflict, type RejectedChange } from './client-review.js';
import type { SyncSchema } from './synced-table.js';
import { syncSchema } from './tables.js';

export type { LocalWrite } from './client-outbox.js';

/** How the client reaches the server: tRPC over HTTP in the app, direct calls in tests. */
export interface SyncTransport {
  push(request: PushRequest): Promise<PushResponse>;
  pull(request: PullRequest): Promise<PullResponse>;
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

  /** Queues a local write (see queueWrite) with this client's tables, ids and clock, as the signed-in user. */
  private queueWrite(tx: Transaction, input: LocalWrite): Promise<{ id: string; seq: number }> {
    const writer: Writer = {
      schema: this.schema,
      ids: this.options.ids,
      hlc: this.hlc,
      contextIn: (q) => this.context(nestedDb(q, this.options.db.engine)),
    };
    return queueWrite(tx, writer, input);
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
      const hlc = await tick(tx, this.hlc);
      const seq = await enqueue(tx, {
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
    const othersAnswer = await this.options.db.transaction((tx) => recordResults(tx, this.schema, this.options.userId, response.results));
    if (othersAnswer) await this.takeNewIdentity();
    return rows.length;
  }

  /** Pulls one page per organisation; returns whether any organisation has more. */
  async pullOnce(limit?: number): Promise<boolean> {
    const { cursors, ackedSeq } = await pullPosition(this.options.db);
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
    let { cursors, ackedSeq } = await pullPosition(this.options.db);
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

  private async requestPull(cursors: Record<string, number>, ackedSeq: number, limit: number | undefined): Promise<Pulled> {
    const clientId = this.clientId;
    const response = await this.options.transport.pull({ ...versions, clientId, cursors, ackedSeq, ...(limit ? { limit } : {}) });
    return { response, clientId };
  }

  /** Stores a pulled response (see storePull), then takes a new identity if an answer was another device's. */
  private async storePull(pulled: Pulled): Promise<void> {
    const { received, othersAnswer } = await storePull(this.replica(), pulled);
    if (othersAnswer) await this.takeNewIdentity();
    this.received += received;
  }

  /** The local database a pull is stored into, for this client as it is now. */
  private replica(): Replica {
    return {
      db: this.options.db,
      schema: this.schema,
      userId: this.options.userId,
      clock: this.options.clock,
      clientId: this.clientId,
      hlc: () => this.hlc,
    };
  }

  /** How many rows, results and revocations pulls have brought since this client was opened: when it grows, local data may have changed. */
  get receivedChanges(): number {
    return this.received;
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
