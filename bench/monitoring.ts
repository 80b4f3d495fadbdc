// npm run bench:monitoring [-- --engines pglite,postgres --parts a,b,c --rounds N --quick]
//
// Monitoring's three figures, each beside a peer measured in the same run, on
// PGlite and on PostgreSQL:
// a. ingest of 1 000 000 readings (values) through the ingest service, in
//    requests of 10 000, against a bare batched INSERT of the same rows into
//    a plain table (goal: at least 0.5x);
// b. a year of daily Wh_sum of one component in Europe/Berlin from the
//    rollups (the data service), against a raw GROUP BY over its readings
//    (goal: at least 20x faster; the values must be identical);
// c. partner bulk monthly data of 500 sites over a year, against a raw
//    GROUP BY (goal: under 1 s on PostgreSQL; the values must be identical).
// --quick (or BENCH_QUICK=1) runs a smaller version to try the bench out;
// the figures that count come from the full run. PostgreSQL comes from
// BENCH_DATABASE_URL (a database to create a temporary one from), by default
// the local one; PGlite runs in a temporary directory.
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { monitoringData, readings } from '@helio/core';
import type { Db, Engine } from '@helio/db';
import {
  benchComponent,
  benchOrganisation,
  benchSite,
  berlinNewYear,
  eachLimited,
  energyAt,
  HOUR,
  ingestEnergy,
  MINUTE,
  openBenchDb,
  type BenchDb,
} from './monitoring-setup.js';
import { printReport, type Figure } from './sync-report.js';

const GOALS = { ingestRatio: 0.5, dailySpeedup: 20, bulkMs: 1000 };
const adminUrl = process.env['BENCH_DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres';

const { values: args } = parseArgs({
  options: {
    engines: { type: 'string', default: 'pglite,postgres' },
    rounds: { type: 'string', default: '5' },
    quick: { type: 'boolean', default: false },
    parts: { type: 'string', default: 'a,b,c' },
  },
});
const quick = args.quick || process.env['BENCH_QUICK'] === '1';
const rounds = Number(args.rounds);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 100) fail('--rounds must be a whole number from 1 to 100');
const engines = args.engines.split(',').map((e) => e.trim());
for (const e of engines) if (e !== 'pglite' && e !== 'postgres') fail(`unknown engine ${e}: use pglite, postgres or both`);
const parts = new Set(args.parts.split(',').map((p) => p.trim()));
for (const p of parts) if (!['a', 'b', 'c'].includes(p)) fail(`unknown part ${p}: use a, b, c or a list of them`);

const SIZE = quick
  ? { ingestValues: 100_000, ingestComponents: 4, dailyStep: 15 * MINUTE, bulkSites: 50 }
  : { ingestValues: 1_000_000, ingestComponents: 10, dailyStep: MINUTE, bulkSites: 500 };
/** Rows of W and Wh per ingest request: 10 000 values. */
const ROWS_PER_REQUEST = 5_000;
const YEAR = new Date().getUTCFullYear() - 1;

