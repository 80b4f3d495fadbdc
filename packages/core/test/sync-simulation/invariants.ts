// Quiescence, then the invariants that hold once everyone is online and has
// synced until nothing is pending and nothing more is to be pulled.
import { parseHlc } from '../../src/sync/hlc.js';
import { syncSchema } from '../../src/sync/tables.js';
import { checkCommunityRegistries } from './registry-invariants.js';
import { canonical } from './server-watch.js';
import { describeError, type SimClient, type World } from './world.js';

/** Page and batch sizes once the network is healed: small enough to page, large enough to finish. */
const QUIESCENT_LIMIT = 25;
const MAX_ROUNDS = 8;

/** Columns that differ between the server and a client by design: the server keeps them to itself. */

async function count(client: SimClient, sql: string): Promise<number> {
  return (await client.db.query<{ n: number }>(sql)).rows[0]!.n;
}

async function caughtUp(world: World, client: SimClient): Promise<string | undefined> {
  const pending = await count(client, 'SELECT count(*)::int AS n FROM sync_outbox');
  if (pending > 0) return `${pending} mutations still pending`;
  const orgs = [...(await world.membershipsOf(client.user)).keys()];
  const { rows: server } = await world.dbs.server.query<{ organisation_id: string; last_seq: number }>(
    'SELECT organisation_id, last_seq FROM organisation_change_counters WHERE organisation_id = ANY($1::uuid[])',
    [orgs],
  );
  const { rows: local } = await client.db.query<{ organisation_id: string; cursor: number }>(
    'SELECT organisation_id, cursor FROM sync_cursors',
  );
  const cursors = new Map(local.map((r) => [r.organisation_id, r.cursor]));
  for (const s of server)
    if (cursors.get(s.organisation_id) !== s.last_seq)
      return `cursor of ${s.organisation_id} at ${cursors.get(s.organisation_id) ?? 'none'}, server at ${s.last_seq}`;
  return undefined;
}

/** Heals the network and syncs everyone until nothing moves. False (and a violation) if it never settles. */
export async function quiesce(world: World): Promise<boolean> {
  world.step = 'quiescence';
  for (const client of world.clients) {
    client.fuse.disarm();
    world.network.setOnline(client.index, true);
  }
  // Late messages arrive after all; whoever still waits for an answer gets it and carries on.
  while (world.network.inFlight.length > 0) await world.resume(await world.network.deliverOldest());
  world.network.direct = true;
  let lag: string[] = [];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    for (const client of world.clients) {
      try {
        for (let batch = 0; batch < 50; batch++) {
          const before = await count(client, 'SELECT count(*)::int AS n FROM sync_outbox WHERE result IS NULL');
          if ((await client.sync.pushOnce(QUIESCENT_LIMIT)) === 0) break;
          if ((await count(client, 'SELECT count(*)::int AS n FROM sync_outbox WHERE result IS NULL')) >= before) break;
        }
        for (let page = 0; page < 500 && (await client.sync.pullOnce(QUIESCENT_LIMIT)); page++);
      } catch (err) {
        world.violation(`client ${client.index} could not sync once online: ${describeError(err)}`);
      }
    }
    lag = [];
    for (const client of world.clients) {
      const behind = await caughtUp(world, client);
      if (behind) lag.push(`client ${client.index}: ${behind}`);
    }
    if (lag.length === 0) return true;
  }
  world.violation(`no quiescence after ${MAX_ROUNDS} rounds of syncing: ${lag.join('; ')}`);
  return false;
}

function nodeOf(clock: string | null): string | undefined {
  return clock ? parseHlc(clock)?.node : undefined;
}

