// npm run soak:sync [-- --runs N] [-- --seed S] [-- --from F] [-- --verbose]
//
// Runs seeded schedules of the sync simulation (seeds F..F+N-1, 5,000 from 1
// by default; one seed with --seed, to reproduce a failure exactly) and
// prints `N violations` at the end, exiting 1 if there were any. The server
// runs on PGlite, or on a fresh PostgreSQL database when TEST_DATABASE_URL
// is set; clients always run on PGlite.
import { testDatabaseUrl } from '@helio/db/testing';
import { closeDatabases, openDatabases } from './databases.js';
import { runSeed } from './run.js';

interface Options {
  from: number;
  runs: number;
  verbose: boolean;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { from: 1, runs: 5000, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const n = Number(argv[++i]);
      if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${arg} takes a non-negative integer`);
      return n;
    };
    if (arg === '--runs') options.runs = value();
    else if (arg === '--from') options.from = value();
    else if (arg === '--seed') {
      options.from = value();
      options.runs = 1;
      options.verbose = true;
    } else if (arg === '--verbose') options.verbose = true;
    else throw new Error(`unknown argument ${arg} (use --runs N, --seed S, --from F, --verbose)`);
  }
  return options;
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const engine = testDatabaseUrl ? 'postgres' : 'pglite';
  console.log(`sync simulation: ${options.runs} schedule(s) from seed ${options.from}, server on ${engine}, clients on PGlite`);
  const dbs = await openDatabases(engine);
  const started = performance.now();
  let violations = 0;
  const failing: number[] = [];
  const totals: Record<string, number> = {};
  try {
    for (let i = 0; i < options.runs; i++) {
      const seed = options.from + i;
      const result = await runSeed(dbs, seed);
      for (const [k, n] of Object.entries(result.stats)) totals[k] = (totals[k] ?? 0) + n;
      if (result.violations.length > 0) {
        violations += result.violations.length;
        failing.push(seed);
        console.log(`seed ${seed}: ${result.violations.length} violation(s)`);
        for (const text of result.violations.slice(0, options.verbose ? undefined : 5)) console.log(`  ${text}`);
        console.log(`  reproduce: npm run soak:sync -- --seed ${seed}`);
      } else if (options.verbose) {
        console.log(`seed ${seed}: ok ${JSON.stringify(result.stats)}`);
      }
      const done = i + 1;
      if (done % 50 === 0 || done === options.runs) {
        const perRun = (performance.now() - started) / done;
        console.log(`${done}/${options.runs} schedules, ${violations} violations so far, ${perRun.toFixed(0)} ms per schedule`);
      }
    }
  } finally {
    await closeDatabases(dbs);
  }
  const seconds = (performance.now() - started) / 1000;
  const last = options.from + options.runs - 1;
  console.log(
    `seeds ${options.from}..${last} (${options.runs} schedules) in ${seconds.toFixed(1)} s, ${(seconds / Math.max(1, options.runs)).toFixed(2)} s per schedule`,
  );
  console.log(`totals: ${JSON.stringify(totals)}`);
  if (failing.length > 0) console.log(`failing seeds: ${failing.join(' ')}`);
  console.log(`${violations} violations`);
  return violations > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
