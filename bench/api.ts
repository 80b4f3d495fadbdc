// npm run bench:api [-- --duration S --warmup S --rounds N --concurrency C --engines pglite,postgres]
//
// Throughput and latency of GET /api/sites (200 sites) and POST /api/sites on
// PGlite and on PostgreSQL, each beside a bare node:http server answering the
// same bytes, measured in the same run by the same load generator (a child
// process). Prints the ratios helio/bare; the goal is GET on PostgreSQL at
// least 0.6x the bare server. PostgreSQL comes from BENCH_DATABASE_URL (a
// database to create a temporary one from), by default the local one.
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import type { Engine } from '@helio/db';
import { processMeter, type CpuMeter, type CpuSpent } from './cpu-meter.js';
import { seed, startHelio } from './helio.js';
import type { LoadJob, LoadResult } from './load-generator.js';
import { capture, startPeer, type Peer, type PeerAnswers } from './peer.js';

const GOAL = 0.6;
const SITES = 200;
const adminUrl = process.env['BENCH_DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '6' },
    concurrency: { type: 'string', default: '32' },
    engines: { type: 'string', default: 'pglite,postgres' },
  },
});
const durationSeconds = numberOption('duration', args.duration, 0.1);
const warmupSeconds = numberOption('warmup', args.warmup, 0);
const rounds = Math.round(numberOption('rounds', args.rounds, 1));
const concurrency = Math.round(numberOption('concurrency', args.concurrency, 1));
const engines = args.engines.split(',').map((e) => e.trim());
for (const e of engines) if (e !== 'pglite' && e !== 'postgres') fail(`unknown engine ${e}: use pglite, postgres or both`);

function numberOption(name: string, raw: string, min: number): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > 3600) fail(`--${name} must be a number from ${min} to 3600`);
  return n;
}

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

interface Measured extends LoadResult {
  serverCpuUsPerRequest: number;
  dbCpuUsPerRequest?: number;
}

/** The parent's side of the load generator: one child process, one job at a time. */
class LoadGenerator {
  private readonly child: ChildProcess;

