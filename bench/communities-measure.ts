// Timing for bench/communities.ts: wall time and CPU time of each measured
// call. The machine's two cores are shared, so wall time includes waiting for
// other work; CPU time (this process, which holds PGlite, and PostgreSQL's
// backends of the bench database, read from /proc) moves less, and shows
// whether Node or the database spends it.
import { readFileSync } from 'node:fs';
import type { Db } from '@helio/db';

export interface Timing {
  ms: number;
  /** CPU seconds of this process (Node, and PGlite inside it). */
  node: number;
  /** CPU seconds of PostgreSQL's backends of the bench database; undefined on PGlite or without /proc. */
  db?: number;
}

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
export const millis = (ms: number) => `${ms.toFixed(ms < 100 ? 1 : 0)} ms`;

/** Clock ticks of user plus system time per process, from /proc (Linux); pids that cannot be read are left out. */
function ticksOf(pids: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(pid, Number(fields[11]) + Number(fields[12]));
    } catch {
      // Gone, or not ours to read (a remote server): its time is not counted.
    }
  }
  return out;
}

/**
 * Measures `fn`. On PostgreSQL, the backends of the bench database are
 * listed before and after: a backend in both lists counts its difference,
 * one that appeared (a pool connection opened meanwhile) all its time.
 */
export async function measure<T>(db: Db, fn: () => Promise<T>): Promise<{ timing: Timing; value: T }> {
  const backends = async () =>
    db.engine === 'postgres'
      ? ticksOf(
          (await db.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database()')).rows.map((r) => r.pid),
        )
      : undefined;
  const before = await backends();
  const cpu = process.cpuUsage();
  const start = performance.now();
  const value = await fn();
  const ms = performance.now() - start;
  const spent = process.cpuUsage(cpu);
  const after = await backends();
  let dbSeconds: number | undefined;
  if (before && after && after.size > 0) {
    let ticks = 0;
    for (const [pid, t] of after) ticks += t - (before.get(pid) ?? 0);
    dbSeconds = ticks / 100; // USER_HZ is 100 on Linux
  }
  return { timing: { ms, node: (spent.user + spent.system) / 1e6, ...(dbSeconds === undefined ? {} : { db: dbSeconds }) }, value };
}

const cpuSeconds = (s: number) => `${s.toFixed(s < 10 ? 2 : 1)} s`;

/** The CPU a run took: "9.10 s Node + 2.00 s PostgreSQL", or "9.10 s Node + PGlite". */
export function cpuText(t: Timing): string {
  return `${cpuSeconds(t.node)} Node${t.db === undefined ? ' + PGlite' : ` + ${cpuSeconds(t.db)} PostgreSQL`}`;
}

/** CPU seconds of a run, all processes together. */
export const cpuTotal = (t: Timing) => t.node + (t.db ?? 0);

/** "12.3 s (CPU 9.10 s Node + 2.00 s PostgreSQL)". */
export function describe(t: Timing): string {
  return `${seconds(t.ms)} (CPU ${cpuText(t)})`;
}

/** The run whose wall time is the median (the upper one of an even count), to quote its CPU split. */
export function medianRun(runs: readonly Timing[]): Timing {
  const sorted = [...runs].sort((a, b) => a.ms - b.ms);
  return sorted[sorted.length >> 1]!;
}

/**
 * Runs the sides in turns, `rounds` times, after `warmup` unmeasured calls of
 * each (code compiled by V8, caches filled); the order rotates every round,
 * so a burst of other work on the machine falls on all of them alike.
 */
export async function alternate<T>(
  db: Db,
  sides: readonly (() => Promise<T>)[],
  { warmup, rounds }: { warmup: number; rounds: number },
): Promise<{ runs: Timing[][]; last: T[] }> {
  const last: T[] = [];
  for (let w = 0; w < warmup; w++) for (const [i, side] of sides.entries()) last[i] = await side();
  const runs: Timing[][] = sides.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < sides.length; k++) {
      const i = (r + k) % sides.length;
      const { timing, value } = await measure(db, sides[i]!);
      runs[i]!.push(timing);
      last[i] = value;
    }
  }
  return { runs, last };
}
