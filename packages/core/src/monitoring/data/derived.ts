// The modeled, expected, prorated and ratio fields of a site, as pure
// formulas over what the queries read (query.ts feeds them). Each formula is
// documented in docs/monitoring.md ("Data and rollups") and checked against a
// hand calculation in derived.test.ts.
import { modeledAcPower, moduleTemperature, type ModelSettings } from './model.js';
import { addCalendar, wallAt, wallTime, wallToInstant } from './zones.js';

const DAY = 86_400_000;

/** The weather of one step (pooled means over the site's weather stations). */
export interface StepWeather {
  poa: number | null;
  ghi: number | null;
  moduleTemp: number | null;
  ambientTemp: number | null;
}

/**
 * Modeled AC power of one step (W): the PV model (model.ts) on the step's
 * plane-of-array irradiance, else its global horizontal irradiance, and its
 * module temperature, else the estimate from ambient temperature. Null when
 * the step has no irradiance.
 */
export function stepModeledPower(settings: ModelSettings, w: StepWeather, opts: { inverterClipping: boolean }): number | null {
  const irradiance = w.poa ?? w.ghi;
  if (irradiance === null) return null;
  const moduleTemp = moduleTemperature(irradiance, w.moduleTemp ?? undefined, w.ambientTemp ?? undefined);
  return modeledAcPower(settings, irradiance, moduleTemp, opts);
}

/**
 * A bucket's modeled fields from its steps' modeled power: W_m_avg is the mean
 * over the steps with irradiance; Wh_m_sum is Σ power × step length (h).
 */
export function modeledTotals(steps: readonly { power: number; hours: number }[]): { W_m_avg: number; Wh_m_sum: number } | null {
  if (steps.length === 0) return null;
  let sum = 0;
  let energy = 0;
  for (const s of steps) {
    sum += s.power;
    energy += s.power * s.hours;
  }
  return { W_m_avg: sum / steps.length, Wh_m_sum: energy };
}

/** n / d, or null when either is missing or d is not positive. */
export function ratio(n: number | null | undefined, d: number | null | undefined): number | null {
  if (n === null || n === undefined || d === null || d === undefined || !(d > 0)) return null;
  return n / d;
}

/** GEER = EER × GHIh_t / GHIh_m: EER with the measured insolation's shortfall against the typical year taken out. */
export function geer(eer: number | null, typicalInsolation: number | null, measuredInsolation: number | null): number | null {
  const adjust = ratio(typicalInsolation, measuredInsolation);
  return eer === null || adjust === null ? null : eer * adjust;
}

const daysInMonth = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * A bucket's share of a monthly table value (Wh_e, GHIh_t): Σ over the
 * bucket's local days of (month value / days in that month) × the part of
 * the day inside `window` (the prorating window: from the startup date, or
 * the first month with measured energy, to now). Null when no day of the
 * bucket is inside the window with a value.
 */
export function expectedShare(
  monthValue: (month: number) => number | null,
  tz: string,
  bucket: { start: number; end: number },
  window: { from: number; to: number },
): number | null {
  if (window.to <= bucket.start || window.from >= bucket.end || window.from >= window.to) return null;
  const day = (instant: number) => {
    const d = new Date(wallAt(tz, instant));
    return wallTime(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
  };
  const firstDay = day(bucket.start);
  // The bucket ends at a local midnight: its last day is the one before.
  const endDay = day(bucket.end - 1) + DAY;
  const fromWall = wallAt(tz, window.from);
  const toWall = wallAt(tz, window.to);
  // The calendar is walked by counting, not by a Date per day (bulk data walks thousands of months).
  const first = new Date(firstDay);
  let year = first.getUTCFullYear();
  let month = first.getUTCMonth() + 1;
  let dayOfMonth = first.getUTCDate();
  let monthDays = daysInMonth(year, month);
  let value = monthValue(month);
  let total = 0;
  let any = false;
  for (let d = firstDay; d < endDay; d += DAY) {
    if (value !== null) {
      let fraction: number;
      // Days a day or more from the window's edges need no instants (an offset is under a day).
      if (d + DAY <= fromWall - DAY || d >= toWall + DAY) fraction = 0;
      else if (d >= fromWall + DAY && d + 2 * DAY <= toWall) fraction = 1;
      else {
        const s = wallToInstant(tz, d);
        const e = wallToInstant(tz, addCalendar(d, { days: 1 }));
        fraction = Math.max(0, Math.min(e, window.to) - Math.max(s, window.from)) / (e - s);
      }
      if (fraction > 0) {
        total += (value / monthDays) * fraction;
        any = true;
      }
    }
    if (++dayOfMonth > monthDays) {
      dayOfMonth = 1;
      if (++month > 12) {
        month = 1;
        year += 1;
      }
      monthDays = daysInMonth(year, month);
      value = monthValue(month);
    }
  }
  return any ? total : null;
}

/**
 * The instants the spec's prorating notes turn on, for one site: its startup
 * date (local midnight in the site's zone), and the start of the month (in
 * the site's zone) of its first measured energy.
 */
export function prorationPoints(
  siteZone: string,
  startupDate: string | null,
  firstEnergy: number | null,
): { startup: number | null; firstEnergyMonth: number | null } {
  let startup: number | null = null;
  if (startupDate) {
    const [y, m, d] = startupDate.split('-').map(Number) as [number, number, number];
    startup = wallToInstant(siteZone, wallTime(y, m, d));
  }
  let firstEnergyMonth: number | null = null;
  if (firstEnergy !== null) {
    const w = new Date(wallAt(siteZone, firstEnergy));
    firstEnergyMonth = wallToInstant(siteZone, wallTime(w.getUTCFullYear(), w.getUTCMonth() + 1, 1));
  }
  return { startup, firstEnergyMonth };
}

/**
 * How a prorated field treats a bucket: `none` (nothing returned), `whole`,
 * or `from` an instant inside it (a startup date mid-bucket).
 * - by startup date (Whp, GHIhp_m): the part on and after the startup date;
 *   without one, `fallback`;
 * - by first energy (GHIh_m; Whp's and GHIhp_m's fallback): whole buckets
 *   ending after the start of the month of the first measured energy,
 *   nothing before it or without any energy.
 */
export type Cut = { kind: 'none' } | { kind: 'whole' } | { kind: 'from'; at: number };

export function cutByFirstEnergy(bucket: { end: number }, firstEnergyMonth: number | null): Cut {
  return firstEnergyMonth === null || bucket.end <= firstEnergyMonth ? { kind: 'none' } : { kind: 'whole' };
}

export function cutByStartup(bucket: { start: number; end: number }, startup: number | null, fallback: Cut): Cut {
  if (startup === null) return fallback;
  if (bucket.end <= startup) return { kind: 'none' };
  if (bucket.start >= startup) return { kind: 'whole' };
  return { kind: 'from', at: startup };
}