  constructor() {
    // The same loader (tsx) as this process, without profiling flags meant for the server.
    const execArgv = process.execArgv.filter((a) => !a.startsWith('--cpu-prof') && !a.startsWith('--inspect'));
    this.child = fork(new URL('./load-generator.ts', import.meta.url), [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  }

  /** Runs one job; `meter` starts when the warm-up ends, so CPU figures cover the measured window only. */
  run(job: LoadJob, meter: CpuMeter): Promise<Measured> {
    return new Promise((resolve, reject) => {
      let stop: Promise<() => Promise<CpuSpent>> | undefined;
      const onExit = (code: number | null) => reject(new Error(`load generator exited with ${code}`));
      const onMessage = (m: { measuring: true } | { ok: true; result: LoadResult } | { ok: false; error: string }) => {
        if ('measuring' in m) {
          stop = meter();
          return;
        }
        this.child.off('exit', onExit);
        this.child.off('message', onMessage);
        if (!m.ok) return reject(new Error(m.error));
        (stop ?? meter())
          .then((read) => read())
          .then((spent) => {
            const perRequest = (seconds: number) => (seconds * 1e6) / m.result.requests;
            resolve({
              ...m.result,
              serverCpuUsPerRequest: perRequest(spent.server),
              ...(spent.db === undefined ? {} : { dbCpuUsPerRequest: perRequest(spent.db) }),
            });
          }, reject);
      };
      this.child.once('exit', onExit);
      this.child.on('message', onMessage);
      this.child.send(job);
    });
  }

  close(): void {
    if (this.child.connected) this.child.disconnect();
  }
}

interface Row {
  engine: Engine;
  endpoint: string;
  helio: Measured;
  bare: Measured;
  /** helio/bare req/s: the median of the rounds, and each round's. */
  ratio: number;
  ratios: number[];
}

function median(values: number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Several rounds of one server as one row: medians, and the totals of requests and errors. */
function combine(runs: Measured[]): Measured {
  const med = (pick: (m: Measured) => number | undefined) => median(runs.map(pick).filter((v): v is number => v !== undefined));
  const firstError = runs.find((r) => r.firstError)?.firstError;
  const db = med((r) => r.dbCpuUsPerRequest);
  return {
    requests: runs.reduce((n, r) => n + r.requests, 0),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    seconds: runs.reduce((n, r) => n + r.seconds, 0),
    requestsPerSecond: med((r) => r.requestsPerSecond),
    p50Ms: med((r) => r.p50Ms),
    p99Ms: med((r) => r.p99Ms),
    clientCpuUsPerRequest: med((r) => r.clientCpuUsPerRequest),
    serverCpuUsPerRequest: med((r) => r.serverCpuUsPerRequest),
    ...(Number.isNaN(db) ? {} : { dbCpuUsPerRequest: db }),
    ...(firstError ? { firstError } : {}),
  };
}

async function measureEngine(engine: Engine, load: LoadGenerator): Promise<Row[]> {
  const helio = await startHelio(engine, adminUrl);
  if (typeof helio === 'string') {
    console.log(`[${engine}] skipped: ${helio}`);
    return [];
  }
  const { server, meter } = helio;
  let peer: Peer | undefined;
  try {
    process.stdout.write(`[${engine}] seeding ${SITES} sites… `);
    const headers = { 'x-api-key': await seed(server, SITES) };
    const got = await capture(`${server.url}/api/sites`, 'GET', headers);
    const listed = JSON.parse(got.body.toString('utf8')) as unknown[];
    if (got.status !== 200 || listed.length !== SITES) throw new Error(`GET /api/sites answered ${got.status} with ${listed.length} sites`);
    console.log(`GET body ${got.body.length} bytes`);
    const answers: PeerAnswers = { get: got };
    const bare = (peer = await startPeer(answers));

    const base = { headers, concurrency, warmupSeconds, durationSeconds };
    const getJob = (url: string): LoadJob => ({
      ...base,
      url: `${url}/api/sites`,
      method: 'GET',
      expectStatus: 200,
      expectBytes: got.body.length,
    });
    const postTemplate = JSON.stringify({
      siteName: 'Load {n}',
      capacity: 100,
      unit: 'kW',
      latitude: 48.1,
      longitude: 11.5,
      timezone: 'Europe/Berlin',
    });
    const postJob = (url: string): LoadJob => ({
      ...base,
      url: `${url}/api/sites`,
      method: 'POST',
      bodyTemplate: postTemplate,
      expectStatus: 201,
    });

    // Helio and the peer take turns, in alternating order, so that a burst of
    // other work on the machine falls on both; each figure is the median of the rounds.
    const compare = async (endpoint: string, job: (url: string) => LoadJob): Promise<Row> => {
      // A first, unrecorded pass each: JIT, connection pools and caches settle here.
      const settle = Math.max(2, 2 * warmupSeconds);
      await load.run({ ...job(server.url), warmupSeconds: 0, durationSeconds: settle }, meter);
      await load.run({ ...job(bare.url), warmupSeconds: 0, durationSeconds: settle }, processMeter);
      const ofHelio: Measured[] = [];
      const ofPeer: Measured[] = [];
      for (let round = 0; round < rounds; round++) {
        const runHelio = async () => ofHelio.push(await load.run(job(server.url), meter));
        const runPeer = async () => ofPeer.push(await load.run(job(bare.url), processMeter));
        if (round % 2 === 0) await runHelio().then(runPeer);
        else await runPeer().then(runHelio);
      }
      const ratios = ofHelio.map((h, i) => h.requestsPerSecond / ofPeer[i]!.requestsPerSecond);
      return { engine, endpoint, helio: combine(ofHelio), bare: combine(ofPeer), ratio: median(ratios), ratios };
    };

    const rows: Row[] = [];
    process.stdout.write(`[${engine}] GET … `);
    rows.push(await compare('GET /api/sites', getJob));
    const posted = await capture(`${server.url}/api/sites`, 'POST', headers, postTemplate.replace('{n}', '0'));
    if (posted.status !== 201) throw new Error(`POST /api/sites answered ${posted.status}: ${posted.body.toString('utf8')}`);
    answers.post = posted;
    process.stdout.write('POST … ');
    rows.push(await compare('POST /api/sites', postJob));
    console.log('done');
    return rows;
  } finally {
    await peer?.close();
    await helio.cleanup();
  }
}

const fmt = (n: number | undefined, digits = 0) => (n !== undefined && Number.isFinite(n) ? n.toFixed(digits) : '-');

function printTable(rows: Row[]): void {
  const header = [
    'engine',
    'endpoint',
    'server',
    'req/s',
    'p50 ms',
    'p99 ms',
    'requests',
    'errors',
    'helio/bare',
    'CPU µs/req: server',
    'db',
    'client',
  ];
  const lines: string[][] = [];
  for (const r of rows) {
    for (const [name, res] of [
      ['helio', r.helio],
      ['bare', r.bare],
    ] as const) {
      const first = name === 'helio';
      lines.push([
        first ? r.engine : '',
        first ? r.endpoint : '',
        name,
        fmt(res.requestsPerSecond),
        fmt(res.p50Ms, 2),
        fmt(res.p99Ms, 2),
        String(res.requests),
        String(res.errors),
        first ? `${fmt(r.ratio, 2)}x` : '',
        fmt(res.serverCpuUsPerRequest),
        first && r.engine === 'postgres' ? fmt(res.dbCpuUsPerRequest) : '',
        fmt(res.clientCpuUsPerRequest),
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const render = (cells: string[]) => cells.map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  console.log(render(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) console.log(render(l));
  for (const r of rows) {
    for (const [name, res] of [
      ['helio', r.helio],
      ['bare', r.bare],
    ] as const) {
      if (res.firstError) console.log(`! ${r.engine} ${r.endpoint} ${name}: ${res.errors} errors, first: ${res.firstError}`);
    }
  }
}

async function main(): Promise<void> {
  console.log(
    `Helio API bench: ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, ` +
      `concurrency ${concurrency}, ${rounds} rounds of ${warmupSeconds} s warm-up + ${durationSeconds} s per server, ` +
      'load generator in a child process, no Accept-Encoding',
  );
  const load = new LoadGenerator();
  const rows: Row[] = [];
  try {
    for (const engine of engines as Engine[]) rows.push(...(await measureEngine(engine, load)));
  } finally {
    load.close();
  }
  console.log();
  printTable(rows);
  console.log();
  // Beside throughput, the CPU each request costs everything involved (server,
  // database, load generator): less moved by other work on a shared machine.
  const cpuPerRequest = (m: Measured) => m.serverCpuUsPerRequest + (m.dbCpuUsPerRequest ?? 0) + m.clientCpuUsPerRequest;
  for (const r of rows) {
    const each = r.ratios.map((x) => fmt(x, 2)).join(', ');
    const cpu = cpuPerRequest(r.bare) / cpuPerRequest(r.helio);
    console.log(
      `ratio ${r.engine.padEnd(8)} ${r.endpoint.padEnd(15)} helio/bare = ${fmt(r.ratio, 2)}x  (rounds: ${each}; by CPU per request: ${fmt(cpu, 2)}x)`,
    );
  }
  const goal = rows.find((r) => r.engine === 'postgres' && r.endpoint.startsWith('GET'));
  const errors = rows.some((r) => r.helio.errors > 0 || r.bare.errors > 0);
  if (!goal) {
    console.log(`GET on PostgreSQL ≥ ${GOAL}x bare: NOT MEASURED (PostgreSQL skipped)`);
  } else {
    const pass = goal.ratio >= GOAL && !errors;
    console.log(`GET on PostgreSQL ≥ ${GOAL}x bare: ${pass ? 'PASS' : 'FAIL'} (${fmt(goal.ratio, 2)}x${errors ? ', with errors' : ''})`);
  }
  if (errors) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
