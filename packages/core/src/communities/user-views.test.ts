import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemPrincipal, type Principal } from '../auth/principal.js';
import type { ServiceContext } from '../context.js';
import { DomainError } from '../errors.js';
import { contextFor } from '../testing.js';
import { seedReadFixture, userIdOf, type ReadFixture } from './reads.fixture.js';
import {
  userAssetDetail,
  userAssetsResponse,
  userCommunityDetail,
  userDeliveryPointsResponse,
  userMeResponse,
  userMemberDetail,
} from './shapes.js';
import { seedCommunity } from './testing.js';
import { getMe, getMyAsset, getMyAssets, getMyCommunity, getMyDeliveryPoints, getMyMember } from './user-views.js';

const USER_ASSET_KEYS = [
  'key',
  'asset_type',
  'name',
  'sensor_id',
  'properties',
  'device',
  'relationships',
  'pod',
  'site_id',
  'component_id',
  'plant_id',
];
const USER_ASSET_DETAIL_KEYS = [
  'key',
  'asset_type',
  'name',
  'sensor_id',
  'properties',
  'device',
  'relationships',
  'extra',
  'created_at',
  'updated_at',
  'pod',
  'site_id',
  'component_id',
  'plant_id',
];
const NOT_A_MEMBER = 'You are not a member of any community';

async function failure(call: () => Promise<unknown>): Promise<{ code: string; message: string }> {
  const err = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  return { code: (err as DomainError).code, message: (err as DomainError).message };
}

/** Every /user route, as thunks. */
const everyRoute = (ctx: ServiceContext): (() => Promise<unknown>)[] => [
  () => getMe(ctx),
  () => getMyMember(ctx),
  () => getMyCommunity(ctx),
  () => getMyAssets(ctx),
  () => getMyAsset(ctx, 'mt-1'),
  () => getMyDeliveryPoints(ctx),
];

