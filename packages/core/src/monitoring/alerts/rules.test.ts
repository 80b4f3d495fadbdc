// The rules computed from readings, end to end: readings go in through the
// ingest service (which runs the after-ingest evaluation), the schedule runs
// at times the test chooses, and the alerts are read back from the table.
import type { Db } from '@helio/db';
import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextFor, seedOrganisation, type TestOrganisation } from '../../testing.js';
import { deleteComponent } from '../components/service.js';
import { dcDerate, modeledAcPower, moduleTemperature } from '../data/model.js';
import { evaluateAfterIngest, evaluateScheduled, evaluateSite } from './evaluate.js';
import { alertsOfSite, onClock, sendReadings, setSiteColumns, testClock, testComponent, testSite, type TestClock } from './testing.js';
import { lockSite } from './writer.js';

const at = (iso: string) => new Date(iso);

for (const engine of testEngines) {
  describe(`alert rules [${engine}]`, () => {
    let db: TestDb;
    let org: TestOrganisation;
    let clock: TestClock;
    beforeAll(async () => {
      db = await freshTestDb(engine);
      org = await seedOrganisation(db, 'Alerts Co');
      clock = testClock();
    });
    afterAll(() => db.dispose());

    const device = () => onClock(org.as.technician, clock);
    const system = () => contextFor(db, undefined, clock);
    const open = async (siteId: string) => (await alertsOfSite(db, siteId)).filter((a) => a.ended_at === null);

    describe('System Disconnect', () => {
      it('opens once when a component falls silent, changes when its threshold does, and closes when data arrives', async () => {
        const site = await testSite(db, org, 'Disconnect');
        const inverter = await testComponent(org, site, 'INVERTER');
        clock.set('2024-03-20T10:00:00Z');
        await sendReadings(device(), inverter, '2024-03-20T09:55:00Z', 5, { W: 900 });

        await evaluateScheduled(system(), at('2024-03-20T10:59:00Z'));
        expect(await alertsOfSite(db, site)).toEqual([]);

        await evaluateScheduled(system(), at('2024-03-20T11:01:00Z'));
        const [opened] = await alertsOfSite(db, site);
        expect(opened).toMatchObject({
          alert_type: 'System Disconnect',
          component_id: inverter,
          priority: 'High',
          started_at: at('2024-03-20T10:00:00Z'),
          ended_at: null,
          updated_at: at('2024-03-20T11:01:00Z'),
          details: { settings: { afterMinutes: 60 }, observed: { lastReceivedAt: '2024-03-20T10:00:00.000Z' } },
        });

        // Still silent: the same alert, untouched.
        await evaluateScheduled(system(), at('2024-03-20T11:30:00Z'));
        await evaluateScheduled(system(), at('2024-03-20T11:35:00Z'));
        expect(await alertsOfSite(db, site)).toEqual([opened]);

        // The site's threshold changes while the condition holds: the alert says so, and counts as updated.
        await setSiteColumns(db, site, { alertSettings: { systemDisconnect: { afterMinutes: 30 } } });
        await evaluateScheduled(system(), at('2024-03-20T11:40:00Z'));
        const [changed] = await alertsOfSite(db, site);
        expect(changed).toMatchObject({ started_at: opened!.started_at, ended_at: null, updated_at: at('2024-03-20T11:40:00Z') });
        expect(changed!.details).toMatchObject({ settings: { afterMinutes: 30 } });

        // Data arrives: the ingest's own evaluation closes the alert at that moment.
        clock.set('2024-03-20T12:00:00Z');
        await sendReadings(device(), inverter, '2024-03-20T11:55:00Z', 5, { W: 900 });
        const [closed] = await alertsOfSite(db, site);
        expect(closed).toMatchObject({ ended_at: at('2024-03-20T12:00:00Z'), updated_at: at('2024-03-20T12:00:00Z') });
        await evaluateScheduled(system(), at('2024-03-20T12:10:00Z'));
        expect(await alertsOfSite(db, site)).toHaveLength(1);

        // Silent again: a new alert, the first stays closed.
        await evaluateScheduled(system(), at('2024-03-20T12:31:00Z'));
        expect((await alertsOfSite(db, site)).map((a) => [a.started_at, a.ended_at])).toEqual([
          [at('2024-03-20T10:00:00Z'), at('2024-03-20T12:00:00Z')],
          [at('2024-03-20T12:00:00Z'), null],
        ]);
      });

      it('leaves readings older than every window to the schedule at a quiet site, yet closes an open alert when they arrive', async () => {
        const site = await testSite(db, org, 'Backfill');
        const inverter = await testComponent(org, site, 'INVERTER');
        const summary = (to: string) => ({ componentId: inverter, stored: 1, replaced: 0, from: to, to });
        clock.set('2024-03-20T10:00:00Z');
        // Nothing open, and before the longest window (Performance Index's 24 hours, widened by a 5-minute bucket): nothing to evaluate.
        await sendReadings(device(), inverter, '2024-03-18T09:00:00Z', 5, { W: 0, Wh: 0 });
        expect(await evaluateAfterIngest(device(), summary('2024-03-19T09:54:59Z'))).toMatchObject({ skipped: true });
        expect(await evaluateAfterIngest(device(), summary('2024-03-19T10:00:00Z'))).toMatchObject({ skipped: false });

        // Silent: System Disconnect opens; old readings arriving close it at once.
        await evaluateScheduled(system(), at('2024-03-20T11:01:00Z'));
        expect(await open(site)).toMatchObject([{ alert_type: 'System Disconnect', component_id: inverter }]);
        clock.set('2024-03-20T11:10:00Z');
        await sendReadings(device(), inverter, '2024-03-18T10:00:00Z', 5, { W: 0, Wh: 0 });
        expect(await open(site)).toEqual([]);
        expect((await alertsOfSite(db, site))[0]).toMatchObject({ ended_at: at('2024-03-20T11:10:00Z') });
      });

      it('leaves alone components that never sent anything and conceptual ones, and applies each site its own threshold', async () => {
        const quick = await testSite(db, org, 'Quick', { alertSettings: { systemDisconnect: { afterMinutes: 15 } } });
        const slow = await testSite(db, org, 'Slow');
        const quickMeter = await testComponent(org, quick, 'METER');
        const slowMeter = await testComponent(org, slow, 'METER');
        await testComponent(org, quick, 'INVERTER'); // never sends
        await testComponent(org, quick, 'OTHER', { conceptual: true });
        clock.set('2024-03-20T10:00:00Z');
        await sendReadings(device(), quickMeter, '2024-03-20T09:55:00Z', 5, { W: 5 });
        await sendReadings(device(), slowMeter, '2024-03-20T09:55:00Z', 5, { W: 5 });

        await evaluateScheduled(system(), at('2024-03-20T10:20:00Z'));
        expect((await open(quick)).map((a) => [a.alert_type, a.component_id])).toEqual([['System Disconnect', quickMeter]]);
        expect(await open(slow)).toEqual([]);
      });

      it('closes open alerts when the rule is switched off, or the component is deleted', async () => {
        const site = await testSite(db, org, 'Switched off');
        const a = await testComponent(org, site, 'METER');
        const b = await testComponent(org, site, 'INVERTER');
        clock.set('2024-03-20T10:00:00Z');
        await sendReadings(device(), a, '2024-03-20T09:55:00Z', 5, { W: 5 });
        await sendReadings(device(), b, '2024-03-20T09:55:00Z', 5, { W: 5 });
        await evaluateScheduled(system(), at('2024-03-20T11:10:00Z'));
        expect(await open(site)).toHaveLength(2);

        await deleteComponent(org.as.admin, b);
        await evaluateScheduled(system(), at('2024-03-20T11:15:00Z'));
        expect((await open(site)).map((x) => x.component_id)).toEqual([a]);

        await setSiteColumns(db, site, { alertSettings: { systemDisconnect: { enabled: false } } });
        await evaluateScheduled(system(), at('2024-03-20T11:20:00Z'));
        expect(await open(site)).toEqual([]);
        const ends = new Map((await alertsOfSite(db, site)).map((x) => [x.component_id, x.ended_at]));
        expect(ends).toEqual(
          new Map([
            [b, at('2024-03-20T11:15:00Z')],
            [a, at('2024-03-20T11:20:00Z')],
          ]),
        );
      });
    });

    describe('Zero Generation', () => {
      it('opens when an inverter sends zeros in daylight, and closes when it produces again', async () => {
        const site = await testSite(db, org, 'Zero');
        const inverter = await testComponent(org, site, 'INVERTER');
        clock.set('2024-03-20T12:00:00Z');
        await sendReadings(device(), inverter, '2024-03-20T11:00:00Z', 60, { W: 0, Wh: 0 });
        expect(await alertsOfSite(db, site)).toMatchObject([
          {
            alert_type: 'Zero Generation',
            component_id: inverter,
            priority: 'High',
            started_at: at('2024-03-20T11:00:00Z'),
            ended_at: null,
            details: { settings: { afterMinutes: 60, minIrradiance: 150 }, observed: { irradianceSource: 'clearSky' } },
          },
        ]);
        await evaluateScheduled(system(), at('2024-03-20T12:02:00Z'));
        expect(await alertsOfSite(db, site)).toHaveLength(1);

        clock.set('2024-03-20T12:10:00Z');
        await sendReadings(device(), inverter, '2024-03-20T12:00:00Z', 10, { W: 2500, Wh: 200 });
        expect(await alertsOfSite(db, site)).toMatchObject([{ ended_at: at('2024-03-20T12:10:00Z') }]);
      });

      it('says nothing at night, in a month expected to produce nothing, or under a measured sky darker than the site allows', async () => {
        const night = await testSite(db, org, 'Night');
        const nightInverter = await testComponent(org, night, 'INVERTER');
        clock.set('2024-03-20T01:00:00Z');
        await sendReadings(device(), nightInverter, '2024-03-20T00:00:00Z', 60, { W: 0, Wh: 0 });
        expect(await alertsOfSite(db, night)).toEqual([]);

        const table = Array.from({ length: 12 }, (_, i) => ({ month: i + 1, Wh_e: i + 1 === 3 ? 0 : 500_000, GHIh_t: null }));
        const idle = await testSite(db, org, 'Idle in March', { expectedMonthly: table });
        const idleMeter = await testComponent(org, idle, 'METER');
        clock.set('2024-03-20T12:00:00Z');
        await sendReadings(device(), idleMeter, '2024-03-20T11:00:00Z', 60, { Wh: 0 });
        expect(await alertsOfSite(db, idle)).toEqual([]);
        // The same table in April: expected to produce, so zero output is alerted.
        clock.set('2024-04-20T12:00:00Z');
        await sendReadings(device(), idleMeter, '2024-04-20T11:00:00Z', 60, { Wh: 0 });
        expect((await open(idle)).map((a) => a.alert_type)).toEqual(['Zero Generation']);

        // A weather station measures 100 W/m²: under the default 150, nothing; a site that alerts from 50 does.
        for (const [name, settings, expected] of [
          ['Overcast', undefined, []],
          ['Overcast, sensitive', { zeroGeneration: { minIrradiance: 50 } }, ['Zero Generation']],
        ] as const) {
          const site = await testSite(db, org, name, { alertSettings: settings });
          const station = await testComponent(org, site, 'WEATHERSTATION');
          const inverter = await testComponent(org, site, 'INVERTER');
          clock.set('2024-03-21T12:00:00Z');
          await sendReadings(device(), station, '2024-03-21T11:00:00Z', 60, { GHI: 100 });
          await sendReadings(device(), inverter, '2024-03-21T11:00:00Z', 60, { W: 0 });
          const alerts = await open(site);
          expect(alerts.map((a) => a.alert_type)).toEqual(expected);
          if (expected.length)
            expect(alerts[0]!.details).toMatchObject({ observed: { irradiance: 100, irradianceSource: 'weatherStation' } });
        }
      });
    });

    describe('Performance Index', () => {
      // The site's modeled power at 800 W/m² and 25 °C ambient, with the model settings' column defaults.
      const defaults = {
        sizeKw: 10,
        mismatch: 98,
        diodesAndConnections: 99,
        dcWiring: 98,
        soiling: 98,
        sunTracking: 100,
        nameplate: 99,
        acWiring: 99,
        transformer: 100,
      };
      const modeledWhPer5Min = (modeledAcPower(defaults, 800, moduleTemperature(800, undefined, 25), { inverterClipping: true }) * 5) / 60;

      it('checks the model against a hand calculation', () => {
        // 10 kW × 0.8 × (1 − 0.0047 × 25) × 0.98·0.99·0.98·0.98·1·0.99 × 0.96 × 0.99 × 1 ≈ 6 190 W
        const handDerate = 0.98 * 0.99 * 0.98 * 0.98 * 1 * 0.99;
        expect(dcDerate(defaults)).toBeCloseTo(handDerate, 10);
        expect(modeledWhPer5Min * 12).toBeCloseTo(10_000 * 0.8 * (1 - 0.0047 * 25) * handDerate * 0.96 * 0.99, 6);
      });

      it('opens when measured energy is under the threshold times modeled energy, and closes when corrected readings bring it up', async () => {
        const site = await testSite(db, org, 'Underperforming', { sizeKw: 10 });
        const station = await testComponent(org, site, 'WEATHERSTATION');
        const meter = await testComponent(org, site, 'METER');
        clock.set('2024-03-20T14:00:00Z');
        await sendReadings(device(), station, '2024-03-20T12:00:00Z', 120, { GHI: 800, TmpAmb: 25 });
        await sendReadings(device(), meter, '2024-03-20T12:00:00Z', 120, { Wh: modeledWhPer5Min * 0.5 });
        const [raised] = await open(site);
        expect(raised).toMatchObject({
          alert_type: 'Performance Index',
          component_id: meter,
          priority: 'Medium',
          details: { settings: { threshold: 0.7, windowHours: 24 }, observed: { performanceIndex: 0.5, buckets: 24 } },
        });

        // The logger replays the same period with corrected values: measured meets modeled.
        clock.set('2024-03-20T14:05:00Z');
        await sendReadings(device(), meter, '2024-03-20T12:00:00Z', 120, { Wh: modeledWhPer5Min });
        expect(await alertsOfSite(db, site)).toMatchObject([{ alert_type: 'Performance Index', ended_at: at('2024-03-20T14:05:00Z') }]);
      });

      it("follows the site's threshold, and needs a size and a weather station", async () => {
        const lenient = await testSite(db, org, 'Lenient', { sizeKw: 10, alertSettings: { performanceIndex: { threshold: 0.4 } } });
        const unsized = await testSite(db, org, 'Unsized');
        for (const site of [lenient, unsized]) {
          const station = await testComponent(org, site, 'WEATHERSTATION');
          const meter = await testComponent(org, site, 'METER');
          clock.set('2024-03-20T14:00:00Z');
          await sendReadings(device(), station, '2024-03-20T12:00:00Z', 120, { GHI: 800, TmpAmb: 25 });
          await sendReadings(device(), meter, '2024-03-20T12:00:00Z', 120, { Wh: modeledWhPer5Min * 0.5 });
        }
        const noStation = await testSite(db, org, 'No station', { sizeKw: 10 });
        const meter = await testComponent(org, noStation, 'METER');
        await sendReadings(device(), meter, '2024-03-20T12:00:00Z', 120, { Wh: 1 });
        await evaluateScheduled(system(), at('2024-03-20T14:00:00Z'));
        for (const site of [lenient, unsized, noStation]) expect(await alertsOfSite(db, site)).toEqual([]);
      });
    });

    describe('Strings Performance', () => {
      it('opens on the one string well below its peers, once, and closes when it recovers', async () => {
        const site = await testSite(db, org, 'Strings');
        const inverter = await testComponent(org, site, 'INVERTER');
        const strings = [];
        for (let i = 0; i < 4; i++) strings.push(await testComponent(org, site, 'STRING', { parentId: inverter }));
        clock.set('2024-03-20T12:00:00Z');
        for (const [i, s] of strings.entries()) await sendReadings(device(), s, '2024-03-20T11:00:00Z', 60, { W: i === 3 ? 400 : 1000 });
        await evaluateScheduled(system(), at('2024-03-20T12:01:00Z'));
        const alerts = await alertsOfSite(db, site);
        expect(alerts).toMatchObject([
          {
            alert_type: 'Strings Performance',
            component_id: strings[3],
            priority: 'Medium',
            ended_at: null,
            details: {
              settings: { threshold: 0.8, windowMinutes: 60 },
              observed: { measure: 'W_avg', value: 400, peerMedian: 1000, ratio: 0.4 },
            },
          },
        ]);

        clock.set('2024-03-20T12:05:00Z');
        await sendReadings(device(), strings[3]!, '2024-03-20T11:00:00Z', 60, { W: 990 });
        expect(await alertsOfSite(db, site)).toMatchObject([{ component_id: strings[3], ended_at: at('2024-03-20T12:05:00Z') }]);
      });

      it('needs three peers with data and the sun well up, and follows the site threshold', async () => {
        const pair = await testSite(db, org, 'Pair');
        const dusk = await testSite(db, org, 'Dusk');
        const lenient = await testSite(db, org, 'Lenient strings', { alertSettings: { stringsPerformance: { threshold: 0.3 } } });
        for (const [site, count, time] of [
          [pair, 2, '2024-03-20T12:00:00Z'],
          [dusk, 4, '2024-03-20T18:05:00Z'],
          [lenient, 4, '2024-03-20T12:00:00Z'],
        ] as const) {
          clock.set(time);
          for (let i = 0; i < count; i++) {
            const s = await testComponent(org, site, 'STRING');
            await sendReadings(device(), s, new Date(Date.parse(time) - 3_600_000).toISOString(), 60, { W: i === 0 ? 400 : 1000 });
          }
          await evaluateScheduled(system(), clock.now());
          expect(await alertsOfSite(db, site)).toEqual([]);
        }
      });
    });

    describe('evaluation', () => {
      it('never opens two alerts for one condition when evaluators race', async () => {
        const site = await testSite(db, org, 'Race');
        const meter = await testComponent(org, site, 'METER');
        clock.set('2024-03-20T10:00:00Z');
        await sendReadings(device(), meter, '2024-03-20T09:55:00Z', 5, { W: 5 });
        const when = at('2024-03-20T11:30:00Z');
        await Promise.all([
          evaluateScheduled(system(), when),
          evaluateScheduled(system(), when),
          ...Array.from({ length: 4 }, () => evaluateSite(system(), site, when, { wait: true })),
        ]);
        expect((await alertsOfSite(db, site)).map((a) => a.alert_type)).toEqual(['System Disconnect']);
      });

      it.runIf(engine === 'postgres')('skips a site another server is evaluating', async () => {
        const site = await testSite(db, org, 'Busy');
        const meter = await testComponent(org, site, 'METER');
        clock.set('2024-03-20T10:00:00Z');
        await sendReadings(device(), meter, '2024-03-20T09:55:00Z', 5, { W: 5 });
        await db.transaction(async (tx) => {
          await lockSite(tx, site, true);
          const r = await evaluateSite(system(), site, at('2024-03-20T11:30:00Z'), { wait: false });
          expect(r.skipped).toBe(true);
        });
        expect(await alertsOfSite(db, site)).toEqual([]);
        expect((await evaluateSite(system(), site, at('2024-03-20T11:30:00Z'), { wait: false })).opened).toBe(1);
      });

      it('closes the alerts of a deleted site', async () => {
        const site = await testSite(db, org, 'Doomed');
        const meter = await testComponent(org, site, 'METER');
        clock.set('2024-03-20T10:00:00Z');
        await sendReadings(device(), meter, '2024-03-20T09:55:00Z', 5, { W: 5 });
        await evaluateScheduled(system(), at('2024-03-20T11:30:00Z'));
        expect(await open(site)).toHaveLength(1);
        await (db as Db).query('UPDATE sites SET deleted_at = now() WHERE id = $1', [site]);
        await evaluateScheduled(system(), at('2024-03-20T11:35:00Z'));
        expect(await open(site)).toEqual([]);
      });
    });
  });
}
