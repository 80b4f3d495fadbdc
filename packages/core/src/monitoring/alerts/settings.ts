// A site's alert settings (sites.alert_settings), with every default filled
// in. The sites service validates what users write (sites/schema.ts); this
// reads whatever is stored and falls back to the default for anything absent
// or out of range, so a rule never runs on a bad threshold.

export interface AlertSettings {
  systemDisconnect: { enabled: boolean; afterMinutes: number };
  zeroGeneration: { enabled: boolean; afterMinutes: number; minIrradiance: number };
  performanceIndex: { enabled: boolean; threshold: number; windowHours: number };
  stringsPerformance: { enabled: boolean; threshold: number; windowMinutes: number };
  deviceFault: { enabled: boolean };
}

/** The defaults, and the range each number must lie in to be used. */
export const alertSettingDefaults: AlertSettings = {
  systemDisconnect: { enabled: true, afterMinutes: 60 },
  zeroGeneration: { enabled: true, afterMinutes: 60, minIrradiance: 150 },
  performanceIndex: { enabled: true, threshold: 0.7, windowHours: 24 },
  stringsPerformance: { enabled: true, threshold: 0.8, windowMinutes: 60 },
  deviceFault: { enabled: true },
};

const ranges: Record<string, readonly [number, number, 'int' | 'number']> = {
  afterMinutes: [5, 10_080, 'int'],
  minIrradiance: [0, 1500, 'number'],
  threshold: [0, 1, 'number'],
  windowHours: [1, 168, 'int'],
  windowMinutes: [15, 1440, 'int'],
};

function pick(stored: unknown, key: string, fallback: number | boolean): number | boolean {
  const value = stored && typeof stored === 'object' ? (stored as Record<string, unknown>)[key] : undefined;
  if (typeof fallback === 'boolean') return typeof value === 'boolean' ? value : fallback;
  const range = ranges[key];
  if (typeof value !== 'number' || !Number.isFinite(value) || !range) return fallback;
  const [min, max, kind] = range;
  if (value < min || value > max || (kind === 'int' && !Number.isInteger(value))) return fallback;
  return value;
}

/** The stored settings (any JSON, or null) with defaults for everything absent or unusable. */
export function resolveAlertSettings(stored: unknown): AlertSettings {
  const root = stored && typeof stored === 'object' && !Array.isArray(stored) ? (stored as Record<string, unknown>) : {};
  const resolved = {} as Record<string, Record<string, number | boolean>>;
  for (const [rule, defaults] of Object.entries(alertSettingDefaults)) {
    resolved[rule] = Object.fromEntries(
      Object.entries(defaults as Record<string, number | boolean>).map(([key, fallback]) => [key, pick(root[rule], key, fallback)]),
    );
  }
  return resolved as unknown as AlertSettings;
}
