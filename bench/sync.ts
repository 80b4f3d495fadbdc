// npm run bench:sync [-- --rows N --changes N --mutations N --rounds N --parts 1,2,3 --server-db postgres://…]
//
// The sync protocol end to end, each figure beside a peer measured in the
// same run:
// 1. initial sync of `--rows` sites and documents into a fresh client PGlite,
//    over HTTP from a real server, against the same rows INSERTed in batches
//    into a fresh PGlite (goal: at least 0.5x);
// 2. a server write showing on a second, connected desktop (the web host and
//    its sync engine), p50 and p99, against a PostgreSQL LISTEN/NOTIFY round
//    trip (goal: p50 < 150 ms, p99 < 500 ms);
// 3. `--mutations` offline writes drained when the network comes back,
//    against the server applying the same writes through its services
//    (goal: under 30 s for 10 000, no event-loop stall over 100 ms).
// The server runs in a child process, on PGlite unless --server-db or
// TEST_DATABASE_URL names a PostgreSQL server (the bench creates and drops a
// temporary database there). Part 2 needs PostgreSQL: that URL, or by default
// postgres://postgres@127.0.0.1:5432/postgres.
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { bareInsert, initialSync, pulledRows, status, type ClientRun } from './sync-initial.js';
import { liveChanges } from './sync-live.js';
import { drainOffline, offlineWrites, type DrainResult } from './sync-offline.js';
import { passwordGrant, serverTrpc, ServerProcess } from './sync-remote.js';
import { printReport, type Figure } from './sync-report.js';

const GOALS = { initialRatio: 0.5, liveP50Ms: 150, liveP99Ms: 500, drainSeconds: 30, drainMutations: 10_000, stallMs: 100 };

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    mutations: { type: 'string', default: '10000' },
    changes: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '1' },
    parts: { type: 'string', default: '1,2,3' },
    'server-db': { type: 'string' },
  },
});
const rows = integerOption('rows', args.rows, 10);
const mutations = integerOption('mutations', args.mutations, 2);
const changes = integerOption('changes', args.changes, 1);
const rounds = integerOption('rounds', args.rounds, 1);
const parts = new Set(args.parts.split(',').map((p) => p.trim()));
for (const p of parts) if (!['1', '2', '3'].includes(p)) fail(`unknown part ${p}: use 1, 2 and 3, comma-separated`);
const serverDb = args['server-db'] || process.env['TEST_DATABASE_URL'] || undefined;
const liveDb = serverDb ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function integerOption(name: string, raw: string, min: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > 10_000_000) fail(`--${name} must be a whole number from ${min} to 10000000`);
  return n;
}

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
/** The nearest-rank percentile. */
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
};
const perSecond = (count: number, ms: number) => (count * 1000) / ms;

/** Parts 1 and 3 share one server and the client of the last initial sync. */
async function initialAndOffline(figures: Figure[]): Promise<void> {
  const server = new ServerProcess((t) => status(`  seeding: ${t}`));
  let last: ClientRun | undefined;
  try {
    const sites = Math.ceil(rows / 2);
    const engine = serverDb ? 'postgres' : 'pglite';
    console.log(
      `[server] ${engine}, seeding ${sites} sites + ${rows - sites} documents (and ${Math.ceil(mutations / 2)} sites of another organisation for the peer of part 3)`,
    );
    const seeded = await server.start({
      engine,
      adminUrl: serverDb ?? '',
      sites,
      documents: rows - sites,
      twinSites: parts.has('3') ? Math.ceil(mutations / 2) : 0,
    });
    status('');
    if (typeof seeded === 'string') fail(`cannot start the server: ${seeded}`);
    const trpc = serverTrpc(seeded.url, await passwordGrant(seeded.url, seeded));

    if (parts.has('1') || parts.has('3')) {
      // The peer's rows: what a client is sent, fetched once, untimed.
      status('[1] fetching the rows for the peer…');
      const peerRows = await pulledRows(trpc);
      const peerCount = [...peerRows.values()].reduce((n, r) => n + r.length, 0);
      // Peer, client, peer, client, …, peer: a burst of other work on the machine falls on both.
      const peerMs: number[] = [];
      const clientRuns: { rows: number; ms: number }[] = [];
      const runPeer = async () => {
        status(`[1] peer: batched INSERT of ${peerCount} rows…`);
        peerMs.push(await bareInsert(peerRows, { documents: { storage_key: '' } }));
      };
      await runPeer();
      const runs = parts.has('1') ? rounds : 1;
      for (let round = 0; round < runs; round++) {
        await last?.local.close();
        status(`[1] client: initial sync, round ${round + 1}/${runs}…\n`);
        last = await initialSync(trpc, seeded.user.id, peerCount);
        clientRuns.push({ rows: last.rows, ms: last.ms });
        console.log(
          `[1] client round ${round + 1}: ${last.rows} rows in ${(last.ms / 1000).toFixed(1)} s (${perSecond(last.rows, last.ms).toFixed(0)} rows/s)`,
        );
        if (parts.has('1')) await runPeer();
      }
      status('');
      console.log(`[1] peer: ${peerCount} rows in ${peerMs.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')}`);
      if (parts.has('1')) {
        const client = median(clientRuns.map((r) => perSecond(r.rows, r.ms)));
        const peer = median(peerMs.map((ms) => perSecond(peerCount, ms)));
        figures.push({
          part: '1',
          name: `initial sync, ${peerCount} rows`,
          helio: `${client.toFixed(0)} rows/s`,
          peer: `${peer.toFixed(0)} rows/s (batched INSERT)`,
          ratio: client / peer,
          goal: `≥ ${GOALS.initialRatio}x`,
          pass: client / peer >= GOALS.initialRatio,
        });
      }
    }

    if (parts.has('3') && last) {
      const writes = offlineWrites(mutations);
      status(`[3] peer: the server applies ${mutations} writes through its services…`);
      const peer = await server.call<{ ms: number }>({ kind: 'applyDirect', writes });
      status('');
      console.log(`[3] peer: ${mutations} writes applied by the server in ${(peer.ms / 1000).toFixed(1)} s`);
      const drained: DrainResult = await drainOffline(last.client, last.local.db, last.transport, seeded.organisationId, writes);
      console.log(
        `[3] client: ${mutations} offline writes in ${(drained.writeMs / 1000).toFixed(1)} s, drained in ${(drained.drainMs / 1000).toFixed(1)} s; ` +
          `rejected ${drained.rejected}, conflicts ${drained.conflicts}`,
      );
      for (const reason of drained.retries) console.log(`[3] a sync failed and was tried again: ${reason}`);
      const goalSeconds = (GOALS.drainSeconds * mutations) / GOALS.drainMutations;
      const scaled = mutations === GOALS.drainMutations ? '' : ` (${GOALS.drainSeconds} s per ${GOALS.drainMutations}, scaled)`;
      figures.push({
        part: '3',
        name: `offline drain, ${mutations} mutations`,
        helio: `${(drained.drainMs / 1000).toFixed(1)} s`,
        peer: `${(peer.ms / 1000).toFixed(1)} s (server, services, no network)`,
        ratio: peer.ms / drained.drainMs,
        goal: `< ${goalSeconds.toFixed(goalSeconds < 10 ? 1 : 0)} s${scaled}`,
        pass: drained.drainMs < goalSeconds * 1000 && drained.rejected === 0,
      });
      figures.push({
        part: '3',
        name: 'event-loop stall during the drain',
        helio: `max ${drained.stallMaxMs.toFixed(0)} ms, p99 ${drained.stallP99Ms.toFixed(0)} ms`,
        peer: '-',
        goal: `≤ ${GOALS.stallMs} ms`,
        pass: drained.stallMaxMs <= GOALS.stallMs,
      });
      figures.push({
        part: '3',
        name: 'a UI read waiting for the database',
        helio: `max ${drained.uiReadMaxMs.toFixed(0)} ms, p99 ${drained.uiReadP99Ms.toFixed(0)} ms`,
        peer: '-',
        goal: '(reported)',
      });
    }
  } finally {
    await last?.local.close();
    await server.stop();
  }
}

