// The simulator's physics, checked against what must hold whatever the
// weather: darkness gives nothing, inverters never exceed their rating, the
// meter is the sum of the inverters, energy is power × time, and a seed
// reproduces every value.
import { describe, expect, it } from 'vitest';
import { sunPosition } from '../alerts/solar.js';
import { INVERTER_EFFICIENCY, type ModelSettings } from '../data/model.js';
import {
  intervalValues,
  inverterHealth,
  inverterPower,
  inverterRating,
  outagesBetween,
  stringShares,
  stringVmp,
  type PlantPlan,
} from './plant.js';
import { dayWeather, hashRandom, solarDay, weatherAt } from './weather.js';

const settings: ModelSettings = {
  sizeKw: 60,
  mismatch: 98,
  diodesAndConnections: 99,
  dcWiring: 98,
  soiling: 98,
  sunTracking: 100,
  nameplate: 99,
  acWiring: 99,
  transformer: 100,
};
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function plan(seed: number, place = { latitude: 52.52, longitude: 13.4 }, intervalMinutes = 5): PlantPlan {
  const inverters = [0, 1, 2].map((i) => ({ componentId: `inv${i}`, sizeKw: settings.sizeKw / 3, health: inverterHealth(seed, i) }));
  const strings = inverters.flatMap((inv, i) => {
    const shares = stringShares(seed, i, 2);
    return shares.map((share, j) => ({ componentId: `inv${i}-s${j}`, inverter: i, share, vmp: stringVmp(inv.sizeKw * share) }));
  });
  return {
    seed,
    place,
    settings,
    intervalMinutes,
    inverters,
    strings,
    meters: [{ componentId: 'meter', inverters: [0, 1, 2], split: 1 }],
    weatherStations: ['ws'],
  };
}

/** Every interval of [from, to) with its values, outages included. */
function* run(p: PlantPlan, from: number, to: number) {
  const step = p.intervalMinutes * 60_000;
  const outages = outagesBetween(p, from, to);
  for (let t = from; t < to; t += step) yield { t, ...intervalValues(p, t, outages) };
}

const num = (v: number | string | undefined) => v as number;

// Two weeks in June in Berlin (long days, cool mornings: clipping) and in December in Madrid.
const june = { from: Date.UTC(2026, 5, 1), to: Date.UTC(2026, 5, 15) };
const december = { from: Date.UTC(2026, 11, 1), to: Date.UTC(2026, 11, 15) };

