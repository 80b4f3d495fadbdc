// The admin channel in-process: the dispatcher finds the data directory
// locked (by this very process) and hands the command to a channel that runs
// it on a test database. The real processes are in cli/cli-lock.test.ts.
import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUuidV7Generator, systemClock } from '@helio/core';
import { DataDirLockedError, LOCK_FILE_NAME, lockDataDir, type DataDirLock } from '@helio/db/data-dir-lock';
import { freshTestDb, type TestDb } from '@helio/db/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CliIo } from '../cli/output.js';
import { run } from '../cli/run.js';
import { loadConfig } from '../config.js';
import { forwardToServer } from './forward.js';
import { openAdminChannel, type AdminChannel } from './listen.js';
import { SOCKET_FILE_NAME } from './protocol.js';

const quietLog = () => {
  const warnings: string[] = [];
  return { warnings, log: { info: () => undefined, warn: (...args: unknown[]) => void warnings.push(String(args.at(-1))) } };
};

describe('admin channel', () => {
  let dataDir: string;
  let db: TestDb;
  let lock: DataDirLock;
  let channel: AdminChannel | undefined;
  // One database for the suite (the tests create differently named things); a data directory each.
  beforeAll(async () => {
    db = await freshTestDb('pglite');
  });
  afterAll(() => db.dispose());
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'helio-admin-'));
    lock = lockDataDir(dataDir); // what a running server holds
  });
  afterEach(async () => {
    await channel?.close();
    channel = undefined;
    lock.release();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const open = async (dir = dataDir) => {
    const { log, warnings } = quietLog();
    const config = loadConfig({ env: {}, overrides: { dataDir: dir } });
    channel = await openAdminChannel({ db, clock: systemClock, ids: createUuidV7Generator(), config }, log);
    return { channel, warnings };
  };

  /** `helio argv...` from a CLI in this process, on the locked data directory. */
  async function helio(argv: string[], stdin?: string) {
    let stdout = '';
    let stderr = '';
    let stdinReads = 0;
    const io: CliIo = {
      env: {},
      stdout: (t) => void (stdout += t),
      stderr: (t) => void (stderr += t),
      readStdin: () => (stdinReads++, stdin === undefined ? Promise.reject(new Error('no stdin here')) : Promise.resolve(stdin)),
    };
    const status = await run([...argv, '--data-dir', dataDir], io);
    return { status, stdout, stderr, stdinReads };
  }

  it('runs a management command in the server and prints what it printed', async () => {
    const { channel } = await open();
    expect(channel?.path).toBe(join(dataDir, SOCKET_FILE_NAME));
    expect(statSync(channel!.path).mode & 0o777).toBe(0o600);

    const created = await helio(['org', 'create', '--name', 'Acme', '--json']);
    expect(created).toMatchObject({ status: 0, stderr: '' });
    const org = JSON.parse(created.stdout) as { id: string; name: string };
    expect(org.name).toBe('Acme');
    expect((await db.query('SELECT name FROM organisations WHERE id = $1', [org.id])).rows).toEqual([{ name: 'Acme' }]);

    const listed = await helio(['org', 'list']);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toMatch(/^ID +NAME +CREATED\n.*Acme/);
  });

  it('sends along the standard input the command read, once', async () => {
    await open();
    const r = await helio(
      ['user', 'create', '--email', 'ada@example.com', '--name', 'Ada', '--password-stdin', '--json'],
      'a long enough password\n',
    );
    expect(r).toMatchObject({ status: 0, stderr: '', stdinReads: 1 });
    expect((await db.query('SELECT password_hash IS NOT NULL AS has FROM users WHERE email = $1', ['ada@example.com'])).rows).toEqual([
      { has: true },
    ]);
  });

  it('reports a failure with the same code and exit status as a direct run', async () => {
    await open();
    const r = await helio(['apikey', 'create', '--org', '0197a5b2-6c1e-7c3a-9d8e-2f4b5a6c7d8e', '--name', 'x', '--json']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(JSON.parse(r.stderr)).toMatchObject({
      error: { code: 'NOT_FOUND', message: 'organisation 0197a5b2-6c1e-7c3a-9d8e-2f4b5a6c7d8e not found' },
    });
  });

  it('keeps migrate off the channel: the directory stays locked', async () => {
    await open();
    const r = await helio(['migrate', '--status']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^helio: DATA_DIR_LOCKED: /);
  });

  it('refuses anything but the management commands from a client of its own', async () => {
    await open();
    const locked = new DataDirLockedError(dataDir, join(dataDir, LOCK_FILE_NAME), { pid: process.pid, host: hostname(), since: 'now' });
    for (const argv of [['migrate'], ['serve'], ['help'], ['apikey']]) {
      const reply = await forwardToServer(locked, { argv });
      expect(reply).toMatchObject({ exitCode: 1, stdout: '' });
      expect(reply?.stderr).toMatch(/^helio: FORBIDDEN: a running server runs only these commands for the CLI: org create, org list, /);
    }
  });

  it('replaces a socket a crashed server left and removes its own on close', async () => {
    // A dead socket file: bound, moved where the server's goes, and no longer listened on.
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(join(dataDir, 'dead.sock'), resolve));
    renameSync(join(dataDir, 'dead.sock'), join(dataDir, SOCKET_FILE_NAME));
    await new Promise((resolve) => dead.close(resolve));
    expect(statSync(join(dataDir, SOCKET_FILE_NAME)).isSocket()).toBe(true);
    expect((await helio(['org', 'list'])).stderr).toMatch(/^helio: DATA_DIR_LOCKED: /);

    const { channel } = await open();
    expect((await helio(['org', 'list'])).status).toBe(0);
    await channel!.close();
    expect(() => statSync(channel!.path)).toThrow(/ENOENT/);
    expect((await helio(['org', 'list'])).stderr).toMatch(/^helio: DATA_DIR_LOCKED: /);
  });

  it('leaves a data directory lock standing when the socket is a plain file', async () => {
    writeFileSync(join(dataDir, SOCKET_FILE_NAME), '');
    const r = await helio(['org', 'list', '--json']);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stderr)).toMatchObject({ error: { code: 'DATA_DIR_LOCKED' } });
  });

  it('goes without a channel, warning, when the socket path would be too long for a Unix socket', async () => {
    const deep = join(dataDir, 'd'.repeat(120));
    mkdirSync(deep);
    const { channel, warnings } = await open(deep);
    expect(channel).toBeUndefined();
    expect(warnings.join('\n')).toMatch(/the CLI cannot reach this server .* bytes long, longer than the 10\d a Unix socket allows/);
  });
});
