import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { assertMigrated, migrate, type Db } from '@helio/db';
import { lockDataDir, type LockMessage } from '@helio/db/data-dir-lock';
import { openPglite } from '@helio/db/pglite';
import { openPostgres } from '@helio/db/postgres';
import type { Config } from './config.js';

// Whoever holds the directory is most likely `helio serve`; the CLI's user may not know PostgreSQL lifts the limit.
const serverLockMessage: LockMessage = ({ dataDir, lockPath, who }) =>
  `the data directory ${dataDir} is in use by ${who}, probably a running Helio server: ` +
  'PGlite allows one process per data directory. Stop that process first, or run Helio on PostgreSQL ' +
  `(DATABASE_URL) to manage it while it serves. If no Helio process is running, delete ${lockPath}.`;

/** PostgreSQL when `databaseUrl` is set, else PGlite in the data directory. */
export async function openDatabase(config: Config): Promise<Db> {
  if (config.databaseUrl) return openPostgres({ connectionString: config.databaseUrl });
  const dir = resolve(config.dataDir, 'pglite');
  mkdirSync(dir, { recursive: true });
  // PGlite does not lock its directory; a second process on it would corrupt it.
  const lock = lockDataDir(resolve(config.dataDir), { message: serverLockMessage });
  try {
    const db = await openPglite({ dataDir: dir });
    const close = db.close.bind(db);
    return Object.assign(db, {
      close: async () => {
        try {
          await close();
        } finally {
          lock.release();
        }
      },
    });
  } catch (err) {
    lock.release();
    throw err;
  }
}

export function describeDatabase(config: Config): string {
  return config.databaseUrl ? 'PostgreSQL' : `PGlite at ${join(resolve(config.dataDir), 'pglite')}`;
}

/** Opens the database and brings its schema up to date (or refuses, if it disagrees with this build). */
export async function openMigratedDatabase(config: Config, options: { autoMigrate: boolean }): Promise<Db> {
  const db = await openDatabase(config);
  try {
    if (options.autoMigrate) await migrate(db);
    else await assertMigrated(db);
    return db;
  } catch (err) {
    await db.close();
    throw err;
  }
}
