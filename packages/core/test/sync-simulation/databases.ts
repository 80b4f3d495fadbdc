// The simulation's databases: one server and up to eight clients, created
// once and emptied between schedules (starting a PGlite costs a few hundred
// milliseconds; emptying one, a few). And the two ways the simulation
// wraps a database: a client's that can crash, a server's that tells time.
import type { Db, Engine, Transaction } from '@helio/db';
import { freshTestDb, type TestDb } from '@helio/db/testing';
import { formatHlc } from '../../src/sync/hlc.js';
import type { SimClock } from './determinism.js';

export const MAX_CLIENTS = 8;

export interface SimDatabases {
  engine: Engine;
  server: TestDb;
  clients: TestDb[];
}

export async function openDatabases(engine: Engine, clients = MAX_CLIENTS): Promise<SimDatabases> {
  const server = await freshTestDb(engine);
  const locals: TestDb[] = [];
  for (let i = 0; i < clients; i++) locals.push(await freshTestDb('pglite'));
  return { engine, server, clients: locals };
}

export async function closeDatabases(dbs: SimDatabases): Promise<void> {
  for (const db of [dbs.server, ...dbs.clients]) await db.dispose();
}

const tablesOf = new WeakMap<Db, Promise<string[]>>();

/** Empties every table but the migration record, as if freshly migrated. */
export async function resetDatabase(db: Db): Promise<void> {
  let tables = tablesOf.get(db);
  if (!tables) {
    tables = db
      .query<{ name: string }>(
        "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'helio_migrations' ORDER BY tablename",
      )
      .then((r) => r.rows.map((row) => row.name));
    tablesOf.set(db, tables);
  }
  const names = await tables;
  if (names.length === 0) return;
  // DELETE rather than TRUNCATE: a schedule leaves a few rows in a few tables,
  // and TRUNCATE replaces every table's files, a sixth of a schedule's time on
  // PGlite. Foreign-key triggers are off (replica role) while everything goes.
  await db.transaction((tx) =>
    tx.exec(`SET LOCAL session_replication_role = replica; ${names.map((name) => `DELETE FROM ${name};`).join(' ')}`),
  );
  // Locus ids come from a sequence, which a DELETE leaves where it was: a seed replays identically only from its start.
  await db.exec('ALTER SEQUENCE helio_locus_ids RESTART');
}

/** A machine crashing: the statement it was about to run, and every one after, never happens. */
export class Crash extends Error {
  constructor() {
    super('the client crashed');
    this.name = 'Crash';
  }
}

/**
 * Counts a client's statements and blows after an armed number of them. A
 * statement inside a transaction throwing makes the driver roll the
 * transaction back, which is what a process dying before COMMIT leaves.
 */
export class Fuse {
  private remaining: number | undefined;
  blown = false;
  statements = 0;

  arm(statements: number): void {
    this.remaining = statements;
  }

  disarm(): void {
    this.remaining = undefined;
  }

  get armed(): boolean {
    return this.remaining !== undefined;
  }

  blow(): void {
    this.blown = true;
  }

  tick(): void {
    this.statements++;
    if (this.remaining !== undefined && this.remaining-- <= 0) this.blown = true;
    if (this.blown) throw new Crash();
  }
}

/**
 * A `Db` like `inner` but with `query` and `transaction` replaced; every
 * other member (present or added to the interface later) passes through.
 */
function overrideDb(inner: Db, overrides: Pick<Db, 'query' | 'transaction'>): Db {
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'query') return overrides.query;
      if (prop === 'transaction') return overrides.transaction;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function fusedTransaction(tx: Transaction, fuse: Fuse): Transaction {
  return {
    query: (sql, params) => {
      fuse.tick();
      return tx.query(sql, params);
    },
    exec: (sql) => {
      fuse.tick();
      return tx.exec(sql);
    },
  };
}

/** A client's database as its process sees it: dead once the fuse blows. */
export function crashableDb(inner: Db, fuse: Fuse): Db {
  return overrideDb(inner, {
    query: (sql, params) => {
      fuse.tick();
      return inner.query(sql, params);
    },
    transaction: (fn) => {
      fuse.tick();
      return inner.transaction((tx) => fn(fusedTransaction(tx, fuse)));
    },
  });
}

/**
 * The server's database, whose clock is the simulation's: the field-clock
 * trigger stamps writes that carry no client clock with the server's wall
 * time (migration 0002), and here that wall time is the simulated one, so a
 * seed replays identically. Sync pushes set their own clock per mutation,
 * which overrides this one, as in production.
 */
export function serverDb(inner: Db, clock: SimClock): Db {
  const stamp = () => formatHlc({ millis: clock.ms, counter: 0, node: 'server' });
  return overrideDb(inner, {
    query: (sql, params) => inner.query(sql, params),
    transaction: (fn) =>
      inner.transaction(async (tx) => {
        await tx.query("SELECT set_config('helio.hlc', $1, true)", [stamp()]);
        return fn(tx);
      }),
  });
}
