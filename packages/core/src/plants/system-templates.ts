// The device templates Helio ships, shared by every organisation and
// read-only: a PV inverter, a grid meter, a weather station and a battery.
// Their ids never change (plants refer to them); a change to one here bumps
// its version, and `ensureSystemTemplates` brings the stored copy up to it.
import type { Db, Queryable } from '@helio/db';
import type { Signal, TemplateAction, TemplateLevel } from './schema.js';

export interface SystemTemplate {
  id: string;
  name: string;
  level: TemplateLevel;
  type: string;
  version: number;
  signals: Signal[];
  actions: TemplateAction[];
}

export const SYSTEM_TEMPLATE_IDS = {
  pvInverter: '00000000-0000-4000-a000-000000000101',
  gridMeter: '00000000-0000-4000-a000-000000000102',
  weatherStation: '00000000-0000-4000-a000-000000000103',
  battery: '00000000-0000-4000-a000-000000000104',
} as const;

const s = (key: string, field: string, unit: string, name: string, extra: Partial<Signal> = {}): Signal => ({
  key,
  field,
  scale: 1,
  unit,
  name,
  ...extra,
});

export const systemTemplates: readonly SystemTemplate[] = [
  {
    id: SYSTEM_TEMPLATE_IDS.pvInverter,
    name: 'PV inverter',
    level: 'PLANT',
    type: 'INVERTER',
    version: 1,
    signals: [
      s('ac_power', 'W', 'W', 'AC power'),
      // A lifetime counter in kWh: stored as the Wh of each interval.
      s('energy_total', 'Wh', 'kWh', 'Lifetime AC energy', { scale: 1000, counter: true }),
      s('ac_current', 'A', 'A', 'AC current'),
      s('ac_voltage', 'PhV', 'V', 'AC voltage L-N'),
      s('frequency', 'Hz', 'Hz', 'AC frequency'),
      s('power_factor', 'PF', '', 'Power factor'),
      s('dc_power', 'DCW', 'W', 'DC power'),
      s('dc_voltage', 'DCV', 'V', 'DC voltage'),
      s('dc_current', 'DCA', 'A', 'DC current'),
      s('module_temp', 'TmpMod', '°C', 'Module temperature'),
    ],
    actions: [
      {
        name: 'set_power_limit',
        description: 'Limit the AC output to a percentage of the rated power',
        payloadSchema: {
          type: 'object',
          properties: { percent: { type: 'number', minimum: 0, maximum: 100 } },
          required: ['percent'],
        },
      },
      { name: 'restart', description: 'Restart the inverter' },
    ],
  },
  {
    id: SYSTEM_TEMPLATE_IDS.gridMeter,
    name: 'Grid meter',
    level: 'PLANT',
    type: 'METER',
    version: 1,
    signals: [
      s('power', 'W', 'W', 'Net power (positive: import)'),
      s('import_energy_total', 'WhImp', 'kWh', 'Lifetime energy imported from the grid', { scale: 1000, counter: true }),
      s('export_energy_total', 'WhExp', 'kWh', 'Lifetime energy exported to the grid', { scale: 1000, counter: true }),
      s('voltage', 'PhV', 'V', 'Voltage L-N'),
      s('current', 'A', 'A', 'Current'),
      s('frequency', 'Hz', 'Hz', 'Frequency'),
      s('power_factor', 'PF', '', 'Power factor'),
    ],
    actions: [{ name: 'read_now', description: 'Send a reading at once' }],
  },
  {
    id: SYSTEM_TEMPLATE_IDS.weatherStation,
    name: 'Weather station',
    level: 'PLANT',
    type: 'WEATHERSTATION',
    version: 1,
    signals: [
      s('ghi', 'GHI', 'W/m²', 'Global horizontal irradiance'),
      s('poa', 'POA', 'W/m²', 'Plane of array irradiance'),
      s('ambient_temp', 'TmpAmb', '°C', 'Ambient temperature'),
      s('module_temp', 'TmpMod', '°C', 'Module temperature'),
    ],
    actions: [],
  },
  {
    id: SYSTEM_TEMPLATE_IDS.battery,
    name: 'Battery',
    level: 'PLANT',
    type: 'BATTERY',
    version: 1,
    signals: [
      s('power', 'W', 'W', 'AC power (positive: discharging)'),
      s('dc_voltage', 'DCV', 'V', 'DC voltage'),
      s('dc_current', 'DCA', 'A', 'DC current'),
      s('dc_power', 'DCW', 'W', 'DC power'),
    ],
    actions: [
      {
        name: 'set_mode',
        description: 'Charge, discharge or stay idle',
        payloadSchema: {
          type: 'object',
          properties: { mode: { enum: ['charge', 'discharge', 'idle'] } },
          required: ['mode'],
        },
      },
      {
        name: 'set_power',
        description: 'Charge (negative) or discharge (positive) at this many watts',
        payloadSchema: { type: 'object', properties: { watts: { type: 'number' } }, required: ['watts'] },
      },
    ],
  },
];

/**
 * Inserts Helio's system templates, or brings a stored one up to a newer
 * version. Idempotent and safe to run concurrently.
 */
export async function insertSystemTemplates(q: Queryable, now: Date = new Date()): Promise<void> {
  for (const t of systemTemplates) {
    await q.query(
      `INSERT INTO device_templates (id, organisation_id, name, level, type, is_system, version, signals, actions, created_at, updated_at)
       VALUES ($1, NULL, $2, $3, $4, true, $5, $6, $7, $8, $8)
       ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, level = EXCLUDED.level, type = EXCLUDED.type, version = EXCLUDED.version,
         signals = EXCLUDED.signals, actions = EXCLUDED.actions, updated_at = EXCLUDED.updated_at, deleted_at = NULL
       WHERE device_templates.version < EXCLUDED.version`,
      [t.id, t.name, t.level, t.type, t.version, JSON.stringify(t.signals), JSON.stringify(t.actions), now],
    );
  }
}

const ensured = new WeakMap<object, Promise<void>>();

/**
 * Makes sure the system templates are stored, once per database handle
 * (called lazily by the plant and template services, and at server start).
 */
export function ensureSystemTemplates(db: Db): Promise<void> {
  let done = ensured.get(db);
  if (!done) {
    done = insertSystemTemplates(db).catch((err: unknown) => {
      ensured.delete(db);
      throw err;
    });
    ensured.set(db, done);
  }
  return done;
}
