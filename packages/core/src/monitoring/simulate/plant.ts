// The simulated plant: which component reports what, and the values of one
// interval. Pure functions of the plan, the weather and the instant.
//
// - Inverter i (size_kW / inverters of the site's DC size):
//     P_dc = size_i × 1000 × POA/1000 × (1 + γ (T_module − 25)) × DC derate × health_i
//     W    = min(P_dc × 96 %, size_i × 1000 / 1.3)          (clipping at a DC/AC ratio of 1.3)
//   with γ, the DC derate (the site's model settings) and the 96 % efficiency
//   of the modeled power (data/model.ts), so a healthy plant's PI_m is close
//   to 1. The model clips at a ratio of 1.2; these inverters are sized as
//   plants are built today (1.3), so they clip around noon on clear, cool
//   days and at cloud edges, a little below the model. health_i is a fixed
//   98.5–100 % per inverter. Below 0.5 % of its rating an inverter does not
//   run: W = 0.
// - Meter: the sum of the inverters' W (the inverters beneath it, or all).
// - String j of inverter i: its share of the inverter's DC input (which a
//   clipping inverter holds at W / 96 %); voltage from a 31.5 V-per-module
//   string (−0.35 %/°C, a little lower in dim light), current = power / voltage.
// - Wh of an interval = W × interval hours; W is the interval's mean power,
//   taken at its midpoint. Values are rounded (W to 0.1 W, Wh to 0.0001 Wh).
// - Outages: on 20 % of solar days one inverter (and its strings) stops
//   reporting for 60–120 minutes starting between 09:00 and 14:00 solar time.
import { dcDerate, INVERTER_EFFICIENCY, TEMPERATURE_COEFFICIENT, type ModelSettings } from '../data/model.js';
import { hashRandom, solarDay, STREAM, weatherAt, type Place, type Weather } from './weather.js';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const MODULE_WATTS = 415;
const MODULE_VMP = 31.5;
const VOLTAGE_COEFFICIENT = -0.0035;
const START_THRESHOLD = 0.005;
export const OUTAGE_PROBABILITY = 0.2;
/** The simulated inverters' DC/AC ratio: their AC rating is size_kW × 1000 / 1.3. */
export const INVERTER_DC_AC_RATIO = 1.3;

export interface PlantInverter {
  componentId: string;
  /** kW DC behind this inverter. */
  sizeKw: number;
  /** 0.985..1: a fixed per-inverter spread, so the inverters are not identical. */
  health: number;
}

export interface PlantString {
  componentId: string;
  /** Index into `inverters`. */
  inverter: number;
  /** Share of the inverter's DC power; the shares of one inverter's strings add up to 1. */
  share: number;
  /** Maximum-power voltage at 25 °C and 1000 W/m². */
  vmp: number;
}

export interface PlantMeter {
  componentId: string;
  /** Indexes into `inverters` whose power the meter measures (divided by `split` when several meters share them). */
  inverters: number[];
  split: number;
}

/** What to simulate for a site: its place, settings and components by role. */
export interface PlantPlan {
  seed: number;
  place: Place;
  settings: ModelSettings;
  intervalMinutes: number;
  /** Real and, for a site with meters but no inverter, virtual inverters (componentId ''). */
  inverters: PlantInverter[];
  strings: PlantString[];
  meters: PlantMeter[];
  weatherStations: string[];
}

export interface Outage {
  /** Index into the plan's inverters. */
  inverter: number;
  start: number;
  end: number;
}

/** A reading as the ingest service takes it. */
export interface SimReading {
  ts: string;
  [field: string]: number | string;
}

