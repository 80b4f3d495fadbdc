import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { helio } from './spawn-helio.js';

describe('npx helio serve', () => {
  let work: string;
  let holder: Server;
  let port: number;
  beforeEach(async () => {
    work = mkdtempSync(join(tmpdir(), 'helio-serve-'));
    // Another program already listening on the port Helio is told to use.
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    port = (holder.address() as AddressInfo).port;
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => holder.close(() => resolve()));
    rmSync(work, { recursive: true, force: true });
  });

  it('stops with one line naming the port in use and the settings that change it, and a non-zero status', async () => {
    const run = await helio(work, ['serve', '--port', String(port), '--data-dir', join(work, 'data')]);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      `helio: PORT_IN_USE: port ${port} on 127.0.0.1 is already in use: stop the process using it, or choose another port ` +
        `with --port, HELIO_PORT (or PORT) or "port" in the config file (helio.yaml)\n`,
    );
    const json = await helio(work, ['serve', '--port', String(port), '--data-dir', join(work, 'data'), '--json']);
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stderr)).toEqual({
      error: { code: 'PORT_IN_USE', message: expect.stringContaining(`port ${port} on 127.0.0.1 is already in use`), details: [] },
    });
  }, 60_000);
});
