// Bundles for tests and benchmarks: a small community with every part of
// the format, and large ones of a chosen size.
import type { RegistryBundleIn } from '../bundle/schema.js';

/** A small community: areas, topology, operators, members of several roles, delivery points and assets of every type. */
export function sampleBundle(key: string): RegistryBundleIn {
  return {
    version: '1.0',
    schema_version: '1.0',
    metadata: { description: `${key} registry`, updated_by: 'tests' },
    community: {
      id: key,
      name: `Community ${key}`,
      description: 'Neighbours sharing a "roof" \\ and a battery, ünïcödé',
      legal: { legal_form: 'cooperative', vat: 'IT0123456789' },
      contact: { email: 'info@example.org' },
      settings: { timezone: 'Europe/Rome', currency: 'EUR' },
      operators: { dso: { name: 'Example DSO', country: 'IT' } },
      areas: {
        north: { name: 'North', topology: ['ps-1', 'tr-1'], location: { lat: 45.1, lon: 11.2 } },
        south: { name: 'South', geometry: { type: 'Point', coordinates: [11.3, 45.0] } },
      },
      topology: [
        { id: 'ps-1', type: 'primary_substation', operator_id: 'dso', name: 'Primary' },
        { id: 'tr-1', type: 'transformer', parent: 'ps-1' },
      ],
    },
    members: {
      'm-1': {
        user_id: `${key}-alice`,
        name: 'Alice',
        type: 'schema:Person',
        role: 'prosumer',
        area: 'north',
        status: 'active',
        delivery_points: [
          { id: `${key}-POD-1`, type: 'pod', active: true, topology_node: 'tr-1' },
          { id: `${key}-POD-0`, type: 'pod', description: 'garage', active: false },
        ],
        assets: {
          pv: { 'pv-1': { name: 'Roof PV', rated_power: 5.5, tilt_angle: 30, pod: `${key}-POD-1` } },
          meter: {
            'mt-1': {
              name: 'Main meter',
              sensor_id: `${key}-S-1`,
              meter_type: 'bidirectional',
              pod: `${key}-POD-1`,
              relationships: { measures: ['pv-1'] },
            },
          },
          storage: { 'bat-1': { name: 'Battery', capacity: 10, device: { type: 'sma', model: 'X' } } },
        },
      },
      'm-2': {
        name: 'Bakery',
        type: 'schema:LocalBusiness',
        role: 'consumer',
        area: 'south',
        status: 'pending',
        delivery_points: [{ id: `${key}-POD-2`, type: 'cups', tariff: 'BT' }],
        assets: {
          ev_charger: { 'ev-1': { name: 'Charger', max_power: 22, charger_type: 'ac_level2', connector_types: ['type2'] } },
          heat_pump: { 'hp-1': { name: 'Heat pump', thermal_power: 8, cop: 3.9 } },
          load: { 'ld-1': { name: 'Oven', rated_power: 4, controllable: false } },
          meter: { 'mt-2': { name: 'Meter', sensor_id: `${key}-S-2`, meter_type: 'consumption', pod: `${key}-POD-2` } },
        },
      },
      'm-3': { user_id: `${key}-carol`, name: 'Carol', role: 'admin', area: 'north', status: 'active' },
    },
  };
}

/** A community of `members` members, `deliveryPoints` delivery points and `assets` assets (meters and PV, alternately), spread evenly. */
export function largeBundle(key: string, members: number, deliveryPoints: number, assets: number): RegistryBundleIn {
  const pad = (i: number) => String(i).padStart(6, '0');
  const bundle = sampleBundle(key);
  const out: NonNullable<RegistryBundleIn['members']> = {};
  for (let m = 0; m < members; m++) {
    out[`m-${pad(m)}`] = {
      user_id: `${key}-user-${pad(m)}`,
      name: `Member ${m}`,
      role: m % 3 === 0 ? 'prosumer' : 'consumer',
      area: m % 2 === 0 ? 'north' : 'south',
      status: 'active',
      delivery_points: [],
      assets: {},
    };
  }
  const memberKeys = Object.keys(out);
  const pods: string[] = [];
  for (let d = 0; d < deliveryPoints; d++) {
    const pod = `${key}-IT001E${pad(d)}`;
    pods.push(pod);
    out[memberKeys[d % members]!]!.delivery_points!.push({ id: pod, type: 'pod', active: true, address: `Via Roma ${d}` });
  }
  for (let a = 0; a < assets; a++) {
    const member = out[memberKeys[a % members]!]!;
    const assetsOf = member.assets!;
    const pod = member.delivery_points![0]?.id ?? null;
    if (a % 2 === 0) {
      (assetsOf.meter ??= {})[`mt-${pad(a)}`] = {
        name: `Meter ${a}`,
        sensor_id: `${key}-sensor-${pad(a)}`,
        meter_type: 'bidirectional',
        pod,
        device: { type: 'shelly', serial_number: `SN${a}` },
      };
    } else {
      (assetsOf.pv ??= {})[`pv-${pad(a)}`] = { name: `PV ${a}`, rated_power: 3 + (a % 7), pod };
    }
  }
  return { ...bundle, members: out };
}
