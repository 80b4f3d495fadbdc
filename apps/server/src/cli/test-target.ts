// Test support for the CLI's tests: the installation their commands run against.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUuidV7Generator, systemClock, systemPrincipal, type ServiceContext } from '@helio/core';
import type { Engine } from '@helio/db';
import { freshTestDb, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll } from 'vitest';
import { loadConfig, type Config } from '../config.js';
import { openMigratedDatabase } from '../open-database.js';

export interface CliTarget {
  /** The temporary folder: the commands' working directory, and the place for a test's own files. */
  readonly work: string;
  /** The options that point a command at the installation: `--data-dir`, and `--database-url` on PostgreSQL. */
  readonly args: readonly string[];
  /** Runs `fn` on the installation's database, opened (and migrated) in this process as the system principal. */
  asSystem<T>(fn: (ctx: ServiceContext) => Promise<T>): Promise<T>;
}

/**
 * The installation a CLI test's commands run against: a data directory in a
 * fresh temporary folder named after `name` and, on PostgreSQL, a fresh empty
 * database that the CLI migrates. Call it at the top of a `describeEachEngine`
 * callback, before the file's own hooks: its `beforeAll` (with `timeout` if
 * given) then runs first and its `afterAll`, which removes both, runs last.
 * The getters are for tests and hooks, not for the describe callback itself.
 */
export function cliTarget(engine: Engine, name: string, timeout?: number): CliTarget {
  let work: string | undefined;
  let args: string[] | undefined;
  let config: Config | undefined;
  let pg: TestDb | undefined;

  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`cliTarget: ${what} is only set once its beforeAll has run`);
    return value;
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), `helio-${name}-`));
    const dataDir = join(work, 'data');
    args = ['--data-dir', dataDir];
    if (engine === 'postgres') {
      pg = await freshTestDb('postgres', { migrated: false });
      args.push('--database-url', pg.connectionString!);
    }
    config = loadConfig({ env: {}, overrides: { dataDir, databaseUrl: pg?.connectionString } });
  }, timeout);
  afterAll(async () => {
    await pg?.dispose();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  return {
    get work() {
      return ready(work, 'work');
    },
    get args() {
      return ready(args, 'args');
    },
    async asSystem<T>(fn: (ctx: ServiceContext) => Promise<T>): Promise<T> {
      const db = await openMigratedDatabase(ready(config, 'config'), { autoMigrate: true });
      try {
        return await fn({ db, clock: systemClock, ids: createUuidV7Generator(), principal: systemPrincipal });
      } finally {
        await db.close();
      }
    },
  };
}
