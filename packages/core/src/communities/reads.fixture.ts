// The registry the read-side tests share (queries, lookups, /user, access):
// two organisations, A with communities `alpha` and `beta`, B with `gamma`.
// B's community reuses A's member and asset keys on purpose, and holds its
// own PODs, sensor ids and user ids, so every isolation test has something
// of the other tenant's to ask for.
import type { Db } from '@helio/db';
import { seedOrganisation, type TestOrganisation } from '../testing.js';
import { seedCommunity, type SeededCommunity } from './testing.js';

export interface ReadFixture {
  a: TestOrganisation;
  b: TestOrganisation;
  alpha: SeededCommunity;
  beta: SeededCommunity;
  gamma: SeededCommunity;
  /** Helio users who are members: A's technician is alpha's m-1; B's viewer is gamma's m-1. */
  aliceUserId: string;
  gammaUserId: string;
  siteId: string;
}

export const userIdOf = (org: TestOrganisation, role: 'owner' | 'admin' | 'technician' | 'viewer'): string => {
  const p = org.as[role].principal;
  if (p.kind !== 'user') throw new Error('a user principal was expected');
  return p.userId;
};

export async function seedReadFixture(db: Db): Promise<ReadFixture> {
  const a = await seedOrganisation(db, 'Org A');
  const b = await seedOrganisation(db, 'Org B');
  const aliceUserId = userIdOf(a, 'technician');
  const gammaUserId = userIdOf(b, 'viewer');
  const siteId = '0190c5a0-0000-7000-8000-0000000000a1';
  const alpha = await seedCommunity(db, a.id, {
    key: 'alpha',
    name: 'Alpha Energy',
    description: 'The first test community',
    legal: { vat: 'IT0123', legal_form: 'APS', name: 'Alpha Energy APS' },
    contact: { email: 'info@alpha.example' },
    settings: { timezone: 'Europe/Rome', currency: 'EUR' },
    operators: { 'dso-1': { name: 'DSO One', country: 'IT' } },
    areas: {
      south: { name: 'South' },
      north: { name: 'North', topology: ['ps-1', 'tr-1'], location: { lat: 45.1, lon: 11.2 } },
    },
    topology: [
      { id: 'ps-1', type: 'primary_substation', operator_id: 'dso-1' },
      { id: 'tr-1', type: 'transformer', name: 'T1', parent: 'ps-1', area: { type: 'Point', coordinates: [11.2, 45.1] } },
    ],
    members: [
      {
        key: 'm-1',
        name: 'Alice',
        user_id: aliceUserId,
        type: 'schema:Person',
        role: 'prosumer',
        area: 'north',
        delivery_points: [
          { pod: 'IT001E002', active: false, tariff: 'BTA' },
          { pod: 'IT001E001', address: 'Via Roma 1', topology_node: 'tr-1' },
        ],
        assets: [
          {
            key: 'pv-1',
            asset_type: 'pv',
            name: 'Rooftop PV',
            pod: 'IT001E001',
            properties: { tilt_angle: 30, rated_power: 5.5 },
            device: { model: 'Symo', type: 'fronius' },
            site_id: siteId,
          },
          {
            key: 'mt-1',
            asset_type: 'meter',
            name: 'Main meter',
            sensor_id: 'SEN-A-1',
            pod: 'IT001E001',
            properties: { protocol: 'modbus', meter_type: 'bidirectional' },
            relationships: { measures: ['pv-1'] },
          },
        ],
      },
      {
        key: 'm-2',
        name: 'Bob',
        role: 'consumer',
        area: 'south',
        status: 'pending',
        delivery_points: [{ pod: 'IT001E003', type: 'cups' }],
        assets: [
          { key: 'mt-2', asset_type: 'meter', sensor_id: 'SEN-A-2', properties: { meter_type: 'consumption' } },
          { key: 'ev-1', asset_type: 'ev_charger', properties: { max_power: 11, charger_type: 'ac_level2' } },
        ],
      },
      { key: 'm-3', name: 'Town hall', user_id: 'ext-identity-3', role: 'producer', area: 'north' },
    ],
  });
  const beta = await seedCommunity(db, a.id, {
    key: 'beta',
    members: [{ key: 'b-1', user_id: 'ext-beta-1', delivery_points: [{ pod: 'IT002E001' }] }],
  });
  const gamma = await seedCommunity(db, b.id, {
    key: 'gamma',
    members: [
      {
        key: 'm-1',
        user_id: gammaUserId,
        delivery_points: [{ pod: 'IT009B001' }],
        assets: [{ key: 'mt-1', asset_type: 'meter', sensor_id: 'SEN-B-1', pod: 'IT009B001', properties: { meter_type: 'consumption' } }],
      },
      { key: 'm-b', user_id: 'ext-identity-b', assets: [{ key: 'pv-b', asset_type: 'pv', sensor_id: 'SEN-B-2' }] },
    ],
  });
  return { a, b, alpha, beta, gamma, aliceUserId, gammaUserId, siteId };
}
