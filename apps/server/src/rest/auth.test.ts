import { apiKeys, systemPrincipal } from '@helio/core';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { serviceContext } from '../services.js';
import { describeEachEngine } from '../test-engines.js';
import {
  createTenant,
  createTestApp,
  createTestClient,
  postTokenForm,
  registerSnapshot,
  requester,
  type InjectResponse,
  type Requester,
  type TestApp,
  type TestTenant,
} from '../testing.js';

type Method = Parameters<Requester>[0];
interface Endpoint {
  method: Method;
  url: string;
  payload?: unknown;
}

/**
 * Every Alentis endpoint, ordered so that each succeeds after the ones before
 * it for a caller allowed to write: the site and portfolio are removed last.
 */
function alentisEndpoints(siteId: string, portfolioId: string): Endpoint[] {
  return [
    { method: 'GET', url: '/api/sites' },
    { method: 'POST', url: '/api/sites', payload: { siteName: 'New site' } },
    { method: 'PUT', url: `/api/sites/${siteId}`, payload: { siteName: 'Renamed site' } },
    { method: 'GET', url: '/api/portfolios' },
    { method: 'GET', url: '/api/portfolios/with-sites' },
    { method: 'POST', url: '/api/portfolios', payload: [{ name: 'New portfolio' }] },
    { method: 'PUT', url: `/api/portfolios/${portfolioId}`, payload: { name: 'Renamed portfolio' } },
    { method: 'POST', url: `/api/portfolios/${portfolioId}/sites`, payload: { siteIds: [siteId] } },
    { method: 'DELETE', url: `/api/portfolios/${portfolioId}/sites`, payload: { siteId } },
    { method: 'DELETE', url: `/api/sites/${siteId}` },
    { method: 'DELETE', url: `/api/portfolios/${portfolioId}` },
  ];
}

const label = (e: Endpoint) => `${e.method} ${e.url}`;

