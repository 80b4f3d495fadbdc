// The /v3 data, dataavailable and alert calls: the shapes of the spec's
// examples, with values computed here from the readings the fixture sent
// (testing.ts: 2024-01-01 UTC, hourly, meter Wh = 100·(h+1), W = 1000 + h).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../../test-engines.js';
import { createLocusWorld, type LocusWorld } from './testing.js';

type Json = Record<string, unknown>;

const specBaseField = {
  baseField: 'W_m',
  longName: 'AC Power',
  source: 'Modeled',
  unit: 'W',
  aggregations: [{ shortName: 'W_m_avg', aggregation: 'avg' }],
  fieldParameters: [{ param: 'modelType', values: ['simple'] }],
  granularities: ['5min'],
};
const specAlert = {
  id: 78,
  componentId: 90,
  componentName: 'Test Inverter',
  siteId: 99,
  siteName: 'Test Site',
  alertType: 'Device Fault',
  priority: 'Medium',
  start: '2015-11-01T12:00:00-00:00',
  end: '2015-11-22T15:00:00-00:00',
  updated: '2015-11-24T12:05:00-00:00',
  descriptionShort: 'VDC high',
  descriptionLong: 'A voltage higher than 2100 V is present on the DC bus. (Resettable)',
};
const offsetTs = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/;

function expectBaseFieldShape(f: Json): void {
  for (const key of Object.keys(f)) expect(Object.keys(specBaseField), `unexpected attribute ${key}`).toContain(key);
  for (const key of ['baseField', 'longName', 'source', 'unit', 'granularities']) expect(f).toHaveProperty(key);
  expect(['Measured', 'Modeled', 'Expected']).toContain(f.source);
  expect(Array.isArray(f.granularities)).toBe(true);
  for (const a of (f.aggregations as Json[] | undefined) ?? []) {
    expect(Object.keys(a).sort()).toEqual(['aggregation', 'shortName']);
    expect(a.shortName).toBe(`${f.baseField as string}_${a.aggregation as string}`);
  }
}

