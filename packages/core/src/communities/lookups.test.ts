import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemPrincipal } from '../auth/principal.js';
import type { ServiceContext } from '../context.js';
import { DomainError } from '../errors.js';
import { contextFor } from '../testing.js';
import {
  lookupAssetBySensorId,
  lookupAssetsBySensorIds,
  lookupCommunityByDeliveryPoint,
  lookupCommunityBySensorId,
  lookupCommunityByUserId,
  lookupMemberByUserId,
} from './lookups.js';
import { seedReadFixture, type ReadFixture } from './reads.fixture.js';
import {
  globalAssetLookup,
  globalMemberLookup,
  lookupByDeliveryPointResponse,
  lookupBySensorIdResponse,
  lookupByUserIdResponse,
} from './shapes.js';
import { seedCommunity } from './testing.js';

const GLOBAL_ASSET_KEYS = [
  'id',
  'key',
  'asset_type',
  'name',
  'owner_key',
  'owner_user_id',
  'community_key',
  'community_name',
  'sensor_id',
  'properties',
  'device',
  'relationships',
  'pod',
  'site_id',
  'component_id',
  'plant_id',
];

async function failure(call: () => Promise<unknown>): Promise<{ code: string; message: string; details: unknown[] }> {
  const err = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  const e = err as DomainError;
  return { code: e.code, message: e.message, details: e.details };
}

