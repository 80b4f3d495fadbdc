// Site data: the site data rule, the derived fields over real rollups, bulk
// partner data, dataavailable, the desktop chart and the tRPC procedures.
// Every expected number is worked out by hand in the comments.
import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceContext } from '../../context.js';
import type { Clock } from '../../ids.js';
import { createSite } from '../../sites/service.js';
import { seedOrganisation } from '../../testing.js';
import { createCaller } from '../../trpc/router.js';
import { partnerDataAvailable, siteDataAvailable } from './available.js';
import { siteChart } from './chart.js';
import { partnerSitesData, siteData } from './query.js';
import { addComponent, rebuildRollups, writeSeries } from './testing.js';

const fixedClock = (iso: string): Clock => ({ now: () => new Date(iso) });
const daysIn2024 = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
// 1000 Wh and 2000 Wh/m² a day in every month of 2024.
const expectedMonthly = daysIn2024.map((days, i) => ({ month: i + 1, Wh_e: 1000 * days, GHIh_t: 2000 * days }));
// W_m of the weather below on the lossless 10 kW model: 10 000 × 0.8 × (1 − 0.0047 × 20) × 0.96 = 6958.08 W.
const W_M = 6958.08;

for (const engine of testEngines) {
  describe(`site data [${engine}]`, () => {
    let db: TestDb;
    let ctx: ServiceContext;
    let orgId: string;
    let outsider: ServiceContext;
    let berlin: { id: string; locusId: number };
    let inverters: { id: string; locusId: number };
    let empty: { id: string; locusId: number };

    const locusIdOf = async (id: string) =>
      Number((await db.query<{ locus_id: number }>('SELECT locus_id FROM sites WHERE id = $1', [id])).rows[0]!.locus_id);

    beforeAll(async () => {
      db = await freshTestDb(engine);
      const org = await seedOrganisation(db, 'A', fixedClock('2025-01-15T12:00:00Z'));
      orgId = org.id;
      ctx = org.as.viewer;
      outsider = (await seedOrganisation(db, 'B')).as.owner;

      // Berlin: a generation meter (the site's energy), two inverters and a net-grid meter (not counted
      // beside it), a conceptual meter, and a weather station. Readings for its local days 03-10..03-12.
      const s2 = await createSite(org.as.admin, { siteName: 'Berlin', timezone: 'Europe/Berlin' });
      await db.query(
        `UPDATE sites SET size_kw = 10, mismatch = 100, diodes_and_connections = 100, dc_wiring = 100, soiling = 100, sun_tracking = 100,
           nameplate = 100, ac_wiring = 100, transformer = 100, expected_monthly = $2::jsonb, startup_date = '2024-03-11' WHERE id = $1`,
        [s2.id, JSON.stringify(expectedMonthly)],
      );
      const meter = await addComponent(db, org.id, s2.id, 'METER');
      const i1 = await addComponent(db, org.id, s2.id, 'INVERTER');
      const i2 = await addComponent(db, org.id, s2.id, 'INVERTER');
      const grid = await addComponent(db, org.id, s2.id, 'METER', { application: 'NET-GRID' });
      await addComponent(db, org.id, s2.id, 'METER', { conceptual: true });
      const station = await addComponent(db, org.id, s2.id, 'WEATHERSTATION');
      const from = '2024-03-09T23:00:00Z';
      const to = '2024-03-12T23:00:00Z';
      await writeSeries(db, meter, 'Wh', from, to, 1);
      await writeSeries(db, meter, 'W', from, to, 60);
      for (const inv of [i1, i2]) {
        await writeSeries(db, inv, 'Wh', from, to, 2);
        await writeSeries(db, inv, 'W', from, to, 120);
      }
      await writeSeries(db, grid, 'Wh', from, to, 5);
      await writeSeries(db, station, 'POA', from, to, 800);
      await writeSeries(db, station, 'GHI', from, to, 500);
      await writeSeries(db, station, 'TmpMod', from, to, 45);
      await writeSeries(db, station, 'TmpAmb', from, to, 20);

      // Inverters only (UTC): I3 1 Wh a minute and W = UTC minute of the hour; I4 2 Wh and 100 W; 2024-03-10 UTC.
      const s3 = await createSite(org.as.admin, { siteName: 'Inverters', timezone: 'UTC' });
      const i3 = await addComponent(db, org.id, s3.id, 'INVERTER');
      const i4 = await addComponent(db, org.id, s3.id, 'INVERTER');
      await writeSeries(db, i3, 'Wh', '2024-03-10T00:00:00Z', '2024-03-11T00:00:00Z', 1);
      await writeSeries(db, i3, 'W', '2024-03-10T00:00:00Z', '2024-03-11T00:00:00Z', 'minuteOfHour');
      await writeSeries(db, i4, 'Wh', '2024-03-10T00:00:00Z', '2024-03-11T00:00:00Z', 2);
      await writeSeries(db, i4, 'W', '2024-03-10T00:00:00Z', '2024-03-11T00:00:00Z', 100);

      const s4 = await createSite(org.as.admin, { siteName: 'Empty' });
      // A link as the stored zone (the site service may store canonical names; the queries take either).
      await db.query(`UPDATE sites SET timezone = 'US/Pacific' WHERE id = $1`, [s4.id]);
      await rebuildRollups(db, [meter, i1, i2, grid, station, i3, i4]);
      berlin = { id: s2.id, locusId: await locusIdOf(s2.id) };
      inverters = { id: s3.id, locusId: await locusIdOf(s3.id) };
      empty = { id: s4.id, locusId: await locusIdOf(s4.id) };
    }, 120_000);
    afterAll(async () => {
      await db?.dispose();
    });

    const pick = (rows: Record<string, unknown>[], ...keys: string[]) => rows.map((r) => [r['ts'], ...keys.map((k) => r[k])]);
    const berlinDays = { start: '2024-03-10T00:00:00', end: '2024-03-13T00:00:00', tz: 'Europe/Berlin', gran: 'daily' };

    it('sums energy over the generation meters only, when the site has one', async () => {
      const rows = await siteData(ctx, berlin.id, { fields: 'Wh_sum,W_avg', ...berlinDays });
      expect(rows).toEqual([
        { id: berlin.locusId, ts: '2024-03-10T00:00:00+01:00', Wh_sum: 1440, W_avg: 60 },
        { id: berlin.locusId, ts: '2024-03-11T00:00:00+01:00', Wh_sum: 1440, W_avg: 60 },
        { id: berlin.locusId, ts: '2024-03-12T00:00:00+01:00', Wh_sum: 1440, W_avg: 60 },
      ]);
    });

    it('sums over the inverters when there is no generation meter; power extremes from 5-minute sums', async () => {
      // Hour: Wh 60 + 120 = 180; W_avg = 29.5 + 100; 5-minute means of I3 are 2, 7, ..., 57, so W_max = 157 and W_min = 102.
      const hourly = await siteData(ctx, inverters.id, {
        fields: 'Wh_sum,W_avg,W_max,W_min',
        start: '2024-03-10T00:00',
        end: '2024-03-10T02:00',
        tz: 'UTC',
        gran: 'hourly',
      });
      expect(pick(hourly, 'Wh_sum', 'W_avg', 'W_max', 'W_min')).toEqual([
        ['2024-03-10T00:00:00+00:00', 180, 129.5, 157, 102],
        ['2024-03-10T01:00:00+00:00', 180, 129.5, 157, 102],
      ]);
      // One minute: I3 reads 7 at 00:07, I4 100.
      const minute = await siteData(ctx, inverters.id, {
        fields: 'Wh_sum,W_avg,W_max',
        start: '2024-03-10T00:07',
        end: '2024-03-10T00:08',
        tz: 'UTC',
        gran: '1min',
      });
      expect(pick(minute, 'Wh_sum', 'W_avg', 'W_max')).toEqual([['2024-03-10T00:07:00+00:00', 3, 107, 107]]);
    });

    it('takes irradiance and temperature from the weather station', async () => {
      const rows = await siteData(ctx, berlin.id, {
        fields: 'GHI_avg,POA_max,TmpAmb_avg,GHI_m_avg',
        ...berlinDays,
        end: '2024-03-11T00:00:00',
      });
      expect(rows).toEqual([
        { id: berlin.locusId, ts: '2024-03-10T00:00:00+01:00', GHI_avg: 500, POA_max: 800, TmpAmb_avg: 20, GHI_m_avg: 500 },
      ]);
    });

    it('answers latest for a site without tz, in the site’s zone', async () => {
      // The last readings are at 2024-03-12T22:59Z = 23:59 in Berlin; the meter's alone count.
      expect(await siteData(ctx, berlin.id, { fields: 'Wh_sum,W_avg', gran: 'latest' })).toEqual([
        { id: berlin.locusId, ts: '2024-03-12T23:59:00+01:00', Wh_sum: 1, W_avg: 60 },
      ]);
      expect(await siteData(ctx, empty.id, { fields: 'Wh_sum', gran: 'latest' }).catch((e: Error) => e.message)).toMatch(
        /Wh_sum is not available for this site/,
      );
    });

    it('models power and energy from the weather station per 5-minute step (W_m, Wh_m, PI_m)', async () => {
      // A day: 288 steps of 6958.08 W → W_m_avg 6958.08, Wh_m_sum 6958.08 × 24 = 166 993.92; PI_m = 1440 / 166 993.92.
      const daily = await siteData(ctx, berlin.id, { fields: 'W_m_avg,Wh_m_sum,PI_m_avg', ...berlinDays, end: '2024-03-11T00:00:00' });
      expect(daily).toHaveLength(1);
      expect(daily[0]!['W_m_avg']).toBeCloseTo(W_M, 6);
      expect(daily[0]!['Wh_m_sum']).toBeCloseTo(W_M * 24, 6);
      expect(daily[0]!['PI_m_avg']).toBeCloseTo(1440 / (W_M * 24), 12);
      // A quarter hour: 3 steps, Wh_m = 6958.08 × 0.25 = 1739.52. A minute (raw readings): 6958.08 / 60 = 115.968.
      const quarter = await siteData(ctx, berlin.id, {
        fields: 'Wh_m_sum',
        start: '2024-03-11T12:00',
        end: '2024-03-11T12:15',
        tz: 'Europe/Berlin',
        gran: '15min',
        modelType: 'simple',
        irradianceSource: 'weatherStation',
        inverterClipping: 'false',
      });
      expect(quarter[0]!['Wh_m_sum']).toBeCloseTo(1739.52, 6);
      const minute = await siteData(ctx, berlin.id, {
        fields: 'W_m_avg,Wh_m_sum',
        start: '2024-03-11T12:00',
        end: '2024-03-11T12:01',
        tz: 'Europe/Berlin',
        gran: '1min',
      });
      expect(minute[0]!['W_m_avg']).toBeCloseTo(W_M, 6);
      expect(minute[0]!['Wh_m_sum']).toBeCloseTo(115.968, 6);
    });

    it('prorates from the startup date: Whp, Wh_e, GHIh_t, GHIhp_m, EER and GEER', async () => {
      // Startup 2024-03-11: nothing of these on 03-10. Wh_e 1000 and GHIh_t 2000 a day; GHIh_m = 500 W/m² × 24 h = 12 000;
      // EER = 1440 / 1000; GEER = 1.44 × 2000 / 12 000 = 0.24.
      const fields = 'Wh_sum,Whp_sum,Wh_e_sum,GHIh_t_sum,GHIh_m_sum,GHIhp_m_sum,EER_avg,GEER_avg';
      const daily = await siteData(ctx, berlin.id, { fields, ...berlinDays });
      expect(daily[0]).toEqual({ id: berlin.locusId, ts: '2024-03-10T00:00:00+01:00', Wh_sum: 1440, GHIh_m_sum: 12000 });
      for (const day of daily.slice(1)) {
        expect(day).toMatchObject({ Wh_sum: 1440, Whp_sum: 1440, GHIh_m_sum: 12000, GHIhp_m_sum: 12000 });
        expect(day['Wh_e_sum']).toBeCloseTo(1000, 9);
        expect(day['GHIh_t_sum']).toBeCloseTo(2000, 9);
        expect(day['EER_avg']).toBeCloseTo(1.44, 9);
        expect(day['GEER_avg']).toBeCloseTo(0.24, 9);
      }
      // March: Wh 3 × 1440; Whp from 03-11 = 2880; Wh_e 21 days = 21 000; GHIh_t 42 000; GHIh_m 36 000, GHIhp_m 24 000.
      const [march] = await siteData(ctx, berlin.id, {
        fields,
        start: '2024-03-01T00:00',
        end: '2024-04-01T00:00',
        tz: 'Europe/Berlin',
        gran: 'monthly',
      });
      expect(march).toMatchObject({ ts: '2024-03-01T00:00:00+01:00', Wh_sum: 4320, Whp_sum: 2880, GHIh_m_sum: 36000, GHIhp_m_sum: 24000 });
      expect(march!['Wh_e_sum']).toBeCloseTo(21000, 6);
      expect(march!['GHIh_t_sum']).toBeCloseTo(42000, 6);
      expect(march!['EER_avg']).toBeCloseTo(2880 / 21000, 12);
      expect(march!['GEER_avg']).toBeCloseTo((2880 / 21000) * (42000 / 24000), 12);
    });

    it('prorates expected values up to now', async () => {
      // At 2024-03-12 12:00 Berlin (11:00Z) half of the 12th has passed: 500 Wh; nothing of the 13th.
      const early = { ...ctx, clock: fixedClock('2024-03-12T11:00:00Z') };
      const rows = await siteData(early, berlin.id, { fields: 'Wh_e_sum', ...berlinDays, end: '2024-03-14T00:00:00' });
      expect(pick(rows, 'Wh_e_sum')).toEqual([
        ['2024-03-10T00:00:00+01:00', undefined],
        ['2024-03-11T00:00:00+01:00', 1000],
        ['2024-03-12T00:00:00+01:00', 500],
        ['2024-03-13T00:00:00+01:00', undefined],
      ]);
    });

    it('refuses fields the site cannot have, and fields at a granularity they do not offer', async () => {
      const cases: [string, Record<string, string>, RegExp][] = [
        [inverters.id, { fields: 'W_m_avg', ...berlinDays }, /W_m_avg is not available for this site/],
        [inverters.id, { fields: 'Wh_e_sum', ...berlinDays }, /Wh_e_sum is not available for this site/],
        [inverters.id, { fields: 'GHI_m_avg', ...berlinDays }, /GHI_m_avg is not available for this site/],
        [berlin.id, { fields: 'A_avg', ...berlinDays }, /A_avg is not available for this site/],
        [
          berlin.id,
          { fields: 'Wh_e_sum', ...berlinDays, gran: 'hourly' },
          /Wh_e_sum is not available at hourly granularity \(it is at daily, monthly, yearly\)/,
        ],
        [berlin.id, { fields: 'EER_avg', gran: 'latest' }, /EER_avg is not available at latest/],
      ];
      for (const [site, params, message] of cases) {
        await expect(siteData(ctx, site, params), JSON.stringify(params)).rejects.toMatchObject({
          code: 'VALIDATION_ERROR',
          message: expect.stringMatching(message),
        });
      }
    });

    it('lists what each site has: its rule’s stored fields and the derived fields it can compute', async () => {
      const all = await siteDataAvailable(ctx, berlin.id);
      expect(all.map((f) => f.baseField)).toEqual([
        'EER', 'GEER', 'GHI', 'GHI_m', 'GHIh_m', 'GHIh_t', 'GHIhp_m', 'PI_m', 'POA', 'TmpAmb', 'TmpMod', 'W', 'W_m', 'Wh', 'Wh_e', 'Wh_m', 'Whp',
      ]); // prettier-ignore
      expect(all.find((f) => f.baseField === 'W_m')).toEqual({
        baseField: 'W_m',
        longName: 'AC Power',
        source: 'Modeled',
        unit: 'W',
        aggregations: [{ shortName: 'W_m_avg', aggregation: 'avg' }],
        fieldParameters: [
          { param: 'modelType', values: ['simple'] },
          { param: 'irradianceSource', values: ['weatherStation'] },
          { param: 'inverterClipping', values: ['true', 'false'] },
        ],
        granularities: ['1min', '5min', '15min', 'hourly', 'daily', 'monthly', 'yearly'],
      });
      expect(all.find((f) => f.baseField === 'Wh')).not.toHaveProperty('fieldParameters');
      expect((await siteDataAvailable(ctx, inverters.id)).map((f) => f.baseField)).toEqual(['W', 'Wh', 'Whp']);
      expect(await siteDataAvailable(ctx, empty.id)).toEqual([]);
      expect((await partnerDataAvailable(ctx, orgId)).map((f) => [f.baseField, f.granularities])).toEqual(
        ['Wh', 'Whp', 'Wh_e', 'GHIh_m', 'GHIhp_m', 'GHIh_t', 'EER', 'GEER'].map((name) => [name, ['monthly']]),
      );
    });

    it('answers bulk monthly data for every site with components, null where a site lacks a field', async () => {
      const fields = 'Wh_sum,Whp_sum,Wh_e_sum,EER_avg,GHIh_t_sum,GEER_avg';
      const rows = await partnerSitesData(ctx, orgId, {
        fields,
        start: '2024-03-01T00:00:00',
        end: '2024-05-01T00:00:00',
        tz: 'Europe/Berlin',
        gran: 'monthly',
      });
      // Berlin: March as above; April has expected values (30 000, 60 000) but no energy. Inverters (no table): 1440 + 2880 in March.
      const round = (v: unknown) => (typeof v === 'number' ? Math.round(v * 1e9) / 1e9 : v);
      expect(rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v)])))).toEqual([
        {
          id: berlin.locusId,
          ts: '2024-03-01T00:00:00+01:00',
          Wh_sum: 4320,
          Whp_sum: 2880,
          Wh_e_sum: 21000,
          EER_avg: round(2880 / 21000),
          GHIh_t_sum: 42000,
          GEER_avg: 0.24,
        },
        {
          id: berlin.locusId,
          ts: '2024-04-01T00:00:00+02:00',
          Wh_sum: null,
          Whp_sum: null,
          Wh_e_sum: 30000,
          EER_avg: null,
          GHIh_t_sum: 60000,
          GEER_avg: null,
        },
        {
          id: inverters.locusId,
          ts: '2024-03-01T00:00:00+01:00',
          Wh_sum: 4320,
          Whp_sum: 4320,
          Wh_e_sum: null,
          EER_avg: null,
          GHIh_t_sum: null,
          GEER_avg: null,
        },
        {
          id: inverters.locusId,
          ts: '2024-04-01T00:00:00+02:00',
          Wh_sum: null,
          Whp_sum: null,
          Wh_e_sum: null,
          EER_avg: null,
          GHIh_t_sum: null,
          GEER_avg: null,
        },
      ]);
      expect(rows.some((r) => r.id === empty.locusId)).toBe(false);
    });

    it('refuses bulk requests beyond its limits', async () => {
      const base = { fields: 'Wh_sum', start: '2024-01-01T00:00:00', end: '2025-01-01T00:00:00', tz: 'UTC', gran: 'monthly' };
      expect(await partnerSitesData(ctx, orgId, base)).toHaveLength(2 * 12);
      const cases: [Record<string, string>, RegExp][] = [
        [{ gran: 'daily' }, /bulk site data is monthly only/],
        [{ end: '2025-01-01T00:01:00' }, /bulk site data covers at most 1 year: end must be at most 2025-01-01T00:00:00/],
        [{ fields: 'W_avg' }, /W_avg is not a bulk data field/],
        [{ tz: 'Narnia/Cair_Paravel' }, /not a known IANA time zone/],
      ];
      for (const [change, message] of cases) {
        await expect(partnerSitesData(ctx, orgId, { ...base, ...change })).rejects.toMatchObject({
          code: 'VALIDATION_ERROR',
          message: expect.stringMatching(message),
        });
      }
    });

    it('gives another organisation nothing', async () => {
      await expect(siteData(outsider, berlin.id, { fields: 'Wh_sum', gran: 'latest' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(siteDataAvailable(outsider, berlin.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(
        partnerSitesData(outsider, orgId, {
          fields: 'Wh_sum',
          start: '2024-01-01T00:00',
          end: '2024-02-01T00:00',
          tz: 'UTC',
          gran: 'monthly',
        }),
      ).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      await expect(partnerDataAvailable(outsider, orgId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(siteChart(outsider, { siteId: berlin.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('charts a site for the desktop: daily energy beside expected, today’s power beside modeled, in the site’s zone', async () => {
      const noon = { ...ctx, clock: fixedClock('2024-03-12T11:00:00Z') };
      const chart = await siteChart(noon, { siteId: berlin.id, days: 3 });
      expect(chart.timezone).toBe('Europe/Berlin');
      expect(chart.fetchedAt).toBe('2024-03-12T11:00:00.000Z');
      expect(chart.daily).toEqual([
        { ts: '2024-03-10T00:00:00+01:00', Wh_sum: 1440, Wh_e_sum: null },
        { ts: '2024-03-11T00:00:00+01:00', Wh_sum: 1440, Wh_e_sum: 1000 },
        { ts: '2024-03-12T00:00:00+01:00', Wh_sum: 1440, Wh_e_sum: 500 },
      ]);
      expect(chart.today).toHaveLength(96);
      expect(chart.today[0]!.ts).toBe('2024-03-12T00:00:00+01:00');
      expect(chart.today[95]!.ts).toBe('2024-03-12T23:45:00+01:00');
      expect(chart.today[40]!.W_avg).toBe(60);
      expect(chart.today[40]!.W_m_avg).toBeCloseTo(W_M, 6);

      const none = await siteChart({ ...ctx, clock: fixedClock('2024-03-10T20:00:00Z') }, { siteId: empty.id });
      expect(none.timezone).toBe('US/Pacific');
      expect(none.daily).toHaveLength(30);
      expect(none.daily.at(-1)).toEqual({ ts: '2024-03-10T00:00:00-08:00', Wh_sum: null });
      // US/Pacific's 2024-03-10 lasts 23 hours: 92 quarter hours.
      expect(none.today).toHaveLength(92);
      await expect(siteChart(ctx, { siteId: berlin.id, days: 91 })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    });

    it('serves the chart and the data calls through tRPC', async () => {
      const caller = createCaller({ authenticate: async () => ({ ...ctx, clock: fixedClock('2024-03-12T11:00:00Z') }) });
      const chart = await caller.monitoring.siteChart({ siteId: berlin.id, days: 2 });
      expect(chart.daily.map((d) => d.Wh_sum)).toEqual([1440, 1440]);
      const rows = await caller.monitoring.siteData({
        siteId: berlin.id,
        params: { fields: 'Wh_sum', ...berlinDays, end: '2024-03-11T00:00:00' },
      });
      expect(rows).toEqual([{ id: berlin.locusId, ts: '2024-03-10T00:00:00+01:00', Wh_sum: 1440 }]);
      await expect(
        caller.monitoring.siteData({ siteId: berlin.id, params: { fields: 'Wh_sum', ...berlinDays, tz: 'Moon/Base' } }),
      ).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        cause: { code: 'VALIDATION_ERROR' },
      });
      expect((await caller.monitoring.siteDataAvailable({ siteId: inverters.id })).map((f) => f.baseField)).toEqual(['W', 'Wh', 'Whp']);
    });
  });
}