/** Part 2, on a server of its own: it needs PostgreSQL, whose NOTIFY is the peer. */
async function live(figures: Figure[]): Promise<void> {
  const name = `server write seen on a connected desktop (${changes} writes)`;
  const skip = (reason: string) => {
    console.log(`[2] skipped: ${reason}`);
    figures.push({
      part: '2',
      name,
      helio: '',
      peer: 'LISTEN/NOTIFY round trip',
      goal: `p50 < ${GOALS.liveP50Ms} ms, p99 < ${GOALS.liveP99Ms} ms`,
      skipped: reason,
    });
  };
  // The desktop's subscription link uses EventSource: Node 20 has it behind a flag (npm run bench:sync sets it).
  if (typeof EventSource === 'undefined')
    return skip('this Node has no EventSource: run with --experimental-eventsource (npm run bench:sync does)');
  const server = new ServerProcess((t) => status(`  seeding: ${t}`));
  try {
    console.log('[server] postgres, seeding 100 sites for part 2');
    const seeded = await server.start({ engine: 'postgres', adminUrl: liveDb, sites: 100, documents: 0, twinSites: 0 });
    status('');
    if (typeof seeded === 'string')
      return skip(`${seeded.replace(/; set BENCH_DATABASE_URL$/, '')}; name one with --server-db or TEST_DATABASE_URL`);
    const result = await liveChanges(server, seeded, seeded.siteIds, liveDb, changes);
    const [p50, p99, n50, n99] = [
      percentile(result.helioMs, 50),
      percentile(result.helioMs, 99),
      percentile(result.notifyMs, 50),
      percentile(result.notifyMs, 99),
    ];
    console.log(
      `[2] ${result.helioMs.length} changes seen, ${result.missed} not within 10 s; ` +
        `Helio p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${Math.max(...result.helioMs).toFixed(1)} ms; ` +
        `NOTIFY p50 ${n50.toFixed(2)} ms, p99 ${n99.toFixed(2)} ms`,
    );
    const peer = (ms: number) => `${ms.toFixed(2)} ms (LISTEN/NOTIFY round trip)`;
    figures.push({
      part: '2',
      name: `${name}, p50`,
      helio: `${p50.toFixed(1)} ms`,
      peer: peer(n50),
      ratio: n50 / p50,
      goal: `< ${GOALS.liveP50Ms} ms`,
      pass: p50 < GOALS.liveP50Ms && result.missed === 0,
    });
    figures.push({
      part: '2',
      name: `${name}, p99`,
      helio: `${p99.toFixed(1)} ms`,
      peer: peer(n99),
      ratio: n99 / p99,
      goal: `< ${GOALS.liveP99Ms} ms`,
      pass: p99 < GOALS.liveP99Ms && result.missed === 0,
    });
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  console.log(
    `Helio sync bench: ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}; ` +
      `--rows ${rows} --changes ${changes} --mutations ${mutations} --rounds ${rounds} --parts ${[...parts].sort().join(',')}`,
  );
  const figures: Figure[] = [];
  if (parts.has('1') || parts.has('3')) await initialAndOffline(figures);
  if (parts.has('2')) await live(figures);
  console.log();
  printReport(figures.sort((a, b) => a.part.localeCompare(b.part)));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
