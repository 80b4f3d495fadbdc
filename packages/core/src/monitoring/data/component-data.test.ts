// Component data across time zones and their clock changes, read back from
// rollups and raw readings written directly (testing.ts). The meter sends
// 1 Wh every minute, so a bucket's Wh_sum is its length in minutes, and W =
// the reading's UTC minute of the hour (0..59), so a bucket's W_min, W_max
// and W_avg show which minutes it holds. Every expected number and timestamp
// below is worked out by hand from the zones' rules, not by the code.
import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceContext } from '../../context.js';
import { createSite } from '../../sites/service.js';
import { seedOrganisation } from '../../testing.js';
import { componentDataAvailable } from './available.js';
import { componentData } from './query.js';
import { addComponent, rebuildRollups, writeSeries } from './testing.js';

// Readings run from two days before to three days after each clock change of 2024 used below (UTC):
// US 03-10 and 11-03, Berlin 03-31 and 10-27, Lord Howe 04-07 and 10-06.
const WINDOWS = ['03-08', '03-29', '04-05', '10-04', '10-25', '11-01'].map((d) => {
  const from = Date.parse(`2024-${d}T00:00:00Z`);
  return { from: new Date(from).toISOString(), to: new Date(from + 5 * 86_400_000).toISOString() };
});