describeEachEngine('Alentis authentication and roles', (engine) => {
  let t: TestApp;
  let a: TestTenant;
  let endpoints: Endpoint[];
  beforeEach(async () => {
    t = await createTestApp(engine);
    a = await createTenant(t.services);
    const asOwner = requester(t, a.keys.owner);
    const portfolioId = ((await asOwner('POST', '/api/portfolios', [{ name: 'P' }])).json() as { id: string }[])[0]!.id;
    const siteId = (await asOwner('POST', '/api/sites', { siteName: 'S' })).json().id as string;
    endpoints = alentisEndpoints(siteId, portfolioId);
  });
  afterEach(() => t.close());

  async function revoke(key: string): Promise<void> {
    const system = serviceContext(t.services, systemPrincipal);
    const listed = await apiKeys.listApiKeys(system, { organisationId: a.organisationId });
    const row = listed.find((k) => key.startsWith(`${k.prefix}_`));
    await apiKeys.revokeApiKey(system, row!.id);
  }

  it('refuses a missing, wrong, malformed or revoked credential with 401 on every endpoint and writes nothing', async () => {
    await revoke(a.keys.admin);
    const owner = a.keys.owner;
    const wrongSecret = `${owner.slice(0, -1)}${owner.endsWith('A') ? 'B' : 'A'}`;
    const credentials: [string, Record<string, string>][] = [
      ['no credential', {}],
      ['an empty x-api-key', { 'x-api-key': '' }],
      ['a wrong secret', { 'x-api-key': wrongSecret }],
      ['an unknown key', { 'x-api-key': `hk_0123456789_${'x'.repeat(43)}` }],
      ['a malformed key', { 'x-api-key': 'hk_123' }],
      ['a random string', { 'x-api-key': 'your-key' }],
      ['a revoked key', { 'x-api-key': a.keys.admin }],
      ['an unknown bearer token', { authorization: 'Bearer 41e818b29780637494d9026760d40b51' }],
      ['a revoked key as bearer', { authorization: `Bearer ${a.keys.admin}` }],
      ['basic credentials', { authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` }],
    ];
    const before = await registerSnapshot(t.db);
    for (const [name, headers] of credentials) {
      for (const e of endpoints) {
        const res = await t.app.inject({ method: e.method, url: e.url, headers, ...(e.payload ? { payload: e.payload as object } : {}) });
        expect(res.statusCode, `${name}: ${label(e)}`).toBe(401);
        expect(res.json(), `${name}: ${label(e)}`).toMatchObject({ statusCode: 401, error: 'Unauthorized', code: 'UNAUTHORIZED' });
      }
    }
    expect(await registerSnapshot(t.db)).toEqual(before);
  });

  it('says an x-api-key that is not a valid key is an invalid API key, and an unknown bearer token an invalid access token', async () => {
    const answers = [
      await t.app.inject({ url: '/api/sites', headers: { 'x-api-key': 'nope' } }),
      await t.app.inject({ url: '/api/sites', headers: { 'x-api-key': 'hk_nope' } }),
      await t.app.inject({ url: '/trpc/sites.list', headers: { 'x-api-key': 'nope' } }),
    ];
    expect(answers.map((r) => r.statusCode)).toEqual([401, 401, 401]);
    expect(answers[0]!.json()).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'invalid API key',
      code: 'UNAUTHORIZED',
      details: [],
    });
    expect(answers[1]!.json()).toEqual(answers[0]!.json());
    expect(answers[2]!.json().error).toMatchObject({ message: 'invalid API key', data: { helioCode: 'UNAUTHORIZED' } });
    const bearer = await t.app.inject({ url: '/api/sites', headers: { authorization: 'Bearer nope' } });
    expect(bearer.json()).toMatchObject({ statusCode: 401, message: 'invalid access token', code: 'UNAUTHORIZED' });
  });

  it('refuses a revoked key from the very next request, and only that key', async () => {
    const asAdmin = requester(t, a.keys.admin);
    expect((await asAdmin('GET', '/api/sites')).statusCode).toBe(200);
    await revoke(a.keys.admin);
    const refused = await asAdmin('GET', '/api/sites');
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringMatching(/revoked/) });
    expect((await asAdmin('POST', '/api/sites', { siteName: 'After revocation' })).statusCode).toBe(401);
    expect((await requester(t, a.keys.owner)('GET', '/api/sites')).statusCode).toBe(200);
  });

  it('accepts an OAuth access token on every endpoint, just as an API key', async () => {
    const client = await createTestClient(t.services, { grants: ['password'] });
    const token = await postTokenForm(t, {
      grant_type: 'password',
      client_id: client.clientId,
      client_secret: client.clientSecret,
      username: a.owner.email,
      password: a.owner.password,
    });
    const asBearer = requester(t, token.json().access_token as string, 'bearer');
    for (const e of endpoints) {
      const res = await asBearer(e.method, e.url, e.payload);
      expect([200, 201], `${label(e)}: ${res.body}`).toContain(res.statusCode);
    }
    expect((await requester(t, a.keys.viewer, 'bearer')('GET', '/api/portfolios')).statusCode).toBe(200);
  });

  it('refuses every write by a viewer with 403 and writes nothing, while the viewer still reads', async () => {
    const asViewer = requester(t, a.keys.viewer);
    const before = await registerSnapshot(t.db);
    const answers: [string, InjectResponse][] = [];
    for (const e of endpoints) answers.push([label(e), await asViewer(e.method, e.url, e.payload)]);
    for (const [name, res] of answers) {
      if (name.startsWith('GET')) {
        expect(res.statusCode, name).toBe(200);
      } else {
        expect(res.statusCode, name).toBe(403);
        expect(res.json(), name).toMatchObject({
          statusCode: 403,
          error: 'Forbidden',
          code: 'FORBIDDEN',
          message: expect.stringMatching(/viewer/),
        });
      }
    }
    expect(answers.filter(([name]) => !name.startsWith('GET'))).toHaveLength(8);
    expect(await registerSnapshot(t.db)).toEqual(before);
  });
});
