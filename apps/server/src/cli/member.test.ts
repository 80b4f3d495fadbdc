// `helio member add|remove` on each engine, and its argument checks; both run
// the dispatcher in this process (cli.test.ts spawns the real launcher).
import { organisations, users } from '@helio/core';
import type { Engine } from '@helio/db';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from '../test-engines.js';
import type { CliIo } from './output.js';
import { run } from './run.js';
import { helioInProcess } from './spawn-helio.js';
import { cliTarget } from './test-target.js';

const TIMEOUT = 90_000;

describeEachEngine('npx helio member', (engine: Engine) => {
  const target = cliTarget(engine, 'member');
  let orgId: string;
  let owner: { id: string };
  let bob: { id: string };

  beforeAll(async () => {
    await target.asSystem(async (ctx) => {
      orgId = (await organisations.createOrganisation(ctx, { name: 'Acme Solar' })).id;
      owner = await users.createUser(ctx, { email: 'ada@example.com', name: 'Ada', organisationId: orgId, role: 'owner' });
      bob = await users.createUser(ctx, { email: 'bob@example.com', name: 'Bob' });
    });
  });

  it(
    'adds a user by email, removes them by id, and refuses to remove the last owner',
    async () => {
      const added = await helioInProcess(target.work, [
        'member',
        'add',
        '--org',
        orgId,
        '--user',
        'Bob@Example.com',
        '--role',
        'technician',
        '--json',
        ...target.args,
      ]);
      expect(added.status, added.stderr).toBe(0);
      expect(JSON.parse(added.stdout)).toMatchObject({ organisationId: orgId, userId: bob.id, role: 'technician' });

      const removed = await helioInProcess(target.work, ['member', 'remove', '--org', orgId, '--user', bob.id, ...target.args]);
      expect(removed.status, removed.stderr).toBe(0);
      expect(removed.stdout).toMatch(new RegExp(`^Removed user ${bob.id} \\(technician\\) from organisation "Acme Solar"\\n`));

      const lastOwner = await helioInProcess(target.work, [
        'member',
        'remove',
        '--org',
        orgId,
        '--user',
        'ada@example.com',
        '--json',
        ...target.args,
      ]);
      expect(lastOwner.status).toBe(1);
      expect(lastOwner.stdout).toBe('');
      expect(JSON.parse(lastOwner.stderr)).toMatchObject({ error: { code: 'CONFLICT', message: expect.stringContaining('last owner') } });

      await target.asSystem(async (ctx) => {
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
