// The data calls over readings stored by the ingest service (readings/),
// whose rollups they read: a Lord Howe spring-forward day, with readings
// sent again and replaced.
import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceContext } from '../../context.js';
import { createSite } from '../../sites/service.js';
import { seedOrganisation } from '../../testing.js';
import { ingestReadings } from '../readings/service.js';
import { componentData } from './query.js';
import { addComponent } from './testing.js';

for (const engine of testEngines) {
  describe(`data over ingested readings [${engine}]`, () => {
    let db: TestDb;
    let ctx: ServiceContext;
    let meter: string;

    beforeAll(async () => {
      db = await freshTestDb(engine);
      const org = await seedOrganisation(db, 'A');
      ctx = org.as.technician;
      const site = await createSite(org.as.admin, { siteName: 'Lord Howe', timezone: 'Australia/Lord_Howe' });
      meter = await addComponent(db, org.id, site.id, 'METER');
      // 1 Wh a minute from 2024-10-05T12:00Z to 2024-10-06T14:00Z: Lord Howe's 10-06 (10-05T13:30Z .. 10-06T13:00Z) whole,
      // sent in two overlapping halves out of order (the overlap is sent twice, the same).
      const start = Date.parse('2024-10-05T12:00:00Z');
      const minutes = 26 * 60;
      const rows = Array.from({ length: minutes }, (_, i) => ({ ts: new Date(start + i * 60_000).toISOString(), Wh: 1 }));
      await ingestReadings(ctx, meter, { readings: rows.slice(800) });
      await ingestReadings(ctx, meter, { readings: rows.slice(0, 1000) });
    }, 120_000);
    afterAll(async () => {
      await db?.dispose();
    });

    const day = { fields: 'Wh_sum', start: '2024-10-06T00:00:00', end: '2024-10-07T00:00:00', tz: 'Australia/Lord_Howe', gran: 'daily' };

    it('makes the spring-forward day 23.5 hours, counting readings sent twice once', async () => {
      expect((await componentData(ctx, meter, day)).map((r) => [r.ts, r['Wh_sum']])).toEqual([['2024-10-06T00:00:00+10:30', 1410]]);
      const hours = await componentData(ctx, meter, { ...day, start: '2024-10-06T01:00:00', end: '2024-10-06T04:00:00', gran: 'hourly' });
      expect(hours.map((r) => [r.ts, r['Wh_sum']])).toEqual([
        ['2024-10-06T01:00:00+10:30', 60],
        ['2024-10-06T02:30:00+11:00', 30],
        ['2024-10-06T03:00:00+11:00', 60],
      ]);
    });

    it('reflects a replaced reading exactly, at every granularity', async () => {
      // 02:40 +11:00 = 15:40Z: 1 Wh becomes 4 Wh, so the day holds 1413 and its 02:30 hour 33.
      await ingestReadings(ctx, meter, { readings: [{ ts: '2024-10-06T02:40:00+11:00', Wh: 4 }] });
      expect((await componentData(ctx, meter, day))[0]!['Wh_sum']).toBe(1413);
      const quarter = await componentData(ctx, meter, { ...day, start: '2024-10-06T02:30:00', end: '2024-10-06T02:45:00', gran: '15min' });
      expect(quarter.map((r) => r['Wh_sum'])).toEqual([18]);
      const minute = await componentData(ctx, meter, { ...day, start: '2024-10-06T02:39:00', end: '2024-10-06T02:42:00', gran: '1min' });
      expect(minute.map((r) => r['Wh_sum'])).toEqual([1, 4, 1]);
    });
  });
}
