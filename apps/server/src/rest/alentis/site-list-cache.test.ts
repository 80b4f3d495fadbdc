import { gunzipSync } from 'node:zlib';
import { apiKeys, portfolios, sites, systemPrincipal } from '@helio/core';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { buildApp } from '../../app.js';
import { serviceContext } from '../../services.js';
import { describeEachEngine } from '../../test-engines.js';
import { requester, twoTenantApp, type Requester, type TestApp, type TestTenant } from '../../testing.js';

const names = (res: { json(): unknown }) => (res.json() as { siteName: string }[]).map((s) => s.siteName);

// GET /api/sites answers from a cache of serialised lists; these tests show it
// never answers what the database no longer says, whoever changed it.
describeEachEngine('GET /api/sites cache', (engine) => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  let asA: Requester;
  let asB: Requester;
  /** A second server instance on the same database, with caches of its own. */
  let other: FastifyInstance;
  let otherAsA: Requester;

  beforeEach(async () => {
    ({ t, a, b, asA, asB } = await twoTenantApp(engine));
    other = await buildApp({ ...t.services });
    await other.ready();
    otherAsA = requester({ ...t, app: other }, a.keys.admin);
  });
  afterEach(async () => {
    await other.close();
    await t.close();
  });

  it('lists a site created through another server instance on the next request', async () => {
    await asA('POST', '/api/sites', { siteName: 'First' });
    expect(names(await otherAsA('GET', '/api/sites'))).toEqual(['First']);
    await asA('POST', '/api/sites', { siteName: 'Second' });
    expect(names(await otherAsA('GET', '/api/sites'))).toEqual(['First', 'Second']);
  });

  it('shows updates, deletions and portfolio changes made elsewhere on the next request', async () => {
    const id = (await otherAsA('POST', '/api/sites', { siteName: 'Old name' })).json().id as string;
    expect(names(await asA('GET', '/api/sites'))).toEqual(['Old name']);

    await otherAsA('PUT', `/api/sites/${id}`, { siteName: 'New name' });
    expect(names(await asA('GET', '/api/sites'))).toEqual(['New name']);

    // Written through core directly, as the CLI does: no server is told.
    const system = serviceContext(t.services, systemPrincipal);
    const [portfolio] = await portfolios.createPortfolios(system, [{ name: 'North', organisationId: a.organisationId }]);
    await portfolios.addSitesToPortfolio(system, portfolio!.id, { siteIds: [id] });
    expect((await asA('GET', '/api/sites')).json()[0].portfolioId).toBe(portfolio!.id);
    await portfolios.deletePortfolio(system, portfolio!.id);
    expect((await asA('GET', '/api/sites')).json()[0].portfolioId).toBeNull();

    await sites.deleteSite(system, id);
    expect((await asA('GET', '/api/sites')).json()).toEqual([]);
  });

  it("never answers one organisation's request with another's cached list", async () => {
    await asA('POST', '/api/sites', { siteName: 'A site' });
    await asB('POST', '/api/sites', { siteName: 'B site' });
    for (let i = 0; i < 2; i++) {
      expect(names(await asA('GET', '/api/sites'))).toEqual(['A site']);
      expect(names(await asB('GET', '/api/sites'))).toEqual(['B site']);
    }
  });

  it('keeps each filter apart and refuses a bad filter every time', async () => {
    const kept = (await asA('POST', '/api/sites', { siteName: 'Kept' })).json().id as string;
    await asA('POST', '/api/sites', { siteName: 'Other' });
    expect(names(await asA('GET', '/api/sites'))).toEqual(['Kept', 'Other']);
    expect(names(await asA('GET', `/api/sites?siteId=${kept}`))).toEqual(['Kept']);
    expect(names(await asA('GET', '/api/sites'))).toEqual(['Kept', 'Other']);
    for (let i = 0; i < 2; i++) expect((await asA('GET', '/api/sites?siteId=nope')).statusCode).toBe(400);
  });

  it('refuses a revoked key on the next request, though its list was cached', async () => {
    await asA('POST', '/api/sites', { siteName: 'Secret' });
    const viewer = requester(t, a.keys.viewer);
    expect((await viewer('GET', '/api/sites')).statusCode).toBe(200);

    const system = serviceContext(t.services, systemPrincipal);
    const [key] = (await apiKeys.listApiKeys(system, { organisationId: a.organisationId })).filter((k) => k.role === 'viewer');
    await apiKeys.revokeApiKey(system, key!.id);

    const refused = await viewer('GET', '/api/sites');
    expect(refused.statusCode).toBe(401);
    expect(refused.body).not.toContain('Secret');
    expect((await requester({ ...t, app: other }, a.keys.viewer)('GET', '/api/sites')).statusCode).toBe(401);
  });

  it('answers concurrent requests with their own credentials, revoked or not', async () => {
    await asA('POST', '/api/sites', { siteName: 'A site' });
    await asB('POST', '/api/sites', { siteName: 'B site' });
    const system = serviceContext(t.services, systemPrincipal);
    const [viewerKey] = (await apiKeys.listApiKeys(system, { organisationId: b.organisationId })).filter((k) => k.role === 'viewer');
    await apiKeys.revokeApiKey(system, viewerKey!.id);

    const [ofA, ofB, revoked, wrong] = await Promise.all([
      asA('GET', '/api/sites'),
      asB('GET', '/api/sites'),
      requester(t, b.keys.viewer)('GET', '/api/sites'),
      requester(t, `${a.keys.admin.slice(0, -4)}AAAA`)('GET', '/api/sites'),
    ]);
    expect(names(ofA)).toEqual(['A site']);
    expect(names(ofB)).toEqual(['B site']);
    expect([revoked.statusCode, revoked.json().message]).toEqual([401, 'this API key has been revoked']);
    expect(wrong.statusCode).toBe(401);
  });

  it('sends the list as gzip when asked, and the same JSON as without', async () => {
    for (let i = 0; i < 30; i++) await asA('POST', '/api/sites', { siteName: `Site ${i}` });
    const plain = await asA('GET', '/api/sites');
    const zipped = await t.app.inject({ url: '/api/sites', headers: { 'x-api-key': a.keys.admin, 'accept-encoding': 'gzip' } });
    expect(plain.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(zipped.rawPayload).toString('utf8')).toBe(plain.body);
  });
});
