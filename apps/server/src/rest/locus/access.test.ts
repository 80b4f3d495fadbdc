// Who may call /v3 and how often: bearer tokens, other partners' ids on
// every route, requests in flight per credential, gzip.
import { gunzipSync } from 'node:zlib';
import type { Db } from '@helio/db';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../../test-engines.js';
import { createTestClient, postTokenForm, type InjectResponse } from '../../testing.js';
import { locusOperations } from './index.js';
import { clientCredentialsToken, createLocusWorld, type LocusPartner, type LocusWorld } from './testing.js';

type Json = Record<string, unknown>;

/**
 * The database, with the queries `matches` picks held back until released: a
 * slow query, so that a request stays in flight while the test sends another.
 * Only the first `count` matching queries wait; later ones pass.
 */
function holdQueries(db: Db, matches: (sql: string) => boolean, count: number) {
  let held = 0;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let reached: (() => void) | undefined;
  const allHeld = new Promise<void>((resolve) => (reached = resolve));
  const wrapped = new Proxy(db, {
    get(target, prop) {
      if (prop === 'query') {
        return async (sql: string, params?: readonly unknown[]) => {
          if (held < count && matches(sql)) {
            held += 1;
            if (held === count) reached?.();
            await released;
          }
          return target.query(sql, params);
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { db: wrapped, allHeld, release };
}

/** The site lookup of GET /v3/sites/{id}; authentication reads no site. */
const siteLookup = (sql: string) => /FROM sites s\b/.test(sql);

/** What a body of another partner's must never show. */
function leaks(body: string, other: LocusPartner): string[] {
  const secrets = ['Bravo', 'OB.', `"id":${other.ids.site}`, `"id":${other.ids.meter}`, other.tenant.organisationId];
  return secrets.filter((s) => body.includes(s));
}

describeEachEngine('Locus v3 access', (engine) => {
  let w: LocusWorld;
  beforeAll(async () => {
    w = await createLocusWorld(engine);
  });
  afterAll(() => w.t.close());

  /** Every documented /v3 operation as URLs for partner `p`: its path filled with p's ids and a query the call accepts. */
  function urlsFor(p: LocusPartner): string[] {
    const now = new Date();
    const yesterday = new Date(now.getTime() - 86_400_000).toISOString().slice(0, 19);
    const queries: Record<string, string> = {
      '/v3/partners/{partnerId}/components': 'nodeId=%25',
      '/v3/partners/{partnerId}/alerts': `tz=UTC&updatedSince=${yesterday}`,
      '/v3/sites/{siteId}/alerts': 'tz=UTC',
      '/v3/components/{componentId}/alerts': 'tz=UTC',
      '/v3/components/{componentId}/data': 'fields=Wh_sum&start=2024-01-01T00:00:00&end=2024-01-02T00:00:00&tz=UTC&gran=hourly',
      '/v3/sites/{siteId}/data': 'fields=Wh_sum&start=2024-01-01T00:00:00&end=2024-01-02T00:00:00&tz=UTC&gran=hourly',
      '/v3/partners/{partnerId}/sites/data': 'fields=Wh_sum&start=2024-01-01T00:00:00&end=2024-03-01T00:00:00&tz=UTC&gran=monthly',
    };
    return locusOperations.flatMap((op) => {
      const query = queries[op.path];
      const clients = op.path.includes('{clientId}') ? [p.ids.portfolio, p.ids.unassigned] : [0];
      return clients.map((clientId) => {
        const path = op.path
          .replace('{partnerId}', String(p.ids.partner))
          .replace('{clientId}', String(clientId))
          .replace('{siteId}', String(p.ids.site))
          .replace('{componentId}', String(p.ids.meter));
        return query ? `${path}?${query}` : path;
      });
    });
  }

  it('documents every endpoint of the spec, and these tests fill in every path', () => {
    const spec = [
      '/v3/partners/{partnerId}/clients',
      '/v3/partners/{partnerId}/sites',
      '/v3/partners/{partnerId}/components',
      '/v3/clients/{clientId}',
      '/v3/clients/{clientId}/sites',
      '/v3/clients/{clientId}/components',
      '/v3/sites/{siteId}',
      '/v3/sites/{siteId}/components',
      '/v3/sites/{siteId}/installinfo',
      '/v3/sites/{siteId}/modelsettings',
      '/v3/components/{componentId}',
      '/v3/components/{componentId}/dataavailable',
      '/v3/sites/{siteId}/dataavailable',
      '/v3/partners/{partnerId}/sites/dataavailable',
      '/v3/components/{componentId}/data',
      '/v3/sites/{siteId}/data',
      '/v3/partners/{partnerId}/sites/data',
      '/v3/partners/{partnerId}/alerts',
      '/v3/sites/{siteId}/alerts',
      '/v3/components/{componentId}/alerts',
    ];
    expect(locusOperations.map((op) => `${op.method} ${op.path}`).sort()).toEqual(spec.map((path) => `get ${path}`).sort());
    for (const url of urlsFor(w.b)) expect(url).not.toMatch(/[{}]/);
  });

  it("answers 404 and no data for another partner's ids on every route, which that partner itself reads", async () => {
    for (const url of urlsFor(w.b)) {
      const theirs = await w.get(url, w.b.token);
      expect(theirs.statusCode, `${url} as B: ${theirs.body}`).toBe(200);
      const mine = await w.get(url, w.a.token);
      expect(mine.statusCode, `${url} as A: ${mine.body}`).toBe(404);
      expect(mine.json(), url).toMatchObject({ statusCode: 404, code: 'NOT_FOUND', message: expect.any(String) });
      expect(Object.keys(mine.json()), url).toEqual(['statusCode', 'error', 'message', 'code', 'details']);
      expect(leaks(mine.body, w.b), url).toEqual([]);
    }
  });

  it("finds nothing of another partner through the query: its nodeId and notes match none of one's own components", async () => {
    const own = `/v3/partners/${w.a.ids.partner}/components`;
    for (const query of ['nodeId=OB.001EC1111DC9.1', 'nodeId=OB%25', 'notes=Bravo%25']) {
      const res = await w.get(`${own}?${query}`);
      expect(res.json(), query).toEqual({ statusCode: 200, components: [] });
    }
  });

  it('answers 401 with statusCode, a message and WWW-Authenticate without a token, with a wrong one and with a revoked one', async () => {
    const revoked = await clientCredentialsToken(w.t, w.a.client);
    const revoke = await w.t.app.inject({
      method: 'POST',
      url: '/oauth/revoke',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ token: revoked, client_id: w.a.client.clientId, client_secret: w.a.client.clientSecret }).toString(),
    });
    expect(revoke.statusCode).toBe(200);
    const attempts: [string, Record<string, string>][] = [
      ['no token', {}],
      ['a wrong token', { authorization: 'Bearer 41e818b29780637494d9026760d40b51' }],
      ['a malformed header', { authorization: 'Bearer' }],
      ['a revoked token', { authorization: `Bearer ${revoked}` }],
      ['a wrong API key', { 'x-api-key': 'hk_0000000000_nope' }],
    ];
    for (const url of urlsFor(w.a)) {
      for (const [name, headers] of attempts) {
        const res = await w.t.app.inject({ url, headers });
        expect(res.statusCode, `${url} with ${name}`).toBe(401);
        expect(res.json(), `${url} with ${name}`).toMatchObject({ statusCode: 401, code: 'UNAUTHORIZED', message: expect.any(String) });
        expect(res.headers['www-authenticate'], `${url} with ${name}`).toBe('Bearer realm="helio"');
      }
    }
  });

  it('answers a second request of one credential while the first is in flight with 429 Too many requests', async () => {
    const url = `/v3/sites/${w.a.ids.site}`;
    const original = w.t.services.db;
    const hold = holdQueries(original, siteLookup, 1);
    w.t.services.db = hold.db;
    let first: Promise<InjectResponse> | undefined;
    try {
      first = w.get(url);
      await hold.allHeld;
      const second = await w.get(url);
      expect(second.statusCode).toBe(429);
      expect(second.json()).toEqual({
        message: 'Too many requests',
        statusCode: 429,
        error: 'Too Many Requests',
        code: 'RATE_LIMITED',
        details: [],
      });
      // Another credential has a count of its own.
      expect((await w.get(`/v3/partners/${w.b.ids.partner}/clients`, w.b.token)).statusCode).toBe(200);
    } finally {
      hold.release();
      w.t.services.db = original;
    }
    const answered = await first!;
    expect(answered.statusCode).toBe(200);
    expect(answered.json()).toMatchObject({ statusCode: 200, id: w.a.ids.site });
    // The place is free again once the answer has gone.
    expect((await w.get(url)).statusCode).toBe(200);
  });

  it('counts every token of one client together, and lets a client with a higher limit run that many at once', async () => {
    const url = `/v3/sites/${w.a.ids.site}`;
    const wide = await createTestClient(w.t.services, {
      grants: ['client_credentials'],
      organisationId: w.a.tenant.organisationId,
      role: 'viewer',
      concurrencyLimit: 2,
    });
    const tokens = [
      await clientCredentialsToken(w.t, wide),
      await clientCredentialsToken(w.t, wide),
      await clientCredentialsToken(w.t, wide),
    ];
    const original = w.t.services.db;
    const hold = holdQueries(original, siteLookup, 2);
    w.t.services.db = hold.db;
    let inFlight: Promise<InjectResponse>[] = [];
    try {
      // Two requests, each with a token of its own, of one client.
      inFlight = [w.get(url, tokens[0]), w.get(url, tokens[1])];
      await hold.allHeld;
      const third = await w.get(url, tokens[2]);
      expect(third.statusCode).toBe(429);
      expect(third.json()).toMatchObject({ message: 'Too many requests', statusCode: 429 });
    } finally {
      hold.release();
      w.t.services.db = original;
    }
    expect((await Promise.all(inFlight)).map((r) => r.statusCode)).toEqual([200, 200]);
  });

  it('gives two users of one password client a count each', async () => {
    const url = (p: LocusPartner) => `/v3/sites/${p.ids.site}`;
    const client = await createTestClient(w.t.services, { grants: ['password'] });
    const token = async (p: LocusPartner) =>
      (
        await postTokenForm(w.t, {
          grant_type: 'password',
          client_id: client.clientId,
          client_secret: client.clientSecret,
          username: p.tenant.owner.email,
          password: p.tenant.owner.password,
        })
      ).json<{ access_token: string }>().access_token;
    const [ada, bob] = [await token(w.a), await token(w.b)];
    const original = w.t.services.db;
    const hold = holdQueries(original, siteLookup, 1);
    w.t.services.db = hold.db;
    let first: Promise<InjectResponse> | undefined;
    try {
      first = w.get(url(w.a), ada);
      await hold.allHeld;
      expect((await w.get(url(w.b), bob)).statusCode).toBe(200);
      expect((await w.get(url(w.a), ada)).statusCode).toBe(429);
    } finally {
      hold.release();
      w.t.services.db = original;
    }
    expect((await first!).statusCode).toBe(200);
  });

  it('compresses with gzip when asked, and the answer decompresses to the JSON', async () => {
    const url = `/v3/partners/${w.a.ids.partner}/components`;
    const plain = await w.get(url);
    expect(plain.headers['content-encoding']).toBeUndefined();
    const gzipped = await w.get(url, undefined, { 'accept-encoding': 'gzip' });
    expect(gzipped.statusCode).toBe(200);
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.rawPayload.length).toBeLessThan(plain.rawPayload.length);
    const body = JSON.parse(gunzipSync(gzipped.rawPayload).toString('utf8')) as Json;
    expect(body).toEqual(plain.json());
    expect((body.components as Json[]).length).toBe(7);
  });

  it('puts statusCode in every answer of every route', async () => {
    for (const url of urlsFor(w.a)) {
      const res = await w.get(url);
      expect(res.json<Json>().statusCode, url).toBe(res.statusCode);
    }
  });
});
