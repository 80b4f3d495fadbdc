// PGlite has no lock of its own: the CLI must refuse a data directory that a
// running server holds, and serve must give it back when it stops.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE_NAME } from '../data-dir-lock.js';
import { helio, startHelio } from './spawn-helio.js';

const TIMEOUT = 90_000;

describe('npx helio on a PGlite data directory a server is using', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'helio-cli-lock-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it(
    'refuses to open it while the server runs, and works once the server has stopped',
    async () => {
      const dataDir = join(work, 'data');
      const server = startHelio(work, ['serve', '--port', '0', '--data-dir', dataDir], { HELIO_LOG_LEVEL: 'info' });
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
        expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: 'ok' });

        const locked = await helio(work, ['org', 'list', '--data-dir', dataDir]);
        expect(locked.status).toBe(1);
        expect(locked.stderr).toMatch(new RegExp(`^helio: DATA_DIR_LOCKED: the data directory .* is in use by process ${server.pid}\\b`));
        expect(locked.stderr).toContain('probably a running Helio server');
      } finally {
        server.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
      expect(existsSync(join(dataDir, LOCK_FILE_NAME))).toBe(false);

      // serve migrated the directory on its own; the lock is gone, so this works.
      const after = await helio(work, ['org', 'list', '--data-dir', dataDir]);
      expect(after.stderr).toBe('');
      expect(after.status).toBe(0);
      expect(after.stdout).toContain('No organisations yet');
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
