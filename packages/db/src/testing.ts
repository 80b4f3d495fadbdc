// Test support: run a suite on PGlite always, and on PostgreSQL too when
// TEST_DATABASE_URL is set; each test gets a fresh, migrated database cloned
// from a template built once per run (by the global setup in vitest, else
// once per process).
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterEach, beforeEach, describe, inject } from 'vitest';
import { openPglite, pgliteParsers } from './drivers/pglite.js';
import { openPostgres } from './drivers/postgres.js';
import { migrate } from './migrate.js';
import { migrations } from './migrations/index.js';
import { buildPgliteTemplates, pgliteTemplateFile, type PgliteTemplate } from './test-templates.js';
import type { Db, Engine } from './types.js';

/** The only place test code reads the environment: which PostgreSQL to use, if any. */
export const testDatabaseUrl: string | undefined = process.env['TEST_DATABASE_URL'] || undefined;

export const testEngines: readonly Engine[] = testDatabaseUrl ? ['pglite', 'postgres'] : ['pglite'];

function providedTemplateDir(): string | undefined {
  try {
    return inject('pgliteTemplateDir');
  } catch {
    // Not in a vitest worker (the soak script, benchmarks): no global setup ran.
    return undefined;
  }
}

// PGlite sets up its default 128 MB of shared buffers on every start, a third
// of a test database's start-up. A test database is small and its data
// directory is in memory anyway, so a smaller pool changes nothing else.
const testPgliteStartParams = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

/**
 * A template's tarball, as PGlite reads it: PGlite takes the bytes out with
 * `arrayBuffer()`, which on Node 20 reads a Blob as a stream of 64 KiB pieces
 * joined one at a time. For the 40 MB migrated template that cost half a
 * second of CPU per test database, more than the database's own start. Here
 * every read gets the same bytes, held in memory: PGlite only reads them (it
 * untars them and copies each file into the new database's memory file
 * system), and a fresh copy for each database would cost a fifth of a second
 * more in allocation and garbage collection.
 */
class TemplateTarball extends Blob {
  private readonly content: ArrayBuffer;

  constructor(bytes: Uint8Array) {
    super([bytes]);
    // A copy of exactly the tarball (a Buffer may be a view into a larger one).
    this.content = new Uint8Array(bytes).buffer;
  }

  override arrayBuffer(): Promise<ArrayBuffer> {
    return Promise.resolve(this.content);
  }
}

const pgliteTemplates = new Map<PgliteTemplate, Promise<Blob>>();
let builtHere: Promise<Record<PgliteTemplate, Blob>> | undefined;

function pgliteTemplate(template: PgliteTemplate): Promise<Blob> {
  let tarball = pgliteTemplates.get(template);
  if (!tarball) {
    const dir = providedTemplateDir();
    const bytes = dir
      ? readFile(pgliteTemplateFile(dir, template))
      : (builtHere ??= buildPgliteTemplates()).then(async (built) => new Uint8Array(await built[template].arrayBuffer()));
    tarball = bytes.then((b) => new TemplateTarball(b));
    pgliteTemplates.set(template, tarball);
  }
  return tarball;
}

const schemaHash = createHash('sha256')
  .update(migrations.map((m) => `${m.id}\n${m.sql}`).join('\n'))
  .digest('hex')
  .slice(0, 12);
const templateName = `helio_tpl_${schemaHash}`;
let postgresTemplate: Promise<void> | undefined;

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function adminQuery<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Creating and dropping test databases goes through one connection per
 * process: a new connection costs PostgreSQL more CPU than the statement it
 * carries. The connection keeps no process alive between statements, and is
 * made again if it breaks.
 */
let adminClient: Promise<pg.Client> | undefined;

async function adminStatement(sql: string): Promise<void> {
  const connecting = (adminClient ??= (async () => {
    const client = new pg.Client({ connectionString: testDatabaseUrl });
    const forget = () => {
      if (adminClient === connecting) adminClient = undefined;
    };
    client.on('error', forget);
    client.on('end', forget);
    try {
      await client.connect();
    } catch (err) {
      forget();
      throw err;
    }
    return client;
  })());
  const client = await connecting;
  const socket = (client as unknown as { connection?: { stream?: { ref?(): void; unref?(): void } } }).connection?.stream;
  socket?.ref?.();
  try {
    await client.query(sql);
  } finally {
    socket?.unref?.();
  }
}

function ensurePostgresTemplate(): Promise<void> {
  postgresTemplate ??= adminQuery(async (admin) => {
    // Several test workers may race to build the template: one lock serialises them.
    await admin.query('SELECT pg_advisory_lock(4310272)');
    try {
      const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [templateName]);
      if (rowCount) return;
      const building = `${templateName}_build`;
      await admin.query(`DROP DATABASE IF EXISTS ${building}`);
      await admin.query(`CREATE DATABASE ${building}`);
      const db = openPostgres({ connectionString: withDatabase(testDatabaseUrl!, building), max: 1 });
      try {
        await migrate(db);
      } finally {
        await db.close();
      }
      await admin.query(`ALTER DATABASE ${building} RENAME TO ${templateName}`);
    } finally {
      await admin.query('SELECT pg_advisory_unlock(4310272)');
    }
  });
  return postgresTemplate;
}

export interface TestDb extends Db {
  /** Closes the connection and removes the database. */
  dispose(): Promise<void>;
  /** PostgreSQL only: where the database is, for tests that hand it to another process. */
  connectionString?: string;
}

export interface FreshTestDbOptions {
  /** `false` gives an empty database, with no migrations applied. Default `true`. */
  migrated?: boolean;
}

/** A fresh database on the given engine, migrated unless asked otherwise. */
export async function freshTestDb(engine: Engine, options: FreshTestDbOptions = {}): Promise<TestDb> {
  const migrated = options.migrated ?? true;
  if (engine === 'pglite') {
    const instance = await PGlite.create({
      loadDataDir: await pgliteTemplate(migrated ? 'migrated' : 'empty'),
      parsers: pgliteParsers,
      startParams: testPgliteStartParams,
    });
    const db = await openPglite({ instance });
    return Object.assign(db, { dispose: () => db.close() });
  }
  if (!testDatabaseUrl) throw new Error('TEST_DATABASE_URL is not set');
  if (migrated) await ensurePostgresTemplate();
  const name = `helio_t_${randomBytes(6).toString('hex')}`;
  // FILE_COPY copies the template's files as they are; the default (WAL_LOG) writes every page of them to the
  // write-ahead log and through the shared buffers, which costs PostgreSQL about twice the CPU, and as much
  // again when the database is dropped.
  await adminStatement(migrated ? `CREATE DATABASE ${name} TEMPLATE ${templateName} STRATEGY FILE_COPY` : `CREATE DATABASE ${name}`);
  const connectionString = withDatabase(testDatabaseUrl, name);
  const db = openPostgres({ connectionString, max: 4 });
  return Object.assign(db, {
    connectionString,
    dispose: async () => {
      await db.close();
      await adminStatement(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  });
}

/**
 * Declares `fn`'s tests once per engine. `getDb()` returns the current test's
 * fresh database.
 */
export function describeEachEngine(name: string, fn: (getDb: () => Db, engine: Engine) => void): void {
  for (const engine of testEngines) {
    describe(`${name} [${engine}]`, () => {
      let db: TestDb | undefined;
      beforeEach(async () => {
        db = await freshTestDb(engine);
      });
      afterEach(async () => {
        await db?.dispose();
        db = undefined;
      });
      fn(() => {
        if (!db) throw new Error('no test database: call getDb() inside a test');
        return db;
      }, engine);
    });
  }
}
