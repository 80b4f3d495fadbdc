// CPU spent per request, beside throughput: a steadier figure than req/s on a
// shared machine, and it shows where the time goes (server, database, client).
import { readFileSync } from 'node:fs';
import type pg from 'pg';

/** CPU seconds spent since the meter started. */
export interface CpuSpent {
  /** This process: the server under test (and PGlite, which runs inside it). */
  server: number;
  /** PostgreSQL's backends of the bench database, where /proc can be read. */
  db?: number;
}

/** Starts measuring; the function it returns tells the CPU spent since. */
export type CpuMeter = () => Promise<() => Promise<CpuSpent>>;

function processSecondsSince(start: NodeJS.CpuUsage): number {
  const spent = process.cpuUsage(start);
  return (spent.user + spent.system) / 1e6;
}

export const processMeter: CpuMeter = async () => {
  const start = process.cpuUsage();
  return async () => ({ server: processSecondsSince(start) });
};

/** User plus system time of these processes, from /proc (Linux); undefined when one cannot be read. */
function backendSeconds(pids: number[]): number | undefined {
  let ticks = 0;
  try {
    for (const pid of pids) {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    }
  } catch {
    return undefined;
  }
  return ticks / 100; // USER_HZ is 100 on Linux
}

/** This process, plus the backends serving `database` when the meter starts (the server's pool, full after the warm-up). */
export function postgresMeter(admin: pg.Client, database: string): CpuMeter {
  return async () => {
    const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database]);
    const pids = rows.map((r) => r.pid);
    const before = backendSeconds(pids);
    const start = process.cpuUsage();
    return async () => {
      const server = processSecondsSince(start);
      const after = backendSeconds(pids);
      return before === undefined || after === undefined ? { server } : { server, db: after - before };
    };
  };
}
