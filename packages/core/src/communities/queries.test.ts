import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemPrincipal } from '../auth/principal.js';
import type { ServiceContext } from '../context.js';
import { DomainError } from '../errors.js';
import { contextFor } from '../testing.js';
import {
  getAsset,
  getAssetBySensorId,
  getCommunity,
  getDeliveryPoint,
  getMember,
  getMemberByUserId,
  getMemberDeliveryPoints,
  getTopology,
  listAssets,
  listCommunities,
  listDeliveryPoints,
  listMembers,
  listMeters,
} from './queries.js';
import { seedReadFixture, type ReadFixture } from './reads.fixture.js';
import {
  assetDetail,
  assetListItem,
  communityDetail,
  communityListItem,
  deliveryPointLookup,
  deliveryPointWithOwner,
  memberDetail,
  memberListItem,
  meterListItem,
  paginatedResponse,
} from './shapes.js';
import { seedCommunity } from './testing.js';

// Every field of each shape, in order: the published ones, then Helio's additions.
const AREA_KEYS = ['name', 'location', 'geometry', 'topology'];
const COMMUNITY_DETAIL_KEYS = [
  'id',
  'key',
  'name',
  'description',
  'legal',
  'links',
  'contact',
  'settings',
  'areas',
  'topology',
  'extra',
  'created_at',
  'updated_at',
];
const TOPOLOGY_NODE_KEYS = ['id', 'type', 'name', 'operator', 'parent', 'area', 'operator_id'];
const MEMBER_LIST_ITEM_KEYS = ['id', 'key', 'user_id', 'name', 'role', 'area', 'status', 'delivery_points_count'];
const MEMBER_DETAIL_KEYS = [
  'id',
  'key',
  'user_id',
  'name',
  'role',
  'area',
  'status',
  'delivery_points',
  'extra',
  'created_at',
  'updated_at',
];
const DELIVERY_POINT_KEYS = ['id', 'type', 'description', 'address', 'tariff', 'active', 'topology_node'];
const ASSET_LINK_KEYS = ['pod', 'site_id', 'component_id', 'plant_id'];
const ASSET_LIST_ITEM_KEYS = [
  'id',
  'key',
  'asset_type',
  'name',
  'owner_key',
  'owner_user_id',
  'sensor_id',
  'device_type',
  ...ASSET_LINK_KEYS,
];
const ASSET_DETAIL_KEYS = [
  'id',
  'key',
  'asset_type',
  'name',
  'owner_key',
  'owner_user_id',
  'sensor_id',
  'properties',
  'device',
  'relationships',
  'extra',
  'created_at',
  'updated_at',
  ...ASSET_LINK_KEYS,
];
const METER_LIST_ITEM_KEYS = [
  'id',
  'key',
  'name',
  'owner_key',
  'owner_user_id',
  'sensor_id',
  'meter_type',
  'pod',
  'device',
  'site_id',
  'component_id',
  'plant_id',
];
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

async function expectError(promise: Promise<unknown>, code: string, message?: string): Promise<DomainError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  expect((err as DomainError).code).toBe(code);
  if (message !== undefined) expect((err as DomainError).message).toBe(message);
  return err as DomainError;
}

const keys = (page: { items: { key: string }[] }) => page.items.map((i) => i.key);

