// Body limits: the imports take up to 32 MiB; a 50 MB body is refused 413
// without being read whole, whether it announces its length (refused from
// the header, before a byte of it is read) or streams it chunked (refused as
// soon as the limit is passed). Other routes keep the server-wide limit.
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../../test-engines.js';
import { IMPORT_BODY_LIMIT_BYTES } from './bodies.js';
import { communityTestApp, expectError, registrySnapshot, type CommunityTestApp } from './testing.js';

const FIFTY_MB = 50 * 1000 * 1000;

interface RawExchange {
  /** The status line and headers received. */
  head: string;
  /** Body bytes the client had written when the answer came. */
  sent: number;
}

/** Sends a request head over a socket, then body chunks (at most `total` bytes) until the server answers. */
function rawRequest(port: number, head: string, body: { total: number; chunked: boolean }): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let sent = 0;
    let answered = false;
    let received = '';
    const chunk = Buffer.alloc(256 * 1024, 0x20);
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // The server closes the connection once it has answered; writes after that fail.
      if (!answered || !['EPIPE', 'ECONNRESET'].includes(err.code ?? '')) reject(err);
    });
    socket.on('data', (data) => {
      received += data.toString('latin1');
      const end = received.indexOf('\r\n\r\n');
      if (end !== -1 && !answered) {
        answered = true;
        resolve({ head: received.slice(0, end), sent });
        socket.destroy();
      }
    });
    socket.on('connect', () => {
      socket.write(head);
      const pump = () => {
        while (!answered && sent < body.total) {
          const piece = chunk.subarray(0, Math.min(chunk.length, body.total - sent));
          sent += piece.length;
          const framed = body.chunked
            ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')])
            : piece;
          const ok = socket.write(framed);
          if (!ok) {
            socket.once('drain', pump);
            return;
          }
        }
      };
      if (body.total > 0) pump();
    });
  });
}

describeEachEngine('community registry API: body limits', (engine) => {
  let c: CommunityTestApp;
  let port: number;
  beforeAll(async () => {
    c = await communityTestApp(engine);
    await c.t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (c.t.app.server.address() as AddressInfo).port;
  });
  afterAll(() => c.t.close());

  const head = (path: string, headers: string) =>
    `POST ${path} HTTP/1.1\r\nHost: localhost\r\nx-api-key: ${c.a.keys.admin}\r\n${headers}\r\n`;

  it('refuses a 50 MB import body 413, on both imports, and writes nothing', async () => {
    const before = await registrySnapshot(c.t.services.db);
    const body = Buffer.alloc(FIFTY_MB, 0x20);
    expectError(await c.asA('POST', '/admin/import', body), 413, 'PAYLOAD_TOO_LARGE', /32 MiB/);
    expectError(
      await c.asA('POST', '/admin/import/yaml', body, { 'content-type': 'application/yaml' }),
      413,
      'PAYLOAD_TOO_LARGE',
      /32 MiB/,
    );
    expect(await registrySnapshot(c.t.services.db)).toEqual(before);
  });

  it('answers a 50 MB Content-Length 413 from the header alone, before a byte of the body is sent', async () => {
    for (const [path, type] of [
      ['/admin/import', 'application/json'],
      ['/admin/import/yaml', 'application/yaml'],
    ] as const) {
      const res = await rawRequest(port, head(path, `Content-Type: ${type}\r\nContent-Length: ${FIFTY_MB}\r\n`), {
        total: 0,
        chunked: false,
      });
      expect(res.head).toMatch(/^HTTP\/1\.1 413 /);
      expect(res.sent).toBe(0);
    }
  });

  it('stops reading a chunked 50 MB body once it passes 32 MiB, and answers 413', async () => {
    const res = await rawRequest(port, head('/admin/import/yaml', 'Content-Type: application/yaml\r\nTransfer-Encoding: chunked\r\n'), {
      total: FIFTY_MB,
      chunked: true,
    });
    expect(res.head).toMatch(/^HTTP\/1\.1 413 /);
    // What the socket buffers held besides: far less than the rest of the 50 MB.
    expect(res.sent).toBeGreaterThan(IMPORT_BODY_LIMIT_BYTES);
    expect(res.sent).toBeLessThan(FIFTY_MB - 8 * 1024 * 1024);
  });

  it('imports a body above the server-wide limit, and keeps that limit for the batch lookup', async () => {
    const limit = c.t.services.config.bodyLimitBytes;
    // A valid bundle padded past the server-wide limit with whitespace: accepted (dry run).
    const bundle = JSON.stringify({ bundle: { community: { id: 'big', name: 'Big', areas: { main: { name: 'Main' } } } }, dry_run: true });
    const padded = `${bundle}${' '.repeat(limit + 1)}`;
    const res = await c.asA('POST', '/admin/import', padded);
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    const lookup = await c.asA('POST', '/admin/lookup/assets-by-sensor-ids', `{"sensor_ids": []}${' '.repeat(limit)}`);
    expectError(lookup, 413, 'PAYLOAD_TOO_LARGE');
  });
});
