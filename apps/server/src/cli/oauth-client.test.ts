// `helio oauth-client create --concurrency`, on each engine: the dispatcher
// runs in this process (cli.test.ts spawns the real launcher).
import { organisations } from '@helio/core';
import type { Engine } from '@helio/db';
import { beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../test-engines.js';
import { helioInProcess } from './spawn-helio.js';
import { cliTarget } from './test-target.js';

const TIMEOUT = 90_000;

describeEachEngine('npx helio oauth-client create --concurrency', (engine: Engine) => {
  const target = cliTarget(engine, 'oauth-client', TIMEOUT);
  let orgId: string;

  beforeAll(async () => {
    orgId = await target.asSystem(async (ctx) => (await organisations.createOrganisation(ctx, { name: 'Acme Solar' })).id);
  }, TIMEOUT);

  it(
    'stores the limit given, leaves it unset without the option, and refuses a limit that is no whole number from 1',
    async () => {
      const create = (...extra: string[]) =>
        helioInProcess(target.work, [
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
          ...target.args,
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

      const stored = await target.asSystem(
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