function fail(text: string): never {
  console.error(text);
  process.exit(2);
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
const millis = (ms: number) => `${ms.toFixed(ms < 100 ? 1 : 0)} ms`;
const status = (text: string) => process.stdout.write(`${text}\n`);

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

/** Values that should agree to the last bit; the first few differences, or none. */
function differences(helio: Map<string, number>, raw: Map<string, number>): string[] {
  const out: string[] = [];
  for (const key of new Set([...helio.keys(), ...raw.keys()])) {
    const [h, r] = [helio.get(key), raw.get(key)];
    if (h !== r) out.push(`${key}: data service ${h ?? 'missing'}, raw GROUP BY ${r ?? 'missing'}`);
  }
  return out;
}

// ---------------------------------------------------------------- a. ingest

interface PeerBatch {
  componentId: string;
  fields: string;
  ts: string;
  values: string;
}

async function ingestPart(engine: Engine, b: BenchDb, figures: Figure[]): Promise<void> {
  const { ctx, db } = b;
  const org = await benchOrganisation(ctx, 'Ingest bench');
  const site = await benchSite(ctx, org, 'Ingest site');
  const componentIds: string[] = [];
  for (let i = 0; i < SIZE.ingestComponents; i++) componentIds.push(await benchComponent(ctx, site, `ingest-inv-${i}`, 'INVERTER'));
  const rowsPerComponent = Math.ceil(SIZE.ingestValues / 2 / SIZE.ingestComponents);
  const end = Math.floor(Date.now() / MINUTE) * MINUTE - MINUTE;
  const from = end - rowsPerComponent * MINUTE;

  // Every request and every peer statement built before the clock starts: both sides time the database path only.
  const requests: { componentId: string; readings: { ts: string; W: number; Wh: number }[] }[] = [];
  const peer: PeerBatch[] = [];
  for (const componentId of componentIds) {
    for (let r0 = 0; r0 < rowsPerComponent; r0 += ROWS_PER_REQUEST) {
      const rows: { ts: string; W: number; Wh: number }[] = [];
      const f: number[] = [];
      const t: number[] = [];
      const v: number[] = [];
      for (let r = r0; r < Math.min(rowsPerComponent, r0 + ROWS_PER_REQUEST); r++) {
        const ts = from + r * MINUTE;
        const Wh = energyAt(ts, 1500);
        rows.push({ ts: new Date(ts).toISOString(), W: Wh * 60, Wh });
        f.push(1, 2);
        t.push(ts, ts);
        v.push(Wh * 60, Wh);
      }
      requests.push({ componentId, readings: rows });
      peer.push({ componentId, fields: `{${f.join(',')}}`, ts: `{${t.join(',')}}`, values: `{${v.join(',')}}` });
    }
  }
  const values = requests.reduce((n, r) => n + r.readings.length * 2, 0);

  // Three writers take turns request by request, in a rotating order, so a
  // burst of other work on the machine falls on all of them: the ingest
  // service, and the same rows INSERTed into a plain table with the same
  // primary key, and into one without any index.
  await db.exec(`CREATE TABLE bench_keyed (component_id uuid NOT NULL, field smallint NOT NULL, ts timestamptz NOT NULL, value double precision NOT NULL,
      PRIMARY KEY (component_id, field, ts));
    CREATE TABLE bench_heap (component_id uuid NOT NULL, field smallint NOT NULL, ts timestamptz NOT NULL, value double precision NOT NULL)`);
  const insert = (table: string, p: PeerBatch) =>
    db.query(
      `INSERT INTO ${table} (component_id, field, ts, value)
       SELECT $1::uuid, f, to_timestamp(t / 1000), v FROM unnest($2::text::int2[], $3::text::float8[], $4::text::float8[]) AS k(f, t, v)`,
      [p.componentId, p.fields, p.ts, p.values],
    );
  const spent = { helio: 0, keyed: 0, heap: 0 };
  let stored = 0;
  const writers = [
    async (i: number) => {
      const r = await timed(() => readings.ingestReadings(ctx, requests[i]!.componentId, { readings: requests[i]!.readings }));
      spent.helio += r.ms;
      stored += r.value.stored;
    },
    async (i: number) => void (spent.keyed += (await timed(() => insert('bench_keyed', peer[i]!))).ms),
    async (i: number) => void (spent.heap += (await timed(() => insert('bench_heap', peer[i]!))).ms),
  ];
  status(`[${engine}] a. ${values} values of ${componentIds.length} inverters (1-minute W and Wh), ${requests.length} requests of 10 000`);
  for (let i = 0; i < requests.length; i++) {
    for (let k = 0; k < writers.length; k++) await writers[(i + k) % writers.length]!(i);
  }
  if (stored !== values) throw new Error(`the ingest service stored ${stored} values, not ${values}`);
  for (const table of ['bench_keyed', 'bench_heap']) {
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
    if (rows[0]!.n !== values) throw new Error(`the peer stored ${rows[0]!.n} rows in ${table}, not ${values}`);
  }
  await db.exec('DROP TABLE bench_keyed; DROP TABLE bench_heap');
  const rate = (ms: number) => (values * 1000) / ms;
  status(
    `[${engine}] a. ingest service ${seconds(spent.helio)}; plain table with the key ${seconds(spent.keyed)} ` +
      `(ratio ${(spent.keyed / spent.helio).toFixed(3)}); without ${seconds(spent.heap)} (ratio ${(spent.heap / spent.helio).toFixed(3)})`,
  );
  figures.push({
    part: `a ${engine}`,
    name: `ingest ${values} readings, requests of 10 000`,
    helio: `${rate(spent.helio).toFixed(0)} values/s`,
    peer: `${rate(spent.keyed).toFixed(0)} values/s (INSERT, plain table + primary key)`,
    ratio: spent.keyed / spent.helio,
    goal: `≥ ${GOALS.ingestRatio}x`,
    pass: spent.keyed / spent.helio >= GOALS.ingestRatio,
  });
  figures.push({
    part: `a ${engine}`,
    name: '  the same, beside a table without any index',
    helio: `${rate(spent.helio).toFixed(0)} values/s`,
    peer: `${rate(spent.heap).toFixed(0)} values/s (INSERT, heap, no index)`,
    ratio: spent.heap / spent.helio,
    goal: '(reported)',
  });
}

// ---------------------------------------------------------------- b. a year of daily values

/**
 * Alternates the two, `rounds` times each after `warmup` unmeasured calls of
 * each (a server answers such calls warm: its code compiled by V8, the
 * database's caches filled); the order flips every round.
 */
async function alternate<A, B>(
  a: () => Promise<A>,
  b: () => Promise<B>,
  { warmup = 1, times = rounds }: { warmup?: number; times?: number } = {},
): Promise<{ a: number[]; b: number[]; lastA: A; lastB: B }> {
  let lastA: A = await a();
  let lastB: B = await b();
  for (let i = 1; i < warmup; i++) {
    lastA = await a();
    lastB = await b();
  }
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < times; i++) {
    const runA = async () => {
      const r = await timed(a);
      ta.push(r.ms);
      lastA = r.value;
    };
    const runB = async () => {
      const r = await timed(b);
      tb.push(r.ms);
      lastB = r.value;
    };
    if (i % 2 === 0) {
      await runA();
      await runB();
    } else {
      await runB();
      await runA();
    }
  }
  return { a: ta, b: tb, lastA, lastB };
}

