// The Locus metadata through Helio's own REST API: the site's Locus fields,
// installInfo and modelSettings on PUT /api/sites/{id}, the expected monthly
// table at /api/sites/{id}/expected, and the portfolio's client fields. One
// app per engine for the file; each test makes its own sites.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine as describeEach } from '../../test-engines.js';
import { registerSnapshot, twoTenantApp, type Requester, type TestApp } from '../../testing.js';

type Json = Record<string, unknown>;

const fullYear = () => Array.from({ length: 12 }, (_, i) => ({ month: i + 1, Wh_e: 500_000 + 10_000 * i, GHIh_t: 40_000 + 1000 * i }));

describeEach('Alentis site metadata', (engine) => {
  let t: TestApp;
  let asA: Requester;
  let asB: Requester;
  let viewerA: Requester;
  beforeAll(async () => {
    let a;
    ({ t, a, asA, asB } = await twoTenantApp(engine));
    viewerA = (method, url, payload) =>
      t.app.inject({
        method,
        url,
        headers: { 'x-api-key': a.keys.viewer },
        ...(payload === undefined ? {} : { payload: payload as object }),
      });
  });
  afterAll(() => t.close());

  const newSite = async (body: Json = {}) => {
    const res = await asA('POST', '/api/sites', { siteName: 'Metadata', ...body });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as Json;
  };

  it('takes the Locus site fields, installInfo and modelSettings on PUT, partially, and answers them grouped', async () => {
    const site = await newSite({ capacity: 5, unit: 'kW' });
    const url = `/api/sites/${site.id as string}`;
    const first = await asA('PUT', url, {
      address1: '657 Mission St',
      address2: '',
      locale3: 'San Francisco',
      locale1: 'California',
      localeCode1: 'CA',
      postalCode: '94105',
      countryCode: 'US',
      latitude: 37.787,
      longitude: -122.4,
      locationTimezone: 'America/Los_Angeles',
      installInfo: { installer: 'ABC Solar', installDate: '2014-05-08', ptoDate: '2014-05-14', startupDate: '2014-05-14' },
      modelSettings: { size: 1023.4, soiling: 95, nameplate: 100, tmy3Id: 724095 },
    });
    expect(first.statusCode, first.body).toBe(200);
    const installInfo = {
      installer: 'ABC Solar',
      installCrew: null,
      installDate: '2014-05-08',
      ptoDate: '2014-05-14',
      startupDate: '2014-05-14',
      uninstallCrew: null,
      uninstallDate: null,
    };
    const modelSettings = {
      size: 1023.4,
      mismatch: 98,
      diodesAndConnections: 99,
      dcWiring: 98,
      soiling: 95,
      sunTracking: 100,
      nameplate: 100,
      acWiring: 99,
      transformer: 100,
      tmy3Id: 724095,
    };
    expect(first.json()).toMatchObject({
      id: site.id,
      locusId: site.locusId,
      siteName: 'Metadata',
      capacity: 5,
      unit: 'kW',
      timezone: 'America/Los_Angeles',
      address1: '657 Mission St',
      countryCode: 'US',
      latitude: 37.787,
      installInfo,
      modelSettings,
    });
    // Grouped, not also flat; the expected table has its own path.
    for (const flat of ['installer', 'installDate', 'sizeKw', 'soiling', 'tmy3Id', 'expectedMonthly', 'clientLocusId', 'locationTimezone'])
      expect(first.json(), flat).not.toHaveProperty(flat);

    // Absent attributes stay; null clears where it can.
    const second = await asA('PUT', url, {
      installInfo: { installer: null, uninstallDate: '2024-02-29' },
      modelSettings: { size: null, mismatch: 97 },
      timezone: 'Europe/Berlin',
    });
    expect(second.statusCode, second.body).toBe(200);
    expect(second.json()).toMatchObject({
      timezone: 'Europe/Berlin',
      address1: '657 Mission St',
      installInfo: { ...installInfo, installer: null, uninstallDate: '2024-02-29' },
      modelSettings: { ...modelSettings, size: null, mismatch: 97 },
    });
    // Every read answers the same shape.
    expect((await viewerA('GET', `/api/sites?siteId=${site.id as string}`)).json()).toEqual([second.json()]);
  });

  it('creates a site with its Locus fields and grouped settings in one POST', async () => {
    const site = await newSite({
      locationTimezone: 'asia/tokyo',
      countryCode: 'in',
      installInfo: { installCrew: 'North crew' },
      modelSettings: { size: 12.5 },
      alertSettings: { systemDisconnect: { afterMinutes: 30 } },
    });
    expect(site).toMatchObject({
      timezone: 'Asia/Tokyo',
      countryCode: 'IN',
      installInfo: { installCrew: 'North crew', installer: null },
      modelSettings: { size: 12.5, mismatch: 98 },
      alertSettings: { systemDisconnect: { afterMinutes: 30 } },
    });
    expect(site.locusId).toEqual(expect.any(Number));
  });

  it('refuses bad metadata with 400 VALIDATION_ERROR naming the path, and writes nothing', async () => {
    const site = await newSite();
    const url = `/api/sites/${site.id as string}`;
    const before = await registerSnapshot(t.db);
    const cases: [string, unknown, string][] = [
      ['a date that does not exist', { installInfo: { installDate: '2023-02-29' } }, 'installInfo.installDate'],
      ['a date in another format', { installInfo: { ptoDate: '05/14/2014' } }, 'installInfo.ptoDate'],
      ['a percentage above 110', { modelSettings: { soiling: 111 } }, 'modelSettings.soiling'],
      ['a fractional percentage', { modelSettings: { mismatch: 97.5 } }, 'modelSettings.mismatch'],
      ['a cleared percentage', { modelSettings: { dcWiring: null } }, 'modelSettings.dcWiring'],
      ['a negative size', { modelSettings: { size: -2 } }, 'modelSettings.size'],
      ['an unknown model setting', { modelSettings: { inverterEfficiency: 96 } }, 'modelSettings'],
      ['the flat name of a grouped field', { installer: 'ABC' }, ''],
      ['the flat name of the size', { sizeKw: 5 }, ''],
      ['both zone names', { timezone: 'UTC', locationTimezone: 'Europe/Berlin' }, 'locationTimezone'],
      ['an unknown zone', { locationTimezone: 'Europe/Atlantis' }, 'locationTimezone'],
      ['a country code of digits', { countryCode: '12' }, 'countryCode'],
      ['a threshold above 1', { alertSettings: { performanceIndex: { threshold: 2 } } }, 'alertSettings.performanceIndex.threshold'],
      ['the Locus id', { locusId: 7 }, ''],
    ];
    for (const [name, payload, path] of cases) {
      const res = await asA('PUT', url, payload);
      expect(res.statusCode, name).toBe(400);
      expect(res.json(), name).toMatchObject({
        code: 'VALIDATION_ERROR',
        details: expect.arrayContaining([expect.objectContaining({ path })]),
      });
    }
    const created = await asA('POST', '/api/sites', { siteName: 'Bad', installInfo: { startupDate: '2024-04-31' } });
    expect(created.json()).toMatchObject({
      code: 'VALIDATION_ERROR',
      details: [expect.objectContaining({ path: 'installInfo.startupDate' })],
    });
    expect(await registerSnapshot(t.db)).toEqual(before);
  });

  it('stores the expected monthly table at PUT /api/sites/{id}/expected and answers it sorted, at GET too', async () => {
    const site = await newSite();
    const url = `/api/sites/${site.id as string}/expected`;
    expect((await viewerA('GET', url)).json()).toEqual({ monthly: null });

    const year = fullYear();
    const shuffled = [...year.slice(5), ...year.slice(0, 5)].map((m) => (m.month === 2 ? { month: 2, Wh_e: 0 } : m));
    const put = await asA('PUT', url, { monthly: shuffled });
    expect(put.statusCode, put.body).toBe(200);
    const stored = year.map((m) => (m.month === 2 ? { month: 2, Wh_e: 0, GHIh_t: null } : m));
    expect(put.json()).toEqual({ monthly: stored });
    expect((await viewerA('GET', url)).json()).toEqual({ monthly: stored });
    const { rows } = await t.db.query<{ expected_monthly: unknown }>('SELECT expected_monthly FROM sites WHERE id = $1', [site.id]);
    expect(rows[0]!.expected_monthly).toEqual(stored);

    // A viewer may read it but not write it; another organisation does not see the site at all.
    expect((await viewerA('PUT', url, { monthly: year })).statusCode).toBe(403);
    expect((await asB('GET', url)).statusCode).toBe(404);
    expect((await asB('PUT', url, { monthly: year })).statusCode).toBe(404);

    const cleared = await asA('PUT', url, { monthly: null });
    expect(cleared.json()).toEqual({ monthly: null });
    expect((await viewerA('GET', url)).json()).toEqual({ monthly: null });
  });

  it('refuses a bad expected table with 400 VALIDATION_ERROR naming the path, and keeps the stored one', async () => {
    const site = await newSite();
    const url = `/api/sites/${site.id as string}/expected`;
    expect((await asA('PUT', url, { monthly: fullYear() })).statusCode).toBe(200);
    const before = await registerSnapshot(t.db);
    const year = fullYear();
    const cases: [string, unknown, string][] = [
      ['a month 0', { monthly: year.map((m, i) => (i === 0 ? { ...m, month: 0 } : m)) }, 'monthly[0].month'],
      ['a month 13', { monthly: year.map((m, i) => (i === 11 ? { ...m, month: 13 } : m)) }, 'monthly[11].month'],
      ['a fractional month', { monthly: year.map((m, i) => (i === 3 ? { ...m, month: 3.5 } : m)) }, 'monthly[3].month'],
      ['a duplicate month', { monthly: year.map((m, i) => (i === 7 ? { ...m, month: 3 } : m)) }, 'monthly[7].month'],
      ['a missing month', { monthly: year.slice(0, 11) }, 'monthly'],
      ['thirteen rows', { monthly: [...year, { month: 1, Wh_e: 1, GHIh_t: null }] }, 'monthly'],
      ['a negative Wh_e', { monthly: year.map((m, i) => (i === 4 ? { ...m, Wh_e: -1 } : m)) }, 'monthly[4].Wh_e'],
      ['a negative GHIh_t', { monthly: year.map((m, i) => (i === 5 ? { ...m, GHIh_t: -0.5 } : m)) }, 'monthly[5].GHIh_t'],
      ['a string for Wh_e', { monthly: year.map((m, i) => (i === 6 ? { ...m, Wh_e: '612000' } : m)) }, 'monthly[6].Wh_e'],
      ['a missing Wh_e', { monthly: year.map((m, i) => (i === 8 ? { month: m.month } : m)) }, 'monthly[8].Wh_e'],
      ['an unknown key', { monthly: year.map((m, i) => (i === 9 ? { ...m, Wh: 1 } : m)) }, 'monthly[9]'],
      ['a body without monthly', { months: year }, ''],
    ];
    for (const [name, payload, path] of cases) {
      const res = await asA('PUT', url, payload);
      expect(res.statusCode, name).toBe(400);
      expect(res.json(), name).toMatchObject({
        code: 'VALIDATION_ERROR',
        details: expect.arrayContaining([expect.objectContaining({ path })]),
      });
      expect(res.json().message, name).toContain(path);
    }
    expect(await registerSnapshot(t.db)).toEqual(before);
    expect((await asA('GET', url)).json()).toEqual({ monthly: fullYear() });
  });

  it("takes a portfolio's client fields on create and update, and answers sites in it with the same shape as /api/sites", async () => {
    const created = await asA('POST', '/api/portfolios', [
      { name: 'Clients', tz: 'US/Eastern', firstName: 'Test', lastName: 'System', email: 'test@example.com' },
    ]);
    expect(created.statusCode, created.body).toBe(201);
    const [p] = created.json() as Json[];
    expect(p).toMatchObject({ name: 'Clients', tz: 'US/Eastern', firstName: 'Test', lastName: 'System', email: 'test@example.com' });
    expect(p!.locusId).toEqual(expect.any(Number));

    const url = `/api/portfolios/${p!.id as string}`;
    const updated = await asA('PUT', url, { email: null, tz: 'Europe/London' });
    expect(updated.statusCode, updated.body).toBe(200);
    expect(updated.json()).toMatchObject({ name: 'Clients', tz: 'Europe/London', firstName: 'Test', email: null, locusId: p!.locusId });
    const before = await registerSnapshot(t.db);
    for (const [payload, path] of [
      [{ email: 'nobody' }, 'email'],
      [{ tz: 'Mars/Base' }, 'tz'],
      [{ locusId: 3 }, ''],
    ] as const) {
      const res = await asA('PUT', url, payload);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_ERROR', details: [expect.objectContaining({ path })] });
    }
    expect(await registerSnapshot(t.db)).toEqual(before);

    const site = await newSite({ modelSettings: { size: 3 }, installInfo: { installer: 'ABC Solar' } });
    const added = (await asA('POST', `${url}/sites`, { siteIds: [site.id] })).json() as { sites: Json[] };
    const [listed] = (await asA('GET', `/api/sites?siteId=${site.id as string}`)).json() as Json[];
    expect(listed).toMatchObject({ portfolioId: p!.id, modelSettings: { size: 3 }, installInfo: { installer: 'ABC Solar' } });
    expect(added.sites).toEqual([listed]);
    const grouped = (await asA('GET', '/api/portfolios/with-sites')).json() as { id: string; sites: Json[] }[];
    expect(grouped.find((g) => g.id === p!.id)!.sites).toEqual([listed]);
    const removed = (await asA('DELETE', `${url}/sites`, { siteId: site.id })).json() as { sites: Json[] };
    expect(removed.sites).toEqual([]);
  });
});