describeEachEngine('Locus v3 data and alerts', (engine) => {
  let w: LocusWorld;
  beforeAll(async () => {
    w = await createLocusWorld(engine);
  });
  afterAll(() => w.t.close());

  const ok = async (url: string) => {
    const res = await w.get(url);
    expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
    const body = res.json<Json>();
    expect(body.statusCode).toBe(200);
    return body;
  };
  const refused = async (url: string, message: RegExp) => {
    const res = await w.get(url);
    expect(res.statusCode, `${url}: ${res.body}`).toBe(400);
    expect(res.json(), url).toMatchObject({ statusCode: 400, code: 'VALIDATION_ERROR', message: expect.stringMatching(message) });
  };

  it('lists the data a component, a site and the partner’s sites have, as base field objects', async () => {
    const { ids } = w.a;
    const component = (await ok(`/v3/components/${ids.meter}/dataavailable`)).baseFields as Json[];
    for (const f of component) expectBaseFieldShape(f);
    expect(component.map((f) => f.baseField).sort()).toEqual(['W', 'Wh']);
    expect(component.find((f) => f.baseField === 'W')).toMatchObject({
      longName: 'AC Power',
      source: 'Measured',
      unit: 'W',
      aggregations: [
        { shortName: 'W_avg', aggregation: 'avg' },
        { shortName: 'W_max', aggregation: 'max' },
        { shortName: 'W_min', aggregation: 'min' },
      ],
      granularities: ['latest', '1min', '5min', '15min', 'hourly', 'daily', 'monthly', 'yearly'],
    });
    const site = (await ok(`/v3/sites/${ids.site}/dataavailable`)).baseFields as Json[];
    for (const f of site) expectBaseFieldShape(f);
    expect(site.map((f) => f.baseField)).toEqual(expect.arrayContaining(['W', 'Wh']));
    const bulk = (await ok(`/v3/partners/${ids.partner}/sites/dataavailable`)).baseFields as Json[];
    for (const f of bulk) {
      expectBaseFieldShape(f);
      expect(f.granularities).toEqual(['monthly']);
    }
    // The spec's bulk fields, in its order, as far as the partner's sites have them (no expected table here: no Wh_e, GHIh_t, EER, GEER).
    const specBulk = ['Wh', 'Whp', 'Wh_e', 'GHIh_m', 'GHIhp_m', 'GHIh_t', 'EER', 'GEER'];
    const listed = bulk.map((f) => f.baseField as string);
    expect(listed).toEqual(specBulk.filter((name) => listed.includes(name)));
    expect(listed).toContain('Wh');
    expect(listed).not.toContain('Wh_e');
  });

  it('answers component data by hour and by day, with timestamps in the zone asked for', async () => {
    const { ids } = w.a;
    const base = `/v3/components/${ids.meter}/data?fields=W_avg,Wh_sum&gran=hourly`;
    const utc = await ok(`${base}&start=2024-01-01T10:00:00&end=2024-01-01T12:00:00&tz=UTC`);
    expect(Object.keys(utc)).toEqual(['statusCode', 'data']);
    expect(utc.data).toEqual([
      { id: ids.meter, ts: '2024-01-01T10:00:00+00:00', W_avg: 1010, Wh_sum: 1100 },
      { id: ids.meter, ts: '2024-01-01T11:00:00+00:00', W_avg: 1011, Wh_sum: 1200 },
    ]);
    // The same hours seen from US/Pacific (UTC-8 in January).
    const pacific = await ok(`${base}&start=2024-01-01T02:00:00&end=2024-01-01T04:00:00&tz=US/Pacific`);
    expect(pacific.data).toEqual([
      { id: ids.meter, ts: '2024-01-01T02:00:00-08:00', W_avg: 1010, Wh_sum: 1100 },
      { id: ids.meter, ts: '2024-01-01T03:00:00-08:00', W_avg: 1011, Wh_sum: 1200 },
    ]);
    const daily = await ok(
      `/v3/components/${ids.meter}/data?fields=Wh_sum,W_max&gran=daily&start=2024-01-01T00:00:00&end=2024-01-03T00:00:00&tz=UTC`,
    );
    // 100 · (1 + 2 + … + 24) = 30000; the second day has no readings, so no values.
    expect(daily.data).toEqual([
      { id: ids.meter, ts: '2024-01-01T00:00:00+00:00', Wh_sum: 30000, W_max: 1023 },
      { id: ids.meter, ts: '2024-01-02T00:00:00+00:00' },
    ]);
  });

  it("answers site data from the site's generation meter, and its latest values without tz in the site's zone", async () => {
    const { ids } = w.a;
    const day = await ok(`/v3/sites/${ids.site}/data?fields=Wh_sum&gran=daily&start=2024-01-01T00:00:00&end=2024-01-02T00:00:00&tz=UTC`);
    // The meter's energy only: the inverter under it is counted in it already.
    expect(day.data).toEqual([{ id: ids.site, ts: '2024-01-01T00:00:00+00:00', Wh_sum: 30000 }]);
    const latest = await ok(`/v3/sites/${ids.site}/data?fields=W_avg&gran=latest`);
    // The last reading, 2024-01-01T23:00Z, in America/Los_Angeles.
    expect(latest.data).toEqual([{ id: ids.site, ts: '2024-01-01T15:00:00-08:00', W_avg: 1023 }]);
    const componentLatest = await ok(`/v3/components/${ids.inverter}/data?fields=W_avg&gran=latest&tz=UTC`);
    expect(componentLatest.data).toEqual([{ id: ids.inverter, ts: '2024-01-01T23:00:00+00:00', W_avg: 923 }]);
  });

  it('answers bulk monthly data for every site with components', async () => {
    const { ids } = w.a;
    const bulk = await ok(
      `/v3/partners/${ids.partner}/sites/data?fields=Wh_sum&gran=monthly&start=2024-01-01T00:00:00&end=2024-03-01T00:00:00&tz=UTC`,
    );
    const data = bulk.data as Json[];
    for (const d of data) {
      expect(typeof d.id).toBe('number');
      expect(d.ts).toMatch(offsetTs);
    }
    expect(data.filter((d) => d.id === ids.site)).toEqual([
      { id: ids.site, ts: '2024-01-01T00:00:00+00:00', Wh_sum: 30000 },
      expect.objectContaining({ id: ids.site, ts: '2024-02-01T00:00:00+00:00' }),
    ]);
    // The loose site has a weather station but no meter or inverter: its energy is null (bulk data's rule for a field a site lacks).
    for (const d of data.filter((x) => x.id === ids.looseSite)) expect(d.Wh_sum ?? null).toBeNull();
    expect(new Set(data.map((d) => d.id))).toEqual(new Set([ids.site, ids.looseSite]));
  });

  it('refuses bad data parameters with 400 and a message naming the problem', async () => {
    const { ids } = w.a;
    const c = `/v3/components/${ids.meter}/data`;
    await refused(`${c}?fields=Nope_avg&gran=hourly&start=2024-01-01T00:00:00&end=2024-01-02T00:00:00&tz=UTC`, /Nope_avg/);
    await refused(`${c}?fields=Wh_sum&gran=hourly&start=2024-01-01T00:00:00&end=2024-01-02T00:00:00&tz=Mars/Olympus`, /Mars\/Olympus/);
    await refused(`${c}?fields=Wh_sum&gran=hourly&start=2024-01-02T00:00:00&end=2024-01-01T00:00:00&tz=UTC`, /end/);
    await refused(`${c}?fields=Wh_sum&gran=hourly&start=2024-01-01T00:00:00&end=2024-03-01T00:00:00&tz=UTC`, /31 days/);
    await refused(`${c}?fields=Wh_sum&gran=hourly&start=yesterday&end=2024-01-02T00:00:00&tz=UTC`, /start/);
    await refused(`${c}?fields=Wh_sum&gran=fortnightly&start=2024-01-01T00:00:00&end=2024-01-02T00:00:00&tz=UTC`, /fortnightly/);
    await refused(
      `${c}?fields=Wh_sum&gran=hourly&start=2024-01-01T00:00:00&end=2024-01-02T00:00:00&tz=UTC&granularity=daily`,
      /unknown query parameter granularity/,
    );
    await refused(`${c}?fields=W_avg,,Wh_sum&gran=hourly&start=2024-01-01T00:00:00&end=2024-01-02T00:00:00&tz=UTC`, /empty/);
    await refused(
      `/v3/partners/${ids.partner}/sites/data?fields=Wh_sum&gran=daily&start=2024-01-01T00:00:00&end=2024-02-01T00:00:00&tz=UTC`,
      /monthly/,
    );
    await refused(
      `/v3/partners/${ids.partner}/sites/data?fields=Wh_sum&gran=monthly&start=2023-01-01T00:00:00&end=2024-03-01T00:00:00&tz=UTC`,
      /1 year/,
    );
  });

  it('answers alerts at component, site and partner level in the spec’s shape, filtered and in the zone asked for', async () => {
    const { ids } = w.a;
    const faults = `alertType=Device%20Fault`;
    const component = (await ok(`/v3/components/${ids.meter}/alerts?tz=UTC&${faults}`)).alerts as Json[];
    const closed = {
      id: expect.any(Number),
      componentId: ids.meter,
      componentName: 'PV Meter',
      siteId: ids.site,
      siteName: 'Alpha Test Site',
      alertType: 'Device Fault',
      priority: 'High',
      start: '2024-01-01T10:00:00+00:00',
      end: '2024-01-01T12:00:00+00:00',
      updated: expect.stringMatching(offsetTs),
      descriptionShort: 'VDC high',
      descriptionLong: 'DC bus voltage above 2100 V',
    };
    const open = {
      id: expect.any(Number),
      componentId: ids.meter,
      componentName: 'PV Meter',
      siteId: ids.site,
      siteName: 'Alpha Test Site',
      alertType: 'Device Fault',
      priority: 'Medium',
      start: '2024-01-01T13:00:00+00:00',
      updated: expect.stringMatching(offsetTs),
      descriptionShort: 'Ground fault',
    };
    expect(component).toEqual([closed, open]);
    for (const a of component) {
      for (const key of Object.keys(a)) expect(Object.keys(specAlert)).toContain(key);
      for (const key of Object.keys(specAlert).filter((k) => !['end', 'descriptionShort', 'descriptionLong'].includes(k))) {
        expect(typeof a[key], key).toBe(typeof specAlert[key as keyof typeof specAlert]);
      }
    }
    expect((await ok(`/v3/sites/${ids.site}/alerts?tz=UTC&${faults}`)).alerts).toEqual(component);
    expect(((await ok(`/v3/sites/${ids.site}/alerts?tz=UTC&${faults}&status=open`)).alerts as Json[]).map((a) => a.start)).toEqual([
      open.start,
    ]);
    expect(((await ok(`/v3/components/${ids.meter}/alerts?tz=US/Pacific&priority=high`)).alerts as Json[])[0]).toMatchObject({
      start: '2024-01-01T02:00:00-08:00',
      end: '2024-01-01T04:00:00-08:00',
    });
    const since = new Date(Date.now() - 86_400_000).toISOString().slice(0, 19);
    const partner = (await ok(`/v3/partners/${ids.partner}/alerts?tz=UTC&updatedSince=${since}&${faults}`)).alerts as Json[];
    expect(partner).toEqual(component);
    await refused(`/v3/partners/${ids.partner}/alerts?tz=UTC`, /updatedSince/);
    await refused(`/v3/sites/${ids.site}/alerts?tz=UTC&priority=urgent`, /urgent/);
  });
});