async function dailyPart(engine: Engine, b: BenchDb, figures: Figure[]): Promise<void> {
  const { ctx, db } = b;
  const org = await benchOrganisation(ctx, 'Daily bench');
  const site = await benchSite(ctx, org, 'Daily site');
  const meter = await benchComponent(ctx, site, 'daily-meter', 'METER');
  const from = berlinNewYear(YEAR);
  const to = berlinNewYear(YEAR + 1);
  const peak = (1500 * SIZE.dailyStep) / MINUTE;
  const setup = await timed(() => ingestEnergy(ctx, meter, from, to, SIZE.dailyStep, peak));
  await db.exec('ANALYZE');
  status(
    `[${engine}] b. set up: ${setup.value} values of Wh (every ${SIZE.dailyStep / MINUTE} min of ${YEAR}) ingested in ${seconds(setup.ms)}`,
  );

  // The data call refuses daily periods of a year or more; its last bucket (31 December) is whole all the same.
  const params = { fields: 'Wh_sum', gran: 'daily', tz: 'Europe/Berlin', start: `${YEAR}-01-01T00:00:00`, end: `${YEAR}-12-31T23:59:59` };
  const helio = async () => {
    const data = await monitoringData.componentData(ctx, meter, params);
    return new Map(data.map((d) => [d.ts.slice(0, 10), d['Wh_sum'] as number]));
  };
  const raw = async () => {
    const { rows } = await db.query<{ day: string; wh: number }>(
      `SELECT to_char(date_trunc('day', ts AT TIME ZONE 'Europe/Berlin'), 'YYYY-MM-DD') AS day, sum(value) AS wh
       FROM readings WHERE component_id = $1 AND field = 2 AND ts >= $2 AND ts < $3
       GROUP BY 1 ORDER BY 1`,
      [meter, new Date(from), new Date(to)],
    );
    return new Map(rows.map((r) => [r.day, Number(r.wh)]));
  };
  // Ten unmeasured calls of each first: a 20 ms call is mostly code that V8 compiles after a few runs.
  const t = await alternate(helio, raw, { warmup: 10 });
  const diff = differences(t.lastA, t.lastB);
  const [h, r] = [median(t.a), median(t.b)];
  status(
    `[${engine}] b. data service ${t.a.map(millis).join(', ')}; raw GROUP BY ${t.b.map(millis).join(', ')}; ${t.lastA.size} days compared`,
  );
  if (diff.length || t.lastA.size !== 365) {
    process.exitCode = 1;
    console.error(`[${engine}] b. VALUES DIFFER (${diff.length} of ${Math.max(t.lastA.size, t.lastB.size)} days; 365 expected):`);
    for (const d of diff.slice(0, 10)) console.error(`  ${d}`);
  }
  figures.push({
    part: `b ${engine}`,
    name: `daily Wh_sum of ${YEAR}, Europe/Berlin, 1 component${diff.length ? ' — VALUES DIFFER' : ', values identical'}`,
    helio: millis(h),
    peer: `${millis(r)} (raw GROUP BY over ${setup.value} readings)`,
    ratio: r / h,
    goal: `≥ ${GOALS.dailySpeedup}x, identical`,
    pass: r / h >= GOALS.dailySpeedup && diff.length === 0 && t.lastA.size === 365,
  });
}

