// PGlite has no lock of its own: while a server holds the data directory the
// CLI hands management commands to it, refuses the directory when no server
// listens for them, and serve gives the directory back when it stops.
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { LOCK_FILE_NAME } from '@helio/db/data-dir-lock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOCKET_FILE_NAME } from '../admin-channel/protocol.js';
import { helio, startHelio, type HelioRun } from './spawn-helio.js';

const TIMEOUT = 90_000;

/** The one JSON value a successful --json run prints. */
function json<T>(r: HelioRun): T {
  if (r.status !== 0) throw new Error(`helio exited with ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

describe('npx helio on a PGlite data directory a server is using', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'helio-cli-lock-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it(
    'hands management commands to the running server, and runs them itself once the server has stopped',
    async () => {
      const dataDir = join(work, 'data');
      const socket = join(dataDir, SOCKET_FILE_NAME);
      const server = startHelio(work, ['serve', '--port', '0', '--data-dir', dataDir], {
        HELIO_LOG_LEVEL: 'info',
        HELIO_MQTT_PORT: '0',
        HELIO_MQTTS_PORT: '0',
      });
      const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
      let serverErr = '';
      server.stderr.setEncoding('utf8').on('data', (d: string) => (serverErr += d));
      try {
        const url = await new Promise<string>((resolve, reject) => {
          createInterface({ input: server.stdout }).on('line', (line) => {
            const record = JSON.parse(line) as { url?: string };
            if (record.url) resolve(record.url);
          });
          void exited.then((code) => reject(new Error(`serve exited with ${code}: ${serverErr}`)));
        });
        // Only this user may connect.
        expect(statSync(socket).isSocket()).toBe(true);
        expect(statSync(socket).mode & 0o777).toBe(0o600);

        const org = json<{ id: string; name: string }>(
          await helio(work, ['org', 'create', '--name', 'Acme', '--json', '--data-dir', dataDir]),
        );
        expect(org.name).toBe('Acme');
        const [user, key, invalid, migrate, latin1] = await Promise.all([
          helio(
            work,
            [
              'user',
              'create',
              '--email',
              'ada@example.com',
              '--name',
              'Ada',
              '--password-stdin',
              '--org',
              org.id,
              '--role',
              'owner',
              '--json',
              '--data-dir',
              dataDir,
            ],
            'correct horse battery staple\n',
          ),
          helio(work, ['apikey', 'create', '--org', org.id, '--name', 'ci', '--json', '--data-dir', dataDir]),
          helio(work, ['user', 'create', '--email', 'not-an-email', '--name', 'X', '--json', '--data-dir', dataDir]),
          helio(work, ['migrate', '--data-dir', dataDir]),
          // Standard input is decoded strictly before it is handed over: a Latin-1 "é" is no U+FFFD to store.
          helio(
            work,
            ['community', 'import', '--organisation', org.id, '-', '--data-dir', dataDir],
            Buffer.from('community:\n  key: caf\xe9\n', 'latin1'),
          ),
        ]);
        expect(json<{ membership: unknown }>(user).membership).toMatchObject({ organisationId: org.id, role: 'owner' });

        // The key works at once against the server that created it, and stops working once revoked.
        const created = json<{ id: string; key: string }>(key);
        const listSites = () => fetch(`${url}/api/sites`, { headers: { 'x-api-key': created.key } });
        expect((await listSites()).status).toBe(200);
        expect(json(await helio(work, ['apikey', 'revoke', created.id, '--json', '--data-dir', dataDir]))).toMatchObject({
          revokedAt: expect.any(String),
        });
        expect((await listSites()).status).toBe(401);

        // Failures come back as a direct run reports them.
        expect(invalid.status).toBe(1);
        expect(invalid.stdout).toBe('');
        expect(JSON.parse(invalid.stderr)).toMatchObject({ error: { code: 'VALIDATION_ERROR', details: [{ path: 'email' }] } });

        expect(latin1.status).toBe(1);
        expect(latin1.stderr).toMatch(/^helio: MALFORMED_REQUEST: standard input is not UTF-8: nothing was done with it\n/);

        // Only management commands are handed over: migrate still finds the directory locked.
        expect(migrate.status).toBe(1);
        expect(migrate.stderr).toMatch(new RegExp(`^helio: DATA_DIR_LOCKED: the data directory .* is in use by process ${server.pid}\\b`));
      } finally {
        server.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
      expect(existsSync(join(dataDir, LOCK_FILE_NAME))).toBe(false);
      expect(existsSync(socket)).toBe(false);

      // The lock is gone, so this opens the directory itself, and finds what the server wrote.
      const after = await helio(work, ['org', 'list', '--data-dir', dataDir]);
      expect(after.stderr).toBe('');
      expect(after.status).toBe(0);
      expect(after.stdout).toMatch(/\n\S+ +Acme +/);
    },
    TIMEOUT,
  );

  it(
    'refuses a directory whose lock a live process holds when nothing listens for commands',
    async () => {
      const dataDir = join(work, 'held');
      mkdirSync(dataDir);
      // This test's own process stands in for a server without the admin socket.
      writeFileSync(
        join(dataDir, LOCK_FILE_NAME),
        `${JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() })}\n`,
      );
      const r = await helio(work, ['org', 'list', '--data-dir', dataDir]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^helio: DATA_DIR_LOCKED: the data directory .* is in use by process ${process.pid}\\b`));
      expect(r.stderr).toContain('probably a running Helio server');
    },
    TIMEOUT,
  );

  it(
    'passes usage errors through the launcher as exit status 2',
    async () => {
      const r = await helio(work, ['org', 'create', '--data-dir', join(work, 'unused')]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^helio: USAGE_ERROR: missing required option --name <name>/);
      expect(existsSync(join(work, 'unused'))).toBe(false);
    },
    TIMEOUT,
  );
});