describe('the simulated plant', () => {
  it('produces nothing, and measures no light, while the sun is below the horizon', () => {
    const p = plan(11);
    let nights = 0;
    for (const v of run(p, june.from, june.to)) {
      // The sun at the interval's midpoint, computed here, not taken from the generator.
      const sun = sunPosition(p.place.latitude, p.place.longitude, new Date(v.t + 150_000));
      if (sun.elevation >= -1) continue;
      nights++;
      for (const [id, r] of v.readings) {
        if (id.startsWith('inv') && !id.includes('-s')) expect([r.W, r.Wh]).toEqual([0, 0]);
        if (id.includes('-s')) expect([r.DCW, r.DCA, r.DCV]).toEqual([0, 0, 0]);
        if (id === 'meter') expect([r.W, r.Wh]).toEqual([0, 0]);
        if (id === 'ws') expect([r.GHI, r.POA]).toEqual([0, 0]);
      }
    }
    expect(nights).toBeGreaterThan(14 * 60);
  });

  it('caps each inverter at its AC rating and clips on bright, cool hours', () => {
    const inv = { sizeKw: 20, health: 1 };
    expect(inverterPower(settings, inv, 1300, 10)).toEqual({
      ac: inverterRating(20),
      dc: inverterRating(20) / INVERTER_EFFICIENCY,
      clipped: true,
    });
    expect(inverterPower(settings, inv, 300, 20).clipped).toBe(false);

    const p = plan(42);
    let clipped = 0;
    for (const v of run(p, june.from, june.to)) {
      p.inverters.forEach((inverter, i) => {
        const W = v.inverterW[i];
        if (W === null || W === undefined) return;
        expect(W).toBeLessThanOrEqual(inverterRating(inverter.sizeKw) + 0.05);
        if (v.clipped[i]) {
          clipped++;
          expect(W).toBeCloseTo(inverterRating(inverter.sizeKw), 1);
        }
      });
    }
    expect(clipped).toBeGreaterThan(0);
  });

  it('makes the meter the sum of the inverters, also while one is out', () => {
    const p = plan(42);
    const outages = outagesBetween(p, june.from, june.to);
    expect(outages.length).toBeGreaterThan(0);
    let duringOutage = 0;
    for (const v of run(p, june.from, june.to)) {
      const meter = v.readings.get('meter')!;
      const inverters = ['inv0', 'inv1', 'inv2'].map((id) => v.readings.get(id));
      if (inverters.some((r) => r === undefined)) duringOutage++;
      const sumW = inverters.reduce((s, r) => s + num(r?.W ?? 0), 0);
      const sumWh = inverters.reduce((s, r) => s + num(r?.Wh ?? 0), 0);
      expect(num(meter.W)).toBeCloseTo(sumW, 6);
      expect(num(meter.Wh)).toBeCloseTo(sumWh, 3);
    }
    expect(duringOutage).toBeGreaterThan(0);
  });

  it('writes each interval energy as its power times the interval, at 1 and 5 minutes', () => {
    for (const minutes of [1, 5]) {
      const p = plan(3, undefined, minutes);
      for (const v of run(p, june.from, june.from + 2 * DAY)) {
        for (const r of v.readings.values()) {
          if (r.W === undefined) continue;
          expect(Math.abs(num(r.Wh) - (num(r.W) * minutes) / 60)).toBeLessThan(0.0001);
        }
      }
    }
  });

  it('splits an inverter into strings whose DC power adds up to its input, each power = voltage × current', () => {
    const p = plan(5);
    for (const v of run(p, june.from, june.from + 2 * DAY)) {
      p.inverters.forEach((inverter, i) => {
        const W = v.inverterW[i];
        if (W === null || W === undefined) return;
        const strings = p.strings.filter((s) => s.inverter === i).map((s) => v.readings.get(s.componentId)!);
        const dc = strings.reduce((s, r) => s + num(r.DCW), 0);
        // Not clipped: AC = 96 % of DC; clipped: the DC input is held at what the rating needs.
        const expectedDc = v.clipped[i] ? inverterRating(inverter.sizeKw) / INVERTER_EFFICIENCY : W / INVERTER_EFFICIENCY;
        // Within the rounding of W and of each string's DCW (0.1 W each).
        expect(Math.abs(dc - expectedDc)).toBeLessThan(0.2);
        // Within the rounding of voltage (0.1 V), current (1 mA) and power (0.1 W).
        for (const r of strings) {
          const [V, A] = [num(r.DCV), num(r.DCA)];
          expect(Math.abs(V * A - num(r.DCW))).toBeLessThanOrEqual(A * 0.05 + V * 0.0005 + 0.05 + 1e-9);
        }
      });
    }
  });

  it('silences an outage’s inverter and its strings for one to two daylight hours', () => {
    const p = plan(42);
    const outages = outagesBetween(p, june.from, june.to);
    for (const o of outages) {
      expect(o.end - o.start).toBeGreaterThanOrEqual(HOUR);
      expect(o.end - o.start).toBeLessThanOrEqual(2 * HOUR);
      expect(sunPosition(p.place.latitude, p.place.longitude, new Date(o.start)).elevation).toBeGreaterThan(10);
      const inside = intervalValues(p, o.start, outages);
      const id = `inv${o.inverter}`;
      expect(inside.readings.has(id)).toBe(false);
      expect(inside.readings.has(`${id}-s0`)).toBe(false);
      expect(inside.readings.has('meter')).toBe(true);
      expect(intervalValues(p, o.end, outages).readings.has(id)).toBe(true);
      expect(intervalValues(p, o.start - 5 * 60_000, outages).readings.has(id)).toBe(true);
    }
    // Never more than one a day.
    const days = new Set(outages.map((o) => solarDay(p.place, o.start)));
    expect(days.size).toBe(outages.length);
  });

  it('gives a few kWh per kW on a clear day, less under clouds, and daylight irradiance that clouds dim', () => {
    for (const { place, period, clearMin, clearMax } of [
      { place: { latitude: 52.52, longitude: 13.4 }, period: june, clearMin: 5, clearMax: 8 },
      { place: { latitude: 40.42, longitude: -3.7 }, period: december, clearMin: 3, clearMax: 5.5 },
    ]) {
      const p = plan(21, place);
      const daily = new Map<number, { wh: number; intervals: number }>();
      for (const v of run(p, period.from, period.to)) {
        const day = solarDay(place, v.t);
        const d = daily.get(day) ?? { wh: 0, intervals: 0 };
        daily.set(day, { wh: d.wh + num(v.readings.get('meter')!.Wh), intervals: d.intervals + 1 });
      }
      // Whole solar days only: the period's first and last are cut.
      const whole = [...daily].filter(([, d]) => d.intervals === 288).map(([day, d]) => [day, d.wh] as const);
      const kinds = whole.map(([day, wh]) => ({ kind: dayWeather(p.seed, day).kind, kWhPerKw: wh / 1000 / settings.sizeKw }));
      const clear = kinds.filter((k) => k.kind === 'clear').map((k) => k.kWhPerKw);
      const overcast = kinds.filter((k) => k.kind === 'overcast').map((k) => k.kWhPerKw);
      expect(clear.length).toBeGreaterThan(0);
      for (const e of clear) expect(e).toBeGreaterThan(clearMin * 0.85);
      for (const e of clear) expect(e).toBeLessThan(clearMax);
      if (overcast.length) expect(Math.max(...overcast)).toBeLessThan(Math.min(...clear));
    }
  });

  it('reproduces every value from the seed, whatever period is asked, and differs with another seed', () => {
    const a = plan(1234);
    const t = june.from + 9 * DAY + 11 * HOUR;
    const alone = intervalValues(a, t, outagesBetween(a, t, t + 300_000));
    const inRun = [...run(a, june.from, june.to)].find((v) => v.t === t)!;
    expect([...alone.readings]).toEqual([...inRun.readings]);
    expect([...intervalValues(plan(1234), t, outagesBetween(a, t, t + 300_000)).readings]).toEqual([...alone.readings]);

    const b = plan(1235);
    const other = [...run(b, june.from, june.from + DAY)].map((v) => v.readings.get('ws')!.GHI);
    const same = [...run(a, june.from, june.from + DAY)].map((v) => v.readings.get('ws')!.GHI);
    expect(other).not.toEqual(same);
    expect(hashRandom(1, 2, 3)).toBe(hashRandom(1, 2, 3));
    expect(weatherAt(9, a.place, t)).toEqual(weatherAt(9, a.place, t));
  });
});