for (const engine of testEngines) {
  describe(`community registry reads [${engine}]`, () => {
    let db: TestDb;
    let fx: ReadFixture;
    let admin: ServiceContext;
    beforeAll(async () => {
      db = await freshTestDb(engine);
      fx = await seedReadFixture(db);
      admin = fx.a.as.admin;
    });
    afterAll(() => db.dispose());

    it('lists the communities the caller manages, by key, with their areas', async () => {
      const page = await listCommunities(admin);
      expect(paginatedResponse(communityListItem).parse(page)).toEqual(page);
      expect(keys(page)).toEqual(['alpha', 'beta']);
      expect(page.next_cursor).toBeNull();
      expect(page.items[0]).toEqual({
        id: fx.alpha.id,
        key: 'alpha',
        name: 'Alpha Energy',
        description: 'The first test community',
        areas: {
          north: { name: 'North', location: { lat: 45.1, lon: 11.2 }, geometry: null, topology: ['ps-1', 'tr-1'] },
          south: { name: 'South', location: null, geometry: null, topology: [] },
        },
      });
      // Areas come back in key order, whatever order jsonb keeps them in.
      expect(Object.keys(page.items[0]!.areas!)).toEqual(['north', 'south']);
      expect(Object.keys(page.items[1]!)).toEqual(['id', 'key', 'name', 'description', 'areas']);
      expect(page.items[1]!.description).toBeNull();

      expect(keys(await listCommunities(fx.a.as.owner))).toEqual(['alpha', 'beta']);
      expect(keys(await listCommunities(fx.b.as.admin))).toEqual(['gamma']);
      // Technicians and viewers manage no community: they list none.
      expect(await listCommunities(fx.a.as.technician)).toEqual({ items: [], next_cursor: null });
      expect(await listCommunities(fx.a.as.viewer)).toEqual({ items: [], next_cursor: null });
      expect(keys(await listCommunities(contextFor(db, systemPrincipal)))).toEqual(['alpha', 'beta', 'gamma']);
    });

    it('filters the communities by key', async () => {
      expect(keys(await listCommunities(admin, { key: 'beta' }))).toEqual(['beta']);
      expect(keys(await listCommunities(admin, { key: 'gamma' }))).toEqual([]);
      expect(keys(await listCommunities(admin, { key: '' }))).toEqual(['alpha', 'beta']);
    });

    it('answers a community in full, in the published shape', async () => {
      const c = await getCommunity(admin, 'alpha');
      expect(communityDetail.parse(c)).toEqual(c);
      expect(Object.keys(c)).toEqual(COMMUNITY_DETAIL_KEYS);
      expect(c).toMatchObject({
        id: fx.alpha.id,
        key: 'alpha',
        name: 'Alpha Energy',
        legal: { name: 'Alpha Energy APS', vat: 'IT0123', legal_form: 'APS' },
        links: {},
        contact: { email: 'info@alpha.example' },
        settings: { timezone: 'Europe/Rome', currency: 'EUR' },
        extra: { operators: { 'dso-1': { name: 'DSO One', country: 'IT' } } },
      });
      // Stored objects come back in the bundle schema's field order.
      expect(Object.keys(c.legal!)).toEqual(['name', 'vat', 'legal_form']);
      expect(Object.keys(c.areas!.north!)).toEqual(AREA_KEYS);
      expect(c.created_at).toMatch(ISO);
      expect(c.updated_at).toMatch(ISO);
      expect(c.topology).toEqual([
        { id: 'ps-1', type: 'primary_substation', name: null, operator: 'dso-1', parent: null, area: {}, operator_id: 'dso-1' },
        {
          id: 'tr-1',
          type: 'transformer',
          name: 'T1',
          operator: null,
          parent: 'ps-1',
          area: { type: 'Point', coordinates: [11.2, 45.1] },
          operator_id: null,
        },
      ]);
      expect(Object.keys(c.topology![0]!)).toEqual(TOPOLOGY_NODE_KEYS);
      // No operators: `extra` is an empty object, never null.
      expect((await getCommunity(admin, 'beta')).extra).toEqual({});
    });

    it('answers the topology in the bundle order', async () => {
      const t = await getTopology(admin, 'alpha');
      expect(t.topology!.map((n) => n.id)).toEqual(['ps-1', 'tr-1']);
      expect(await getTopology(admin, 'beta')).toEqual({ topology: [] });
    });

    it('lists members with their delivery point counts, in the published shape', async () => {
      const page = await listMembers(admin, 'alpha');
      expect(paginatedResponse(memberListItem).parse(page)).toEqual(page);
      expect(keys(page)).toEqual(['m-1', 'm-2', 'm-3']);
      for (const item of page.items) expect(Object.keys(item)).toEqual(MEMBER_LIST_ITEM_KEYS);
      expect(page.items.map((m) => m.delivery_points_count)).toEqual([2, 1, 0]);
      expect(page.items[1]).toEqual({
        id: fx.alpha.members['m-2']!.id,
        key: 'm-2',
        // No identity: an empty string, since the published schema requires one.
        user_id: '',
        name: 'Bob',
        role: 'consumer',
        area: 'south',
        status: 'pending',
        delivery_points_count: 1,
      });
      expect(page.items[0]!.user_id).toBe(fx.aliceUserId);
    });

    it('filters members by role, status and area, exactly', async () => {
      expect(keys(await listMembers(admin, 'alpha', { role: 'prosumer' }))).toEqual(['m-1']);
      expect(keys(await listMembers(admin, 'alpha', { status: 'pending' }))).toEqual(['m-2']);
      expect(keys(await listMembers(admin, 'alpha', { area: 'north' }))).toEqual(['m-1', 'm-3']);
      expect(keys(await listMembers(admin, 'alpha', { area: 'north', role: 'producer', status: 'active' }))).toEqual(['m-3']);
      expect(keys(await listMembers(admin, 'alpha', { area: 'nowhere' }))).toEqual([]);
      expect(keys(await listMembers(admin, 'alpha', { role: '', status: '', area: '' }))).toEqual(['m-1', 'm-2', 'm-3']);
      expect(keys(await listMembers(admin, 'alpha', { role: 'admin' }))).toEqual([]);
    });

    it('refuses bad list parameters with every problem named', async () => {
      const err = await expectError(listMembers(admin, 'alpha', { role: 'king', status: 'asleep' }), 'VALIDATION_ERROR');
      expect(err.details.map((d) => d.path).sort()).toEqual(['role', 'status']);
      for (const limit of [0, 501, '0', '501', 'abc', 1.5, '-3', '']) {
        const e = await expectError(listMembers(admin, 'alpha', { limit }), 'VALIDATION_ERROR');
        expect(e.details[0]!.path).toBe('limit');
      }
      const unknown = await expectError(listMembers(admin, 'alpha', { colour: 'red' } as never), 'VALIDATION_ERROR');
      expect(unknown.details[0]!.message).toMatch(/colour/);
      await expectError(listDeliveryPoints(admin, 'alpha', { active: 'maybe' }), 'VALIDATION_ERROR');
      await expectError(listAssets(admin, 'alpha', { asset_type: 'windmill' }), 'VALIDATION_ERROR');
      await expectError(listCommunities(admin, { key: 'a\u0000b' }), 'VALIDATION_ERROR');
      // Limits as a query string gives them.
      expect(keys(await listMembers(admin, 'alpha', { limit: '2' }))).toEqual(['m-1', 'm-2']);
      expect(keys(await listMembers(admin, 'alpha', { limit: 500 }))).toEqual(['m-1', 'm-2', 'm-3']);
    });

    it('answers a member with its delivery points by POD, and its type in extra', async () => {
      const m = await getMember(admin, 'alpha', 'm-1');
      expect(memberDetail.parse(m)).toEqual(m);
      expect(Object.keys(m)).toEqual(MEMBER_DETAIL_KEYS);
      expect(m).toMatchObject({ key: 'm-1', user_id: fx.aliceUserId, name: 'Alice', role: 'prosumer', area: 'north', status: 'active' });
      expect(m.extra).toEqual({ type: 'schema:Person' });
      expect(m.delivery_points).toEqual([
        { id: 'IT001E001', type: 'pod', description: null, address: 'Via Roma 1', tariff: null, active: true, topology_node: 'tr-1' },
        { id: 'IT001E002', type: 'pod', description: null, address: null, tariff: 'BTA', active: false, topology_node: null },
      ]);
      expect(Object.keys(m.delivery_points![0]!)).toEqual(DELIVERY_POINT_KEYS);
      expect(m.created_at).toMatch(ISO);
      const bob = await getMember(admin, 'alpha', 'm-2');
      expect(bob.extra).toEqual({});
      expect(bob.user_id).toBe('');
    });

    it('finds a member by user id within the community', async () => {
      expect((await getMemberByUserId(admin, 'alpha', fx.aliceUserId)).key).toBe('m-1');
      expect((await getMemberByUserId(admin, 'alpha', 'ext-identity-3')).key).toBe('m-3');
      await expectError(getMemberByUserId(admin, 'alpha', 'ext-beta-1'), 'NOT_FOUND', 'Member not found');
      await expectError(getMemberByUserId(admin, 'alpha', ' padded '), 'NOT_FOUND', 'Member not found');
    });

    it("answers a member's delivery points as `delivery_points`", async () => {
      const dps = await getMemberDeliveryPoints(admin, 'alpha', 'm-1');
      expect(Object.keys(dps)).toEqual(['delivery_points']);
      expect(dps.delivery_points!.map((d) => d.id)).toEqual(['IT001E001', 'IT001E002']);
      expect(await getMemberDeliveryPoints(admin, 'alpha', 'm-3')).toEqual({ delivery_points: [] });
      await expectError(getMemberDeliveryPoints(admin, 'alpha', 'm-9'), 'NOT_FOUND', 'Member not found');
    });

    it('lists delivery points by POD with their owner, filtered by type and active flag', async () => {
      const page = await listDeliveryPoints(admin, 'alpha');
      expect(paginatedResponse(deliveryPointWithOwner).parse(page)).toEqual(page);
      expect(keys(page)).toEqual(['IT001E001', 'IT001E002', 'IT001E003']);
      expect(Object.keys(page.items[0]!)).toEqual([...DELIVERY_POINT_KEYS, 'key', 'member_key', 'member_name']);
      expect(page.items[2]).toMatchObject({ id: 'IT001E003', key: 'IT001E003', type: 'cups', member_key: 'm-2', member_name: 'Bob' });
      expect(keys(await listDeliveryPoints(admin, 'alpha', { type: 'cups' }))).toEqual(['IT001E003']);
      for (const inactive of [false, 'false', '0', 'no', 'off', 'FALSE']) {
        expect(keys(await listDeliveryPoints(admin, 'alpha', { active: inactive }))).toEqual(['IT001E002']);
      }
      for (const active of [true, 'true', '1', 'yes', 'on']) {
        expect(keys(await listDeliveryPoints(admin, 'alpha', { active }))).toEqual(['IT001E001', 'IT001E003']);
      }
    });

    it('answers a delivery point with its member', async () => {
      const found = await getDeliveryPoint(admin, 'alpha', 'IT001E002');
      expect(deliveryPointLookup.parse(found)).toEqual(found);
      expect(found).toEqual({
        delivery_point: {
          id: 'IT001E002',
          type: 'pod',
          description: null,
          address: null,
          tariff: 'BTA',
          active: false,
          topology_node: null,
        },
        member: { key: 'm-1', user_id: fx.aliceUserId, name: 'Alice', role: 'prosumer' },
      });
      await expectError(getDeliveryPoint(admin, 'alpha', 'IT002E001'), 'NOT_FOUND', 'Delivery point not found');
    });

    it('lists assets by key with owner, device type and links, filtered by type and owner', async () => {
      const page = await listAssets(admin, 'alpha');
      expect(paginatedResponse(assetListItem).parse(page)).toEqual(page);
      expect(keys(page)).toEqual(['ev-1', 'mt-1', 'mt-2', 'pv-1']);
      for (const item of page.items) expect(Object.keys(item)).toEqual(ASSET_LIST_ITEM_KEYS);
      expect(page.items[3]).toEqual({
        id: fx.alpha.members['m-1']!.assets['pv-1'],
        key: 'pv-1',
        asset_type: 'pv',
        name: 'Rooftop PV',
        owner_key: 'm-1',
        owner_user_id: fx.aliceUserId,
        sensor_id: null,
        device_type: 'fronius',
        pod: 'IT001E001',
        site_id: fx.siteId,
        component_id: null,
        plant_id: null,
      });
      expect(page.items[0]).toMatchObject({ key: 'ev-1', owner_key: 'm-2', owner_user_id: '', device_type: null });
      expect(keys(await listAssets(admin, 'alpha', { asset_type: 'meter' }))).toEqual(['mt-1', 'mt-2']);
      expect(keys(await listAssets(admin, 'alpha', { owner: 'm-2' }))).toEqual(['ev-1', 'mt-2']);
      expect(keys(await listAssets(admin, 'alpha', { owner: 'm-2', asset_type: 'meter' }))).toEqual(['mt-2']);
      expect(await listAssets(admin, 'alpha', { owner: 'nobody' })).toEqual({ items: [], next_cursor: null });
      expect(await listAssets(admin, 'alpha', { owner: 'm-3' })).toEqual({ items: [], next_cursor: null });
    });

    it("answers an asset in full: the type's own fields in properties, a meter's pod among them", async () => {
      const meter = await getAsset(admin, 'alpha', 'mt-1');
      expect(assetDetail.parse(meter)).toEqual(meter);
      expect(Object.keys(meter)).toEqual(ASSET_DETAIL_KEYS);
      expect(meter).toMatchObject({
        key: 'mt-1',
        asset_type: 'meter',
        name: 'Main meter',
        owner_key: 'm-1',
        sensor_id: 'SEN-A-1',
        device: {},
        relationships: { measures: ['pv-1'] },
        extra: {},
        pod: 'IT001E001',
        site_id: null,
      });
      expect(meter.properties).toEqual({ meter_type: 'bidirectional', pod: 'IT001E001', protocol: 'modbus' });
      expect(Object.keys(meter.properties!)).toEqual(['meter_type', 'pod', 'protocol']);
      const pv = await getAsset(admin, 'alpha', 'pv-1');
      expect(Object.keys(pv.properties!)).toEqual(['rated_power', 'tilt_angle']);
      expect(pv.properties).toEqual({ rated_power: 5.5, tilt_angle: 30 });
      expect(Object.keys(pv.device!)).toEqual(['type', 'model']);
      expect(pv.created_at).toMatch(ISO);
      expect((await getAssetBySensorId(admin, 'alpha', 'SEN-A-2')).key).toBe('mt-2');
      await expectError(getAsset(admin, 'alpha', 'mt-9'), 'NOT_FOUND', 'Asset not found');
      await expectError(getAssetBySensorId(admin, 'alpha', 'SEN-X'), 'NOT_FOUND', 'Asset not found');
    });

    it('lists meters with their type and pod', async () => {
      const page = await listMeters(admin, 'alpha');
      expect(paginatedResponse(meterListItem).parse(page)).toEqual(page);
      expect(keys(page)).toEqual(['mt-1', 'mt-2']);
      for (const item of page.items) expect(Object.keys(item)).toEqual(METER_LIST_ITEM_KEYS);
      expect(page.items[0]).toMatchObject({ meter_type: 'bidirectional', pod: 'IT001E001', owner_key: 'm-1', device: {} });
      expect(page.items[1]).toMatchObject({ meter_type: 'consumption', pod: null, owner_user_id: '' });
      expect(keys(await listMeters(admin, 'alpha', { owner: 'm-1' }))).toEqual(['mt-1']);
      await expectError(listMeters(admin, 'alpha', { asset_type: 'pv' } as never), 'VALIDATION_ERROR');
    });

    it('answers the published not-found messages', async () => {
      await expectError(getCommunity(admin, 'nope'), 'NOT_FOUND', 'Community not found');
      await expectError(listMembers(admin, 'nope'), 'NOT_FOUND', 'Community not found');
      await expectError(getMember(admin, 'alpha', 'nope'), 'NOT_FOUND', 'Member not found');
      await expectError(getDeliveryPoint(admin, 'alpha', 'nope'), 'NOT_FOUND', 'Delivery point not found');
      await expectError(getAsset(admin, 'alpha', 'nope'), 'NOT_FOUND', 'Asset not found');
    });

    it('never shows deleted rows', async () => {
      const delta = await seedCommunity(db, fx.a.id, {
        key: 'delta',
        members: [
          { key: 'd-1', delivery_points: [{ pod: 'IT004E001' }], assets: [{ key: 'da-1', asset_type: 'meter', sensor_id: 'SEN-D-1' }] },
          { key: 'd-2', delivery_points: [{ pod: 'IT004E002' }] },
        ],
      });
      await db.query('UPDATE community_members SET deleted_at = now() WHERE id = $1', [delta.members['d-2']!.id]);
      await db.query('UPDATE community_delivery_points SET deleted_at = now() WHERE id = $1', [
        delta.members['d-1']!.deliveryPoints['IT004E001'],
      ]);
      await db.query('UPDATE community_assets SET deleted_at = now() WHERE id = $1', [delta.members['d-1']!.assets['da-1']]);
      expect(keys(await listMembers(admin, 'delta'))).toEqual(['d-1']);
      expect((await listMembers(admin, 'delta')).items[0]!.delivery_points_count).toBe(0);
      expect((await getMember(admin, 'delta', 'd-1')).delivery_points).toEqual([]);
      await expectError(getMember(admin, 'delta', 'd-2'), 'NOT_FOUND', 'Member not found');
      expect(keys(await listAssets(admin, 'delta'))).toEqual([]);
      await expectError(getAssetBySensorId(admin, 'delta', 'SEN-D-1'), 'NOT_FOUND', 'Asset not found');
      await expectError(getDeliveryPoint(admin, 'delta', 'IT004E001'), 'NOT_FOUND', 'Delivery point not found');

      await db.query('UPDATE communities SET deleted_at = now() WHERE id = $1', [delta.id]);
      await expectError(getCommunity(admin, 'delta'), 'NOT_FOUND', 'Community not found');
      expect(keys(await listCommunities(admin))).toEqual(['alpha', 'beta']);
    });
  });
}