for (const engine of testEngines) {
  describe(`component data [${engine}]`, () => {
    let db: TestDb;
    let ctx: ServiceContext;
    let outsider: ServiceContext;
    let meter: string;
    let meterLocusId: number;

    beforeAll(async () => {
      db = await freshTestDb(engine);
      const org = await seedOrganisation(db, 'A');
      ctx = org.as.viewer;
      outsider = (await seedOrganisation(db, 'B')).as.owner;
      const site = await createSite(org.as.admin, { siteName: 'S', timezone: 'UTC' });
      meter = await addComponent(db, org.id, site.id, 'METER');
      for (const w of WINDOWS) {
        await writeSeries(db, meter, 'Wh', w.from, w.to, 1);
        await writeSeries(db, meter, 'W', w.from, w.to, 'minuteOfHour');
      }
      await rebuildRollups(db, [meter]);
      meterLocusId = Number(
        (await db.query<{ locus_id: number }>('SELECT locus_id FROM components WHERE id = $1', [meter])).rows[0]!.locus_id,
      );
    }, 120_000);
    afterAll(async () => {
      await db?.dispose();
    });

    const data = (params: Record<string, string>) => componentData(ctx, meter, params);
    const pick = (rows: Record<string, unknown>[], ...keys: string[]) => rows.map((r) => [r['ts'], ...keys.map((k) => r[k])]);

    it('answers each object with the component’s Locus id', async () => {
      const rows = await data({ fields: 'Wh_sum', start: '2024-03-09T00:00:00', end: '2024-03-10T00:00:00', tz: 'UTC', gran: 'daily' });
      expect(meterLocusId).toBeGreaterThan(0);
      expect(rows).toEqual([{ id: meterLocusId, ts: '2024-03-09T00:00:00+00:00', Wh_sum: 1440 }]);
    });

    it('makes a US spring-forward day 23 hours and a fall-back day 25 (US/Pacific)', async () => {
      const spring = await data({
        fields: 'Wh_sum',
        start: '2024-03-09T00:00:00',
        end: '2024-03-12T00:00:00',
        tz: 'US/Pacific',
        gran: 'daily',
      });
      expect(pick(spring, 'Wh_sum')).toEqual([
        ['2024-03-09T00:00:00-08:00', 1440],
        ['2024-03-10T00:00:00-08:00', 1380],
        ['2024-03-11T00:00:00-07:00', 1440],
      ]);
      const fall = await data({
        fields: 'Wh_sum',
        start: '2024-11-02T00:00:00',
        end: '2024-11-05T00:00:00',
        tz: 'US/Pacific',
        gran: 'daily',
      });
      expect(pick(fall, 'Wh_sum')).toEqual([
        ['2024-11-02T00:00:00-07:00', 1440],
        ['2024-11-03T00:00:00-07:00', 1500],
        ['2024-11-04T00:00:00-08:00', 1440],
      ]);
    });

    it('skips the missing hour and gives the repeated hour two buckets, each with its offset (US/Pacific)', async () => {
      const spring = await data({
        fields: 'Wh_sum,W_avg,W_min,W_max',
        start: '2024-03-10T00:00:00',
        end: '2024-03-10T05:00:00',
        tz: 'US/Pacific',
        gran: 'hourly',
      });
      // Local hours are UTC hours here, so each holds minutes 0..59: mean 29.5.
      expect(pick(spring, 'Wh_sum', 'W_avg', 'W_min', 'W_max')).toEqual([
        ['2024-03-10T00:00:00-08:00', 60, 29.5, 0, 59],
        ['2024-03-10T01:00:00-08:00', 60, 29.5, 0, 59],
        ['2024-03-10T03:00:00-07:00', 60, 29.5, 0, 59],
        ['2024-03-10T04:00:00-07:00', 60, 29.5, 0, 59],
      ]);
      const fall = await data({
        fields: 'Wh_sum',
        start: '2024-11-03T00:00:00',
        end: '2024-11-03T03:00:00',
        tz: 'US/Pacific',
        gran: 'hourly',
      });
      expect(pick(fall, 'Wh_sum')).toEqual([
        ['2024-11-03T00:00:00-07:00', 60],
        ['2024-11-03T01:00:00-07:00', 60],
        ['2024-11-03T01:00:00-08:00', 60],
        ['2024-11-03T02:00:00-08:00', 60],
      ]);
    });

    it('follows both of Europe/Berlin’s clock changes', async () => {
      const daily = await data({
        fields: 'Wh_sum',
        start: '2024-03-30T00:00:00',
        end: '2024-04-02T00:00:00',
        tz: 'Europe/Berlin',
        gran: 'daily',
      });
      expect(pick(daily, 'Wh_sum')).toEqual([
        ['2024-03-30T00:00:00+01:00', 1440],
        ['2024-03-31T00:00:00+01:00', 1380],
        ['2024-04-01T00:00:00+02:00', 1440],
      ]);
      const fallDay = await data({
        fields: 'Wh_sum',
        start: '2024-10-27T00:00:00',
        end: '2024-10-28T00:00:00',
        tz: 'Europe/Berlin',
        gran: 'daily',
      });
      expect(pick(fallDay, 'Wh_sum')).toEqual([['2024-10-27T00:00:00+02:00', 1500]]);
      const springHours = await data({
        fields: 'Wh_sum',
        start: '2024-03-31T01:00:00',
        end: '2024-03-31T04:00:00',
        tz: 'Europe/Berlin',
        gran: 'hourly',
      });
      expect(pick(springHours, 'Wh_sum')).toEqual([
        ['2024-03-31T01:00:00+01:00', 60],
        ['2024-03-31T03:00:00+02:00', 60],
      ]);
      const fallHours = await data({
        fields: 'Wh_sum',
        start: '2024-10-27T02:00:00',
        end: '2024-10-27T04:00:00',
        tz: 'Europe/Berlin',
        gran: 'hourly',
      });
      expect(pick(fallHours, 'Wh_sum')).toEqual([
        ['2024-10-27T02:00:00+02:00', 60],
        ['2024-10-27T02:00:00+01:00', 60],
        ['2024-10-27T03:00:00+01:00', 60],
      ]);
    });

    it('makes Lord Howe’s half-hour changes a 23.5-hour and a 24.5-hour day, splitting the hour of the change', async () => {
      const spring = await data({
        fields: 'Wh_sum',
        start: '2024-10-05T00:00:00',
        end: '2024-10-08T00:00:00',
        tz: 'Australia/Lord_Howe',
        gran: 'daily',
      });
      expect(pick(spring, 'Wh_sum')).toEqual([
        ['2024-10-05T00:00:00+10:30', 1440],
        ['2024-10-06T00:00:00+10:30', 1410],
        ['2024-10-07T00:00:00+11:00', 1440],
      ]);
      const fall = await data({
        fields: 'Wh_sum',
        start: '2024-04-07T00:00:00',
        end: '2024-04-08T00:00:00',
        tz: 'Australia/Lord_Howe',
        gran: 'daily',
      });
      expect(pick(fall, 'Wh_sum')).toEqual([['2024-04-07T00:00:00+11:00', 1470]]);
      // 02:00 +10:30 (15:30Z) became 02:30 +11:00: the local hour 02 holds 30 minutes, 15:30Z-16:00Z (UTC minutes 30..59).
      const springHours = await data({
        fields: 'Wh_sum,W_avg,W_min,W_max',
        start: '2024-10-06T01:00:00',
        end: '2024-10-06T04:00:00',
        tz: 'Australia/Lord_Howe',
        gran: 'hourly',
      });
      expect(pick(springHours, 'Wh_sum', 'W_avg', 'W_min', 'W_max')).toEqual([
        ['2024-10-06T01:00:00+10:30', 60, 29.5, 0, 59],
        ['2024-10-06T02:30:00+11:00', 30, 44.5, 30, 59],
        ['2024-10-06T03:00:00+11:00', 60, 29.5, 0, 59],
      ]);
      // 02:00 +11:00 (15:00Z) became 01:30 +10:30: 01:30-02:00 is read twice, the second time as its own bucket.
      const fallHours = await data({
        fields: 'Wh_sum',
        start: '2024-04-07T01:00:00',
        end: '2024-04-07T03:00:00',
        tz: 'Australia/Lord_Howe',
        gran: 'hourly',
      });
      expect(pick(fallHours, 'Wh_sum')).toEqual([
        ['2024-04-07T01:00:00+11:00', 60],
        ['2024-04-07T01:30:00+10:30', 30],
        ['2024-04-07T02:00:00+10:30', 60],
      ]);
      const quarters = await data({
        fields: 'Wh_sum',
        start: '2024-10-06T02:00:00',
        end: '2024-10-06T03:00:00',
        tz: 'Australia/Lord_Howe',
        gran: '15min',
      });
      expect(pick(quarters, 'Wh_sum')).toEqual([
        ['2024-10-06T02:30:00+11:00', 15],
        ['2024-10-06T02:45:00+11:00', 15],
      ]);
    });

    it('places days and hours at the half-hour offset of Asia/Kolkata (and its old name Asia/Calcutta)', async () => {
      // Readings start 2024-03-08T00:00Z = 05:30 local; 03-08 local runs from 03-07T18:30Z, so it holds 18.5 h.
      for (const tz of ['Asia/Kolkata', 'Asia/Calcutta']) {
        const daily = await data({ fields: 'Wh_sum', start: '2024-03-08T00:00:00', end: '2024-03-10T00:00:00', tz, gran: 'daily' });
        expect(pick(daily, 'Wh_sum')).toEqual([
          ['2024-03-08T00:00:00+05:30', 1110],
          ['2024-03-09T00:00:00+05:30', 1440],
        ]);
      }
      // Hour 05 local = 23:30Z-00:30Z: its last 30 minutes (UTC minutes 0..29, mean 14.5) are in the data.
      const hourly = await data({
        fields: 'Wh_sum,W_avg,W_max',
        start: '2024-03-08T05:00:00',
        end: '2024-03-08T07:00:00',
        tz: 'Asia/Kolkata',
        gran: 'hourly',
      });
      expect(pick(hourly, 'Wh_sum', 'W_avg', 'W_max')).toEqual([
        ['2024-03-08T05:00:00+05:30', 30, 14.5, 29],
        ['2024-03-08T06:00:00+05:30', 60, 29.5, 59],
      ]);
    });

    it('places days, hours and 5-minute buckets at the 45-minute offset of Asia/Kathmandu', async () => {
      // 03-08 local runs from 03-07T18:15Z: 18 h 15 min of it are in the data.
      const daily = await data({
        fields: 'Wh_sum',
        start: '2024-03-08T00:00:00',
        end: '2024-03-09T00:00:00',
        tz: 'Asia/Kathmandu',
        gran: 'daily',
      });
      expect(pick(daily, 'Wh_sum')).toEqual([['2024-03-08T00:00:00+05:45', 1095]]);
      // Hour 05 local = 23:15Z-00:15Z: 15 minutes (UTC 0..14, mean 7); hour 06 = 00:15Z-01:15Z.
      const hourly = await data({
        fields: 'Wh_sum,W_avg,W_min',
        start: '2024-03-08T05:00:00',
        end: '2024-03-08T07:00:00',
        tz: 'Asia/Kathmandu',
        gran: 'hourly',
      });
      expect(pick(hourly, 'Wh_sum', 'W_avg', 'W_min')).toEqual([
        ['2024-03-08T05:00:00+05:45', 15, 7, 0],
        ['2024-03-08T06:00:00+05:45', 60, 29.5, 0],
      ]);
      const fives = await data({
        fields: 'Wh_sum,W_avg',
        start: '2024-03-08T06:00:00',
        end: '2024-03-08T06:15:00',
        tz: 'Asia/Kathmandu',
        gran: '5min',
      });
      expect(pick(fives, 'Wh_sum', 'W_avg')).toEqual([
        ['2024-03-08T06:00:00+05:45', 5, 17],
        ['2024-03-08T06:05:00+05:45', 5, 22],
        ['2024-03-08T06:10:00+05:45', 5, 27],
      ]);
    });

    it('answers months and years from rollups of every level', async () => {
      // Berlin March = 02-29T23:00Z..03-31T22:00Z: 03-08..03-13 (5 days) and 03-29T00:00Z..03-31T22:00Z (2 d 22 h).
      // April = ..04-30T22:00Z: 03-31T22:00Z..04-03T00:00Z (2 d 2 h) and 04-05..04-10 (5 days).
      const monthly = await data({
        fields: 'Wh_sum',
        start: '2024-03-01T00:00:00',
        end: '2024-05-01T00:00:00',
        tz: 'Europe/Berlin',
        gran: 'monthly',
      });
      expect(pick(monthly, 'Wh_sum')).toEqual([
        ['2024-03-01T00:00:00+01:00', 5 * 1440 + 2 * 1440 + 22 * 60],
        ['2024-04-01T00:00:00+02:00', 2 * 1440 + 2 * 60 + 5 * 1440],
      ]);
      const yearly = await data({
        fields: 'Wh_sum,W_max',
        start: '2024-01-01T00:00:00',
        end: '2025-01-01T00:00:00',
        tz: 'UTC',
        gran: 'yearly',
      });
      expect(yearly).toEqual([{ id: meterLocusId, ts: '2024-01-01T00:00:00+00:00', Wh_sum: 6 * 5 * 1440, W_max: 59 }]);
    });

    it('returns every bucket of the period, leaving out values it has none of', async () => {
      const rows = await data({ fields: 'Wh_sum', start: '2024-03-07T22:00:00', end: '2024-03-08T01:00:00', tz: 'UTC', gran: 'hourly' });
      expect(rows).toEqual([
        { id: meterLocusId, ts: '2024-03-07T22:00:00+00:00' },
        { id: meterLocusId, ts: '2024-03-07T23:00:00+00:00' },
        { id: meterLocusId, ts: '2024-03-08T00:00:00+00:00', Wh_sum: 60 },
      ]);
    });

    it('answers 1-minute buckets from raw readings, with the offset of each', async () => {
      const rows = await data({
        fields: 'Wh_sum,W_avg',
        start: '2024-11-03T00:58:00',
        end: '2024-11-03T01:01:00',
        tz: 'US/Pacific',
        gran: '1min',
      });
      // 00:58 PDT = 07:58Z.
      expect(pick(rows, 'Wh_sum', 'W_avg')).toEqual([
        ['2024-11-03T00:58:00-07:00', 1, 58],
        ['2024-11-03T00:59:00-07:00', 1, 59],
        ['2024-11-03T01:00:00-07:00', 1, 0],
      ]);
      const kathmandu = await data({
        fields: 'W_avg',
        start: '2024-03-08T06:00',
        end: '2024-03-08T06:02',
        tz: 'Asia/Kathmandu',
        gran: '1min',
      });
      expect(pick(kathmandu, 'W_avg')).toEqual([
        ['2024-03-08T06:00:00+05:45', 15],
        ['2024-03-08T06:01:00+05:45', 16],
      ]);
    });

    it('answers latest with the newest minute, in the site’s zone or the one asked', async () => {
      // The last reading is 2024-11-05T23:59Z (W = 59); the site's zone is UTC.
      expect(await data({ fields: 'Wh_sum,W_avg', gran: 'latest' })).toEqual([
        { id: meterLocusId, ts: '2024-11-05T23:59:00+00:00', Wh_sum: 1, W_avg: 59 },
      ]);
      expect(await data({ fields: 'W_avg', gran: 'latest', tz: 'US/Pacific' })).toEqual([
        { id: meterLocusId, ts: '2024-11-05T15:59:00-08:00', W_avg: 59 },
      ]);
    });

    it('lists the fields the component has readings of, with latest among the granularities', async () => {
      const fields = await componentDataAvailable(ctx, meter);
      expect(fields.map((f) => f.baseField)).toEqual(['W', 'Wh']);
      expect(fields[1]).toEqual({
        baseField: 'Wh',
        longName: 'AC Energy',
        source: 'Measured',
        unit: 'Wh',
        aggregations: [{ shortName: 'Wh_sum', aggregation: 'sum' }],
        granularities: ['latest', '1min', '5min', '15min', 'hourly', 'daily', 'monthly', 'yearly'],
      });
    });

    it('refuses each malformed parameter with a message saying what is wrong', async () => {
      const base = { fields: 'Wh_sum', start: '2024-03-09T00:00:00', end: '2024-03-10T00:00:00', tz: 'UTC', gran: 'hourly' };
      const cases: [Record<string, string | undefined>, RegExp][] = [
        [{ fields: 'Wh_total' }, /unknown field 'Wh_total'/],
        [{ fields: 'Wh_avg' }, /unknown field 'Wh_avg'/],
        [{ fields: 'A_avg' }, /A_avg is not available for this component/],
        [{ fields: 'W_m_avg' }, /W_m_avg is not available for this component/],
        [{ fields: undefined }, /fields is required/],
        [{ tz: 'Mars/Olympus' }, /tz 'Mars\/Olympus' is not a known IANA time zone/],
        [{ tz: '+05:00' }, /not a known IANA time zone/],
        [{ tz: undefined }, /tz is required/],
        [{ start: '2024-03-09 00:00:00' }, /start must be a local time of the form YYYY-MM-DDThh:mm:ss/],
        [{ start: '2024-03-09T00:00:00Z' }, /start must be a local time/],
        [{ end: '2024-03-09T00:00:00-07:00' }, /end must be a local time/],
        [{ start: '2024-02-30T00:00:00' }, /start '2024-02-30T00:00:00' is not a valid date and time/],
        [{ end: '2024-03-08T00:00:00' }, /end \(2024-03-08T00:00:00\) must be after start/],
        [{ end: '2024-03-09T00:00:00' }, /must be after start/],
        [{ gran: 'weekly' }, /gran 'weekly' is not a granularity/],
        [{ gran: undefined }, /gran is required/],
        [
          { gran: '1min', end: '2024-03-14T00:00:00' },
          /1min data is limited to periods shorter than 5 days: end must be before 2024-03-14T00:00:00/,
        ],
        [{ gran: '5min', end: '2024-04-09T00:00:00' }, /5min data is limited to periods shorter than 31 days/],
        [{ gran: '15min', end: '2024-04-09T00:00:00' }, /15min data is limited to periods shorter than 31 days/],
        [{ gran: 'hourly', end: '2024-04-09T00:00:00' }, /hourly data is limited to periods shorter than 31 days/],
        [
          { gran: 'daily', end: '2025-03-09T00:00:00' },
          /daily data is limited to periods shorter than 1 year: end must be before 2025-03-09T00:00:00/,
        ],
        [{ inverterClipping: 'maybe' }, /inverterClipping must be true or false/],
        [{ modelType: 'singleDiode' }, /modelType 'singleDiode' is not offered/],
      ];
      for (const [change, message] of cases) {
        const params = Object.fromEntries(Object.entries({ ...base, ...change }).filter(([, v]) => v !== undefined)) as Record<
          string,
          string
        >;
        await expect(data(params), JSON.stringify(change)).rejects.toMatchObject({
          code: 'VALIDATION_ERROR',
          message: expect.stringMatching(message),
        });
      }
      // Just inside each limit is answered.
      expect(await data({ ...base, gran: '1min', start: '2024-03-09T00:00:00', end: '2024-03-13T23:59:00' })).toHaveLength(4 * 1440 + 1439);
      expect(await data({ ...base, gran: 'hourly', end: '2024-04-08T23:00:00' })).toHaveLength(30 * 24 + 23);
      expect(await data({ ...base, gran: 'daily', end: '2025-03-08T00:00:00' })).toHaveLength(364);
    });

    it('takes wall times in a gap as the instant after it, and repeated ones as the earlier', async () => {
      // 02:30 on 03-10 does not exist in US/Pacific: the period starts at 03:00 PDT.
      const gap = await data({
        fields: 'Wh_sum',
        start: '2024-03-10T02:30:00',
        end: '2024-03-10T04:00:00',
        tz: 'US/Pacific',
        gran: 'hourly',
      });
      expect(pick(gap, 'Wh_sum')).toEqual([['2024-03-10T03:00:00-07:00', 60]]);
      // 01:00 on 11-03 is read twice; as an end it is the earlier, PDT one, so the PST 01:00 bucket is left out.
      const repeated = await data({
        fields: 'Wh_sum',
        start: '2024-11-03T00:00:00',
        end: '2024-11-03T01:00:00',
        tz: 'US/Pacific',
        gran: 'hourly',
      });
      expect(pick(repeated, 'Wh_sum')).toEqual([['2024-11-03T00:00:00-07:00', 60]]);
    });

    it('finds no component of another organisation', async () => {
      await expect(componentData(outsider, meter, { fields: 'Wh_sum', gran: 'latest' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(componentDataAvailable(outsider, meter)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(componentData(ctx, 'not-a-uuid', { fields: 'Wh_sum', gran: 'latest' })).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
      });
    });
  });
}