// ---------------------------------------------------------------- c. partner bulk monthly

async function bulkPart(engine: Engine, b: BenchDb, figures: Figure[]): Promise<void> {
  const { ctx, db } = b;
  const org = await benchOrganisation(ctx, 'Bulk bench');
  const from = berlinNewYear(YEAR);
  const to = berlinNewYear(YEAR + 1);
  const setupSites = await timed(async () => {
    const meters: string[] = [];
    for (let i = 0; i < SIZE.bulkSites; i++)
      meters.push(await benchComponent(ctx, await benchSite(ctx, org, `Bulk site ${i + 1}`), `bulk-meter-${i}`, 'METER'));
    return meters;
  });
  const meters = setupSites.value;
  // PostgreSQL takes several ingests at once (each its own backend); PGlite runs one query at a time anyway.
  const setup = await timed(async () => {
    let stored = 0;
    await eachLimited(meters, engine === 'postgres' ? 4 : 1, async (meter) => {
      const n = await ingestEnergy(ctx, meter, from, to, HOUR, 60_000);
      stored += n;
    });
    return stored;
  });
  await db.exec('ANALYZE');
  status(
    `[${engine}] c. set up: ${meters.length} sites with a meter in ${seconds(setupSites.ms)}; ${setup.value} hourly Wh values of ${YEAR} ingested in ${seconds(setup.ms)}`,
  );

  const params = {
    fields: 'Wh_sum',
    gran: 'monthly',
    tz: 'Europe/Berlin',
    start: `${YEAR}-01-01T00:00:00`,
    end: `${YEAR + 1}-01-01T00:00:00`,
  };
  const helio = async () => {
    const data = await monitoringData.partnerSitesData(ctx, org, params);
    return new Map(data.map((d) => [`${d.id} ${d.ts.slice(0, 7)}`, d['Wh_sum'] as number]));
  };
  const raw = async () => rawMonthly(db, org, from, to);
  // The raw GROUP BY of 4 million readings takes half a minute on PGlite: at most 3 rounds.
  const t = await alternate(helio, raw, { times: Math.min(rounds, 3) });
  const diff = differences(t.lastA, t.lastB);
  const expected = meters.length * 12;
  const [h, r] = [median(t.a), median(t.b)];
  status(
    `[${engine}] c. data service ${t.a.map(millis).join(', ')}; raw GROUP BY ${t.b.map(millis).join(', ')}; ${t.lastA.size} site-months compared`,
  );
  if (diff.length || t.lastA.size !== expected) {
    process.exitCode = 1;
    console.error(
      `[${engine}] c. VALUES DIFFER (${diff.length} of ${Math.max(t.lastA.size, t.lastB.size)} site-months; ${expected} expected):`,
    );
    for (const d of diff.slice(0, 10)) console.error(`  ${d}`);
  }
  const ok = diff.length === 0 && t.lastA.size === expected;
  figures.push({
    part: `c ${engine}`,
    name: `partner bulk monthly Wh_sum, ${meters.length} sites, ${YEAR}${ok ? ', values identical' : ' — VALUES DIFFER'}`,
    helio: millis(h),
    peer: `${millis(r)} (raw GROUP BY over ${setup.value} readings)`,
    ratio: r / h,
    goal: engine === 'postgres' ? `< ${GOALS.bulkMs / 1000} s, identical` : 'identical (time reported)',
    pass: engine === 'postgres' ? h < GOALS.bulkMs && ok : ok,
  });
}

