// What the simulated plant measures: a PV output that swells and ebbs over
// ten minutes with a little noise, a steady household load, and the grid
// flows between them. Not a solar model (`helio simulate` has one): a demo
// at any hour of the day shows power and energy. Each template signal gets
// the quantity of its base field, in the device's own units (divided by the
// signal's scale); lifetime counters keep counting across messages. A plant
// whose signals count grid import or export is a grid meter: its power is
// the net flow at the connection (positive: import).
import type { SignalSpec } from './package.js';

/** W and Wh, sent under their base-field names, when the plant has no template. */
export const defaultSignals: readonly SignalSpec[] = [
  { key: 'W', field: 'W' },
  { key: 'Wh', field: 'Wh' },
];

export interface TelemetryGeneratorOptions {
  signals?: readonly SignalSpec[];
  /** Peak AC output in W (default 5000). */
  peakW?: number;
  /** Same seed, same values (default 1). */
  seed?: number;
}

export interface TelemetryGenerator {
  /** The values of one message measured at `at`, covering the `intervalSeconds` that start there. */
  next(at: Date, intervalSeconds: number): Record<string, number>;
  /** Caps the AC output (a `set-power-limit` command); null lifts the cap. */
  setPowerLimit(watts: number | null): void;
  readonly powerLimit: number | null;
}

/** A small seeded generator (mulberry32): the same seed gives the same noise. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const round = (v: number, digits = 3) => Math.round(v * 10 ** digits) / 10 ** digits;

export function createTelemetryGenerator(options: TelemetryGeneratorOptions = {}): TelemetryGenerator {
  const signals = options.signals?.length ? options.signals : defaultSignals;
  const peakW = options.peakW ?? 5000;
  const rand = random(options.seed ?? 1);
  const noise = (spread: number) => (rand() * 2 - 1) * spread;
  // Lifetime counters start where an installed meter might be, in Wh.
  const counters = new Map<string, number>(signals.filter((s) => s.counter).map((s) => [s.key, 1_000_000 + Math.floor(rand() * 1e6)]));
  let limit: number | null = null;
  const gridMeter = signals.some((s) => s.field === 'WhImp' || s.field === 'WhExp');

  return {
    get powerLimit() {
      return limit;
    },
    setPowerLimit(watts) {
      limit = watts;
    },
    next(at, intervalSeconds) {
      const phase = (2 * Math.PI * (at.getTime() / 1000)) / 600;
      const share = Math.min(1, Math.max(0, 0.65 + 0.25 * Math.sin(phase) + noise(0.04)));
      const pv = Math.min(peakW * share, limit ?? Infinity);
      const load = Math.max(0, peakW * 0.4 + noise(peakW * 0.05));
      const hours = intervalSeconds / 3600;
      const ambient = 21 + 3 * Math.sin(phase / 6) + noise(0.2);
      const dcV = 600 + noise(5);
      // Physical quantity per base field; energies are of the interval.
      const physical = (field: string): number => {
        switch (field) {
          case 'W':
            return gridPower;
          case 'Wh':
            return pv * hours;
          case 'WhExp':
            return Math.max(0, pv - load) * hours;
          case 'WhImp':
            return Math.max(0, load - pv) * hours;
          case 'DCW':
            return pv * 1.03;
          case 'DCV':
            return dcV;
          case 'DCA':
            return (pv * 1.03) / dcV;
          case 'WphA':
          case 'WphB':
          case 'WphC':
            return pv / 3 + noise(5);
          case 'VA':
            return pv / 0.99;
          case 'VAR':
            return pv * 0.14;
          case 'A':
            return pv / (3 * 230);
          case 'Hz':
            return 50 + noise(0.02);
          case 'PF':
            return 0.99;
          case 'PhV':
            return 230 + noise(2);
          case 'PPV':
            return 400 + noise(3);
          case 'GHI':
            return 1000 * share * 0.9;
          case 'POA':
            return 1000 * share;
          case 'TmpAmb':
            return ambient;
          case 'TmpMod':
            return ambient + 25 * share;
          default:
            return 50 + noise(50);
        }
      };
      // A meter with grid import and export counters sits at the grid connection: its power is the net import.
      const gridPower = gridMeter ? load - pv : pv;
      const values: Record<string, number> = {};
      for (const s of signals) {
        const scale = s.scale ?? 1;
        if (s.counter) {
          const total = counters.get(s.key)! + physical(s.field);
          counters.set(s.key, total);
          values[s.key] = round(total / scale, 6);
        } else {
          values[s.key] = round(physical(s.field) / scale);
        }
      }
      return values;
    },
  };
}
