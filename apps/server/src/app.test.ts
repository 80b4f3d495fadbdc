import { connect, type AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { createTenant, createTestApp, type TestApp } from './testing.js';

describe('HTTP behaviour shared by every API', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('compresses responses with gzip when the client asks, and not otherwise', async () => {
    t = await createTestApp('pglite');
    const a = await createTenant(t.services);
    for (let i = 0; i < 20; i++) {
      await t.app.inject({
        method: 'POST',
        url: '/api/sites',
        headers: { 'x-api-key': a.keys.admin },
        payload: { siteName: `Site ${i}`, address: 'A long enough address to make the body worth compressing' },
      });
    }
    const gz = await t.app.inject({ url: '/api/sites', headers: { 'x-api-key': a.keys.viewer, 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    const sites = JSON.parse(gunzipSync(gz.rawPayload).toString('utf8')) as unknown[];
    expect(sites).toHaveLength(20);
    const plain = await t.app.inject({ url: '/api/sites', headers: { 'x-api-key': a.keys.viewer } });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.json()).toHaveLength(20);
  });

  it('answers 429 with Retry-After once a key exceeds its rate, without slowing other keys', async () => {
    t = await createTestApp('pglite', { config: { rateLimitPerMinute: 3 } });
    const a = await createTenant(t.services);
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) {
      codes.push((await t.app.inject({ url: '/api/sites', headers: { 'x-api-key': a.keys.viewer } })).statusCode);
    }
    expect(codes).toEqual([200, 200, 200, 429]);
    const limited = await t.app.inject({ url: '/api/sites', headers: { 'x-api-key': a.keys.viewer } });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toMatchObject({ statusCode: 429, error: 'Too Many Requests', code: 'RATE_LIMITED' });
    const other = await t.app.inject({ url: '/api/sites', headers: { 'x-api-key': a.keys.admin } });
    expect(other.statusCode).toBe(200);
  });

  it('refuses a body over the limit with 413 and writes nothing', async () => {
    t = await createTestApp('pglite', { config: { bodyLimitBytes: 2048 } });
    const a = await createTenant(t.services);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/sites',
      headers: { 'x-api-key': a.keys.admin, 'content-type': 'application/json' },
      payload: JSON.stringify({ siteName: 'Big', address: 'x'.repeat(4096) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect((await t.app.inject({ url: '/api/sites', headers: { 'x-api-key': a.keys.viewer } })).json()).toEqual([]);
  });

  it('answers unknown routes with the standard error body', async () => {
    t = await createTestApp('pglite');
    const res = await t.app.inject({ url: '/api/nothing-here' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'no route for GET /api/nothing-here',
      code: 'NOT_FOUND',
      details: [],
    });
  });

  it('answers a request whose header holds a control character with the standard error body and a 400', async () => {
    t = await createTestApp('pglite');
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = t.app.server.address() as AddressInfo;
    // Node's HTTP parser refuses it before any route runs; a client library would refuse to send it at all.
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write('GET /api/sites HTTP/1.1\r\nHost: localhost\r\nX-Api-Key: hk_\u0001abc\r\n\r\n');
      });
      let received = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
      socket.on('error', reject).on('close', () => resolve(received));
    });
    const [head = '', body = ''] = raw.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(head.toLowerCase()).toContain('content-type: application/json');
    expect(JSON.parse(body)).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'malformed HTTP request: invalid header value char',
      code: 'MALFORMED_REQUEST',
      details: [],
    });
  });

  it('writes structured logs that contain no credentials or tokens', async () => {
    t = await createTestApp('pglite');
    const a = await createTenant(t.services);
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
    const app = await buildApp(t.services, { logger: true, logStream: stream });
    try {
      await app.inject({ url: '/api/sites', headers: { 'x-api-key': a.keys.viewer } });
      await app.inject({ url: '/api/sites?token=secret-in-query', headers: { authorization: `Bearer ${a.keys.admin}` } });
      await app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `grant_type=password&client_id=x&client_secret=y&username=${a.owner.email}&password=${encodeURIComponent(a.owner.password)}`,
      });
    } finally {
      await app.close();
    }
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    const all = lines.join('\n');
    expect(all).toContain('"url":"/api/sites"');
    for (const secret of [a.keys.viewer, a.keys.admin, 'secret-in-query', a.owner.password]) expect(all).not.toContain(secret);
  });

  it('reports health and version', async () => {
    t = await createTestApp('pglite');
    expect((await t.app.inject({ url: '/health' })).json()).toEqual({ status: 'ok' });
    expect((await t.app.inject({ url: '/version' })).json()).toMatchObject({
      name: 'helio',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
    });
  });
});