async function rawMonthly(db: Db, organisationId: string, from: number, to: number): Promise<Map<string, number>> {
  const { rows } = await db.query<{ site: number; month: string; wh: number }>(
    `SELECT s.locus_id AS site, to_char(date_trunc('month', r.ts AT TIME ZONE 'Europe/Berlin'), 'YYYY-MM') AS month, sum(r.value) AS wh
     FROM readings r
     JOIN components c ON c.id = r.component_id AND c.deleted_at IS NULL
     JOIN sites s ON s.id = c.site_id AND s.deleted_at IS NULL
     WHERE c.organisation_id = $1 AND r.field = 2 AND r.ts >= $2 AND r.ts < $3
     GROUP BY 1, 2`,
    [organisationId, new Date(from), new Date(to)],
  );
  return new Map(rows.map((r) => [`${r.site} ${r.month}`, Number(r.wh)]));
}

// ---------------------------------------------------------------- main

async function measureEngine(engine: Engine, figures: Figure[]): Promise<void> {
  const opened = await openBenchDb(engine, adminUrl);
  if (typeof opened === 'string') {
    console.log(`[${engine}] skipped: ${opened}`);
    for (const part of ['a', 'b', 'c'])
      figures.push({ part: `${part} ${engine}`, name: '', helio: '', peer: '', goal: '', skipped: opened });
    return;
  }
  try {
    if (parts.has('a')) await ingestPart(engine, opened, figures);
    if (parts.has('b')) await dailyPart(engine, opened, figures);
    if (parts.has('c')) await bulkPart(engine, opened, figures);
  } finally {
    await opened.cleanup();
  }
}

async function main(): Promise<void> {
  console.log(
    `Helio monitoring bench: ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}; ` +
      `${quick ? 'QUICK run (figures do not count)' : 'full run'}, --rounds ${rounds}, --engines ${engines.join(',')}`,
  );
  const figures: Figure[] = [];
  const started = performance.now();
  for (const engine of engines as Engine[]) await measureEngine(engine, figures);
  console.log(`\n(the whole run took ${seconds(performance.now() - started)})\n`);
  printReport(figures);
  if (process.exitCode === 1) console.error('\nSome values differ between the data service and the raw GROUP BY: see above.');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