for (const engine of testEngines) {
  describe(`/user views [${engine}]`, () => {
    let db: TestDb;
    let fx: ReadFixture;
    /** A's technician is alpha's member m-1 (Alice). */
    let alice: ServiceContext;
    beforeAll(async () => {
      db = await freshTestDb(engine);
      fx = await seedReadFixture(db);
      alice = fx.a.as.technician;
    });
    afterAll(() => db.dispose());

    it('answers the profile and a summary of the membership, with asset counts by type', async () => {
      const me = await getMe(alice);
      expect(userMeResponse.parse(me)).toEqual(me);
      expect(me).toEqual({
        profile: {
          sub: fx.aliceUserId,
          email: `technician-${fx.a.id}@example.com`,
          name: 'Org A technician',
          preferred_username: `technician-${fx.a.id}@example.com`,
        },
        membership: {
          member: { key: 'm-1', name: 'Alice', role: 'prosumer', area: 'north', status: 'active' },
          community: { key: 'alpha', name: 'Alpha Energy', description: 'The first test community' },
          delivery_points_count: 2,
          assets_count: { pv: 1, meter: 1 },
        },
      });
      // Counts in the bundle's type order, only the types the member has.
      expect(Object.keys(me.membership!.assets_count!)).toEqual(['pv', 'meter']);
    });

    it("answers the member's own record, without id or user id", async () => {
      const m = await getMyMember(alice);
      expect(userMemberDetail.parse(m)).toEqual(m);
      expect(Object.keys(m)).toEqual(['key', 'name', 'role', 'area', 'status', 'delivery_points', 'extra', 'created_at', 'updated_at']);
      expect(m.delivery_points!.map((d) => d.id)).toEqual(['IT001E001', 'IT001E002']);
      expect(m.extra).toEqual({ type: 'schema:Person' });
    });

    it("answers the member's community with their own area and role", async () => {
      const c = await getMyCommunity(alice);
      expect(userCommunityDetail.parse(c)).toEqual(c);
      expect(Object.keys(c)).toEqual([
        'key',
        'name',
        'description',
        'legal',
        'links',
        'contact',
        'settings',
        'areas',
        'topology',
        'your_area',
        'your_role',
      ]);
      expect(c).toMatchObject({ key: 'alpha', your_area: 'north', your_role: 'prosumer', links: {} });
      expect(c.topology!.map((n) => n.id)).toEqual(['ps-1', 'tr-1']);
    });

    it("answers the member's own assets by key, of one type when asked", async () => {
      const all = await getMyAssets(alice);
      expect(userAssetsResponse.parse(all)).toEqual(all);
      expect(all.total).toBe(2);
      expect(all.items.map((a) => a.key)).toEqual(['mt-1', 'pv-1']);
      for (const item of all.items) expect(Object.keys(item)).toEqual(USER_ASSET_KEYS);
      expect(all.items[0]).toMatchObject({
        asset_type: 'meter',
        sensor_id: 'SEN-A-1',
        properties: { meter_type: 'bidirectional', pod: 'IT001E001' },
      });
      expect((await getMyAssets(alice, { asset_type: 'pv' })).items.map((a) => a.key)).toEqual(['pv-1']);
      expect(await getMyAssets(alice, { asset_type: 'storage' })).toEqual({ items: [], total: 0 });
      expect((await failure(() => getMyAssets(alice, { asset_type: 'windmill' }))).code).toBe('VALIDATION_ERROR');
      expect((await failure(() => getMyAssets(alice, { owner: 'm-2' } as never))).code).toBe('VALIDATION_ERROR');
    });

    it('answers one of the member’s assets, and no other member’s', async () => {
      const pv = await getMyAsset(alice, 'pv-1');
      expect(userAssetDetail.parse(pv)).toEqual(pv);
      expect(Object.keys(pv)).toEqual(USER_ASSET_DETAIL_KEYS);
      expect(pv).toMatchObject({ key: 'pv-1', site_id: fx.siteId, extra: {}, device: { type: 'fronius', model: 'Symo' } });
      // Bob's assets in the same community, another community's, an unknown key, a malformed one.
      for (const key of ['mt-2', 'ev-1', 'pv-b', 'b-1', 'nope', '', 'a/b', 'a\u0000b']) {
        expect(await failure(() => getMyAsset(alice, key))).toEqual({ code: 'NOT_FOUND', message: 'Asset not found or not owned by you' });
      }
      // gamma's member m-1 (B's viewer) owns an asset with the same key as Alice's meter: each gets their own.
      const gammaMember = fx.b.as.viewer;
      expect((await getMyAsset(gammaMember, 'mt-1')).sensor_id).toBe('SEN-B-1');
      expect((await getMyAsset(alice, 'mt-1')).sensor_id).toBe('SEN-A-1');
      expect((await getMyAssets(gammaMember)).items.map((a) => a.sensor_id)).toEqual(['SEN-B-1']);
      expect((await getMyDeliveryPoints(gammaMember)).items.map((d) => d.id)).toEqual(['IT009B001']);
    });

    it("answers the member's delivery points with their total", async () => {
      const dps = await getMyDeliveryPoints(alice);
      expect(userDeliveryPointsResponse.parse(dps)).toEqual(dps);
      expect(dps.total).toBe(2);
      expect(dps.items.map((d) => d.id)).toEqual(['IT001E001', 'IT001E002']);
    });

    it('answers 404 on every route to a user who is no member', async () => {
      for (const ctx of [fx.a.as.admin, fx.a.as.owner, fx.b.as.admin]) {
        for (const call of everyRoute(ctx)) expect(await failure(call)).toEqual({ code: 'NOT_FOUND', message: NOT_A_MEMBER });
      }
    });

    it('does not serve a member record in an organisation the user is not in', async () => {
      // A member of B's community carries A's owner's id; A's owner is not in organisation B.
      await seedCommunity(db, fx.b.id, { key: 'b-stranger', members: [{ key: 's-1', user_id: userIdOf(fx.a, 'owner') }] });
      for (const call of everyRoute(fx.a.as.owner)) expect(await failure(call)).toEqual({ code: 'NOT_FOUND', message: NOT_A_MEMBER });
    });

    it('refuses callers that act as no user', async () => {
      const client: Principal = { kind: 'client', clientId: 'c', userId: null, memberships: new Map([[fx.a.id, 'admin']]) };
      const key: Principal = { kind: 'apiKey', keyId: 'k', userId: null, memberships: new Map([[fx.a.id, 'admin']]) };
      for (const principal of [systemPrincipal, client, key]) {
        for (const call of everyRoute(contextFor(db, principal))) {
          expect(await failure(call)).toEqual({ code: 'FORBIDDEN', message: 'the /user routes serve a signed-in user' });
        }
      }
      // An API key acting for a user serves that user.
      const aliceKey: Principal = { kind: 'apiKey', keyId: 'k', userId: fx.aliceUserId, memberships: new Map([[fx.a.id, 'technician']]) };
      expect((await getMyMember(contextFor(db, aliceKey))).key).toBe('m-1');
    });

    it('serves the first community by key to a member of several, and forgets deleted members and communities', async () => {
      const viewer = fx.a.as.viewer;
      const viewerId = userIdOf(fx.a, 'viewer');
      const late = await seedCommunity(db, fx.a.id, { key: 'zz-late', members: [{ key: 'v-2', user_id: viewerId }] });
      const early = await seedCommunity(db, fx.a.id, { key: 'Aa-early', members: [{ key: 'v-1', user_id: viewerId }] });
      expect((await getMe(viewer)).membership!.community.key).toBe('Aa-early');
      await db.query('UPDATE community_members SET deleted_at = now() WHERE id = $1', [early.members['v-1']!.id]);
      expect((await getMe(viewer)).membership!.community.key).toBe('zz-late');
      await db.query('UPDATE communities SET deleted_at = now() WHERE id = $1', [late.id]);
      for (const call of everyRoute(viewer)) expect(await failure(call)).toEqual({ code: 'NOT_FOUND', message: NOT_A_MEMBER });
    });
  });
}
