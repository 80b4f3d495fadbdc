import { createHash } from 'node:crypto';
import { migrations as defaultMigrations, type Migration } from './migrations/index.js';
import type { Db, Queryable } from './types.js';

export class MigrationMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationMismatchError';
  }
}

export interface MigrationStatus {
  applied: string[];
  pending: string[];
}

const LOCK_KEY = 4_310_271; // one advisory lock shared by every Helio migrator

function checksum(sql: string): string {
  return createHash('sha256').update(sql).digest('hex');
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS helio_migrations (
  id text PRIMARY KEY,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

async function readStatus(q: Queryable, list: readonly Migration[]): Promise<MigrationStatus> {
  const { rows } = await q.query<{ id: string; checksum: string }>('SELECT id, checksum FROM helio_migrations ORDER BY id');
  rows.forEach((row, i) => {
    const expected = list[i];
    if (!expected) {
      throw new MigrationMismatchError(
        `the database has migration ${row.id}, which this build of Helio does not know: run a newer Helio or point it at a matching database`,
      );
    }
    if (expected.id !== row.id) {
      throw new MigrationMismatchError(`migration order differs: the database has ${row.id} where this build expects ${expected.id}`);
    }
    if (checksum(expected.sql) !== row.checksum) {
      throw new MigrationMismatchError(`migration ${row.id} was changed after it was applied (its checksum differs)`);
    }
  });
  return { applied: rows.map((r) => r.id), pending: list.slice(rows.length).map((m) => m.id) };
}

/**
 * Compares what the database has applied with the list in code. The applied
 * list must be a prefix of the code's list, checksum for checksum; anything
 * else means the database and this build disagree, and Helio refuses to start.
 */
export async function migrationStatus(db: Db, list: readonly Migration[] = defaultMigrations): Promise<MigrationStatus> {
  // Read-only: a database that was never migrated reports everything pending and is left untouched.
  const { rows } = await db.query<{ present: boolean }>("SELECT to_regclass('helio_migrations') IS NOT NULL AS present");
  if (!rows[0]?.present) return { applied: [], pending: list.map((m) => m.id) };
  return readStatus(db, list);
}

/** Applies pending migrations, each in its own transaction, under an advisory lock. */
export async function migrate(db: Db, list: readonly Migration[] = defaultMigrations): Promise<string[]> {
  await db.exec(CREATE_TABLE);
  const applied: string[] = [];
  for (;;) {
    const next = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
      const { applied: done } = await readStatus(tx, list);
      const migration = list[done.length];
      if (!migration) return undefined;
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO helio_migrations (id, checksum) VALUES ($1, $2)', [migration.id, checksum(migration.sql)]);
      return migration.id;
    });
    if (next === undefined) return applied;
    applied.push(next);
  }
}

/** Refuses to run against a database whose migrations disagree with this build or are behind it. */
export async function assertMigrated(db: Db, list: readonly Migration[] = defaultMigrations): Promise<void> {
  const { pending } = await migrationStatus(db, list);
  if (pending.length > 0) {
    throw new MigrationMismatchError(`the database is missing migrations ${pending.join(', ')}: run \`npx helio migrate\``);
  }
}
