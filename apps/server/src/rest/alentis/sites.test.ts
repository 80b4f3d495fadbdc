import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachEngine as describeEach } from '../../test-engines.js';
import { createTenant, createTestApp, type TestApp, type TestTenant } from '../../testing.js';

describeEach('Alentis sites', (engine) => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  beforeEach(async () => {
    t = await createTestApp(engine);
    a = await createTenant(t.services);
    b = await createTenant(t.services);
  });
  afterEach(() => t.close());

  it('creates a site in a portfolio and lists it by portfolioId', async () => {
    const p = await t.app.inject({ method: 'POST', url: '/api/portfolios', headers: { 'x-api-key': a.keys.admin }, payload: [{ name: 'North' }] });
    expect(p.statusCode).toBe(201);
    const portfolioId = p.json()[0].id as string;
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/sites',
      headers: { 'x-api-key': a.keys.technician },
      payload: { siteName: 'Solar Farm Alpha', capacity: 1000, unit: 'kW', portfolioId },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ siteName: 'Solar Farm Alpha', capacity: 1000, unit: 'kW', portfolioId, timezone: 'UTC' });
    const listed = await t.app.inject({ url: `/api/sites?portfolioId=${portfolioId}`, headers: { 'x-api-key': a.keys.viewer } });
    expect(listed.json().map((s: { siteName: string }) => s.siteName)).toEqual(['Solar Farm Alpha']);
  });

  it("returns not found for another organisation's site and leaves it unchanged", async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/sites', headers: { 'x-api-key': a.keys.admin }, payload: { siteName: 'Mine' } });
    const id = created.json().id as string;
    const put = await t.app.inject({ method: 'PUT', url: `/api/sites/${id}`, headers: { 'x-api-key': b.keys.owner }, payload: { siteName: 'Stolen' } });
    expect(put.statusCode).toBe(404);
    expect(put.json()).toMatchObject({ statusCode: 404, error: 'Not Found', code: 'NOT_FOUND' });
    const list = await t.app.inject({ url: '/api/sites', headers: { 'x-api-key': b.keys.owner } });
    expect(list.json()).toEqual([]);
    const mine = await t.app.inject({ url: `/api/sites?siteId=${id}`, headers: { 'x-api-key': a.keys.viewer } });
    expect(mine.json()[0].siteName).toBe('Mine');
  });
});
