// The registry's procedures: on the server (appRouter) as any tRPC client
// calls them, and on a device (localProcedures), where writes are applied to
// the device's copy and queued for the server. Who may read and who may
// change, and that a refused write leaves nothing queued.
import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceContext } from '../context.js';
import { SyncClient } from '../sync/client.js';
import { createLocalCallerFactory, localRouter, type LocalSync } from '../sync/local.js';
import { contextFor, seedOrganisation, type TestOrganisation } from '../testing.js';
import { localProcedures } from '../trpc/local-router.js';
import { createCaller } from '../trpc/router.js';
import { seedCommunity, type SeededCommunity } from './entities/testing.js';

const createDeviceCaller = createLocalCallerFactory(localRouter(localProcedures));
const serverCaller = (service: ServiceContext) => createCaller({ authenticate: async () => service });

for (const engine of testEngines) {
  describe(`the registry's procedures on ${engine}`, () => {
    let db: TestDb;
    let org: TestOrganisation;
    let other: TestOrganisation;
    let n = 0;
    beforeAll(async () => {
      db = await freshTestDb(engine);
      org = await seedOrganisation(db, 'Valley Energy');
      other = await seedOrganisation(db, 'Elsewhere');
    });
    afterAll(() => db.dispose());

    /** A community with one member (m-1, with a delivery point) and one asset. */
    async function community(of: TestOrganisation = org): Promise<SeededCommunity & { memberId: string }> {
      const c = await seedCommunity(contextFor(db), of.id, `valley-${++n}`);
      const api = serverCaller(of.as.admin);
      const member = await api.communities.members.create({
        community_id: c.id,
        key: 'm-1',
        name: 'Ada',
        role: 'consumer',
        area: 'north',
        status: 'active',
      });
      await api.communities.deliveryPoints.create({ community_id: c.id, member_id: member.id, pod: `POD-${n}`, type: 'pod' });
      await api.communities.assets.create({
        community_id: c.id,
        member_id: member.id,
        key: 'pv-1',
        asset_type: 'pv',
        name: 'Roof PV',
        pod: `POD-${n}`,
        properties: { rated_power: 6.5 },
      });
      return { ...c, memberId: member.id };
    }

    /** A device signed in as `service`, offline: its writes are applied here and queued. */
    async function device(service: ServiceContext) {
      const offline = () => Promise.reject(new Error('offline'));
      const userId = (service.principal as { userId: string }).userId;
      const client = await SyncClient.open({
        db,
        clock: service.clock,
        ids: service.ids,
        userId,
        transport: { push: offline, pull: offline },
      });
      const localSync: LocalSync = {
        write: (input) => client.write(input),
        conflicts: (principal, organisationId) => client.conflictsFor(principal, organisationId),
        resolveConflict: (id, resolution) => client.resolveConflict(id, resolution).then(() => undefined),
        rejectedChanges: () => client.rejectedChanges(),
        dismissRejected: (seq) => client.dismissRejected(seq),
        status: () => client.status(),
      };
      return createDeviceCaller({ authenticate: async () => service, localSync });
    }

    const queued = async () =>
      (
        await db.query<{ table_name: string; op: string }>("SELECT table_name, mutation->>'op' AS op FROM sync_outbox ORDER BY seq")
      ).rows.map((r) => `${r.op} ${r.table_name}`);

    it('lists the communities of the caller’s organisations with their counts, and reads one whole', async () => {
      const c = await community();
      await community(other);
      const api = serverCaller(org.as.technician);
      const listed = await api.communities.list();
      expect(listed.every((l) => l.organisation_id === org.id)).toBe(true);
      expect(listed.find((l) => l.id === c.id)).toMatchObject({ key: c.key, members: 1, delivery_points: 1, assets: 1 });
      const registry = await api.communities.registry({ communityId: c.id });
      expect(registry.community).toMatchObject({ id: c.id, key: c.key, areas: { north: { name: 'North' } } });
      expect(registry.members.map((m) => m.key)).toEqual(['m-1']);
      expect(registry.assets[0]).toMatchObject({ key: 'pv-1', properties: { rated_power: 6.5 } });
    });

    it('answers another organisation’s community as not found', async () => {
      const theirs = await community(other);
      const api = serverCaller(org.as.admin);
      await expect(api.communities.registry({ communityId: theirs.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(api.communities.members.update({ id: theirs.memberId, patch: { name: 'Mine now' } })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    });

    it('lets a technician read but not change the registry', async () => {
      const c = await community();
      const api = serverCaller(org.as.technician);
      await expect(api.communities.members.update({ id: c.memberId, patch: { status: 'suspended' } })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      expect(await api.communities.members.get({ id: c.memberId })).toMatchObject({ status: 'active' });
    });

    it('refuses input that does not fit, naming the field', async () => {
      const c = await community();
      const api = serverCaller(org.as.admin);
      await expect(api.communities.members.update({ id: c.memberId, patch: { role: 'landlord' as 'admin' } })).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        cause: { issues: [expect.objectContaining({ path: ['patch', 'role'] })] },
      });
    });

    it('applies a device’s edit to its copy and queues it; a refused edit queues nothing', async () => {
      const c = await community();
      await db.query('DELETE FROM sync_outbox');
      const api = await device(org.as.admin);
      const saved = await api.communities.members.update({ id: c.memberId, patch: { status: 'suspended', name: 'Ada L.' } });
      expect(saved).toMatchObject({ id: c.memberId, status: 'suspended', name: 'Ada L.' });
      expect(await queued()).toEqual(['update community_members']);

      const second = await api.communities.members.create({
        community_id: c.id,
        key: 'm-2',
        name: 'Bea',
        role: 'prosumer',
        area: 'south',
        status: 'pending',
      });
      expect(second.organisation_id).toBe(org.id);
      await expect(api.communities.members.update({ id: second.id, patch: { key: 'm-1' } })).rejects.toMatchObject({
        cause: { code: 'CONFLICT', details: [expect.objectContaining({ path: 'key' })] },
      });
      await api.communities.assets.delete({ id: (await api.communities.registry({ communityId: c.id })).assets[0]!.id });
      expect(await queued()).toEqual(['update community_members', 'create community_members', 'delete community_assets']);
    });

    it('queues nothing for a technician’s edit on a device', async () => {
      const c = await community();
      await db.query('DELETE FROM sync_outbox');
      const api = await device(org.as.technician);
      await expect(api.communities.members.update({ id: c.memberId, patch: { status: 'inactive' } })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      expect(await queued()).toEqual([]);
    });
  });
}
