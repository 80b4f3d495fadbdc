// `helio oauth-client create --concurrency`, on each engine: the dispatcher
// runs in this process (cli.test.ts spawns the real launcher).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUuidV7Generator, organisations, systemClock, systemPrincipal, type ServiceContext } from '@helio/core';
import type { Engine } from '@helio/db';
import { freshTestDb, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig, type Config } from '../config.js';
import { openMigratedDatabase } from '../open-database.js';
import { describeEachEngine } from '../test-engines.js';
import { helioInProcess } from './spawn-helio.js';

const TIMEOUT = 90_000;

describeEachEngine('npx helio oauth-client create --concurrency', (engine: Engine) => {
  let work: string;
  let config: Config;
  let target: string[];
  let pg: TestDb | undefined;
  let orgId: string;

  async function asSystem<T>(fn: (ctx: ServiceContext) => Promise<T>): Promise<T> {
    const db = await openMigratedDatabase(config, { autoMigrate: true });
    try {
      return await fn({ db, clock: systemClock, ids: createUuidV7Generator(), principal: systemPrincipal });
    } finally {
      await db.close();
    }
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'helio-oauth-client-'));
    target = ['--data-dir', join(work, 'data')];
    if (engine === 'postgres') {
      pg = await freshTestDb('postgres', { migrated: false });
      target.push('--database-url', pg.connectionString!);
    }
    config = loadConfig({ env: {}, overrides: { dataDir: join(work, 'data'), databaseUrl: pg?.connectionString } });
    orgId = await asSystem(async (ctx) => (await organisations.createOrganisation(ctx, { name: 'Acme Solar' })).id);
  }, TIMEOUT);
  afterAll(async () => {
    await pg?.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  it(
    'stores the limit given, leaves it unset without the option, and refuses a limit that is no whole number from 1',
    async () => {
      const create = (...extra: string[]) =>
        helioInProcess(work, [
          'oauth-client',
          'create',
          '--name',
          'Locus integration',
          '--grants',
          'client_credentials',
          '--org',
          orgId,
          '--role',
          'viewer',
          ...extra,
          ...target,
        ]);
      const four = await create('--concurrency', '4', '--json');
      expect(four.status, four.stderr).toBe(0);
      const created = JSON.parse(four.stdout) as { id: string; concurrencyLimit: number | null };
      expect(created.concurrencyLimit).toBe(4);
      const plain = await create();
      expect(plain.status, plain.stderr).toBe(0);
      expect(plain.stdout).toMatch(/concurrency: +1 request\(s\) at a time on \/v3/);

      for (const bad of ['0', '2.5', 'many', '1001']) {
        const refused = await create('--concurrency', bad, '--json');
        expect(refused.status, bad).toBe(1);
        expect(JSON.parse(refused.stderr), bad).toMatchObject({
          error: { code: 'VALIDATION_ERROR', message: expect.stringContaining('concurrencyLimit') },
        });
      }

      const stored = await asSystem(
        async (ctx) =>
          (
            await ctx.db.query<{ concurrency_limit: number | null }>(
              "SELECT concurrency_limit FROM oauth_clients WHERE name = 'Locus integration' ORDER BY concurrency_limit NULLS LAST",
            )
          ).rows,
      );
      // Two clients, nothing written by the refused ones.
      expect(stored.map((r) => r.concurrency_limit)).toEqual([4, null]);
    },
    TIMEOUT,
  );
});