for (const engine of testEngines) {
  describe(`registry lookups [${engine}]`, () => {
    let db: TestDb;
    let fx: ReadFixture;
    let admin: ServiceContext;
    beforeAll(async () => {
      db = await freshTestDb(engine);
      fx = await seedReadFixture(db);
      admin = fx.a.as.admin;
    });
    afterAll(() => db.dispose());

    it('finds the community and member of a user id', async () => {
      const found = await lookupCommunityByUserId(admin, fx.aliceUserId);
      expect(lookupByUserIdResponse.parse(found)).toEqual(found);
      expect(found).toEqual({
        community: { id: fx.alpha.id, key: 'alpha', name: 'Alpha Energy' },
        member: { id: fx.alpha.members['m-1']!.id, key: 'm-1', user_id: fx.aliceUserId, name: 'Alice', role: 'prosumer', status: 'active' },
      });
      expect((await lookupCommunityByUserId(admin, 'ext-beta-1')).community.key).toBe('beta');
    });

    it('finds a member by user id across communities, with its delivery points', async () => {
      const m = await lookupMemberByUserId(admin, fx.aliceUserId);
      expect(globalMemberLookup.parse(m)).toEqual(m);
      expect(Object.keys(m)).toEqual([
        'id',
        'key',
        'user_id',
        'name',
        'role',
        'area',
        'status',
        'community_key',
        'community_name',
        'delivery_points',
      ]);
      expect(m).toMatchObject({ key: 'm-1', community_key: 'alpha', community_name: 'Alpha Energy', area: 'north' });
      expect(m.delivery_points!.map((d) => d.id)).toEqual(['IT001E001', 'IT001E002']);
    });

    it('serves a user id that is a member of several communities from the first by key', async () => {
      await seedCommunity(db, fx.a.id, { key: 'aardvark', members: [{ key: 'z-1', user_id: 'ext-twice' }] });
      await seedCommunity(db, fx.a.id, { key: 'Zebra', members: [{ key: 'a-1', user_id: 'ext-twice' }] });
      // Byte order: uppercase before lowercase.
      expect((await lookupCommunityByUserId(admin, 'ext-twice')).community.key).toBe('Zebra');
      expect((await lookupMemberByUserId(admin, 'ext-twice')).community_key).toBe('Zebra');
    });

    it('finds the community, owner and asset of a sensor id', async () => {
      const found = await lookupCommunityBySensorId(admin, 'SEN-A-2');
      expect(lookupBySensorIdResponse.parse(found)).toEqual(found);
      expect(found).toEqual({
        community: { id: fx.alpha.id, key: 'alpha', name: 'Alpha Energy' },
        member: { id: fx.alpha.members['m-2']!.id, key: 'm-2', user_id: '', name: 'Bob', role: 'consumer', status: 'pending' },
        asset: { id: fx.alpha.members['m-2']!.assets['mt-2'], key: 'mt-2', asset_type: 'meter', name: 'mt-2', sensor_id: 'SEN-A-2' },
      });
    });

    it('finds the community and member of a delivery point', async () => {
      const found = await lookupCommunityByDeliveryPoint(admin, 'IT001E001');
      expect(lookupByDeliveryPointResponse.parse(found)).toEqual(found);
      expect(found).toEqual({
        community: { id: fx.alpha.id, key: 'alpha', name: 'Alpha Energy' },
        member: { key: 'm-1', user_id: fx.aliceUserId, name: 'Alice', role: 'prosumer' },
        delivery_point: {
          id: 'IT001E001',
          type: 'pod',
          description: null,
          address: 'Via Roma 1',
          tariff: null,
          active: true,
          topology_node: 'tr-1',
        },
      });
    });

    it('finds an asset by sensor id, in full', async () => {
      const a = await lookupAssetBySensorId(admin, 'SEN-A-1');
      expect(globalAssetLookup.parse(a)).toEqual(a);
      expect(Object.keys(a)).toEqual(GLOBAL_ASSET_KEYS);
      expect(a).toMatchObject({
        key: 'mt-1',
        asset_type: 'meter',
        owner_key: 'm-1',
        owner_user_id: fx.aliceUserId,
        community_key: 'alpha',
        community_name: 'Alpha Energy',
        properties: { meter_type: 'bidirectional', pod: 'IT001E001', protocol: 'modbus' },
        device: {},
        relationships: { measures: ['pv-1'] },
        pod: 'IT001E001',
      });
    });

    it("answers another organisation's user id, sensor id and POD exactly as unknown ones", async () => {
      const pairs: [() => Promise<unknown>, () => Promise<unknown>, string][] = [
        [
          () => lookupCommunityByUserId(admin, fx.gammaUserId),
          () => lookupCommunityByUserId(admin, 'ext-nobody'),
          'User not found in any community',
        ],
        [
          () => lookupCommunityByUserId(admin, 'ext-identity-b'),
          () => lookupCommunityByUserId(admin, 'ext-nobody'),
          'User not found in any community',
        ],
        [() => lookupMemberByUserId(admin, 'ext-identity-b'), () => lookupMemberByUserId(admin, 'ext-nobody'), 'Member not found'],
        [
          () => lookupCommunityBySensorId(admin, 'SEN-B-1'),
          () => lookupCommunityBySensorId(admin, 'SEN-NONE'),
          'Sensor not found in any community',
        ],
        [() => lookupAssetBySensorId(admin, 'SEN-B-2'), () => lookupAssetBySensorId(admin, 'SEN-NONE'), 'Asset not found'],
        [
          () => lookupCommunityByDeliveryPoint(admin, 'IT009B001'),
          () => lookupCommunityByDeliveryPoint(admin, 'IT000NONE'),
          'Delivery point not found in any community',
        ],
      ];
      for (const [foreign, unknown, message] of pairs) {
        const f = await failure(foreign);
        expect(f).toEqual({ code: 'NOT_FOUND', message, details: [] });
        expect(f).toEqual(await failure(unknown));
      }
      // B's admin finds B's own rows.
      expect((await lookupCommunityBySensorId(fx.b.as.admin, 'SEN-B-1')).community.key).toBe('gamma');
      expect((await lookupCommunityByDeliveryPoint(fx.b.as.admin, 'IT009B001')).member.key).toBe('m-1');
      await failure(() => lookupAssetBySensorId(fx.b.as.admin, 'SEN-A-1'));
    });

    it('search nothing for technicians and viewers, and everything for the system', async () => {
      for (const role of ['technician', 'viewer'] as const) {
        expect((await failure(() => lookupAssetBySensorId(fx.a.as[role], 'SEN-A-1'))).message).toBe('Asset not found');
        expect((await lookupAssetsBySensorIds(fx.a.as[role], { sensor_ids: ['SEN-A-1'] })).items).toEqual([]);
      }
      const system = contextFor(db, systemPrincipal);
      expect((await lookupAssetBySensorId(system, 'SEN-B-1')).community_key).toBe('gamma');
    });

    it('answers values that could never be stored as not found', async () => {
      for (const value of ['', ' x', 'a\u0000b', 'x'.repeat(300)]) {
        expect((await failure(() => lookupCommunityByUserId(admin, value))).code).toBe('NOT_FOUND');
        expect((await failure(() => lookupMemberByUserId(admin, value))).code).toBe('NOT_FOUND');
        expect((await failure(() => lookupCommunityBySensorId(admin, value))).code).toBe('NOT_FOUND');
        expect((await failure(() => lookupAssetBySensorId(admin, value))).code).toBe('NOT_FOUND');
        expect((await failure(() => lookupCommunityByDeliveryPoint(admin, value))).code).toBe('NOT_FOUND');
      }
    });

    it('looks up many sensor ids at once: found ones in the order asked, the rest reported apart', async () => {
      const result = await lookupAssetsBySensorIds(admin, { sensor_ids: ['SEN-A-2', 'SEN-B-1', 'SEN-NONE', 'SEN-A-1', 'SEN-A-2'] });
      expect(result.items.map((a) => a.sensor_id)).toEqual(['SEN-A-2', 'SEN-A-1']);
      for (const item of result.items) {
        expect(globalAssetLookup.parse(item)).toEqual(item);
        expect(Object.keys(item)).toEqual(GLOBAL_ASSET_KEYS);
      }
      // Another organisation's sensor is "not found", like an unknown one.
      expect(result.notFound).toEqual(['SEN-B-1', 'SEN-NONE']);
      // A bare array, as the spec's wording allows; an empty list.
      expect((await lookupAssetsBySensorIds(admin, ['SEN-A-1'])).items.map((a) => a.key)).toEqual(['mt-1']);
      expect(await lookupAssetsBySensorIds(admin, { sensor_ids: [] })).toEqual({ items: [], notFound: [] });
      expect(await lookupAssetsBySensorIds(admin, [])).toEqual({ items: [], notFound: [] });
    });

    it('takes up to 1,000 sensor ids, and refuses more or a malformed body', async () => {
      const many = Array.from({ length: 1000 }, (_, i) => `SEN-MANY-${i}`);
      many[500] = 'SEN-A-1';
      const result = await lookupAssetsBySensorIds(admin, { sensor_ids: many });
      expect(result.items.map((a) => a.key)).toEqual(['mt-1']);
      expect(result.notFound).toHaveLength(999);
      for (const body of [
        { sensor_ids: [...many, 'one-more'] },
        [...many, 'one-more'],
        { sensor_ids: 'SEN-A-1' },
        { sensor_ids: ['SEN-A-1', 7] },
        { sensor_ids: ['SEN-A-1', ''] },
        { sensor_ids: ['SEN-A-1'], extra: true },
        { ids: ['SEN-A-1'] },
        'SEN-A-1',
        null,
        undefined,
      ]) {
        const f = await failure(() => lookupAssetsBySensorIds(admin, body));
        expect(f.code).toBe('VALIDATION_ERROR');
        expect(f.details.length).toBeGreaterThan(0);
      }
    });
  });
}
