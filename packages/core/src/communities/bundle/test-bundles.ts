// Bundles for tests (the bundle's own tests, the importer's and the API's):
// small valid ones to start from, and one that uses every part of the format.
import type { RegistryBundleIn } from './schema.js';

/** The smallest valid bundle: a community with one area and one member. */
export function minimalBundle(key = 'rec-min'): RegistryBundleIn {
  return {
    community: { id: key, name: 'Minimal REC', areas: { north: { name: 'North' } } },
    members: { 'm-1': { name: 'Alice', role: 'consumer', area: 'north', status: 'active' } },
  };
}

/**
 * A bundle using every part of the format: all asset types with their own
 * fields, areas with topology, location and GeoJSON, topology nodes with
 * operators and parents, metadata, the community's legal, links, contact
 * and settings, links to Helio objects, and strings YAML must quote or
 * write as blocks. Maps are deliberately not in canonical order, and member
 * keys include integer-like ones ("10", "9"), which JavaScript objects list first.
 */
export function variedBundle(key = 'rec-varied'): RegistryBundleIn {
  return {
    schema_version: '1.0',
    version: '2.1',
    metadata: { created: '2024-01-01T00:00:00Z', updated_by: 'ops@example.org', description: 'Varied\nbundle: with "quotes"' },
    community: {
      id: key,
      name: 'Varied REC',
      description: '  leading spaces and trailing newline\n',
      legal: { name: 'Varied REC APS', vat: 'IT0123456789', legal_form: 'APS', registration_number: null },
      links: { website: 'https://example.org/rec?a=1#x', statute: 'https://example.org/statute.pdf' },
      contact: { email: 'info@example.org', phone: '+39 0123 456789', address: 'Via Roma 1, 00100 Roma' },
      settings: { timezone: 'Europe/Rome', currency: 'EUR', energy_unit: 'kWh', power_unit: 'kW' },
      operators: { 'z-dso': { name: 'Zeta DSO', country: 'IT' }, 'a-dso': { name: 'Alpha DSO', contact: 'mailto:dso@example.org' } },
      areas: {
        south: { name: 'South', topology: ['ss-2', 'ps-1'], geometry: { type: 'Point', coordinates: [12.5, 41.9] } },
        north: {
          name: 'North',
          location: { lat: 45.1, lon: 11.2 },
          geometry: {
            type: 'Polygon',
            coordinates: [
              [
                [11, 45],
                [11.5, 45],
                [11.5, 45.5],
                [11, 45],
              ],
            ],
            properties: null,
          },
        },
        'east.1': { name: 'yes' },
      },
      topology: [
        { id: 'ps-1', type: 'primary_substation', name: 'Primary', operator_id: 'z-dso', area: { type: 'Point', coordinates: [12, 42] } },
        { id: 'ss-2', type: 'secondary_substation', parent: 'ps-1', operator_id: 'a-dso' },
        { id: 'tr-3', type: 'transformer', parent: 'ss-2', name: null },
        { id: 'cab_4', type: 'cabinet', parent: 'tr-3' },
      ],
    },
    members: {
      'm-b': {
        user_id: 'user|42',
        name: 'Bianca # not a comment',
        type: 'schema:Person',
        role: 'prosumer',
        area: 'north',
        status: 'active',
        delivery_points: [
          { id: 'IT001E0002', type: 'pod', active: false, tariff: 'BTA', topology_node: 'tr-3' },
          { id: 'IT001E0001', type: 'pod', description: 'main: meter', address: null },
        ],
        assets: {
          meter: {
            'mt-1': { name: 'Main meter', sensor_id: 'SEN-001', meter_type: 'bidirectional', pod: 'IT001E0001', protocol: 'modbus' },
          },
          pv: {
            'pv-1': {
              name: 'Rooftop PV',
              rated_power: 5.5,
              inverter_power: 5,
              orientation: -12.5,
              tilt_angle: 0,
              panel_type: 'mono',
              installation_date: '2023-05-01',
              device: { type: 'fronius', model: 'Symo 5.0', serial_number: '001', mac_address: null },
              relationships: { measures: [], paired_with: 'st-1' },
              site_id: '0b7f6c1e-3c44-4d8e-9a43-1f2a3b4c5d6e',
              component_id: null,
            },
          },
          storage: {
            'st-1': {
              name: 'Battery',
              capacity: 10,
              max_charge_power: 5,
              max_discharge_power: 5,
              round_trip_efficiency: 0.92,
              battery_type: 'LFP',
            },
          },
        },
      },
      '10': {
        name: 'Ten',
        role: 'consumer',
        area: 'south',
        status: 'pending',
        delivery_points: [{ id: 'FR-PRM-10', type: 'prm' }],
        assets: {
          load: {
            'ld-1': { name: 'Pump', load_type: 'process', controllable: true, priority: 'high', flexibility_kw: 1e-3, min_power: 0 },
          },
          heat_pump: {
            'hp-1': {
              name: 'Heat pump',
              thermal_power: 8,
              electrical_power: 2.5,
              cop: 3.2,
              reversible: false,
              heat_pump_type: 'air_to_water',
            },
          },
          ev_charger: {
            'ev-1': {
              name: 'Charger',
              max_power: 22,
              charger_type: 'ac_level2',
              connector_types: ['type2', 'ccs'],
              smart_charging: true,
              bidirectional: null,
              num_ports: 2,
              pod: 'FR-PRM-10',
              plant_id: '5d9e1a2b-7c3f-4e6d-8b1a-2c3d4e5f6a7b',
              relationships: { measures: ['mt-2'] },
            },
          },
          meter: {
            'mt-2': { name: 'Sub meter', sensor_id: 'SEN 002/x', meter_type: 'consumption', device: { firmware_version: '1.2.3' } },
          },
        },
      },
      '9': { user_id: '0042', name: 'null', role: 'producer', area: 'east.1', status: 'suspended', assets: { pv: {}, load: {} } },
      'm~a': { name: 'Ünïcødé 名前 "quoted" \'single\'', role: 'admin', area: 'north', status: 'inactive', delivery_points: [] },
    },
  };
}
