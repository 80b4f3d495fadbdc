// Checks of one client's local state, run after every operation that touched
// it: read-your-writes (7) for writes still pending and for writes the
// server confirmed, no trace of a write that did not commit, and a revoked
// organisation gone after the pull that reported it (6).
import { getCommunityAsset, getCommunityDeliveryPoint, getCommunityMember } from '../../src/communities/entities.js';
import type { ServiceContext } from '../../src/context.js';
import { isDomainError } from '../../src/errors.js';
import { getComponent } from '../../src/monitoring/components/service.js';
import { getPortfolio } from '../../src/portfolios/service.js';
import { getSite } from '../../src/sites/service.js';
import { reachesOf } from '../../src/sync/synced-table.js';
import { syncSchema } from '../../src/sync/tables.js';
import type { Table } from './schedule.js';
import { canonical } from './server-watch.js';
import type { CommittedWrite, SimClient, World } from './world.js';

type Row = Record<string, unknown>;

/** Each table's read by id, as the app reads a row: it returns every field a write sets, by its API name. */
const readers: Record<Table, (ctx: ServiceContext, id: string) => Promise<unknown>> = {
  sites: getSite,
  portfolios: getPortfolio,
  components: getComponent,
  community_members: getCommunityMember,
  community_delivery_points: getCommunityDeliveryPoint,
  community_assets: getCommunityAsset,
};

const same = (a: unknown, b: unknown) => canonical(a ?? null) === canonical(b ?? null);

async function localRow(client: SimClient, table: Table, id: string): Promise<Row | undefined> {
  const { rows } = await client.db.query<{ row: Row }>(`SELECT to_jsonb(x) AS row FROM ${table} x WHERE id = $1`, [id]);
  return rows[0]?.row;
}

async function seqsOf(client: SimClient, table: 'sync_outbox' | 'sync_rejected'): Promise<Set<number>> {
  const { rows } = await client.db.query<{ seq: number }>(`SELECT seq FROM ${table}`);
  return new Set(rows.map((r) => r.seq));
}

export interface WriteSnapshot {
  id: string | undefined;
  nextSeq: unknown;
  outbox: number;
  row: Row | undefined;
}

export async function snapshotForWrite(client: SimClient, table: Table, id: string | undefined): Promise<WriteSnapshot> {
  const { rows } = await client.db.query<{ next: unknown; outbox: number }>(
    "SELECT (SELECT value FROM sync_client_state WHERE key = 'nextSeq') AS next, (SELECT count(*)::int FROM sync_outbox) AS outbox",
  );
  return { id, nextSeq: rows[0]?.next ?? null, outbox: rows[0]?.outbox ?? 0, row: id ? await localRow(client, table, id) : undefined };
}

/** A write that was refused or did not commit before the crash changed nothing. */
export async function checkWriteLeftNoTrace(world: World, client: SimClient, table: Table, before: WriteSnapshot): Promise<void> {
  const after = await snapshotForWrite(client, table, before.id);
  if (!same(after.nextSeq, before.nextSeq) || after.outbox !== before.outbox || !same(after.row, before.row)) {
    world.violation(
      `client ${client.index}: a ${table} write that did not commit left a trace (next seq ${String(before.nextSeq)} → ${String(after.nextSeq)}, outbox ${before.outbox} → ${after.outbox})`,
    );
  }
}

/** Right after a local write, a local read through the services returns it (7), online or not. */
export async function checkWriteReadable(world: World, client: SimClient, write: CommittedWrite): Promise<void> {
  const ctx = await client.sync.context(client.db);
  const read = async (): Promise<Row | undefined> => {
    try {
      return (await readers[write.table](ctx, write.id)) as Row;
    } catch (err) {
      if (isDomainError(err) && err.code === 'NOT_FOUND') return undefined;
      throw err;
    }
  };
  const found = await read();
  const v = (text: string) =>
    world.violation(`client ${client.index} read after its ${write.op} of ${write.table} ${write.id} (seq ${write.seq}): ${text}`);
  if (write.op === 'delete') {
    if (found) v('the row is still there');
    return;
  }
  if (!found) return v('the row is not found');
  for (const [field, value] of Object.entries(write.mutation.fields)) {
    if (!same(found[field], value)) v(`${field} is ${canonical(found[field])}, not ${canonical(value)}`);
  }
}

