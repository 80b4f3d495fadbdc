import { describe, expect, it } from 'vitest';
import { openPglite } from './drivers/pglite.js';
import { DbError } from './errors.js';
import { assertMigrated, migrate, migrationStatus, MigrationMismatchError } from './migrate.js';
import { nestedDb } from './nested.js';
import { describeEachEngine, freshTestDb } from './testing.js';

describe('migration runner', () => {
  // One database created the way the app creates it; the rest start from an
  // initialised but empty template, which skips initdb.
  it('applies every migration once and records it', async () => {
    const db = await openPglite();
    try {
      const first = await migrate(db);
      expect(first.length).toBeGreaterThan(0);
      expect(await migrate(db)).toEqual([]);
      expect((await migrationStatus(db)).pending).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it('refuses a database that has a migration this build does not know', async () => {
    const db = await freshTestDb('pglite', { migrated: false });
    try {
      await migrate(db, [
        { id: '0001-a', sql: 'CREATE TABLE a (x int)' },
        { id: '0002-b', sql: 'CREATE TABLE b (x int)' },
      ]);
      await expect(migrate(db, [{ id: '0001-a', sql: 'CREATE TABLE a (x int)' }])).rejects.toBeInstanceOf(MigrationMismatchError);
    } finally {
      await db.dispose();
    }
  });

  it('refuses a migration whose text changed after it was applied', async () => {
    const db = await freshTestDb('pglite', { migrated: false });
    try {
      await migrate(db, [{ id: '0001-a', sql: 'CREATE TABLE a (x int)' }]);
      await expect(migrationStatus(db, [{ id: '0001-a', sql: 'CREATE TABLE a (x bigint)' }])).rejects.toThrow(/checksum/);
    } finally {
      await db.dispose();
    }
  });

  it('reports pending migrations and refuses to serve until they run', async () => {
    const db = await freshTestDb('pglite', { migrated: false });
    try {
      await expect(assertMigrated(db)).rejects.toThrow(/helio migrate/);
      await migrate(db);
      await expect(assertMigrated(db)).resolves.toBeUndefined();
    } finally {
      await db.dispose();
    }
  });
});

describeEachEngine('drivers', (getDb) => {
  it('translates a unique violation by SQLSTATE', async () => {
    const db = getDb();
    const id = '0190a0d0-0000-7000-8000-000000000001';
    await db.query(`INSERT INTO users (id, email, name) VALUES ($1, 'a@example.com', 'A')`, [id]);
    const err = await db
      .query(`INSERT INTO users (id, email, name) VALUES ($1, 'A@example.com', 'B')`, ['0190a0d0-0000-7000-8000-000000000002'])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DbError);
    expect((err as DbError).kind).toBe('unique_violation');
  });

  it('rolls a transaction back when its callback throws', async () => {
    const db = getDb();
    await expect(
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO users (id, email, name) VALUES ($1, 'r@example.com', 'R')`, ['0190a0d0-0000-7000-8000-000000000003']);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
    expect(rows[0]?.n).toBe(0);
  });

  it('returns int8 as number and timestamptz as Date on both engines', async () => {
    const { rows } = await getDb().query<{ a: number; t: Date }>('SELECT 9007199254740991::int8 AS a, now() AS t');
    expect(rows[0]?.a).toBe(9007199254740991);
    expect(rows[0]?.t).toBeInstanceOf(Date);
  });

  it('gives each test a fresh database', async () => {
    const { rows } = await getDb().query<{ n: number }>('SELECT count(*)::int AS n FROM users');
    expect(rows[0]?.n).toBe(0);
  });
});

describe('migration status', () => {
  it('leaves a database that was never migrated untouched', async () => {
    const db = await freshTestDb('pglite', { migrated: false });
    try {
      expect((await migrationStatus(db)).applied).toEqual([]);
      const { rows } = await db.query<{ present: boolean }>("SELECT to_regclass('helio_migrations') IS NOT NULL AS present");
      expect(rows[0]?.present).toBe(false);
    } finally {
      await db.dispose();
    }
  });
});

describeEachEngine('nested transactions', (getDb) => {
  it('rolls back only the failed savepoint and commits the rest with the outer transaction', async () => {
    const db = getDb();
    await db.transaction(async (tx) => {
      const nested = nestedDb(tx, db.engine);
      await nested.transaction((t) =>
        t.query(`INSERT INTO users (id, email, name) VALUES ($1, 'kept@example.com', 'K')`, ['0190a0d0-0000-7000-8000-000000000011']),
      );
      await expect(
        nested.transaction(async (t) => {
          await t.query(`INSERT INTO users (id, email, name) VALUES ($1, 'undone@example.com', 'U')`, [
            '0190a0d0-0000-7000-8000-000000000012',
          ]);
          throw new Error('reject this one');
        }),
      ).rejects.toThrow('reject this one');
    });
    const { rows } = await db.query<{ email: string }>('SELECT email FROM users ORDER BY email');
    expect(rows.map((r) => r.email)).toEqual(['kept@example.com']);
  });
});

describeEachEngine('change notifications', (getDb) => {
  it('announces an organisation change when, and only when, its transaction commits', async () => {
    const db = getDb();
    const seen: unknown[] = [];
    const stop = await db.listen('helio_changes', (payload) => seen.push(JSON.parse(payload)));
    try {
      const org = '0190a0d0-0000-7000-8000-0000000000aa';
      await db.query(`INSERT INTO organisations (id, organisation_id, name, change_seq) VALUES ($1, $1, 'N', 1)`, [org]);
      await db.query('INSERT INTO organisation_change_counters (organisation_id, last_seq) VALUES ($1, 1)', [org]);
      await expect(
        db.transaction(async (tx) => {
          await tx.query('UPDATE organisation_change_counters SET last_seq = 2 WHERE organisation_id = $1', [org]);
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      await db.transaction((tx) => tx.query('UPDATE organisation_change_counters SET last_seq = 3 WHERE organisation_id = $1', [org]));
      for (let i = 0; i < 100 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
      expect(seen).toEqual([
        { organisationId: org, changeSeq: 1 },
        { organisationId: org, changeSeq: 3 },
      ]);
    } finally {
      await stop();
    }
  });
});
