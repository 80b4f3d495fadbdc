// npm run bench:communities [-- --engines pglite,postgres --parts a,b,c --rounds N --walks N --quick]
//
// Energy communities' three figures (issue 12), each beside a peer measured
// in the same run, on PGlite and on PostgreSQL, with a bundle of one community
// of 10 000 members, 12 000 delivery points and 25 000 assets of every type
// (bench/communities-bundle.ts):
// a. import through `communities.importBundle`, beside a bare batched INSERT
//    of the same rows into plain tables of the same columns (goal: at least
//    0.3x); beside it, reported, the same INSERT into tables with Helio's
//    indexes, and with those and its field-clock trigger, and a re-import of
//    the same bundle (the unchanged path);
// b. export through `communities.exportYaml`, beside bare SELECTs of the same
//    rows nested into one document and written by JSON.stringify (goal: at
//    least 0.5x); reported, the same document written by the `yaml` package;
// c. a full walk of the members list (`communities.listMembers`, limit 500)
//    by its cursor: the first, median and last page's time (goal: a page's
//    time independent of its position, last/first at most 2x), beside the
//    bare keyset SELECT of the same pages.
// --quick (or BENCH_QUICK=1): a tenth of the sizes, to try the bench out; the
// figures that count come from the full run. PostgreSQL comes from
// BENCH_DATABASE_URL (a database to create a temporary one from), by default
// the local one; PGlite runs in a temporary directory.
import { availableParallelism, cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { communities } from '@helio/core';
import type { Engine } from '@helio/db';
import { countBundle, generateBundle, type BundleSize, type SiteLink } from './communities-bundle.js';
import { alternate, cpuText, cpuTotal, describe, measure, median, medianRun, millis, seconds, type Timing } from './communities-measure.js';
import { bareExport, bareImport, barePage, createPeerTables } from './communities-peer.js';
import { benchComponent, benchOrganisation, benchSite, openBenchDb, type BenchDb } from './monitoring-setup.js';
import { printReport, type Figure } from './sync-report.js';

const GOALS = { importRatio: 0.3, exportRatio: 0.5, lastOverFirst: 2 };
const PAGE = 500;
/**
 * Before each page, both sides wait this long, as a client handles a page
 * before it asks for the next. On a busy machine the scheduler favours a
 * process that has just slept: without the pause the first page of each
 * walk (after the previous walk's bookkeeping) had that favour and the
 * others did not, which made the last page look twice as slow as the first.
 */
const PAUSE_MS = 10;
const pause = () => new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
const adminUrl = process.env['BENCH_DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres';

const { values: args } = parseArgs({
  options: {
    engines: { type: 'string', default: 'pglite,postgres' },
    rounds: { type: 'string', default: '3' },
    walks: { type: 'string', default: '7' },
    quick: { type: 'boolean', default: false },
    parts: { type: 'string', default: 'a,b,c' },
  },
});
const quick = args.quick || process.env['BENCH_QUICK'] === '1';
const rounds = Number(args.rounds);
const walks = Number(args.walks);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 50) fail('--rounds must be a whole number from 1 to 50');
if (!Number.isInteger(walks) || walks < 1 || walks > 100) fail('--walks must be a whole number from 1 to 100');
const engines = args.engines.split(',').map((e) => e.trim());
for (const e of engines) if (e !== 'pglite' && e !== 'postgres') fail(`unknown engine ${e}: use pglite, postgres or both`);
const parts = new Set(args.parts.split(',').map((p) => p.trim()));
for (const p of parts) if (!['a', 'b', 'c'].includes(p)) fail(`unknown part ${p}: use a, b, c or a list of them`);

const SIZE: BundleSize = quick
  ? { members: 1_000, deliveryPoints: 1_200, assets: 2_500 }
  : { members: 10_000, deliveryPoints: 12_000, assets: 25_000 };
/** The warm-up bundle: a tenth of the size, imported by every side before the clock starts. */
const WARMUP: BundleSize = { members: SIZE.members / 10, deliveryPoints: SIZE.deliveryPoints / 10, assets: SIZE.assets / 10 };

function fail(text: string): never {
  console.error(text);
  process.exit(2);
}

const status = (text: string) => process.stdout.write(`${text}\n`);
const load = () =>
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
/** Each round's ratio peer/Helio, and the ratio of their median CPU time. */
const ratios = (peer: readonly Timing[], helio: readonly Timing[]) =>
  `ratios ${helio.map((h, i) => (peer[i]!.ms / h.ms).toFixed(2)).join(', ')}; by CPU ${(median(peer.map(cpuTotal)) / median(helio.map(cpuTotal))).toFixed(2)}`;
const rows = (n: number) => n.toLocaleString('en-US').replace(/,/g, ' ');

function problem(text: string): void {
  process.exitCode = 1;
  console.error(text);
}

/** The bundle's counts beside an import report's, as "member 10000/10000 …"; empty when they all agree. */
function mismatch(counts: communities.KindCounts, want: ReturnType<typeof countBundle>): string {
  const pairs: [string, number, number][] = [
    ['community', counts.community, 1],
    ['member', counts.member, want.members],
    ['delivery_point', counts.delivery_point, want.deliveryPoints],
    ['asset', counts.asset, want.assets],
  ];
  return pairs.some(([, got, expected]) => got !== expected) ? pairs.map(([k, got, expected]) => `${k} ${got}/${expected}`).join(', ') : '';
}

interface Setup {
  b: BenchDb;
  org: string;
  links: SiteLink[];
  bundleOf(round: number, size?: BundleSize): communities.RegistryBundleIn;
}

// ---------------------------------------------------------------- a. import

async function importPart(engine: Engine, s: Setup, figures: Figure[]): Promise<void> {
  const { ctx, db } = s.b;
  const uuid = () => ctx.ids.uuid();
  const plain = await createPeerTables(db, 'bench_plain', 'plain');
  const indexed = await createPeerTables(db, 'bench_indexed', 'indexed');
  const stamped = await createPeerTables(db, 'bench_stamped', 'stamped');
  const common = communities.ASSET_COMMON_FIELDS;
  const want = countBundle(s.bundleOf(1));
  const total = 1 + want.members + want.deliveryPoints + want.assets;

  const warm = s.bundleOf(0, WARMUP);
  await communities.importBundle(ctx, warm, { organisationId: s.org });
  await bareImport(db, plain, s.org, warm, uuid, common);
  await bareImport(db, indexed, s.org, warm, uuid, common);
  await bareImport(db, stamped, s.org, warm, uuid, common);

  // Round r imports copy r of the bundle (its own community key, PODs and
  // sensor ids) on each side, in a rotating order; the tables grow alike.
  const runs: Timing[][] = [[], [], [], []];
  status(`[${engine}] a. import: ${rounds} copies of the bundle (${rows(total)} rows each) on each side; ${load()}`);
  for (let r = 1; r <= rounds; r++) {
    const bundle = s.bundleOf(r);
    const sides = [
      async () => {
        const report = await communities.importBundle(ctx, bundle, { organisationId: s.org });
        const wrong = mismatch(report.created, want);
        if (wrong) problem(`[${engine}] a. importBundle created ${wrong} (got/expected)`);
      },
      async () => void (await bareImport(db, plain, s.org, bundle, uuid, common)),
      async () => void (await bareImport(db, indexed, s.org, bundle, uuid, common)),
      async () => void (await bareImport(db, stamped, s.org, bundle, uuid, common)),
    ];
    for (let k = 0; k < sides.length; k++) {
      const i = (r + k) % sides.length;
      runs[i]!.push((await measure(db, sides[i]!)).timing);
    }
  }
  for (const t of [plain, indexed, stamped]) {
    const { rows: n } = await db.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM ${t.members}) + (SELECT count(*) FROM ${t.deliveryPoints}) + (SELECT count(*) FROM ${t.assets}) AS n`,
    );
    const expected = rounds * (total - 1) + WARMUP.members + WARMUP.deliveryPoints + WARMUP.assets;
    if (Number(n[0]!.n) !== expected) problem(`[${engine}] a. the peer stored ${n[0]!.n} rows in ${t.members}…, not ${expected}`);
  }
  const [helio, bare, bareIndexed, bareStamped] = runs as [Timing[], Timing[], Timing[], Timing[]];
  const [h, p, pi, ps] = [helio, bare, bareIndexed, bareStamped].map((r) => median(r.map((t) => t.ms))) as [number, number, number, number];
  status(`[${engine}] a. importBundle ${helio.map(describe).join('; ')}`);
  status(`[${engine}] a. bare INSERT, primary key only ${bare.map(describe).join('; ')} (${ratios(bare, helio)})`);
  status(`[${engine}] a. bare INSERT, Helio's indexes ${bareIndexed.map(describe).join('; ')} (${ratios(bareIndexed, helio)})`);
  status(
    `[${engine}] a. bare INSERT, indexes + field-clock trigger ${bareStamped.map(describe).join('; ')} (${ratios(bareStamped, helio)})`,
  );
  const rate = (ms: number) => `${rows(Math.round((total * 1000) / ms))} rows/s`;
  const name = `import ${rows(want.members)} members, ${rows(want.deliveryPoints)} DPs, ${rows(want.assets)} assets`;
  figures.push({
    part: `a ${engine}`,
    name,
    helio: `${seconds(h)}, ${rate(h)} (CPU ${cpuText(medianRun(helio))})`,
    peer: `${seconds(p)}, ${rate(p)} (batched INSERT, tables + primary key; CPU ${cpuText(medianRun(bare))})`,
    ratio: p / h,
    goal: `≥ ${GOALS.importRatio}x`,
    pass: p / h >= GOALS.importRatio,
  });
  figures.push({
    part: `a ${engine}`,
    name: "  the same, beside tables with Helio's indexes",
    helio: seconds(h),
    peer: `${seconds(pi)} (batched INSERT, all the indexes; CPU ${cpuText(medianRun(bareIndexed))})`,
    ratio: pi / h,
    goal: '(reported)',
  });
  figures.push({
    part: `a ${engine}`,
    name: '  the same, beside those indexes and the field-clock trigger',
    helio: seconds(h),
    peer: `${seconds(ps)} (batched INSERT, indexes + trigger; CPU ${cpuText(medianRun(bareStamped))})`,
    ratio: ps / h,
    goal: '(reported)',
  });

  // The unchanged path: copy 1 again, as stored; nothing may be written.
  const first = s.bundleOf(1);
  const again = await alternate(db, [() => communities.importBundle(ctx, first, { organisationId: s.org })], { warmup: 1, rounds });
  const report = again.last[0]!;
  const wrong = mismatch(report.unchanged, want);
  const written = [report.created, report.updated].flatMap((c) => [c.member, c.delivery_point, c.asset]).some((n) => n !== 0);
  if (wrong || written) problem(`[${engine}] a. the re-import left unchanged ${wrong || 'all'}, and wrote ${JSON.stringify(report)}`);
  const u = median(again.runs[0]!.map((t) => t.ms));
  status(`[${engine}] a. re-import, unchanged: ${again.runs[0]!.map(describe).join('; ')}`);
  figures.push({
    part: `a ${engine}`,
    name: `  re-import of the same bundle (unchanged${wrong || written ? ': WRONG REPORT' : ', nothing written'})`,
    helio: `${seconds(u)}, ${rate(u)}`,
    peer: `${seconds(p)} (the batched INSERT above)`,
    ratio: p / u,
    goal: '(reported)',
  });
}

// ---------------------------------------------------------------- b. export

async function exportPart(engine: Engine, s: Setup, figures: Figure[]): Promise<void> {
  const { ctx, db } = s.b;
  const key = s.bundleOf(1).community.id;
  status(`[${engine}] b. export of ${key}: ${rounds} rounds after one warm-up of each side; ${load()}`);
  const t = await alternate(db, [() => communities.exportYaml(ctx, { keys: [key] }), () => bareExport(db, key, 'json')], {
    warmup: 1,
    rounds,
  });
  const [helio, bare] = t.runs as [Timing[], Timing[]];
  const [text, peerText] = t.last as [string, string];
  // A general YAML library for the same document, once: it takes ten times the others, and shows what Helio's own writer saves.
  const library = await measure(db, () => bareExport(db, key, 'yaml'));
  // The export must be the canonical form of what was imported, byte for byte.
  const expected = communities.bundlesToYaml([communities.canonicalBundle(s.bundleOf(1))]);
  const same = text === expected;
  if (!same)
    problem(
      `[${engine}] b. the export differs from the canonical form of the imported bundle (${text.length} bytes, expected ${expected.length})`,
    );
  const [h, p] = [median(helio.map((r) => r.ms)), median(bare.map((r) => r.ms))];
  const kb = (n: number) => `${rows(Math.round(n / 1024))} KiB`;
  status(`[${engine}] b. exportYaml ${helio.map(describe).join('; ')}; ${kb(Buffer.byteLength(text))}`);
  status(`[${engine}] b. bare SELECT + JSON ${bare.map(describe).join('; ')}; ${kb(Buffer.byteLength(peerText))} (${ratios(bare, helio)})`);
  status(`[${engine}] b. bare SELECT + yaml.stringify ${describe(library.timing)}; ${kb(Buffer.byteLength(library.value))}`);
  figures.push({
    part: `b ${engine}`,
    name: `export one community as YAML (${kb(Buffer.byteLength(text))}${same ? ', round trip identical' : ' — DIFFERS from the import'})`,
    helio: `${seconds(h)} (CPU ${cpuText(medianRun(helio))})`,
    peer: `${seconds(p)} (4 SELECTs + nesting + JSON.stringify; CPU ${cpuText(medianRun(bare))})`,
    ratio: p / h,
    goal: `≥ ${GOALS.exportRatio}x`,
    pass: p / h >= GOALS.exportRatio && same,
  });
  figures.push({
    part: `b ${engine}`,
    name: '  the same, beside the SELECTs written by the yaml package',
    helio: seconds(h),
    peer: `${seconds(library.timing.ms)} (4 SELECTs + nesting + yaml.stringify, one run)`,
    ratio: library.timing.ms / h,
    goal: '(reported)',
  });
}

// ---------------------------------------------------------------- c. members walk

/** One walk: each page's time, and the keys in the order they came. */
type Walk = { pages: number[]; keys: string[] };

async function walkPart(engine: Engine, s: Setup, figures: Figure[]): Promise<void> {
  const { ctx, db } = s.b;
  const key = s.bundleOf(1).community.id;
  const { rows: found } = await db.query<{ id: string }>('SELECT id FROM communities WHERE key = $1 AND deleted_at IS NULL', [key]);
  const communityId = found[0]!.id;
  const helio = async (): Promise<Walk> => {
    const walk: Walk = { pages: [], keys: [] };
    let cursor: string | null = null;
    do {
      await pause();
      const start = performance.now();
      const page = await communities.listMembers(ctx, key, { limit: PAGE, ...(cursor === null ? {} : { cursor }) });
      walk.pages.push(performance.now() - start);
      for (const m of page.items) walk.keys.push(m.key);
      cursor = page.next_cursor ?? null;
    } while (cursor !== null);
    return walk;
  };
  const bare = async (): Promise<Walk> => {
    const walk: Walk = { pages: [], keys: [] };
    let more = true;
    while (more) {
      await pause();
      const start = performance.now();
      const page = await barePage(db, communityId, walk.keys.at(-1) ?? '', PAGE);
      walk.pages.push(performance.now() - start);
      walk.keys.push(...page.keys);
      more = page.more;
    }
    return walk;
  };
  status(`[${engine}] c. walk of ${rows(SIZE.members)} members by ${PAGE}: ${walks} walks of each side after one warm-up; ${load()}`);
  // Timed here page by page; `alternate` only runs the walks in turns.
  const collected: [Walk[], Walk[]] = [[], []];
  await alternate(db, [async () => collected[0].push(await helio()), async () => collected[1].push(await bare())], {
    warmup: 1,
    rounds: walks,
  });
  const summary = (ws: Walk[], who: string) => {
    ws.shift(); // the warm-up
    // Every member once, in byte order (the keys are ASCII, so JS `<` is that order).
    const bad = ws.find((w) => w.keys.length !== SIZE.members || w.keys.some((k, i) => i > 0 && !(w.keys[i - 1]! < k)));
    if (bad) problem(`[${engine}] c. ${who}'s walk gave ${bad.keys.length} members, not ${SIZE.members} in key order`);
    const count = Math.min(...ws.map((w) => w.pages.length));
    const byPage = Array.from({ length: count }, (_, p) => median(ws.map((w) => w.pages[p]!)));
    return { byPage, first: byPage[0]!, last: byPage[count - 1]!, mid: median(byPage), max: Math.max(...byPage), ok: !bad };
  };
  const h = summary(collected[0], 'listMembers');
  const p = summary(collected[1], 'the bare SELECT');
  status(`[${engine}] c. listMembers, median per page: ${h.byPage.map(millis).join(', ')}`);
  status(`[${engine}] c. bare keyset SELECT, median per page: ${p.byPage.map(millis).join(', ')}`);
  const shape = (x: typeof h) => `first ${millis(x.first)}, median ${millis(x.mid)}, last ${millis(x.last)}, slowest ${millis(x.max)}`;
  const lastOverFirst = h.last / h.first;
  figures.push({
    part: `c ${engine}`,
    name: `members walk, limit ${PAGE}, ${h.byPage.length} pages: last/first ${lastOverFirst.toFixed(2)}x${h.ok ? '' : ' — WRONG MEMBERS'}`,
    helio: shape(h),
    peer: `${shape(p)} (bare keyset SELECT)`,
    goal: `last/first ≤ ${GOALS.lastOverFirst}x`,
    pass: lastOverFirst <= GOALS.lastOverFirst && h.ok,
  });
  figures.push({
    part: `c ${engine}`,
    name: '  a page, beside the bare keyset SELECT',
    helio: millis(h.mid),
    peer: `${millis(p.mid)} (median page)`,
    ratio: p.mid / h.mid,
    goal: '(reported)',
  });
}

// ---------------------------------------------------------------- main

async function measureEngine(engine: Engine, figures: Figure[]): Promise<void> {
  const opened = await openBenchDb(engine, adminUrl);
  if (typeof opened === 'string') {
    console.log(`[${engine}] skipped: ${opened}`);
    for (const part of ['a', 'b', 'c'].filter((x) => parts.has(x)))
      figures.push({ part: `${part} ${engine}`, name: '', helio: '', peer: '', goal: '', skipped: opened });
    return;
  }
  try {
    const { ctx, db } = opened;
    const org = await benchOrganisation(ctx, 'Community bench');
    // A few sites with a component, for the assets that link to Helio.
    const links: SiteLink[] = [];
    for (let i = 0; i < 4; i++) {
      const siteId = await benchSite(ctx, org, `Community site ${i + 1}`);
      links.push({ siteId, componentId: await benchComponent(ctx, siteId, `community-inverter-${i}`, 'INVERTER') });
    }
    // Copy 1 is kept: the re-import, the export's comparison and the walk use it.
    let copy1: communities.RegistryBundleIn | undefined;
    const s: Setup = {
      b: opened,
      org,
      links,
      bundleOf: (round, size = SIZE) => {
        if (round === 1 && size === SIZE) return (copy1 ??= generateBundle('valle-verde-1', 1, SIZE, links));
        return generateBundle(`valle-verde-${round}`, round, size, links);
      },
    };
    if (parts.has('a')) await importPart(engine, s, figures);
    else {
      const t = await measure(db, () => communities.importBundle(ctx, s.bundleOf(1), { organisationId: org }));
      status(`[${engine}] set up: the bundle imported in ${describe(t.timing)}`);
    }
    // Statistics as a server's autovacuum would have them after such an import (PGlite has no autovacuum).
    await db.exec('ANALYZE');
    if (parts.has('b')) await exportPart(engine, s, figures);
    if (parts.has('c')) await walkPart(engine, s, figures);
  } finally {
    await opened.cleanup();
  }
}

async function main(): Promise<void> {
  console.log(
    `Helio communities bench: ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}; ` +
      `${quick ? 'QUICK run (figures do not count)' : 'full run'}, --rounds ${rounds}, --walks ${walks}, --engines ${engines.join(',')}; ${load()}`,
  );
  const figures: Figure[] = [];
  const started = performance.now();
  for (const engine of engines as Engine[]) await measureEngine(engine, figures);
  console.log(`\n(the whole run took ${seconds(performance.now() - started)}; ${load()})\n`);
  printReport(figures);
  if (process.exitCode === 1) console.error('\nSome results were wrong: see above.');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
