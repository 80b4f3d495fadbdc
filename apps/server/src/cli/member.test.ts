// `helio member add|remove` on each engine, and its argument checks; both run
// the dispatcher in this process (cli.test.ts spawns the real launcher).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUuidV7Generator, organisations, systemClock, systemPrincipal, users, type ServiceContext } from '@helio/core';
import type { Engine } from '@helio/db';
import { freshTestDb, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../config.js';
import { openMigratedDatabase } from '../open-database.js';
import { describeEachEngine } from '../test-engines.js';
import type { CliIo } from './output.js';
import { run } from './run.js';
import { helioInProcess } from './spawn-helio.js';

const TIMEOUT = 90_000;

describeEachEngine('npx helio member', (engine: Engine) => {
  let work: string;
  let config: Config;
  let target: string[];
  let pg: TestDb | undefined;
  let orgId: string;
  let owner: { id: string };
  let bob: { id: string };

  /** The database the CLI works on, opened in this process as the system principal. */
  async function asSystem<T>(fn: (ctx: ServiceContext) => Promise<T>): Promise<T> {
    const db = await openMigratedDatabase(config, { autoMigrate: true });
    try {
      return await fn({ db, clock: systemClock, ids: createUuidV7Generator(), principal: systemPrincipal });
    } finally {
      await db.close();
    }
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'helio-member-'));
    target = ['--data-dir', join(work, 'data')];
    if (engine === 'postgres') {
      pg = await freshTestDb('postgres', { migrated: false });
      target.push('--database-url', pg.connectionString!);
    }
    config = loadConfig({ env: {}, overrides: { dataDir: join(work, 'data'), databaseUrl: pg?.connectionString } });
    await asSystem(async (ctx) => {
      orgId = (await organisations.createOrganisation(ctx, { name: 'Acme Solar' })).id;
      owner = await users.createUser(ctx, { email: 'ada@example.com', name: 'Ada', organisationId: orgId, role: 'owner' });
      bob = await users.createUser(ctx, { email: 'bob@example.com', name: 'Bob' });
    });
  });
  afterAll(async () => {
    await pg?.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  it(
    'adds a user by email, removes them by id, and refuses to remove the last owner',
    async () => {
      const added = await helioInProcess(work, [
        'member',
        'add',
        '--org',
        orgId,
        '--user',
        'Bob@Example.com',
        '--role',
        'technician',
        '--json',
        ...target,
      ]);
      expect(added.status, added.stderr).toBe(0);
      expect(JSON.parse(added.stdout)).toMatchObject({ organisationId: orgId, userId: bob.id, role: 'technician' });

      const removed = await helioInProcess(work, ['member', 'remove', '--org', orgId, '--user', bob.id, ...target]);
      expect(removed.status, removed.stderr).toBe(0);
      expect(removed.stdout).toMatch(new RegExp(`^Removed user ${bob.id} \\(technician\\) from organisation "Acme Solar"\\n`));

      const lastOwner = await helioInProcess(work, ['member', 'remove', '--org', orgId, '--user', 'ada@example.com', '--json', ...target]);
      expect(lastOwner.status).toBe(1);
      expect(lastOwner.stdout).toBe('');
      expect(JSON.parse(lastOwner.stderr)).toMatchObject({ error: { code: 'CONFLICT', message: expect.stringContaining('last owner') } });

      await asSystem(async (ctx) => {
        expect(await users.membershipsOf(ctx, bob.id)).toEqual(new Map());
        expect(await users.membershipsOf(ctx, owner.id)).toEqual(new Map([[orgId, 'owner']]));
      });
    },
    TIMEOUT,
  );
});

describe('helio member arguments', () => {
  async function runCli(argv: string[]) {
    let stdout = '';
    let stderr = '';
    const io: CliIo = {
      env: {},
      stdout: (t) => void (stdout += t),
      stderr: (t) => void (stderr += t),
      readStdin: () => Promise.resolve(''),
    };
    return { status: await run(argv, io), stdout, stderr };
  }

  it('lists add and remove under member', async () => {
    expect((await runCli(['member', '--help'])).stdout).toContain('<add|remove>');
    expect((await runCli(['member', 'remove', '--help'])).stdout).toContain(
      'Usage: helio member remove --org <id> --user <email|id> [--json]',
    );
  });

  it.each([
    [['member', 'add', '--org', '0197a5b2-6c1e-7c3a-9d8e-2f4b5a6c7d8e', '--user', 'a@b.co'], /missing required option --role <role>/],
    [['member', 'remove', '--org', '0197a5b2-6c1e-7c3a-9d8e-2f4b5a6c7d8e'], /missing required option --user <email\|id>/],
    [
      ['member', 'remove', '--org', '0197a5b2-6c1e-7c3a-9d8e-2f4b5a6c7d8e', '--user', 'a@b.co', '--role', 'owner'],
      /Unknown option '--role'/,
    ],
  ])('treats %j as a usage error', async (argv, message) => {
    const r = await runCli(argv);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });
});