/** Invariants 1, 2, 3, 4 and 8, checked against the server once the world is quiet; and its component trees and community registries whole. */
export async function checkQuiescentInvariants(world: World): Promise<void> {
  world.step = 'after quiescence';
  const server = world.dbs.server;
  const v = (text: string) => world.violation(text);

  for (const client of world.clients) {
    const { rows: results } = await server.query<{
      seq: number;
      status: string;
      organisation_id: string | null;
      change_seq: number | null;
    }>('SELECT seq, status, organisation_id, change_seq FROM sync_mutations WHERE client_id = $1 ORDER BY seq', [client.clientId]);
    const status = new Map(results.map((r) => [r.seq, r.status]));
    const { rows: rejectedRows } = await client.db.query<{ seq: number; code: string }>('SELECT seq, code FROM sync_rejected ORDER BY seq');
    const rejected = new Map(rejectedRows.map((r) => [r.seq, r.code]));
    const mine = world.writes.filter((w) => w.client === client.index);

    // 1. No lost write: each committed mutation is applied, applied with a conflict, or visibly rejected.
    for (const w of mine) {
      const s = status.get(w.seq);
      const applied = s === 'applied' || s === 'conflict';
      if (!applied && !rejected.has(w.seq))
        v(
          `lost write: client ${client.index} seq ${w.seq} (${w.op} ${w.table} ${w.id}) is neither applied nor rejected (server: ${s ?? 'never received'})`,
        );
      if (applied && rejected.has(w.seq))
        v(
          `client ${client.index} seq ${w.seq} is listed as could-not-sync (${rejected.get(w.seq)}) but the server ${s === 'conflict' ? 'applied it with a conflict' : 'applied it'}`,
        );
    }
    for (const seq of rejected.keys())
      if (!mine.some((w) => w.seq === seq)) v(`client ${client.index} lists seq ${seq} as could-not-sync, but no such write committed`);

    // 3. Per-client order, no gaps.
    const { rows: last } = await server.query<{ last_seq: number }>('SELECT last_seq FROM sync_clients WHERE client_id = $1', [
      client.clientId,
    ]);
    const highest = mine.reduce((m, w) => Math.max(m, w.seq), 0);
    const lastSeq = last[0]?.last_seq ?? 0;
    if (lastSeq !== highest) v(`client ${client.index}: the server applied up to seq ${lastSeq}, the client wrote up to ${highest}`);
    if (results.some((r, i) => r.seq !== i + 1) || results.length !== lastSeq)
      v(`client ${client.index}: applied seqs ${results.map((r) => r.seq).join(',')} are not 1..${lastSeq}`);
    const lastChange = new Map<string, number>();
    for (const r of results) {
      if (r.change_seq === null || r.organisation_id === null) continue;
      if ((lastChange.get(r.organisation_id) ?? 0) > r.change_seq)
        v(`client ${client.index}: seq ${r.seq} took effect before an earlier seq`);
      lastChange.set(r.organisation_id, r.change_seq);
    }

    // 4. Convergence, field by field, tombstones included; and nothing of other organisations.
    const orgs = [...(await world.membershipsOf(client.user)).keys()];
    for (const { table, serverOnlyColumns } of syncSchema.tables) {
      const minus = (serverOnlyColumns ?? []).map((c) => ` - '${c}'`).join('');
      const sql = `SELECT to_jsonb(x)${minus} AS row FROM ${table} x WHERE organisation_id = ANY($1::uuid[]) ORDER BY id`;
      const theirs = (await server.query<{ row: unknown }>(sql, [orgs])).rows.map((r) => canonical(r.row));
      const ours = (await client.db.query<{ row: unknown }>(sql, [orgs])).rows.map((r) => canonical(r.row));
      const missing = theirs.filter((r) => !ours.includes(r));
      const extra = ours.filter((r) => !theirs.includes(r));
      if (missing.length > 0 || extra.length > 0) {
        v(
          `client ${client.index} ${table} differs from the server: server-only ${missing.slice(0, 2).join(' ')} client-only ${extra.slice(0, 2).join(' ')}`,
        );
      }
      const foreign = await client.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${table} WHERE NOT (organisation_id = ANY($1::uuid[]))`,
        [orgs],
      );
      if (foreign.rows[0]!.n > 0)
        v(`client ${client.index} holds ${foreign.rows[0]!.n} ${table} rows of organisations its user does not belong to`);
    }
    const shadows = await count(client, 'SELECT count(*)::int AS n FROM sync_shadows');
    if (shadows > 0) v(`client ${client.index} keeps ${shadows} shadow rows with nothing pending`);
  }

  // 2 and 8. One conflict record per real conflict: each belongs to exactly one mutation answered 'conflict', once per field.
  const { rows: conflicts } = await server.query<{
    id: string;
    organisation_id: string;
    client_id: string | null;
    mutation_seq: number | null;
    field: string | null;
    kind: string;
    kept: unknown;
    lost: unknown;
    kept_clock: string | null;
    lost_clock: string | null;
    status: string | null;
  }>(
    `SELECT c.*, m.status FROM sync_conflicts c LEFT JOIN sync_mutations m ON m.client_id = c.client_id AND m.seq = c.mutation_seq ORDER BY c.change_seq`,
  );
  const seen = new Set<string>();
  for (const c of conflicts) {
    const key = `${c.client_id}:${c.mutation_seq}:${c.kind}:${c.field}`;
    if (seen.has(key)) v(`two conflict records for one conflict: ${key}`);
    seen.add(key);
    if (c.status !== 'conflict') v(`conflict record ${c.id} belongs to a mutation answered ${c.status ?? 'never'}`);
    if (c.kind === 'field') {
      if (canonical(c.kept) === canonical(c.lost)) v(`conflict record ${c.id} keeps and loses the same value ${canonical(c.kept)}`);
      if (nodeOf(c.kept_clock) === nodeOf(c.lost_clock))
        v(`conflict record ${c.id} on ${c.field}: a writer conflicted with itself (${c.kept_clock} over ${c.lost_clock})`);
    }
    // Visible to both authors: the client that pushed, and the client whose write was on the other side.
    const authors = world.clients.filter(
      (cl) => cl.clientId === c.client_id || [nodeOf(c.kept_clock), nodeOf(c.lost_clock)].includes(cl.clientId.replaceAll('-', '')),
    );
    for (const author of authors) {
      if (!(await world.membershipsOf(author.user)).has(c.organisation_id)) continue;
      const { rowCount } = await author.db.query('SELECT 1 FROM sync_conflicts WHERE id = $1', [c.id]);
      if (rowCount === 0) v(`client ${author.index}, an author of conflict ${c.id}, does not have it`);
    }
  }
  await checkComponentTree(world);
  await checkCommunityRegistries(world);

  const { rows: unrecorded } = await server.query<{ client_id: string; seq: number }>(
    `SELECT m.client_id, m.seq FROM sync_mutations m WHERE m.status = 'conflict'
       AND NOT EXISTS (SELECT 1 FROM sync_conflicts c WHERE c.client_id = m.client_id AND c.mutation_seq = m.seq)`,
  );
  for (const u of unrecorded) v(`mutation ${u.client_id}:${u.seq} was answered 'conflict' without a conflict record`);
  for (const reuse of await world.watch.clockReuse()) v(reuse);
}

/**
 * The server's component trees are whole, whatever the devices did: a live
 * component (of a live site) hangs under nothing or under a live component
 * of its own site, no chain of parents loops, and no two of an organisation's
 * live components share a nodeId. Components of a site that was deleted and
 * restored may share one with a component added meanwhile (see
 * docs/monitoring.md), so those sites are left out of that check.
 */
async function checkComponentTree(world: World): Promise<void> {
  const { rows } = await world.dbs.server.query<{
    id: string;
    organisation_id: string;
    site_id: string;
    parent_id: string | null;
    node_id: string;
    parent_live: boolean | null;
    parent_site: string | null;
  }>(
    `SELECT c.id, c.organisation_id, c.site_id, c.parent_id, c.node_id, CASE WHEN p.id IS NULL THEN NULL ELSE p.deleted_at IS NULL END AS parent_live, p.site_id AS parent_site
     FROM components c JOIN sites s ON s.id = c.site_id LEFT JOIN components p ON p.id = c.parent_id
     WHERE c.deleted_at IS NULL AND s.deleted_at IS NULL ORDER BY c.id`,
  );
  const parentOf = new Map(rows.map((r) => [r.id, r.parent_id]));
  const nodeIds = new Map<string, string>();
  for (const r of rows) {
    if (r.parent_id !== null && (r.parent_live !== true || r.parent_site !== r.site_id))
      world.violation(
        `live component ${r.id} hangs under ${r.parent_id}, which is ${r.parent_live === null ? 'missing' : r.parent_live ? 'on another site' : 'deleted'}`,
      );
    const seen = new Set<string>([r.id]);
    for (let up: string | null | undefined = r.parent_id; up !== null && up !== undefined; up = parentOf.get(up)) {
      if (seen.has(up)) {
        world.violation(`component ${r.id}'s parents loop: ${[...seen].join(' → ')} → ${up}`);
        break;
      }
      seen.add(up);
    }
    if (world.removedSites.has(r.site_id)) continue;
    const key = `${r.organisation_id} ${r.node_id}`;
    const other = nodeIds.get(key);
    if (other) world.violation(`components ${other} and ${r.id} of one organisation share nodeId ${r.node_id}`);
    nodeIds.set(key, r.id);
  }
}
