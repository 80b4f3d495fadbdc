// One schedule from start to verdict: build the world, run each operation
// with the checks that follow it, heal the network, check the invariants.
import { createHash } from 'node:crypto';
import type { Db } from '@helio/db';
import { syncSchema } from '../../src/sync/tables.js';
import type { SimDatabases } from './databases.js';
import { checkQuiescentInvariants, quiesce } from './invariants.js';
import { checkLocalReads, checkRevocation } from './checks.js';
import { perform } from './operations.js';
import { describeOp, scheduleFor, type Schedule } from './schedule.js';
import { canonical } from './server-watch.js';
import { describeError, World } from './world.js';

export interface RunResult {
  seed: number;
  violations: string[];
  stats: Record<string, number>;
  /** A hash of everything the server ended with: the same seed must give the same one. */
  fingerprint: string;
}

async function fingerprint(server: Db): Promise<string> {
  const hash = createHash('sha256');
  for (const table of [...syncSchema.names, 'sync_clients', 'sync_mutations']) {
    const order = table === 'sync_mutations' ? 'client_id, seq' : table === 'sync_clients' ? 'client_id' : 'id';
    const { rows } = await server.query<{ row: unknown }>(`SELECT to_jsonb(x) AS row FROM ${table} x ORDER BY ${order}`);
    for (const r of rows) hash.update(`${table} ${canonical(r.row)}\n`);
  }
  return hash.digest('hex');
}

export async function runSchedule(dbs: SimDatabases, schedule: Schedule): Promise<RunResult> {
  const world = await World.create(dbs, schedule);
  try {
    for (const [i, op] of schedule.ops.entries()) {
      world.step = `op ${i} ${describeOp(op)}`;
      const touched = await perform(world, op);
      for (const client of new Set(touched)) {
        // Only while nothing runs on the client: a sync call waiting on the network runs nothing.
        await checkLocalReads(world, client);
        if (client.justPulled) await checkRevocation(world, client, client.justPulled.revoked);
        client.justPulled = undefined;
      }
    }
    if (await quiesce(world)) await checkQuiescentInvariants(world);
  } catch (err) {
    world.violation(`the simulation itself failed: ${describeError(err)}${err instanceof Error && err.stack ? `\n${err.stack}` : ''}`);
  }
  const conflicts = (await dbs.server.query<{ n: number }>('SELECT count(*)::int AS n FROM sync_conflicts')).rows[0]!.n;
  const rejected = (await dbs.server.query<{ n: number }>("SELECT count(*)::int AS n FROM sync_mutations WHERE status = 'rejected'"))
    .rows[0]!.n;
  return {
    seed: schedule.seed,
    violations: world.violations,
    fingerprint: await fingerprint(dbs.server),
    stats: {
      clients: world.clients.length,
      ops: schedule.ops.length,
      writes: world.writes.length,
      pushes: world.watch.pushes,
      pulls: world.watch.pulls,
      conflicts,
      rejected,
      crashes: world.clients.reduce((n, c) => n + c.crashes, 0),
      ...Object.fromEntries(Object.entries(world.refused).map(([k, n]) => [`refused.${k}`, n])),
      ...Object.fromEntries(Object.entries(world.network.counts).map(([k, n]) => [`net.${k}`, n])),
    },
  };
}

/** Runs the schedule a seed stands for. */
export async function runSeed(dbs: SimDatabases, seed: number): Promise<RunResult> {
  const result = await runSchedule(dbs, scheduleFor(seed));
  return { ...result, seed };
}
