// `npx helio` against a temporary PGlite data directory and, with
// TEST_DATABASE_URL, an empty PostgreSQL database. The real launcher
// (bin/helio.js, spawned) where the process is what is checked: its exit
// status and stderr, and a password read from its stdin; the other commands
// run through the same dispatcher in this process, since a spawn costs about
// a second. Each test runs a whole sequence rather than one command.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiKeys, createUuidV7Generator, oauth, systemClock, systemPrincipal, users } from '@helio/core';
import { migrations, type Engine } from '@helio/db';
import { freshTestDb, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { openDatabase } from '../open-database.js';
import { describeEachEngine } from '../test-engines.js';
import { helio, helioInProcess, type HelioRun } from './spawn-helio.js';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TIMEOUT = 90_000;

/** Parses the one JSON value a successful --json run prints, insisting nothing else was printed. */
function json<T = Record<string, unknown>>(r: HelioRun): T {
  if (r.status !== 0) throw new Error(`helio exited with ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** The one JSON error object a failed --json run prints on stderr, with nothing on stdout. */
function jsonError(r: HelioRun): { code: string; message: string; details: { path?: string }[]; hint?: string } {
  expect(r.stdout).toBe('');
  return (JSON.parse(r.stderr) as { error: ReturnType<typeof jsonError> }).error;
}

describeEachEngine('npx helio', (engine: Engine) => {
  let work: string;
  let target: string[];
  let pg: TestDb | undefined;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'helio-cli-'));
    target = ['--data-dir', join(work, 'data')];
    if (engine === 'postgres') {
      pg = await freshTestDb('postgres', { migrated: false });
      target.push('--database-url', pg.connectionString!);
    }
  });
  afterAll(async () => {
    await pg?.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  /** The database the CLI wrote, opened in this process to check what it did. */
  async function inspect<T>(fn: (ctx: { db: Awaited<ReturnType<typeof openDatabase>> }) => Promise<T>): Promise<T> {
    const config = loadConfig({ env: {}, overrides: { dataDir: join(work, 'data'), databaseUrl: pg?.connectionString } });
    const db = await openDatabase(config);
    try {
      return await fn({ db });
    } finally {
      await db.close();
    }
  }

  it(
    'refuses to work on an unmigrated database and says to run migrate',
    async () => {
      const r = await helio(work, ['org', 'list', ...target]);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^helio: NOT_MIGRATED: the database is not migrated/);
      expect(r.stderr).toContain('run `npx helio migrate`');
    },
    TIMEOUT,
  );

  it(
    'migrates the database once and then reports it up to date',
    async () => {
      expect(json(await helioInProcess(work, ['migrate', '--json', ...target]))).toEqual({
        applied: migrations.map((m) => m.id),
        alreadyApplied: [],
      });
      expect(json(await helioInProcess(work, ['migrate', '--status', '--json', ...target]))).toEqual({
        applied: migrations.map((m) => m.id),
        pending: [],
      });
    },
    TIMEOUT,
  );

  it(
    'bootstraps an organisation, its owner, an API key and an OAuth client from the shell',
    async () => {
      const org = json(await helioInProcess(work, ['org', 'create', '--name', 'Acme Solar', '--json', ...target]));
      expect(org).toMatchObject({ id: expect.stringMatching(uuid), name: 'Acme Solar' });
      const orgId = org['id'] as string;
      // Its Locus partner id and the client of its sites outside any portfolio: distinct integers.
      expect(org['partnerId']).toEqual(expect.any(Number));
      expect(org['unassignedClientId']).toEqual(expect.any(Number));
      expect(org['partnerId']).not.toBe(org['unassignedClientId']);

      const password = 'correct horse battery staple';
      const created = json<{ user: { id: string; email: string }; membership: { organisationId: string; role: string } }>(
        await helio(
          work,
          [
            'user',
            'create',
            '--email',
            'Ada@Example.com',
            '--name',
            'Ada Lovelace',
            '--password-stdin',
            '--org',
            orgId,
            '--role',
            'owner',
            '--json',
            ...target,
          ],
          `${password}\n`,
        ),
      );
      expect(created.user).toMatchObject({ id: expect.stringMatching(uuid), email: 'ada@example.com' });
      expect(created.membership).toMatchObject({ organisationId: orgId, userId: created.user.id, role: 'owner' });

      const key = json<{ id: string; key: string; prefix: string; role: string }>(
        await helioInProcess(work, ['apikey', 'create', '--org', orgId, '--name', 'ci', '--role', 'admin', '--json', ...target]),
      );
      expect(key.key).toMatch(/^hk_[0-9a-f]{10}_/);
      expect(key.key.startsWith(key.prefix)).toBe(true);
      expect(key.role).toBe('admin');

      const listed = await helioInProcess(work, ['apikey', 'list', '--org', orgId, '--json', ...target]);
      expect(listed.stdout).not.toContain(key.key.slice(key.prefix.length + 1));
      const keys = json<Record<string, unknown>[]>(listed);
      expect(keys).toEqual([expect.objectContaining({ id: key.id, prefix: key.prefix, name: 'ci', revokedAt: null })]);
      expect(keys[0]).not.toHaveProperty('key');

      const client = json<{ clientId: string; clientSecret: string; grants: string[]; organisationId: string; role: string }>(
        await helioInProcess(work, [
          'oauth-client',
          'create',
          '--name',
          'SCADA bridge',
          '--grants',
          'client_credentials',
          '--org',
          orgId,
          '--role',
          'viewer',
          '--json',
          ...target,
        ]),
      );
      expect(client).toMatchObject({
        clientId: expect.stringMatching(/^hc_/),
        grants: ['client_credentials'],
        organisationId: orgId,
        role: 'viewer',
      });
      expect(client.clientSecret.length).toBeGreaterThanOrEqual(32);

      const revoked = json(await helioInProcess(work, ['apikey', 'revoke', key.id, '--json', ...target]));
      expect(revoked).toMatchObject({ id: key.id, revokedAt: expect.any(String) });
      expect(revoked).not.toHaveProperty('key');

      // What a user of the server would notice: the password and the client work; the key
      // was genuine (its hash matches) and is now refused.
      await inspect(async ({ db }) => {
        const ctx = { db, clock: systemClock, ids: createUuidV7Generator(), principal: systemPrincipal };
        const { rows } = await db.query<{ locus_id: number }>('SELECT locus_id FROM organisations WHERE id = $1', [orgId]);
        expect(rows[0]!.locus_id).toBe(org['partnerId']);
        expect(await users.verifyUserPassword(ctx, 'ada@example.com', password)).toMatchObject({ id: created.user.id });
        expect(await users.membershipsOf(ctx, created.user.id)).toEqual(new Map([[orgId, 'owner']]));
        const token = await oauth.issueToken(ctx, {
          grant_type: 'client_credentials',
          client_id: client.clientId,
          client_secret: client.clientSecret,
        });
        expect(token.token_type).toBe('bearer');
        await expect(apiKeys.authenticateApiKey(ctx, key.key)).rejects.toThrow('this API key has been revoked');
      });
    },
    TIMEOUT,
  );

  it(
    'rejects bad input with the error code and exit status 1, writing nothing',
    async () => {
      const bad = await helioInProcess(work, [
        'user',
        'create',
        '--email',
        'not-an-email',
        '--name',
        'X',
        '--password',
        'short',
        '--json',
        ...target,
      ]);
      expect(bad.status).toBe(1);
      const error = jsonError(bad);
      expect(error.code).toBe('VALIDATION_ERROR');
      expect(error.details.map((d) => d.path).sort()).toEqual(['email', 'password']);

      const missing = await helioInProcess(work, [
        'apikey',
        'create',
        '--org',
        '0197a5b2-6c1e-7c3a-9d8e-2f4b5a6c7d8e',
        '--name',
        'x',
        ...target,
      ]);
      expect(missing.status).toBe(1);
      expect(missing.stderr).toMatch(/^helio: NOT_FOUND: organisation 0197a5b2-6c1e-7c3a-9d8e-2f4b5a6c7d8e not found/);
      await inspect(async ({ db }) => {
        expect((await db.query('SELECT 1 FROM users WHERE email = $1', ['not-an-email'])).rowCount).toBe(0);
        expect((await db.query("SELECT 1 FROM api_keys WHERE name = 'x'")).rowCount).toBe(0);
      });
    },
    TIMEOUT,
  );
});