const round = (v: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

/** `2026-06-21T12:05:00+00:00`: an explicit offset, as the ingest API asks. */
export function isoWithOffset(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}+00:00`;
}

/** A fixed 98.5–100 % per inverter index. */
export function inverterHealth(seed: number, index: number): number {
  return 0.985 + 0.015 * hashRandom(seed, STREAM.inverterHealth, index);
}

/** Each of `count` strings' share of one inverter's DC power: near-equal, adding up to 1. */
export function stringShares(seed: number, inverter: number, count: number): number[] {
  const raw = Array.from({ length: count }, (_, j) => 1 + 0.04 * (hashRandom(seed, STREAM.stringShare, inverter * 64 + j) - 0.5));
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((r) => r / total);
}

/** A string's maximum-power voltage: modules of 415 W at 31.5 V, between 150 and 1000 V. */
export function stringVmp(stringKw: number): number {
  return Math.min(1000, Math.max(150, Math.round((stringKw * 1000) / MODULE_WATTS) * MODULE_VMP));
}

/** The outage of a solar day, if that day has one. */
export function outageOfDay(plan: Pick<PlantPlan, 'seed' | 'place' | 'intervalMinutes' | 'inverters'>, day: number): Outage | undefined {
  const real = plan.inverters.map((inv, i) => (inv.componentId ? i : -1)).filter((i) => i >= 0);
  if (real.length === 0 || hashRandom(plan.seed, STREAM.outage, day) >= OUTAGE_PROBABILITY) return undefined;
  const step = plan.intervalMinutes * MINUTE_MS;
  const solarMidnight = day * DAY_MS - (plan.place.longitude / 360) * DAY_MS;
  const startHour = 9 + 5 * hashRandom(plan.seed, STREAM.outageStart, day);
  const minutes = 60 + 60 * hashRandom(plan.seed, STREAM.outageLength, day);
  const start = Math.ceil((solarMidnight + startHour * 3_600_000) / step) * step;
  const end = start + Math.max(1, Math.round((minutes * MINUTE_MS) / step)) * step;
  return { inverter: real[Math.floor(hashRandom(plan.seed, STREAM.outageInverter, day) * real.length)]!, start, end };
}

/** The outages that overlap [from, to). */
export function outagesBetween(
  plan: Pick<PlantPlan, 'seed' | 'place' | 'intervalMinutes' | 'inverters'>,
  from: number,
  to: number,
): Outage[] {
  const out: Outage[] = [];
  for (let d = solarDay(plan.place, from) - 1; d <= solarDay(plan.place, to) + 1; d++) {
    const o = outageOfDay(plan, d);
    if (o && o.start < to && o.end > from) out.push(o);
  }
  return out;
}

/** An inverter's AC rating in W. */
export function inverterRating(sizeKw: number): number {
  return (sizeKw * 1000) / INVERTER_DC_AC_RATIO;
}

/** An inverter's AC power (W) and DC input (W) for the weather, before rounding. */
export function inverterPower(
  settings: ModelSettings,
  inverter: Pick<PlantInverter, 'sizeKw' | 'health'>,
  poa: number,
  moduleTemp: number,
): { ac: number; dc: number; clipped: boolean } {
  const rating = inverterRating(inverter.sizeKw);
  const dc = Math.max(
    0,
    inverter.sizeKw * 1000 * (poa / 1000) * (1 + TEMPERATURE_COEFFICIENT * (moduleTemp - 25)) * dcDerate(settings) * inverter.health,
  );
  const ac = dc * INVERTER_EFFICIENCY;
  if (ac < rating * START_THRESHOLD) return { ac: 0, dc: 0, clipped: false };
  if (ac > rating) return { ac: rating, dc: rating / INVERTER_EFFICIENCY, clipped: true };
  return { ac, dc, clipped: false };
}

/** A string's voltage (V) and current (A) for its DC power. */
export function stringElectrics(vmp: number, dcPower: number, poa: number, moduleTemp: number): { V: number; A: number } {
  if (dcPower <= 0 || poa <= 0) return { V: 0, A: 0 };
  const dim = 1 + 0.03 * Math.log(Math.min(1, Math.max(0.02, poa / 1000)));
  const V = vmp * (1 + VOLTAGE_COEFFICIENT * (moduleTemp - 25)) * dim;
  return { V, A: dcPower / V };
}

export interface IntervalValues {
  weather: Weather;
  /** Readings per component id; silent components are absent. */
  readings: Map<string, SimReading>;
  /** Per plan inverter: AC W after rounding, or null while it is out. */
  inverterW: (number | null)[];
  clipped: boolean[];
}

/** Every component's reading for the interval starting at `start` (ms, aligned to the interval). */
export function intervalValues(plan: PlantPlan, start: number, outages: readonly Outage[] = []): IntervalValues {
  const hours = plan.intervalMinutes / 60;
  const ts = isoWithOffset(start);
  const weather = weatherAt(plan.seed, plan.place, start + (plan.intervalMinutes * MINUTE_MS) / 2);
  const readings = new Map<string, SimReading>();
  const down = new Set(outages.filter((o) => o.start <= start && start < o.end).map((o) => o.inverter));
  const dcInput: number[] = [];
  const clipped: boolean[] = [];
  const inverterW = plan.inverters.map((inv, i) => {
    const p = inverterPower(plan.settings, inv, weather.poa, weather.module);
    clipped.push(p.clipped);
    dcInput.push(p.dc);
    if (down.has(i)) return null;
    const W = round(p.ac, 1);
    if (inv.componentId) readings.set(inv.componentId, { ts, W, Wh: round(W * hours, 4) });
    return W;
  });
  for (const s of plan.strings) {
    if (down.has(s.inverter)) continue;
    const dc = dcInput[s.inverter]! * s.share;
    const { V, A } = stringElectrics(s.vmp, dc, weather.poa, weather.module);
    readings.set(s.componentId, { ts, DCW: round(dc, 1), DCV: round(V, 1), DCA: round(A, 3) });
  }
  for (const m of plan.meters) {
    const W = round(m.inverters.reduce((sum, i) => sum + (inverterW[i] ?? 0), 0) / m.split, 1);
    readings.set(m.componentId, { ts, W, Wh: round(W * hours, 4) });
  }
  for (const id of plan.weatherStations) {
    readings.set(id, {
      ts,
      GHI: round(weather.ghi, 1),
      POA: round(weather.poa, 1),
      TmpAmb: round(weather.ambient, 2),
      TmpMod: round(weather.module, 2),
    });
  }
  return { weather, readings, inverterW, clipped };
}
