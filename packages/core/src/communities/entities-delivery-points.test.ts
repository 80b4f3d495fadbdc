// Delivery points one at a time: a POD once in the installation (another
// tenant's is only "in use", never named), a member and topology node of the
// community, and a POD that assets sit behind kept until they move.
import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextFor, lastChangeSeq, seedOrganisation, type TestOrganisation } from '../testing.js';
import {
  createCommunityAsset,
  createCommunityDeliveryPoint,
  createCommunityMember,
  getCommunityDeliveryPoint,
  listCommunityRegistry,
  removeCommunityDeliveryPoint,
  removeCommunityMember,
  restoreCommunityDeliveryPoint,
  updateCommunityAsset,
  updateCommunityDeliveryPoint,
} from './entities.js';
import { seedCommunity, type SeededCommunity } from './entities/testing.js';

for (const engine of testEngines) {
  describe(`community delivery points on ${engine}`, () => {
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

    /** A community of its own for each test, with one member. */
    const community = async (of: TestOrganisation = org): Promise<SeededCommunity & { memberId: string }> => {
      const c = await seedCommunity(contextFor(db), of.id, `c-${++n}`);
      const m = await createCommunityMember(of.as.admin, {
        community_id: c.id,
        key: 'm-1',
        name: 'M',
        role: 'prosumer',
        area: 'north',
        status: 'active',
      });
      return { ...c, memberId: m.id };
    };
    const point = (c: SeededCommunity & { memberId: string }, pod: string, extra: Record<string, unknown> = {}, as = org) =>
      createCommunityDeliveryPoint(as.as.admin, { community_id: c.id, member_id: c.memberId, pod, type: 'pod', ...extra });

    it('creates an active delivery point, edits it and moves it to another member', async () => {
      const c = await community();
      const before = await lastChangeSeq(db, org.id);
      const dp = await point(c, `IT001E${n}`, { topology_node: 'cabinet-1', tariff: 'D2', address: '1 Via Roma' });
      expect(dp).toMatchObject({
        pod: `IT001E${n}`,
        type: 'pod',
        active: true,
        topology_node: 'cabinet-1',
        tariff: 'D2',
        description: null,
      });
      const next = await createCommunityMember(org.as.admin, {
        community_id: c.id,
        key: 'm-2',
        name: 'N',
        role: 'consumer',
        area: 'south',
        status: 'active',
      });
      const moved = await updateCommunityDeliveryPoint(org.as.admin, dp.id, { member_id: next.id, active: false, topology_node: null });
      expect(moved).toMatchObject({ member_id: next.id, active: false, topology_node: null, tariff: 'D2' });
      expect(await lastChangeSeq(db, org.id)).toBe(before + 3);
      expect(await getCommunityDeliveryPoint(org.as.viewer, dp.id)).toEqual(moved);
    });

    it('refuses a POD used anywhere in the installation, naming the member only within the community', async () => {
      const c = await community();
      const pod = `POD-${n}`;
      await point(c, pod);
      await expect(point(c, pod)).rejects.toMatchObject({
        code: 'CONFLICT',
        details: [{ path: 'pod', message: `POD ${pod} is a delivery point of member m-1`, type: 'taken' }],
      });
      const foreign = await community(other);
      await expect(point(foreign, pod, {}, other)).rejects.toMatchObject({
        code: 'CONFLICT',
        details: [{ path: 'pod', message: `POD ${pod} is already in use` }],
      });
    });

    it('refuses a topology node the community does not have and a member of another community', async () => {
      const c = await community();
      await expect(point(c, `X-${n}`, { topology_node: 'nowhere' })).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
        details: [{ path: 'topology_node', type: 'dangling_reference' }],
      });
      const d = await community();
      await expect(point({ ...c, memberId: d.memberId }, `Y-${n}`)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(point(c, ' padded ')).rejects.toMatchObject({ code: 'VALIDATION_ERROR', details: [{ path: 'pod' }] });
      const dp = await point(c, `Z-${n}`);
      await expect(updateCommunityDeliveryPoint(org.as.admin, dp.id, { member_id: d.memberId })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    });

    it('keeps the POD of a delivery point that assets sit behind, and removes it once they moved', async () => {
      const c = await community();
      const dp = await point(c, `B-${n}`);
      const asset = await createCommunityAsset(org.as.admin, {
        community_id: c.id,
        member_id: c.memberId,
        key: 'pv-1',
        asset_type: 'pv',
        name: 'Roof',
        pod: dp.pod,
      });
      await expect(updateCommunityDeliveryPoint(org.as.admin, dp.id, { pod: `C-${n}` })).rejects.toMatchObject({
        code: 'CONFLICT',
        details: [{ path: 'pod', type: 'in_use', message: expect.stringContaining('pv-1') }],
      });
      await expect(removeCommunityDeliveryPoint(org.as.admin, dp.id)).rejects.toMatchObject({ code: 'CONFLICT' });
      await updateCommunityAsset(org.as.admin, asset.id, { pod: null });
      await updateCommunityDeliveryPoint(org.as.admin, dp.id, { pod: `C-${n}` });
      await removeCommunityDeliveryPoint(org.as.admin, dp.id);
      expect((await listCommunityRegistry(org.as.admin, c.id)).delivery_points).toEqual([]);
      await expect(getCommunityDeliveryPoint(org.as.admin, dp.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('restores a delivery point only while its POD is free and its member live', async () => {
      const c = await community();
      const dp = await point(c, `R-${n}`);
      await removeCommunityDeliveryPoint(org.as.admin, dp.id);
      const taker = await point(c, `R-${n}`);
      await expect(restoreCommunityDeliveryPoint(org.as.admin, dp.id)).rejects.toMatchObject({ code: 'CONFLICT' });
      await removeCommunityDeliveryPoint(org.as.admin, taker.id);
      await expect(restoreCommunityDeliveryPoint(org.as.admin, dp.id)).resolves.toMatchObject({ pod: `R-${n}` });
      await removeCommunityMember(org.as.admin, c.memberId);
      await expect(restoreCommunityDeliveryPoint(org.as.admin, taker.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(restoreCommunityDeliveryPoint(org.as.technician, dp.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(restoreCommunityDeliveryPoint(other.as.owner, dp.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });
  });
}