/** The rows a removal of `table` reaches (see onRemove): their table, and the column and API field that name the removed row. */
function reachOf(table: Table): { table: Table; column: string; field: string } | undefined {
  // The reach that clears a column (a removal that removes rows too is left to the rebuild checks).
  const onRemove = reachesOf(syncSchema.mustWrite(table).writes).find((r) => (r.effect ?? 'detach') === 'detach');
  if (!onRemove) return undefined;
  const columns = syncSchema.mustWrite(onRemove.table).writes.columns;
  const field = Object.keys(columns).find((f) => columns[f] === onRemove.column);
  return field ? { table: onRemove.table as Table, column: onRemove.column, field } : undefined;
}

/**
 * Local reads show every pending write (server rows + pending mutations
 * re-applied), and a write the server applied never shows the version it
 * replaced once it is confirmed: its row may move on, never back.
 */
export async function checkLocalReads(world: World, client: SimClient): Promise<void> {
  const pending = await seqsOf(client, 'sync_outbox');
  const rejected = await seqsOf(client, 'sync_rejected');
  const mine = world.writes.filter((w) => w.client === client.index);
  const byRow = new Map<string, CommittedWrite[]>();
  for (const w of mine) byRow.set(`${w.table}:${w.id}`, [...(byRow.get(`${w.table}:${w.id}`) ?? []), w]);
  const { rows: cursorRows } = await client.db.query<{ organisation_id: string }>('SELECT organisation_id FROM sync_cursors');
  const synced = new Set(cursorRows.map((r) => r.organisation_id));
  const { rows: statusRows } = await world.dbs.server.query<{ seq: number; status: string }>(
    'SELECT seq, status FROM sync_mutations WHERE client_id = $1',
    [client.clientId],
  );
  const status = new Map(statusRows.map((r) => [r.seq, r.status]));

  // The client's own pending removals and the rows they reach (a portfolio's sites, a component's children).
  const removalsPending = mine.filter((w) => w.op === 'delete' && reachOf(w.table) && pending.has(w.seq) && !rejected.has(w.seq));
  for (const removal of removalsPending) {
    const reach = reachOf(removal.table)!;
    const { rows: inside } = await client.db.query<{ id: string }>(`SELECT id FROM ${reach.table} WHERE ${reach.column} = $1`, [
      removal.id,
    ]);
    // Unless this client put the row back in later (after restoring what it removed), itself still pending.
    const movedBackIn = (rowId: string) =>
      mine.some(
        (w) =>
          w.table === reach.table &&
          w.id === rowId &&
          w.seq > removal.seq &&
          pending.has(w.seq) &&
          !rejected.has(w.seq) &&
          (w.mutation.fields as Record<string, unknown>)[reach.field] === removal.id,
      );
    const rows = inside.filter((r) => !movedBackIn(r.id));
    if (rows.length > 0)
      world.violation(
        `client ${client.index}: ${reach.table} ${rows.map((r) => r.id).join(', ')} still have ${reach.field} ${removal.id}, a ${removal.table} row whose deletion (seq ${removal.seq}) is pending`,
      );
  }

  // The client's own pending removals and restorations of community members, which take the members' delivery
  // points and assets with them: a device replays a removal when it rebuilds one of those rows, but a restoration
  // only of the rows the replay itself removed (the server's version shows the rest), so whether such a row shows
  // as removed after one of them is not for this check to say.
  const memberCascades = mine.filter(
    (w) => w.table === 'community_members' && (w.op === 'delete' || w.op === 'restore') && pending.has(w.seq) && !rejected.has(w.seq),
  );
  const cascaded = (table: Table, after: number) =>
    (table === 'community_delivery_points' || table === 'community_assets') && memberCascades.some((m) => m.seq > after);

  for (const writes of byRow.values()) {
    const { table, id } = writes[0]!;
    if (writes.some((w) => rejected.has(w.seq))) continue; // taken back: the row is the server's again
    const columns = syncSchema.mustWrite(table).writes.columns;
    const row = await localRow(client, table, id);
    const v = (text: string) => world.violation(`client ${client.index} local ${table} ${id}: ${text}`);
    const open = writes.filter((w) => pending.has(w.seq));
    if (open.length > 0) {
      let deleted: boolean | undefined;
      const expected = new Map<string, unknown>();
      // The client's own pending removals of what the row names take it out, in seq order.
      const removals = removalsPending.filter((r) => reachOf(r.table)!.table === table && r.id !== id);
      for (const w of [...open, ...removals].sort((a, b) => a.seq - b.seq)) {
        if (removals.includes(w)) {
          const { field } = reachOf(w.table)!;
          if (expected.get(field) === w.id) expected.set(field, null);
          continue;
        }
        for (const [f, value] of Object.entries(w.mutation.fields)) expected.set(f, value);
        if (w.op === 'delete') deleted = true;
        if (w.op === 'restore' || w.op === 'create') deleted = false;
      }
      if (!row) {
        v(`pending writes ${open.map((w) => w.seq).join(',')} but no local row`);
        continue;
      }
      for (const [f, value] of expected) {
        if (!same(row[columns[f]!], value)) v(`pending ${f} = ${canonical(value)} but the local read has ${canonical(row[columns[f]!])}`);
      }
      if (cascaded(table, open[0]!.seq)) deleted = undefined;
      if (deleted !== undefined && (row['deleted_at'] !== null) !== deleted)
        v(`pending ${deleted ? 'delete' : 'restore'} not shown locally`);
      continue;
    }
    if (!synced.has(writes[0]!.organisationId)) continue; // purged: the organisation was revoked
    for (const w of writes) {
      if (status.get(w.seq) !== 'applied') continue;
      if (w.op === 'create' && !row) v(`created by seq ${w.seq}, applied and confirmed, but missing locally`);
      if (w.op !== 'update' || !row) continue;
      const clocks = (row['field_clocks'] ?? {}) as Record<string, string>;
      for (const [f, value] of Object.entries(w.mutation.fields)) {
        const base = w.mutation.base[f];
        const column = columns[f]!;
        if (base && clocks[column] === base && !same(row[column], value)) {
          v(
            `seq ${w.seq} set ${f} = ${canonical(value)} and was applied and confirmed, yet the local row shows the version it replaced (${canonical(row[column])})`,
          );
        }
      }
    }
  }
}

/** After a pull that reported an organisation revoked, nothing of it is left locally (6). */
export async function checkRevocation(world: World, client: SimClient, revoked: readonly string[]): Promise<void> {
  for (const org of revoked) {
    const parts = [
      ...syncSchema.names.map((t) => `(SELECT count(*) FROM ${t} WHERE organisation_id = $1)`),
      '(SELECT count(*) FROM sync_cursors WHERE organisation_id = $1)',
      // Unanswered mutations stay queued (their seqs must reach the server), but only as could-not-sync.
      '(SELECT count(*) FROM sync_outbox o WHERE organisation_id = $1 AND NOT EXISTS (SELECT 1 FROM sync_rejected r WHERE r.seq = o.seq))',
      "(SELECT count(*) FROM sync_shadows WHERE row ->> 'organisation_id' = $1::text)",
    ];
    const { rows } = await client.db.query<{ n: number }>(`SELECT (${parts.join(' + ')})::int AS n`, [org]);
    if (rows[0]!.n > 0)
      world.violation(`client ${client.index}: ${rows[0]!.n} rows of revoked organisation ${org} left after the pull that reported it`);
  }
}
