// Members one at a time: the checks that keep the registry a bundle an
// import would take (a key and a user once per community, an area of the
// community), who may write, and a member's removal and restoration taking
// its delivery points and assets along.
import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextFor, lastChangeSeq, seedOrganisation, type TestOrganisation } from '../testing.js';
import {
  createCommunityAsset,
  createCommunityDeliveryPoint,
  createCommunityMember,
  getCommunityMember,
  listCommunityRegistry,
  removeCommunityMember,
  restoreCommunityMember,
  updateCommunityMember,
} from './entities.js';
import { seedCommunity, type SeededCommunity } from './entities/testing.js';

for (const engine of testEngines) {
  describe(`community members on ${engine}`, () => {
    let db: TestDb;
    let org: TestOrganisation;
    let other: TestOrganisation;
    let n = 0;
    beforeAll(async () => {
      db = await freshTestDb(engine);
      org = await seedOrganisation(db, 'Solar Commons');
      other = await seedOrganisation(db, 'Elsewhere');
    });
    afterAll(async () => {
      await db.dispose();
    });

    /** A community of its own for each test. */
    const community = async (of: TestOrganisation = org): Promise<SeededCommunity> => seedCommunity(contextFor(db), of.id, `c-${++n}`);
    const member = (c: SeededCommunity, key: string, extra: Record<string, unknown> = {}) =>
      createCommunityMember(org.as.admin, {
        community_id: c.id,
        key,
        name: `Member ${key}`,
        role: 'consumer',
        area: 'north',
        status: 'active',
        ...extra,
      });

    it('creates, reads, edits and lists a member, each write under a change number of its own', async () => {
      const c = await community();
      const before = await lastChangeSeq(db, org.id);
      const created = await member(c, 'm-1', { user_id: 'ext-7', type: 'schema:Person' });
      expect(created).toMatchObject({
        organisation_id: org.id,
        community_id: c.id,
        key: 'm-1',
        user_id: 'ext-7',
        name: 'Member m-1',
        type: 'schema:Person',
        role: 'consumer',
        area: 'north',
        status: 'active',
      });
      expect(await lastChangeSeq(db, org.id)).toBe(before + 1);
      const edited = await updateCommunityMember(org.as.owner, created.id, { role: 'prosumer', area: 'south', type: null, user_id: null });
      expect(edited).toMatchObject({ role: 'prosumer', area: 'south', type: null, user_id: null, name: 'Member m-1' });
      expect(await lastChangeSeq(db, org.id)).toBe(before + 2);
      expect(await getCommunityMember(org.as.viewer, created.id)).toEqual(edited);
      expect((await listCommunityRegistry(org.as.viewer, c.id)).members).toEqual([edited]);
    });

    it('refuses a key or a user already in the community, and an area it does not have, naming each problem', async () => {
      const c = await community();
      const first = await member(c, 'm-1', { user_id: 'u-1' });
      await expect(member(c, 'm-1')).rejects.toMatchObject({ code: 'CONFLICT', details: [{ path: 'key', type: 'taken' }] });
      await expect(member(c, 'm-2', { user_id: 'u-1' })).rejects.toMatchObject({
        code: 'CONFLICT',
        details: [{ path: 'user_id', message: 'user u-1 is already member m-1 of this community' }],
      });
      await expect(member(c, 'm-3', { area: 'west' })).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
        details: [{ path: 'area', type: 'dangling_reference' }],
      });
      const second = await member(c, 'm-2');
      await expect(updateCommunityMember(org.as.admin, second.id, { key: 'm-1' })).rejects.toMatchObject({ code: 'CONFLICT' });
      await expect(updateCommunityMember(org.as.admin, second.id, { user_id: 'u-1' })).rejects.toMatchObject({ code: 'CONFLICT' });
      // The same key and user in another community are another member's to have.
      const elsewhere = await community();
      await expect(member(elsewhere, 'm-1', { user_id: 'u-1' })).resolves.toMatchObject({ key: 'm-1' });
      // Writing a member's own key and user again changes nothing and is no conflict.
      await expect(updateCommunityMember(org.as.admin, first.id, { key: 'm-1', user_id: 'u-1' })).resolves.toMatchObject({ key: 'm-1' });
    });

    it('refuses bad input with the bundle schema, and a member moved to another community', async () => {
      const c = await community();
      await expect(member(c, 'bad key')).rejects.toMatchObject({ code: 'VALIDATION_ERROR', details: [{ path: 'key' }] });
      await expect(member(c, 'm-1', { role: 'boss', status: 'gone', bogus: 1 })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
      const m = await member(c, 'm-1');
      await expect(updateCommunityMember(org.as.admin, m.id, { community_id: (await community()).id })).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
        details: [{ path: 'community_id' }],
      });
    });

    it("lets only the organisation's owners and admins write, and hides another organisation's community", async () => {
      const c = await community();
      const input = { community_id: c.id, key: 'm-1', name: 'M', role: 'consumer', area: 'north', status: 'active' };
      await expect(createCommunityMember(org.as.technician, input)).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(createCommunityMember(other.as.admin, input)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(createCommunityMember(org.as.admin, { ...input, organisation_id: other.id })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      const m = await createCommunityMember(org.as.admin, input);
      await expect(updateCommunityMember(org.as.technician, m.id, { name: 'X' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(updateCommunityMember(other.as.owner, m.id, { name: 'X' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(removeCommunityMember(other.as.owner, m.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(getCommunityMember(other.as.owner, m.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(listCommunityRegistry(other.as.owner, c.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('removes a member with its delivery points and assets, and brings back those that went with it', async () => {
      const c = await community();
      const m = await member(c, 'm-1', { user_id: 'u-1' });
      const keep = await createCommunityDeliveryPoint(org.as.admin, {
        community_id: c.id,
        member_id: m.id,
        pod: `IT-${c.key}-1`,
        type: 'pod',
      });
      const lost = await createCommunityDeliveryPoint(org.as.admin, {
        community_id: c.id,
        member_id: m.id,
        pod: `IT-${c.key}-2`,
        type: 'pod',
      });
      const asset = { community_id: c.id, member_id: m.id, asset_type: 'pv', name: 'Roof' };
      await createCommunityAsset(org.as.admin, { ...asset, key: 'pv-1', pod: keep.pod });
      await createCommunityAsset(org.as.admin, { ...asset, key: 'pv-2', sensor_id: `S-${c.key}` });
      const before = await lastChangeSeq(db, org.id);

      await removeCommunityMember(org.as.admin, m.id);
      expect(await lastChangeSeq(db, org.id)).toBe(before + 5);
      expect(await listCommunityRegistry(org.as.admin, c.id)).toMatchObject({ members: [], delivery_points: [], assets: [] });
      await expect(getCommunityMember(org.as.admin, m.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });

      // Meanwhile another member takes one POD and the sensor id: those stay removed, the rest comes back.
      const taker = await member(c, 'm-2');
      await createCommunityDeliveryPoint(org.as.admin, { community_id: c.id, member_id: taker.id, pod: lost.pod, type: 'pod' });
      await createCommunityAsset(org.as.admin, { ...asset, member_id: taker.id, key: 'pv-9', sensor_id: `S-${c.key}` });
      const restored = await restoreCommunityMember(org.as.admin, m.id);
      expect(restored).toMatchObject({ key: 'm-1', user_id: 'u-1' });
      const registry = await listCommunityRegistry(org.as.admin, c.id);
      expect(registry.members.map((x) => x.key)).toEqual(['m-1', 'm-2']);
      expect(registry.delivery_points.map((d) => [d.pod, d.member_id])).toEqual([
        [keep.pod, m.id],
        [lost.pod, taker.id],
      ]);
      expect(registry.assets.map((a) => a.key)).toEqual(['pv-1', 'pv-9']);
      // Restoring a live member changes nothing.
      const seq = await lastChangeSeq(db, org.id);
      await restoreCommunityMember(org.as.admin, m.id);
      expect(await lastChangeSeq(db, org.id)).toBe(seq);
    });

    it('keeps a removed member removed when its key or user was taken meanwhile', async () => {
      const c = await community();
      const m = await member(c, 'm-1', { user_id: 'u-1' });
      await removeCommunityMember(org.as.admin, m.id);
      const again = await member(c, 'm-1');
      await expect(restoreCommunityMember(org.as.admin, m.id)).rejects.toMatchObject({ code: 'CONFLICT', details: [{ path: 'key' }] });
      await updateCommunityMember(org.as.admin, again.id, { key: 'm-2', user_id: 'u-1' });
      await expect(restoreCommunityMember(org.as.admin, m.id)).rejects.toMatchObject({ code: 'CONFLICT', details: [{ path: 'user_id' }] });
      expect((await listCommunityRegistry(org.as.admin, c.id)).members.map((x) => x.key)).toEqual(['m-2']);
    });

    it("refuses to remove a member while another member's asset sits behind its delivery point or names its asset", async () => {
      const c = await community();
      const a = await member(c, 'm-a');
      const b = await member(c, 'm-b');
      const dp = await createCommunityDeliveryPoint(org.as.admin, { community_id: c.id, member_id: a.id, pod: `IT-${c.key}`, type: 'pod' });
      await createCommunityAsset(org.as.admin, { community_id: c.id, member_id: a.id, key: 'pv-a', asset_type: 'pv', name: 'PV' });
      const behind = await createCommunityAsset(org.as.admin, {
        community_id: c.id,
        member_id: b.id,
        key: 'load-b',
        asset_type: 'load',
        name: 'Load',
        pod: dp.pod,
      });
      await expect(removeCommunityMember(org.as.admin, a.id)).rejects.toMatchObject({
        code: 'CONFLICT',
        details: [{ path: 'delivery_points', type: 'in_use', message: expect.stringContaining('load-b') }],
      });
      await createCommunityAsset(org.as.admin, {
        community_id: c.id,
        member_id: b.id,
        key: 'meter-b',
        asset_type: 'meter',
        name: 'Meter',
        sensor_id: `S-${c.key}`,
        properties: { meter_type: 'production' },
        relationships: { measures: ['pv-a'] },
      });
      await expect(removeCommunityMember(org.as.admin, a.id)).rejects.toMatchObject({
        code: 'CONFLICT',
        details: [{ path: 'delivery_points' }, { path: 'assets', message: expect.stringContaining('meter-b') }],
      });
      expect((await listCommunityRegistry(org.as.admin, c.id)).members).toHaveLength(2);
      expect(behind.pod).toBe(dp.pod);
    });
  });
}
