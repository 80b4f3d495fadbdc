// `simulateSite` on a real database: the tree it creates, what it fills in on
// the site, the readings read back from storage and from the data service,
// the device events and the Device Fault alerts they open and close, a
// repeated run that changes nothing, live mode, and refusals.
import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../ids.js';
import { createSite, getSite } from '../../sites/service.js';
import { contextFor, seedOrganisation } from '../../testing.js';
import { sunPosition } from '../alerts/solar.js';
import { createComponent, listComponents } from '../components/service.js';
import { siteData } from '../data/query.js';
import { storedField } from '../fields.js';
import { outagesBetween } from './plant.js';
import { OUTAGE_EVENT, simulateSite } from './service.js';
import { DEFAULT_PLACE, localMidnight } from './site-defaults.js';

const W = storedField('W')!.code!;
const WH = storedField('Wh')!.code!;
const GHI = storedField('GHI')!.code!;
const MIN = 60_000;

/** A clock the test moves. */
function testClock(start: number): Clock & { set(ms: number): void; ms(): number } {
  let now = start;
  return { now: () => new Date(now), set: (ms) => void (now = ms), ms: () => now };
}

/** The first seed whose simulated outages include one wholly inside [from, to) (3 inverters, Madrid, 5 minutes). */
function seedWithOutage(from: number, to: number): number {
  const inverters = [0, 1, 2].map(() => ({ componentId: 'x', sizeKw: 1, health: 1 }));
  for (let seed = 1; ; seed++) {
    const outages = outagesBetween({ seed, place: DEFAULT_PLACE, intervalMinutes: 5, inverters }, from, to);
    if (outages.some((o) => o.start >= from && o.end < to)) return seed;
  }
}

