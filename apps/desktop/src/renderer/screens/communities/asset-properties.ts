// Each asset type's own fields (an asset's `properties`), as the asset form
// shows them: their label, what kind of value they take, and whether the
// type requires them. The bundle schema (core's bundle/schema.ts) is their
// definition and core checks every save against it; this list only says how
// to ask for them.
import type { AssetType } from './community-labels.js';

export type PropertyKind = 'number' | 'integer' | 'text' | 'boolean' | 'choice';

export interface PropertySpec {
  name: string;
  label: string;
  kind: PropertyKind;
  required?: boolean;
  /** For `choice`: the values and their words. */
  options?: Record<string, string>;
  hint?: string;
}

const meterTypes = {
  consumption: 'Consumption',
  production: 'Production',
  bidirectional: 'Bidirectional',
  import: 'Import',
  export: 'Export',
};

const installed: PropertySpec = { name: 'installation_date', label: 'Installed on', kind: 'text', hint: 'A date, such as 2023-05-14.' };

export const assetProperties: Record<AssetType, PropertySpec[]> = {
  pv: [
    { name: 'rated_power', label: 'Rated power (kWp)', kind: 'number' },
    { name: 'inverter_power', label: 'Inverter power (kW)', kind: 'number' },
    { name: 'panel_type', label: 'Panel type', kind: 'text' },
    { name: 'orientation', label: 'Orientation (°)', kind: 'number' },
    { name: 'tilt_angle', label: 'Tilt (°)', kind: 'number' },
    installed,
  ],
  storage: [
    { name: 'capacity', label: 'Capacity (kWh)', kind: 'number' },
    { name: 'max_charge_power', label: 'Max charge power (kW)', kind: 'number' },
    { name: 'max_discharge_power', label: 'Max discharge power (kW)', kind: 'number' },
    { name: 'battery_type', label: 'Battery type', kind: 'text' },
    { name: 'round_trip_efficiency', label: 'Round-trip efficiency', kind: 'number' },
    installed,
  ],
  meter: [
    { name: 'meter_type', label: 'Meter type', kind: 'choice', required: true, options: meterTypes },
    { name: 'protocol', label: 'Protocol', kind: 'text' },
    installed,
  ],
  ev_charger: [
    { name: 'max_power', label: 'Max power (kW)', kind: 'number', required: true },
    { name: 'charger_type', label: 'Charger type', kind: 'text', required: true },
    { name: 'num_ports', label: 'Ports', kind: 'integer' },
    { name: 'smart_charging', label: 'Smart charging', kind: 'boolean' },
    { name: 'bidirectional', label: 'Bidirectional', kind: 'boolean' },
    installed,
  ],
  heat_pump: [
    { name: 'thermal_power', label: 'Thermal power (kW)', kind: 'number', required: true },
    { name: 'electrical_power', label: 'Electrical power (kW)', kind: 'number' },
    { name: 'cop', label: 'COP', kind: 'number' },
    { name: 'heat_pump_type', label: 'Heat pump type', kind: 'text' },
    { name: 'refrigerant', label: 'Refrigerant', kind: 'text' },
    { name: 'reversible', label: 'Reversible', kind: 'boolean' },
    installed,
  ],
  load: [
    { name: 'load_type', label: 'Load type', kind: 'text' },
    { name: 'rated_power', label: 'Rated power (kW)', kind: 'number' },
    { name: 'min_power', label: 'Min power (kW)', kind: 'number' },
    { name: 'flexibility_kw', label: 'Flexibility (kW)', kind: 'number' },
    { name: 'priority', label: 'Priority', kind: 'text' },
    { name: 'controllable', label: 'Controllable', kind: 'boolean' },
  ],
};

/** The one figure a list shows for an asset: its power or capacity, with its unit. */
export function headlineOf(type: string, properties: Record<string, unknown>): { value: number; unit: string } | undefined {
  const pick: Record<string, [string, string]> = {
    pv: ['rated_power', 'kWp'],
    storage: ['capacity', 'kWh'],
    ev_charger: ['max_power', 'kW'],
    heat_pump: ['thermal_power', 'kW'],
    load: ['rated_power', 'kW'],
  };
  const [name, unit] = pick[type] ?? [];
  const value = name ? properties[name] : undefined;
  return typeof value === 'number' && unit ? { value, unit } : undefined;
}
