import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextFor, seedOrganisation, type TestOrganisation } from '../../testing.js';
import { evaluateScheduled } from './evaluate.js';
import { recordEvents } from './events.js';
import { alertsOfSite, onClock, setSiteColumns, testClock, testComponent, testSite, type TestClock } from './testing.js';

const at = (iso: string) => new Date(iso);

for (const engine of testEngines) {
  describe(`device events and Device Fault alerts [${engine}]`, () => {
    let db: TestDb;
    let org: TestOrganisation;
    let other: TestOrganisation;
    let clock: TestClock;
    beforeAll(async () => {
      db = await freshTestDb(engine);
      org = await seedOrganisation(db, 'Faults Co');
      other = await seedOrganisation(db, 'Elsewhere');
      clock = testClock('2024-05-01T12:00:00Z');
    });
    afterAll(() => db.dispose());

    const device = () => onClock(org.as.technician, clock);
    const eventCount = async (componentId: string) =>
      Number(
        (await db.query<{ n: number }>('SELECT count(*) AS n FROM component_events WHERE component_id = $1', [componentId])).rows[0]!.n,
      );

    it('opens one alert per active code, changes it when the device says something new, and closes it on the cleared event', async () => {
      const site = await testSite(db, org, 'Faulty');
      const inverter = await testComponent(org, site, 'INVERTER', { name: 'Inverter 1' });
      clock.set('2024-05-01T10:01:00Z');
      const first = await recordEvents(device(), inverter, {
        ts: '2024-05-01T12:00:00+02:00',
        code: 'E042',
        state: 'active',
        priority: 'high',
        descriptionShort: 'VDC high',
        descriptionLong: 'A voltage higher than 2100 V is present on the DC bus. (Resettable)',
      });
      expect(first).toMatchObject({ stored: 1, opened: 1, updated: 0, closed: 0, outOfOrder: 0 });
      expect(first.alerts).toMatchObject([
        {
          alertType: 'Device Fault',
          componentName: 'Inverter 1',
          conditionKey: 'E042',
          priority: 'High',
          startedAt: '2024-05-01T10:00:00.000Z',
          endedAt: null,
        },
      ]);

      // The device repeats itself: nothing changes. It leaves the descriptions out: they stay.
      clock.set('2024-05-01T10:05:00Z');
      expect(
        await recordEvents(device(), inverter, { ts: '2024-05-01T10:05:00Z', code: 'E042', state: 'active', priority: 'High' }),
      ).toMatchObject({
        opened: 0,
        updated: 0,
      });
      const [unchanged] = await alertsOfSite(db, site);
      expect(unchanged).toMatchObject({ updated_at: at('2024-05-01T10:01:00Z'), description_short: 'VDC high' });

      // A new description is a change of the alert.
      clock.set('2024-05-01T10:10:00Z');
      await recordEvents(device(), inverter, {
        ts: '2024-05-01T10:10:00Z',
        code: 'E042',
        state: 'active',
        descriptionShort: 'VDC very high',
      });
      expect(await alertsOfSite(db, site)).toMatchObject([
        { description_short: 'VDC very high', priority: 'High', updated_at: at('2024-05-01T10:10:00Z'), ended_at: null },
      ]);

      // Another code is another alert; the cleared event closes only its own code's, at the event's time.
      clock.set('2024-05-01T10:31:00Z');
      await recordEvents(device(), inverter, { ts: '2024-05-01T10:20:00Z', code: 'FAN', state: 'active' });
      const cleared = await recordEvents(device(), inverter, { ts: '2024-05-01T10:30:00Z', code: 'E042', state: 'cleared' });
      expect(cleared).toMatchObject({ closed: 1 });
      expect((await alertsOfSite(db, site)).map((a) => [a.condition_key, a.priority, a.ended_at])).toEqual([
        ['E042', 'High', at('2024-05-01T10:30:00Z')],
        ['FAN', 'Medium', null],
      ]);
      expect(await eventCount(inverter)).toBe(5);
    });

    it('applies a batch in time order, and keeps but ignores an event older than what it has seen', async () => {
      const site = await testSite(db, org, 'Replay');
      const logger = await testComponent(org, site, 'METER');
      clock.set('2024-05-01T12:00:00Z');
      const replay = await recordEvents(device(), logger, {
        events: [
          { ts: '2024-05-01T11:00:00Z', code: 'GRID', state: 'active' },
          { ts: '2024-05-01T10:30:00Z', code: 'GRID', state: 'cleared' },
          { ts: '2024-05-01T10:00:00Z', code: 'GRID', state: 'active', descriptionShort: 'Grid lost' },
        ],
      });
      expect(replay).toMatchObject({ stored: 3, opened: 2, closed: 1 });
      expect((await alertsOfSite(db, site)).map((a) => [a.started_at, a.ended_at, a.description_short])).toEqual([
        [at('2024-05-01T10:00:00Z'), at('2024-05-01T10:30:00Z'), 'Grid lost'],
        [at('2024-05-01T11:00:00Z'), null, null],
      ]);

      // Cleared at 11:30; then a late "active" from 11:15 arrives: kept in the history, no alert reopens.
      await recordEvents(device(), logger, { ts: '2024-05-01T11:30:00Z', code: 'GRID', state: 'cleared' });
      const late = await recordEvents(device(), logger, { ts: '2024-05-01T11:15:00Z', code: 'GRID', state: 'active' });
      expect(late).toMatchObject({ stored: 1, opened: 0, outOfOrder: 1, alerts: [] });
      expect((await alertsOfSite(db, site)).filter((a) => a.ended_at === null)).toEqual([]);
      expect(await eventCount(logger)).toBe(5);
    });

    it('keeps events but raises nothing when the site turns Device Fault off, and the schedule closes what was open', async () => {
      const site = await testSite(db, org, 'Quiet');
      const inverter = await testComponent(org, site, 'INVERTER');
      clock.set('2024-05-01T12:00:00Z');
      await recordEvents(device(), inverter, { ts: '2024-05-01T11:00:00Z', code: 'A', state: 'active' });
      await setSiteColumns(db, site, { alertSettings: { deviceFault: { enabled: false } } });
      expect(await recordEvents(device(), inverter, { ts: '2024-05-01T11:05:00Z', code: 'B', state: 'active' })).toMatchObject({
        stored: 1,
        opened: 0,
      });
      await evaluateScheduled(contextFor(db, undefined, clock), at('2024-05-01T12:01:00Z'));
      expect((await alertsOfSite(db, site)).map((a) => [a.condition_key, a.ended_at])).toEqual([['A', at('2024-05-01T12:01:00Z')]]);
      expect(await eventCount(inverter)).toBe(2);
    });

    it('refuses bad events with a clear error and writes nothing', async () => {
      const site = await testSite(db, org, 'Strict');
      const inverter = await testComponent(org, site, 'INVERTER');
      const grouping = await testComponent(org, site, 'OTHER', { conceptual: true });
      clock.set('2024-05-01T12:00:00Z');
      const good = { ts: '2024-05-01T11:00:00Z', code: 'X', state: 'active' };
      const cases: [unknown, RegExp][] = [
        [{ ...good, ts: '2024-05-01T11:00:00' }, /ts/],
        [{ ...good, ts: 'yesterday' }, /ts/],
        [{ ...good, ts: '2024-05-01T14:00:00Z' }, /ts: .* more than an hour ahead/],
        [{ ...good, state: 'on' }, /state/],
        [{ ...good, priority: 'urgent' }, /priority/],
        [{ ...good, code: '' }, /code/],
        [{ ...good, colour: 'red' }, /colour|unrecognized/i],
        [{ events: [] }, /events/],
        [{ events: [good, { ...good, state: 'gone' }] }, /events\[1\]\.state/],
        [{ events: Array.from({ length: 1001 }, () => good) }, /events/],
        ['not an object', /invalid input/],
      ];
      for (const [input, message] of cases) {
        await expect(recordEvents(device(), inverter, input), JSON.stringify(input).slice(0, 80)).rejects.toMatchObject({
          code: 'VALIDATION_ERROR',
          message: expect.stringMatching(message),
        });
      }
      await expect(recordEvents(device(), grouping, good)).rejects.toMatchObject({ code: 'VALIDATION_ERROR', message: /conceptual/ });
      await expect(recordEvents(onClock(org.as.viewer, clock), inverter, good)).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(recordEvents(onClock(other.as.owner, clock), inverter, good)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(recordEvents(device(), 'not-a-uuid', good)).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
      expect(await eventCount(inverter)).toBe(0);
      expect(await eventCount(grouping)).toBe(0);
      expect(await alertsOfSite(db, site)).toEqual([]);
    });
  });
}
