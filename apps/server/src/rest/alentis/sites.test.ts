import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachEngine as describeEach } from '../../test-engines.js';
import { registerSnapshot, twoTenantApp, type Requester, type TestApp, type TestTenant } from '../../testing.js';

type Json = Record<string, unknown>;

describeEach('Alentis sites', (engine) => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  let asA: Requester;
  let asB: Requester;
  beforeEach(async () => {
    ({ t, a, b, asA, asB } = await twoTenantApp(engine));
  });
  afterEach(() => t.close());

  it('creates a site in a portfolio and lists it by portfolioId', async () => {
    const p = await t.app.inject({
      method: 'POST',
      url: '/api/portfolios',
      headers: { 'x-api-key': a.keys.admin },
      payload: [{ name: 'North' }],
    });
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
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/sites',
      headers: { 'x-api-key': a.keys.admin },
      payload: { siteName: 'Mine' },
    });
    const id = created.json().id as string;
    const put = await t.app.inject({
      method: 'PUT',
      url: `/api/sites/${id}`,
      headers: { 'x-api-key': b.keys.owner },
      payload: { siteName: 'Stolen' },
    });
    expect(put.statusCode).toBe(404);
    expect(put.json()).toMatchObject({ statusCode: 404, error: 'Not Found', code: 'NOT_FOUND' });
    const list = await t.app.inject({ url: '/api/sites', headers: { 'x-api-key': b.keys.owner } });
    expect(list.json()).toEqual([]);
    const mine = await t.app.inject({ url: `/api/sites?siteId=${id}`, headers: { 'x-api-key': a.keys.viewer } });
    expect(mine.json()[0].siteName).toBe('Mine');
  });

  it('stores every property of the spec and finds the site unfiltered and by siteId', async () => {
    const props = {
      siteName: 'Solar Farm Beta',
      address: '1 Sun Road, Leeds',
      capacity: 2.5,
      unit: 'MW',
      latitude: 53.8,
      longitude: -1.55,
      siteManager: 'Ada Lovelace',
      coverImageUrl: 'https://example.com/beta.jpg',
      timezone: 'Europe/London',
    };
    const created = await asA('POST', '/api/sites', props);
    expect(created.statusCode).toBe(201);
    const site = created.json() as Json;
    expect(site).toEqual({
      ...props,
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      organisationId: a.organisationId,
      portfolioId: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      // What Helio adds for the Locus API, unset here but for the defaults.
      locusId: expect.any(Number),
      address1: null,
      address2: null,
      locale3: null,
      locale1: null,
      localeCode1: null,
      postalCode: null,
      countryCode: null,
      installInfo: {
        installer: null,
        installCrew: null,
        installDate: null,
        ptoDate: null,
        startupDate: null,
        uninstallCrew: null,
        uninstallDate: null,
      },
      modelSettings: {
        size: null,
        mismatch: 98,
        diodesAndConnections: 99,
        dcWiring: 98,
        soiling: 98,
        sunTracking: 100,
        nameplate: 99,
        acWiring: 99,
        transformer: 100,
        tmy3Id: null,
      },
      alertSettings: null,
    });
    const other = (await asA('POST', '/api/sites', { siteName: 'Other' })).json() as Json;
    expect((await asA('GET', '/api/sites')).json().map((s: Json) => s.id)).toEqual([site.id, other.id]);
    expect((await asA('GET', `/api/sites?siteId=${site.id as string}`)).json()).toEqual([site]);
  });

  it('moves a site between portfolios and takes it out with portfolioId null, changing nothing else', async () => {
    const [p1, p2] = (await asA('POST', '/api/portfolios', [{ name: 'P1' }, { name: 'P2' }])).json() as Json[];
    const site = (await asA('POST', '/api/sites', { siteName: 'Mover', capacity: 10, unit: 'kW', portfolioId: p1!.id })).json() as Json;
    const { updatedAt: _created, ...unchanged } = site;

    const moved = await asA('PUT', `/api/sites/${site.id as string}`, { portfolioId: p2!.id });
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({ ...unchanged, portfolioId: p2!.id });
    const grouped = (await asA('GET', '/api/portfolios/with-sites')).json() as { name: string; sites: Json[] }[];
    expect(grouped.map((p) => [p.name, p.sites.map((s) => s.id)])).toEqual([
      ['P1', []],
      ['P2', [site.id]],
    ]);
    expect((await asA('GET', `/api/sites?portfolioId=${p1!.id as string}`)).json()).toEqual([]);

    const removed = await asA('PUT', `/api/sites/${site.id as string}`, { portfolioId: null });
    expect(removed.statusCode).toBe(200);
    expect(removed.json()).toMatchObject({ ...unchanged, portfolioId: null });
    const after = (await asA('GET', '/api/portfolios/with-sites')).json() as { sites: Json[] }[];
    expect(after.map((p) => p.sites)).toEqual([[], []]);
    expect((await asA('GET', '/api/sites')).json()).toEqual([removed.json()]);
  });

  it('deletes a site: it leaves lists, lookups and its portfolio, and a second delete is not found', async () => {
    const [p] = (await asA('POST', '/api/portfolios', [{ name: 'P' }])).json() as Json[];
    const site = (await asA('POST', '/api/sites', { siteName: 'Doomed', portfolioId: p!.id })).json() as Json;
    const url = `/api/sites/${site.id as string}`;
    const deleted = await asA('DELETE', url);
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json()).toEqual({ id: site.id, deleted: true });
    expect((await asA('GET', '/api/sites')).json()).toEqual([]);
    expect((await asA('GET', `/api/sites?siteId=${site.id as string}`)).statusCode).toBe(404);
    expect(((await asA('GET', '/api/portfolios/with-sites')).json() as { sites: Json[] }[])[0]!.sites).toEqual([]);
    expect((await asA('PUT', url, { siteName: 'Back' })).statusCode).toBe(404);
    expect((await asA('DELETE', url)).json()).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
  });

  it('rejects bad input when creating a site with 400, a code and a message naming the problem, and writes nothing', async () => {
    const before = await registerSnapshot(t.db);
    const cases: [string, unknown, string, RegExp][] = [
      ['malformed JSON', '{"siteName": "x",', 'MALFORMED_REQUEST', /malformed request body.*JSON/i],
      ['an empty JSON body', '', 'MALFORMED_REQUEST', /malformed request body/i],
      ['an unknown field', { siteName: 'x', colour: 'red' }, 'VALIDATION_ERROR', /colour/],
      ['a wrong type', { siteName: 'x', capacity: '1000' }, 'VALIDATION_ERROR', /capacity/],
      ['a missing siteName', { capacity: 5, unit: 'kW' }, 'VALIDATION_ERROR', /siteName/],
      ['a blank siteName', { siteName: '   ' }, 'VALIDATION_ERROR', /siteName/],
      ['a malformed portfolioId', { siteName: 'x', portfolioId: 'portfolio-uuid-here' }, 'VALIDATION_ERROR', /portfolioId/],
      ['a malformed id', { id: '123', siteName: 'x' }, 'VALIDATION_ERROR', /^invalid input: id/],
      ['an invalid timezone', { siteName: 'x', timezone: 'Mars/Olympus_Mons' }, 'VALIDATION_ERROR', /timezone: must be an IANA time zone/],
      ['a latitude above 90', { siteName: 'x', latitude: 91 }, 'VALIDATION_ERROR', /latitude/],
      ['a longitude below -180', { siteName: 'x', longitude: -180.5 }, 'VALIDATION_ERROR', /longitude/],
      ['a negative capacity', { siteName: 'x', capacity: -1 }, 'VALIDATION_ERROR', /capacity/],
      ['an unknown unit', { siteName: 'x', unit: 'horsepower' }, 'VALIDATION_ERROR', /unit/],
      [
        'a script as cover image',
        { siteName: 'x', coverImageUrl: 'javascript:alert(1)' },
        'VALIDATION_ERROR',
        /coverImageUrl: must be an http or https URL/,
      ],
      ['an array instead of an object', [{ siteName: 'x' }], 'VALIDATION_ERROR', /expected object/],
    ];
    for (const [name, payload, code, message] of cases) {
      const res = await asA('POST', '/api/sites', payload);
      expect(res.statusCode, name).toBe(400);
      expect(res.json(), name).toMatchObject({ statusCode: 400, error: 'Bad Request', code });
      expect(res.json().message, name).toMatch(message);
    }
    const fieldError = (await asA('POST', '/api/sites', { siteName: 'x', latitude: 91 })).json();
    expect(fieldError.details).toEqual([expect.objectContaining({ path: 'latitude', message: expect.any(String) })]);
    expect(await registerSnapshot(t.db)).toEqual(before);
  });

  it('rejects bad updates and malformed ids with 400 and leaves the site as it was', async () => {
    const site = (await asA('POST', '/api/sites', { siteName: 'Steady', latitude: 10, timezone: 'Europe/Berlin' })).json() as Json;
    const url = `/api/sites/${site.id as string}`;
    const before = await registerSnapshot(t.db);
    const cases: [string, string, unknown, RegExp][] = [
      ['malformed JSON', url, '{"siteName": }', /malformed request body/i],
      ['an unknown field', url, { siteName: 'x', organisationId: b.organisationId }, /organisationId/],
      ['a null siteName', url, { siteName: null }, /siteName/],
      ['a wrong type', url, { capacity: true }, /capacity/],
      ['a latitude below -90', url, { latitude: -90.01 }, /latitude/],
      ['an invalid timezone', url, { timezone: 'Europe/Narnia' }, /timezone/],
      ['a null timezone', url, { timezone: null }, /timezone/],
      ['a malformed portfolioId', url, { portfolioId: 'nope' }, /portfolioId/],
      ['a malformed site id in the path', '/api/sites/not-a-uuid', { siteName: 'x' }, /id must be a UUID/],
    ];
    for (const [name, path, payload, message] of cases) {
      const res = await asA('PUT', path, payload);
      expect(res.statusCode, name).toBe(400);
      expect(res.json().message, name).toMatch(message);
    }
    const del = await asA('DELETE', '/api/sites/12345');
    expect(del.json()).toMatchObject({ statusCode: 400, code: 'VALIDATION_ERROR', message: 'id must be a UUID' });
    expect(await registerSnapshot(t.db)).toEqual(before);
  });

  it('rejects malformed ids and unknown parameters in the site list query with 400', async () => {
    const site = (await asA('POST', '/api/sites', { siteName: 'Listed' })).json() as Json;
    const cases: [string, RegExp][] = [
      ['siteId=abc', /siteId/],
      ['portfolioId=1', /portfolioId/],
      [`portfolio_id=${site.id as string}`, /portfolio_id/],
      [`siteId=${site.id as string}&siteId=${site.id as string}`, /siteId/],
    ];
    for (const [query, message] of cases) {
      const res = await asA('GET', `/api/sites?${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(res.json(), query).toMatchObject({ code: 'VALIDATION_ERROR', message: expect.stringMatching(message) });
    }
  });

  it("treats another organisation's sites and portfolios as not found in every path, query and body field", async () => {
    const [pB] = (await asB('POST', '/api/portfolios', [{ name: 'B secret portfolio' }])).json() as Json[];
    const sB = (await asB('POST', '/api/sites', { siteName: 'B secret site', portfolioId: pB!.id })).json() as Json;
    const sA = (await asA('POST', '/api/sites', { siteName: 'A site' })).json() as Json;
    const beforeB = await registerSnapshot(t.db, b.organisationId);

    const attempts: [string, () => ReturnType<Requester>][] = [
      ['siteId in the list query', () => asA('GET', `/api/sites?siteId=${sB.id as string}`)],
      ['portfolioId in the list query', () => asA('GET', `/api/sites?portfolioId=${pB!.id as string}`)],
      ['site id in the update path', () => asA('PUT', `/api/sites/${sB.id as string}`, { siteName: 'Stolen' })],
      ['site id in the delete path', () => asA('DELETE', `/api/sites/${sB.id as string}`)],
      ['portfolioId in a new site', () => asA('POST', '/api/sites', { siteName: 'Intruder', portfolioId: pB!.id })],
      ['portfolioId in an update', () => asA('PUT', `/api/sites/${sA.id as string}`, { portfolioId: pB!.id })],
      ['organisationId in a new site', () => asA('POST', '/api/sites', { siteName: 'Intruder', organisationId: b.organisationId })],
      [
        'the x-organisation-id header',
        () =>
          t.app.inject({
            method: 'POST',
            url: '/api/sites',
            headers: { 'x-api-key': a.keys.owner, 'x-organisation-id': b.organisationId },
            payload: { siteName: 'Intruder' },
          }),
      ],
    ];
    for (const [name, attempt] of attempts) {
      const res = await attempt();
      expect(res.statusCode, name).toBe(404);
      expect(res.json(), name).toMatchObject({ code: 'NOT_FOUND' });
      expect(res.body, name).not.toContain('B secret');
    }
    expect(await registerSnapshot(t.db, b.organisationId)).toEqual(beforeB);
    expect((await asA('GET', '/api/sites')).json()).toEqual([sA]);
  });

  it("refuses a client-chosen site id that is taken and leaves the other organisation's site alone", async () => {
    const sB = (await asB('POST', '/api/sites', { siteName: 'B site' })).json() as Json;
    const beforeB = await registerSnapshot(t.db, b.organisationId);
    const res = await asA('POST', '/api/sites', { id: sB.id, siteName: 'Hijack' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'CONFLICT' });
    expect(res.body).not.toContain('B site');
    expect(await registerSnapshot(t.db, b.organisationId)).toEqual(beforeB);
    expect((await asA('GET', '/api/sites')).json()).toEqual([]);
  });
});
