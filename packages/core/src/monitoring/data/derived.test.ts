// The derived fields' formulas against hand calculations (worked out in the
// comments; the code under test computes none of the expected numbers).
import { describe, expect, it } from 'vitest';
import { cutByFirstEnergy, cutByStartup, expectedShare, geer, modeledTotals, prorationPoints, ratio, stepModeledPower } from './derived.js';
import type { ModelSettings } from './model.js';

const at = (iso: string) => Date.parse(iso);

/** 10 kW DC with every loss factor at 100 %: only temperature, inverter efficiency and clipping remain. */
const lossless: ModelSettings = {
  sizeKw: 10,
  mismatch: 100,
  diodesAndConnections: 100,
  dcWiring: 100,
  soiling: 100,
  sunTracking: 100,
  nameplate: 100,
  acWiring: 100,
  transformer: 100,
};
/** 10 kW DC with the migration's default percentages. */
const defaults: ModelSettings = {
  ...lossless,
  mismatch: 98,
  diodesAndConnections: 99,
  dcWiring: 98,
  soiling: 98,
  nameplate: 99,
  acWiring: 99,
};

describe('modeled power (W_m) of a step', () => {
  it('runs the PVWatts-style model on plane-of-array irradiance and module temperature', () => {
    // P_dc = 10 000 W × 800/1000 × (1 − 0.0047 × (45 − 25)) = 8000 × 0.906 = 7248 W; × 0.96 = 6958.08 W.
    expect(stepModeledPower(lossless, { poa: 800, ghi: 500, moduleTemp: 45, ambientTemp: 20 }, { inverterClipping: true })).toBeCloseTo(
      6958.08,
      9,
    );
  });

  it('applies the loss percentages', () => {
    // DC derate 0.98 × 0.99 × 0.98 × 0.98 × 1 × 0.99 = 0.9224622792;
    // 7248 × 0.9224622792 = 6686.0065996416; × 0.96 = 6418.566335655936; × 0.99 (AC wiring) = 6354.380672299377 W.
    expect(stepModeledPower(defaults, { poa: 800, ghi: null, moduleTemp: 45, ambientTemp: null }, { inverterClipping: true })).toBeCloseTo(
      6354.380672299377,
      9,
    );
  });

  it('falls back to global horizontal irradiance and estimates module temperature from ambient', () => {
    // T_module = 20 + 500 × (45 − 20) / 800 = 35.625 °C; P_dc = 10 000 × 0.5 × (1 − 0.0047 × 10.625) = 4750.3125 W; × 0.96 = 4560.3 W.
    expect(stepModeledPower(lossless, { poa: null, ghi: 500, moduleTemp: null, ambientTemp: 20 }, { inverterClipping: true })).toBeCloseTo(
      4560.3,
      9,
    );
    expect(stepModeledPower(lossless, { poa: null, ghi: null, moduleTemp: 30, ambientTemp: 20 }, { inverterClipping: true })).toBeNull();
  });

  it('clips at the inverter rating (DC/AC 1.2) only when asked', () => {
    // 1200 W/m² at 25 °C: 12 000 W DC × 0.96 = 11 520 W; the inverter's rating is 10 000 / 1.2 = 8333.33 W.
    const hot = { poa: 1200, ghi: null, moduleTemp: 25, ambientTemp: null };
    expect(stepModeledPower(lossless, hot, { inverterClipping: false })).toBeCloseTo(11520, 9);
    expect(stepModeledPower(lossless, hot, { inverterClipping: true })).toBeCloseTo(10000 / 1.2, 9);
  });
});

describe('a bucket’s modeled fields', () => {
  it('averages power over the steps with irradiance and sums power × step length', () => {
    // Three 5-minute steps of 6000, 3000 and 0 W: W_m_avg = 3000 W; Wh_m = 9000 W × 5/60 h = 750 Wh.
    expect(
      modeledTotals([
        { power: 6000, hours: 5 / 60 },
        { power: 3000, hours: 5 / 60 },
        { power: 0, hours: 5 / 60 },
      ]),
    ).toEqual({ W_m_avg: 3000, Wh_m_sum: 750 });
    expect(modeledTotals([])).toBeNull();
  });
});

describe('ratios', () => {
  it('divides measured by expected or modeled, and adjusts for insolation (GEER)', () => {
    // EER = 1440 / 1000 = 1.44; PI = 900 / 1200 = 0.75; GEER = 1.44 × 2000 / 12 000 = 0.24.
    expect(ratio(1440, 1000)).toBeCloseTo(1.44, 12);
    expect(ratio(900, 1200)).toBe(0.75);
    expect(geer(1.44, 2000, 12000)).toBeCloseTo(0.24, 12);
    expect(ratio(1, 0)).toBeNull();
    expect(ratio(null, 5)).toBeNull();
    expect(geer(1.44, null, 12000)).toBeNull();
  });
});

