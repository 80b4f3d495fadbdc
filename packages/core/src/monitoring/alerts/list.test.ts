import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextFor, seedOrganisation, type TestOrganisation } from '../../testing.js';
import { evaluateScheduled } from './evaluate.js';
import { recordEvents } from './events.js';
import { listAlerts } from './list.js';
import { onClock, sendReadings, testClock, testComponent, testSite, type TestClock } from './testing.js';

for (const engine of testEngines) {
  describe(`the Locus alert list [${engine}]`, () => {
    let db: TestDb;
    let org: TestOrganisation;
    let other: TestOrganisation;
    let clock: TestClock;
    let site: string;
    let otherSite: string;
    let inverter: string;
    let meter: string;
    const locus = {} as Record<'site' | 'inverter' | 'meter' | 'partner', number>;

    // Three alerts, in UTC:
    //   fault    Device Fault E1 on Inverter A, High,   2024-05-01 10:00 → 10:30, updated 10:31
    //   fan      Device Fault FAN on Inverter A, Low,   2024-05-03 08:00 → open,  updated 08:01
    //   silence  System Disconnect on Meter M, High,    2024-05-04 06:00 → open,  updated 07:05
    beforeAll(async () => {
      db = await freshTestDb(engine);
      org = await seedOrganisation(db, 'Listing Co');
      other = await seedOrganisation(db, 'Elsewhere');
      clock = testClock();
      site = await testSite(db, org, 'Test Site');
      otherSite = await testSite(db, other, 'Their Site');
      inverter = await testComponent(org, site, 'INVERTER', { name: 'Inverter A' });
      meter = await testComponent(org, site, 'METER', { name: 'Meter M' });
      const device = onClock(org.as.technician, clock);
      clock.set('2024-05-01T10:01:00Z');
      await recordEvents(device, inverter, {
        ts: '2024-05-01T10:00:00Z',
        code: 'E1',
        state: 'active',
        priority: 'High',
        descriptionShort: 'VDC high',
        descriptionLong: 'A voltage higher than 2100 V is present on the DC bus. (Resettable)',
      });
      clock.set('2024-05-01T10:31:00Z');
      await recordEvents(device, inverter, { ts: '2024-05-01T10:30:00Z', code: 'E1', state: 'cleared' });
      clock.set('2024-05-03T08:01:00Z');
      await recordEvents(device, inverter, { ts: '2024-05-03T08:00:00Z', code: 'FAN', state: 'active', priority: 'Low' });
      clock.set('2024-05-04T06:00:00Z');
      await sendReadings(device, meter, '2024-05-04T05:55:00Z', 5, { W: 10 });
      await evaluateScheduled(contextFor(db, undefined, clock), new Date('2024-05-04T07:05:00Z'));
      clock.set('2024-05-05T00:00:00Z');
      const ids = async (table: string, id: string) =>
        Number((await db.query<{ locus_id: number }>(`SELECT locus_id FROM ${table} WHERE id = $1`, [id])).rows[0]!.locus_id);
      locus.site = await ids('sites', site);
      locus.inverter = await ids('components', inverter);
      locus.meter = await ids('components', meter);
      locus.partner = await ids('organisations', org.id);
    });
    afterAll(() => db.dispose());

    const list = (input: Record<string, unknown>, ctx = org.as.viewer) => listAlerts(onClock(ctx, clock), input);
    const typesOf = async (input: Record<string, unknown>) => (await list(input)).map((a) => `${a.alertType}/${a.priority}`);

    it('answers alerts in the Locus shape, times wall-clock in tz with their offset', async () => {
      const alerts = await list({ siteId: site, tz: 'US/Pacific' });
      expect(alerts).toHaveLength(3);
      expect(alerts[0]).toEqual({
        id: expect.any(Number),
        componentId: locus.inverter,
        componentName: 'Inverter A',
        siteId: locus.site,
        siteName: 'Test Site',
        alertType: 'Device Fault',
        priority: 'High',
        start: '2024-05-01T03:00:00-07:00',
        end: '2024-05-01T03:30:00-07:00',
        updated: '2024-05-01T03:31:00-07:00',
        descriptionShort: 'VDC high',
        descriptionLong: 'A voltage higher than 2100 V is present on the DC bus. (Resettable)',
      });
      // Open: no end; no descriptions for a rule's alert.
      expect(alerts[2]).toEqual({
        id: expect.any(Number),
        componentId: locus.meter,
        componentName: 'Meter M',
        siteId: locus.site,
        siteName: 'Test Site',
        alertType: 'System Disconnect',
        priority: 'High',
        start: '2024-05-03T23:00:00-07:00',
        updated: '2024-05-04T00:05:00-07:00',
      });
      expect((await list({ componentId: meter, tz: 'UTC' }))[0]).toMatchObject({ start: '2024-05-04T06:00:00+00:00' });
      expect((await list({ componentId: meter, tz: 'Asia/Kolkata' }))[0]).toMatchObject({ start: '2024-05-04T11:30:00+05:30' });
    });

    it('filters by status, priority and type (comma lists, any case), and by open-during and updated-since in tz', async () => {
      expect(await typesOf({ siteId: site, tz: 'UTC', status: 'open' })).toEqual(['Device Fault/Low', 'System Disconnect/High']);
      expect(await typesOf({ siteId: site, tz: 'UTC', status: 'closed' })).toEqual(['Device Fault/High']);
      expect(await typesOf({ siteId: site, tz: 'UTC', priority: 'high' })).toEqual(['Device Fault/High', 'System Disconnect/High']);
      expect(await typesOf({ siteId: site, tz: 'UTC', priority: 'LOW, medium' })).toEqual(['Device Fault/Low']);
      expect(await typesOf({ siteId: site, tz: 'UTC', alertType: 'System Disconnect,Zero Generation' })).toEqual([
        'System Disconnect/High',
      ]);
      expect(await typesOf({ siteId: site, tz: 'UTC', alertType: 'device fault', priority: 'High' })).toEqual(['Device Fault/High']);
      expect(await typesOf({ componentId: inverter, tz: 'UTC' })).toEqual(['Device Fault/High', 'Device Fault/Low']);

      // Open at any moment of the period: 2 May 00:00 to 3 May 09:00 Pacific catches the fan fault (open since 3 May 01:00 Pacific), not the fault closed on 1 May.
      expect(
        await typesOf({ siteId: site, tz: 'US/Pacific', openDuringMin: '2024-05-02T00:00:00', openDuringMax: '2024-05-03T09:00:00' }),
      ).toEqual(['Device Fault/Low']);
      // The fault was open 03:00–03:30 Pacific on 1 May: a period ending 03:00 touches it, one starting 03:31 does not.
      expect(
        await typesOf({ siteId: site, tz: 'US/Pacific', openDuringMin: '2024-04-30T00:00:00', openDuringMax: '2024-05-01T03:00:00' }),
      ).toEqual(['Device Fault/High']);
      expect(
        await typesOf({ siteId: site, tz: 'US/Pacific', openDuringMin: '2024-05-01T03:31:00', openDuringMax: '2024-05-02T00:00:00' }),
      ).toEqual([]);
      // Updated since 3 May 01:01 Pacific = 08:01 UTC: the fan fault (updated then) and the disconnect.
      expect(await typesOf({ siteId: site, tz: 'US/Pacific', updatedSince: '2024-05-03T01:01:00' })).toEqual([
        'Device Fault/Low',
        'System Disconnect/High',
      ]);
      expect(await typesOf({ siteId: site, tz: 'US/Pacific', updatedSince: '2024-05-03T01:01:01' })).toEqual(['System Disconnect/High']);
    });

    it('answers the partner call within its limits', async () => {
      expect(await typesOf({ organisationId: org.id, tz: 'UTC', updatedSince: '2024-04-28T00:00:00' })).toHaveLength(3);
      expect(
        await typesOf({ organisationId: org.id, tz: 'UTC', openDuringMin: '2024-05-04T00:00:00', openDuringMax: '2024-05-05T00:00:00' }),
      ).toEqual(['Device Fault/Low', 'System Disconnect/High']);
      // The site and component calls carry no such limits (the spec's own examples span a year).
      expect(await typesOf({ siteId: site, tz: 'UTC', updatedSince: '2023-01-01T00:00:00' })).toHaveLength(3);
      expect(
        await typesOf({ siteId: site, tz: 'UTC', openDuringMin: '2023-01-01T00:00:00', openDuringMax: '2024-12-31T00:00:00' }),
      ).toHaveLength(3);
    });

    it('refuses bad filters with a 400 that names the problem', async () => {
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ siteId: site, tz: 'Mars/Olympus' }, /tz 'Mars\/Olympus' is not a known IANA time zone name/],
        [
          { siteId: site, tz: 'UTC', alertType: 'Performance Yield' },
          /alertType: unknown value "Performance Yield": valid values are Device Fault, Performance Index/,
        ],
        [{ siteId: site, tz: 'UTC', alertType: ' , ' }, /alertType: is empty/],
        [{ siteId: site, tz: 'UTC', priority: 'urgent' }, /priority: unknown value "urgent": valid values are High, Medium, Low/],
        [{ siteId: site, tz: 'UTC', status: 'acknowledged' }, /status: unknown value "acknowledged": valid values are open, closed/],
        [
          { siteId: site, tz: 'UTC', updatedSince: '2024-05-01' },
          /updatedSince must be a local time of the form YYYY-MM-DDThh:mm:ss .*got '2024-05-01'/,
        ],
        [{ siteId: site, tz: 'UTC', updatedSince: '2024-05-01T00:00:00Z' }, /updatedSince must be a local time/],
        [
          { siteId: site, tz: 'UTC', openDuringMin: '2024-13-01T00:00:00' },
          /openDuringMin '2024-13-01T00:00:00' is not a valid date and time/,
        ],
        [
          { siteId: site, tz: 'UTC', openDuringMin: '2024-05-02T00:00:00', openDuringMax: '2024-05-01T00:00:00' },
          /openDuringMax: is before openDuringMin/,
        ],
        [{ organisationId: org.id, tz: 'UTC' }, /needs updatedSince, or both openDuringMin and openDuringMax/],
        [{ organisationId: org.id, tz: 'UTC', openDuringMin: '2024-05-01T00:00:00' }, /needs updatedSince, or both/],
        [{ organisationId: org.id, tz: 'UTC', updatedSince: '2024-04-27T23:59:00' }, /updatedSince: may be at most 7 days ago/],
        [
          { organisationId: org.id, tz: 'UTC', openDuringMin: '2024-03-01T00:00:00', openDuringMax: '2024-04-02T00:00:00' },
          /at most 31 days/,
        ],
        [{ siteId: site, componentId: meter, tz: 'UTC' }, /exactly one of/],
        [{ siteId: site }, /tz/],
        [{ siteId: site, tz: 'UTC', colour: 'red' }, /colour|unrecognized/i],
      ];
      for (const [input, message] of cases) {
        await expect(list(input), JSON.stringify(input)).rejects.toMatchObject({
          code: 'VALIDATION_ERROR',
          message: expect.stringMatching(message),
        });
      }
    });

    it("shows no one another organisation's alerts", async () => {
      await expect(list({ siteId: site, tz: 'UTC' }, other.as.owner)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(list({ componentId: inverter, tz: 'UTC' }, other.as.owner)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(list({ organisationId: org.id, tz: 'UTC', updatedSince: '2024-05-01T00:00:00' }, other.as.owner)).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      expect(await list({ siteId: otherSite, tz: 'UTC' }, other.as.owner)).toEqual([]);
      expect(await list({ organisationId: other.id, tz: 'UTC', updatedSince: '2024-05-01T00:00:00' }, other.as.owner)).toEqual([]);
    });
  });
}