for (const engine of testEngines) {
  describe(`helio simulate, the service [${engine}]`, () => {
    let db: TestDb;
    beforeAll(async () => {
      db = await freshTestDb(engine);
    });
    afterAll(() => db.dispose());

    const values = async (componentId: string, field: number) =>
      (
        await db.query<{ ts: Date; value: number }>('SELECT ts, value FROM readings WHERE component_id = $1 AND field = $2 ORDER BY ts', [
          componentId,
          field,
        ])
      ).rows.map((r) => ({ ts: new Date(r.ts).getTime(), value: Number(r.value) }));

    it('gives a bare site a tree, a size and a place, and a day of readings that add up, read back as sensible daily energy', async () => {
      // 13:02:30 UTC on the longest day: the run ends with the interval that ended at 13:00.
      const now = Date.UTC(2026, 5, 21, 13, 2, 30);
      const clock = testClock(now);
      const org = await seedOrganisation(db, 'Sim', clock);
      const ctx = { ...org.as.technician, clock };
      const site = await createSite(org.as.admin, { siteName: 'Bare site', capacity: 0.12, unit: 'MWp' });
      const from = Date.UTC(2026, 5, 19, 22); // local midnight of 20 June in Madrid (UTC+2)
      const seed = seedWithOutage(from, Date.UTC(2026, 5, 21, 13));

      const summary = await simulateSite(ctx, { site: String(site.locusId), days: 1, seed });

      // The site: its size from the capacity, Madrid for lack of coordinates and zone.
      const after = await getSite(ctx, site.id);
      expect([after.sizeKw, after.latitude, after.longitude, after.timezone]).toEqual([120, 40.4168, -3.7038, 'Europe/Madrid']);
      expect(summary.siteUpdates).toEqual({ sizeKw: 120, latitude: 40.4168, longitude: -3.7038, timezone: 'Europe/Madrid' });

      // The tree: meter > 3 inverters > 2 strings each, and a weather station, node ids from the Locus id.
      const components = await listComponents(ctx, { siteId: site.id });
      const byNode = new Map(components.map((c) => [c.nodeId, c]));
      const prefix = `sim-${site.locusId}`;
      expect([...byNode.keys()].sort()).toEqual(
        ['meter', 'ws', ...[1, 2, 3].flatMap((i) => [`inv${i}`, `inv${i}-s1`, `inv${i}-s2`])].map((k) => `${prefix}-${k}`).sort(),
      );
      const meter = byNode.get(`${prefix}-meter`)!;
      const inverters = [1, 2, 3].map((i) => byNode.get(`${prefix}-inv${i}`)!);
      expect(meter).toMatchObject({ nodeType: 'METER', application: 'GENERATION', parentId: null });
      expect(byNode.get(`${prefix}-ws`)).toMatchObject({ nodeType: 'WEATHERSTATION', parentId: null });
      for (const [i, inv] of inverters.entries()) {
        expect(inv).toMatchObject({ nodeType: 'INVERTER', parentId: meter.id });
        for (const s of [1, 2]) expect(byNode.get(`${prefix}-inv${i + 1}-s${s}`)).toMatchObject({ nodeType: 'STRING', parentId: inv.id });
      }
      expect(summary.componentsCreated).toBe(11);
      expect(summary.componentsSimulated).toBe(11);

      // The period: from local midnight a day before today to the last whole interval.
      expect(summary.from).toBe(new Date(from).toISOString());
      expect(summary.to).toBe(new Date(Date.UTC(2026, 5, 21, 13)).toISOString());
      const intervals = (Date.UTC(2026, 5, 21, 13) - from) / (5 * MIN);
      const meterW = await values(meter.id, W);
      expect(meterW).toHaveLength(intervals);
      expect(meterW[0]!.ts).toBe(from);

      // The meter is the sum of the inverters, and Wh is W × 5 minutes.
      const meterWh = await values(meter.id, WH);
      const inverterWh = await Promise.all(inverters.map((c) => values(c.id, WH)));
      const sum = (list: { value: number }[]) => list.reduce((s, r) => s + r.value, 0);
      expect(sum(meterWh)).toBeCloseTo(
        inverterWh.reduce((s, l) => s + sum(l), 0),
        1,
      );
      meterW.forEach((r, i) => expect(meterWh[i]!.value).toBeCloseTo(r.value / 12, 3));

      // Nothing at night, at the site's coordinates as the test computes the sun.
      const ghi = await values(byNode.get(`${prefix}-ws`)!.id, GHI);
      let dark = 0;
      meterW.forEach((r, i) => {
        if (sunPosition(40.4168, -3.7038, new Date(r.ts + 150_000)).elevation > -1) return;
        dark++;
        expect([r.value, ghi[i]!.value]).toEqual([0, 0]);
      });
      expect(dark).toBeGreaterThan(100);

      // Read back through the data service: 20 June in Madrid, a few kWh per kW.
      const [day] = await siteData(ctx, site.id, {
        fields: 'Wh_sum',
        gran: 'daily',
        tz: 'Europe/Madrid',
        start: '2026-06-20T00:00:00',
        end: '2026-06-21T00:00:00',
      });
      const dayWh = Number(day!['Wh_sum']);
      expect(dayWh / 1000 / 120).toBeGreaterThan(1);
      expect(dayWh / 1000 / 120).toBeLessThan(8.5);
      const stored = meterWh.filter((r) => r.ts < Date.UTC(2026, 5, 20, 22)).reduce((s, r) => s + r.value, 0);
      expect(dayWh).toBeCloseTo(stored, 3);

      // The outage: the inverter is silent, a Device Fault event opens an alert and its clearing closes it.
      expect(summary.outages.length).toBeGreaterThan(0);
      for (const o of summary.outages.filter((x) => Date.parse(x.end) < now)) {
        const silent = (await values(o.componentId, W)).filter((r) => r.ts >= Date.parse(o.start) && r.ts < Date.parse(o.end));
        expect(silent).toEqual([]);
        const events = await db.query<{ state: string; ts: Date; code: string }>(
          'SELECT state, ts, code FROM component_events WHERE component_id = $1 ORDER BY ts',
          [o.componentId],
        );
        expect(events.rows.map((e) => [e.state, new Date(e.ts).getTime(), e.code])).toEqual([
          ['active', Date.parse(o.start), OUTAGE_EVENT.code],
          ['cleared', Date.parse(o.end), OUTAGE_EVENT.code],
        ]);
        const alerts = await db.query<{ started_at: Date; ended_at: Date | null }>(
          `SELECT started_at, ended_at FROM alerts WHERE component_id = $1 AND alert_type = 'Device Fault'`,
          [o.componentId],
        );
        expect(alerts.rows.map((a) => [new Date(a.started_at).getTime(), a.ended_at && new Date(a.ended_at).getTime()])).toEqual([
          [Date.parse(o.start), Date.parse(o.end)],
        ]);
      }
      expect(summary.events).toBe(summary.outages.filter((o) => Date.parse(o.end) < now).length * 2);
      expect(summary.rows).toBeGreaterThan(0);
      expect(summary.stored).toBeGreaterThan(summary.rows);
      expect([summary.unchanged, summary.replaced]).toEqual([0, 0]);

      // Again, the same period: nothing new anywhere.
      const again = await simulateSite(ctx, { site: site.id, days: 1, seed });
      expect(again).toMatchObject({ componentsCreated: 0, stored: 0, replaced: 0, unchanged: summary.stored, events: 0, siteUpdates: {} });
      expect(await listComponents(ctx, { siteId: site.id })).toHaveLength(11);
      expect(await values(meter.id, W)).toHaveLength(intervals);
    }, 120_000);

    it('in live mode writes each interval once it is over, until aborted, continuing the history exactly', async () => {
      const start = Date.UTC(2026, 2, 10, 10, 3);
      const clock = testClock(start);
      const org = await seedOrganisation(db, 'Live', clock);
      const ctx = { ...org.as.technician, clock };
      const site = await createSite(org.as.admin, { siteName: 'Live site', latitude: 48.1, longitude: 11.6, timezone: 'Europe/Berlin' });
      const meter = await createComponent(ctx, { siteId: site.id, nodeId: `live-meter-${site.id}`, name: 'Meter', nodeType: 'METER' });
      const abort = new AbortController();
      const progress: number[] = [];
      const sleeps: number[] = [];

      const summary = await simulateSite(ctx, {
        site: site.id,
        days: 0,
        seed: 9,
        live: true,
        signal: abort.signal,
        // Waiting moves the clock; after three live writes, Ctrl-C.
        sleep: async (ms) => {
          sleeps.push(ms);
          clock.set(clock.ms() + ms);
        },
        onProgress: (p) => {
          if (p.phase !== 'live') return;
          progress.push(p.done);
          if (p.done >= 3) abort.abort();
        },
      });

      expect(progress).toEqual([0, 1, 2, 3]);
      // The first wait ends a second after the interval 10:00–10:05 closes.
      expect(sleeps[0]).toBe(Date.UTC(2026, 2, 10, 10, 5, 1) - start);
      expect(summary).toMatchObject({
        live: true,
        componentsCreated: 0,
        componentsSimulated: 1,
        to: new Date(Date.UTC(2026, 2, 10, 10, 15)).toISOString(),
      });
      expect(summary.siteUpdates).toEqual({ sizeKw: 50 });
      const meterW = await values(meter.id, W);
      // Today from local midnight (23:00 UTC) to 10:15, every 5 minutes, no gap between history and live.
      expect(meterW).toHaveLength((Date.UTC(2026, 2, 10, 10, 15) - localMidnight(start, 'Europe/Berlin')) / (5 * MIN));
      meterW.forEach((r, i) => expect(r.ts).toBe(meterW[0]!.ts + i * 5 * MIN));
      expect(meterW.at(-1)!.value).toBeGreaterThan(0);
    }, 120_000);

    it('refuses bad options and unknown or foreign sites, writing nothing', async () => {
      const org = await seedOrganisation(db, 'Refused');
      const other = await seedOrganisation(db, 'Other');
      const site = await createSite(org.as.admin, { siteName: 'Untouched' });
      const ctx = contextFor(db, org.as.technician.principal);
      for (const bad of [{ days: -1 }, { days: 1.5 }, { days: 400 }, { intervalMinutes: 3 }, { seed: -2 }, { seed: Number.NaN }]) {
        await expect(simulateSite(ctx, { site: site.id, ...bad })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
      }
      for (const unknown of ['999999999', '0', '-4', '99999999999999999999']) {
        await expect(simulateSite(ctx, { site: unknown })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      }
      await expect(simulateSite(ctx, { site: 'not-a-site' })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
      await expect(simulateSite(other.as.admin, { site: site.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(simulateSite(other.as.admin, { site: String(site.locusId) })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(simulateSite(org.as.viewer, { site: site.id, days: 0 })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      expect(await listComponents(ctx, { siteId: site.id })).toEqual([]);
      expect((await getSite(ctx, site.id)).sizeKw).toBeNull();
    });
  });
}