describe('expected values prorated by day', () => {
  // March 31 000 Wh and April 30 000 Wh: 1000 Wh a day each; February (2024, 29 days) 29 000.
  const table = new Map([
    [2, 29000],
    [3, 31000],
    [4, 30000],
  ]);
  const value = (m: number) => table.get(m) ?? null;
  // Europe/Berlin's March 2024: 02-29T23:00Z .. 03-31T22:00Z.
  const march = { start: at('2024-02-29T23:00:00Z'), end: at('2024-03-31T22:00:00Z') };

  it('gives a whole month its table value', () => {
    expect(expectedShare(value, 'Europe/Berlin', march, { from: 0, to: at('2030-01-01T00:00:00Z') })).toBeCloseTo(31000, 6);
  });

  it('counts the days on and after the startup date, and the part of today that has passed', () => {
    // Startup 2024-03-11 (Berlin midnight = 03-10T23:00Z); now 2024-03-20 12:00 Berlin (11:00Z):
    // days 11..19 = 9 × 1000, and half of the 20th = 500: 9500 Wh.
    expect(expectedShare(value, 'Europe/Berlin', march, { from: at('2024-03-10T23:00:00Z'), to: at('2024-03-20T11:00:00Z') })).toBeCloseTo(
      9500,
      6,
    );
  });

  it('prorates a part of a 23-hour day by its real length', () => {
    // 2024-03-31 in Berlin lasts 23 h (03-30T23:00Z .. 03-31T22:00Z); at 10:00Z, 11 of them have passed: 1000 × 11/23.
    const day = { start: at('2024-03-30T23:00:00Z'), end: at('2024-03-31T22:00:00Z') };
    expect(expectedShare(value, 'Europe/Berlin', day, { from: 0, to: at('2024-03-31T10:00:00Z') })).toBeCloseTo((1000 * 11) / 23, 9);
  });

  it('spans months by each month’s own daily share', () => {
    // UTC 2024-02-28 .. 03-02: Feb 28 and 29 at 29 000/29 = 1000, Mar 1 at 31 000/31 = 1000: 3000 Wh.
    const bucket = { start: at('2024-02-28T00:00:00Z'), end: at('2024-03-02T00:00:00Z') };
    expect(expectedShare(value, 'UTC', bucket, { from: 0, to: at('2030-01-01T00:00:00Z') })).toBeCloseTo(3000, 9);
    // May has no value: nothing to say.
    const may = { start: at('2024-05-01T00:00:00Z'), end: at('2024-06-01T00:00:00Z') };
    expect(expectedShare(value, 'UTC', may, { from: 0, to: at('2030-01-01T00:00:00Z') })).toBeNull();
  });

  it('says nothing of a bucket before the window or in the future', () => {
    expect(expectedShare(value, 'Europe/Berlin', march, { from: at('2024-04-01T00:00:00Z'), to: at('2030-01-01T00:00:00Z') })).toBeNull();
    expect(expectedShare(value, 'Europe/Berlin', march, { from: 0, to: at('2024-02-01T00:00:00Z') })).toBeNull();
  });
});

describe('prorating points and cuts', () => {
  it('places the startup date at local midnight and first energy at its local month’s start', () => {
    expect(prorationPoints('Europe/Berlin', '2024-03-11', at('2024-03-15T10:00:00Z'))).toEqual({
      startup: at('2024-03-10T23:00:00Z'),
      firstEnergyMonth: at('2024-02-29T23:00:00Z'),
    });
    expect(prorationPoints('US/Pacific', null, null)).toEqual({ startup: null, firstEnergyMonth: null });
  });

  it('cuts a bucket at the startup date, and by first energy without one', () => {
    const bucket = { start: at('2024-03-01T00:00:00Z'), end: at('2024-04-01T00:00:00Z') };
    expect(cutByStartup(bucket, at('2024-03-11T00:00:00Z'), { kind: 'none' })).toEqual({ kind: 'from', at: at('2024-03-11T00:00:00Z') });
    expect(cutByStartup(bucket, at('2024-04-01T00:00:00Z'), { kind: 'whole' })).toEqual({ kind: 'none' });
    expect(cutByStartup(bucket, at('2024-03-01T00:00:00Z'), { kind: 'none' })).toEqual({ kind: 'whole' });
    expect(cutByStartup(bucket, null, { kind: 'whole' })).toEqual({ kind: 'whole' });
    expect(cutByFirstEnergy(bucket, at('2024-03-01T00:00:00Z'))).toEqual({ kind: 'whole' });
    expect(cutByFirstEnergy(bucket, at('2024-04-01T00:00:00Z'))).toEqual({ kind: 'none' });
    expect(cutByFirstEnergy(bucket, null)).toEqual({ kind: 'none' });
  });
});
