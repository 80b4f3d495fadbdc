// The registry offline: a community's managers edit members, delivery
// points and assets on their devices, the server checks every write as it
// would its own (a key taken meanwhile, a removed member), and every device
// ends with the server's rows.
import type { Db } from '@helio/db';
import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncClient } from '../sync/client.js';
import { syncSchema } from '../sync/tables.js';
import { directTransport } from '../sync/testing.js';
import { contextFor, seedOrganisation, type TestOrganisation } from '../testing.js';
import { addMember } from '../users/service.js';
import {
  createCommunityAsset,
  createCommunityDeliveryPoint,
  createCommunityMember,
  getCommunityMember,
  listCommunityRegistry,
  updateCommunityMember,
} from './entities.js';
import { seedCommunity } from './entities/testing.js';

const REGISTRY = ['community_members', 'community_delivery_points', 'community_assets'] as const;
type RegistryTable = (typeof REGISTRY)[number] | 'communities' | 'organisations';

const userOf = (org: TestOrganisation, role: 'owner' | 'admin' | 'technician') => (org.as[role].principal as { userId: string }).userId;

/** Every column of a community's rows, as stored: a device that caught up holds exactly the server's. */
async function rowsOf(db: Db, communityId: string) {
  const all = [];
  for (const table of REGISTRY) {
    const { rows } = await db.query(`SELECT to_jsonb(x) AS row FROM ${table} x WHERE community_id = $1 ORDER BY id`, [communityId]);
    all.push(...rows);
  }
  return all;
}

describe('the registry in the sync schema', () => {
  it('syncs communities to devices only, and purges assets and delivery points before members, members before communities', () => {
    expect(syncSchema.get('communities')?.writes).toBeUndefined();
    expect(REGISTRY.every((t) => syncSchema.writableTable(t))).toBe(true);
    const at = (t: RegistryTable) => syncSchema.purgeOrder.indexOf(t);
    expect(at('community_assets')).toBeLessThan(at('community_members'));
    expect(at('community_delivery_points')).toBeLessThan(at('community_members'));
    expect(at('community_members')).toBeLessThan(at('communities'));
    expect(at('communities')).toBeLessThan(at('organisations'));
    const names = syncSchema.names;
    expect(names.slice(names.indexOf('documents') + 1, names.indexOf('sync_conflicts'))).toEqual(['communities', ...REGISTRY]);
  });
});

for (const engine of testEngines) {
  describe(`the registry through sync, server on ${engine}`, () => {
    let server: TestDb;
    let org: TestOrganisation;
    let a: Device;
    let b: Device;
    let n = 0;
    const locals: TestDb[] = [];
    beforeAll(async () => {
      server = await freshTestDb(engine);
      org = await seedOrganisation(server, 'Solar Commons');
      a = await device(userOf(org, 'owner'));
      b = await device(userOf(org, 'admin'));
    });
    afterAll(async () => {
      for (const db of locals.splice(0)) await db.dispose();
      await server.dispose();
    });

    type Device = Awaited<ReturnType<typeof device>>;
    const device = async (userId: string) => {
      const local = await freshTestDb('pglite');
      locals.push(local);
      const client = await SyncClient.open({
        db: local,
        clock: { now: () => new Date() },
        ids: contextFor(local).ids,
        userId,
        transport: directTransport(server, userId),
      });
      await client.sync();
      return {
        local,
        client,
        write: (table: string, op: 'create' | 'update' | 'delete' | 'restore', fields: Record<string, unknown> = {}, id?: string) =>
          client.write({ table, op, organisationId: org.id, fields, ...(id ? { id } : {}) }),
        refused: async (...ids: string[]) => (await client.rejectedChanges()).filter((r) => ids.includes(r.rowId)),
      };
    };
    const bothSync = async () => {
      await a.client.sync();
      await b.client.sync();
      await a.client.sync();
    };
    /** A community on the server, which both devices have received. */
    const community = async () => {
      const c = await seedCommunity(contextFor(server), org.id, `c-${++n}`);
      await bothSync();
      return c;
    };
    const memberFields = (communityId: string, key: string) => ({
      community_id: communityId,
      key,
      name: `Member ${key}`,
      role: 'prosumer',
      area: 'north',
      status: 'active',
    });

    it("carries a member, its delivery point and assets made offline to the server and the other device, and the member's removal", async () => {
      const c = await community();
      const member = await a.write('community_members', 'create', memberFields(c.id, 'm-1'));
      const pod = `IT-${n}`;
      const dp = await a.write('community_delivery_points', 'create', { community_id: c.id, member_id: member.id, pod, type: 'pod' });
      const common = { community_id: c.id, member_id: member.id };
      await a.write('community_assets', 'create', {
        ...common,
        key: 'pv-1',
        asset_type: 'pv',
        name: 'Roof',
        pod,
        properties: { rated_power: 4 },
      });
      const meter = await a.write('community_assets', 'create', {
        ...common,
        key: 'meter-1',
        asset_type: 'meter',
        name: 'Meter',
        sensor_id: `S-${n}`,
        properties: { meter_type: 'production' },
        relationships: { measures: ['pv-1'] },
      });
      await a.write('community_delivery_points', 'update', { tariff: 'D2', active: false }, dp.id);
      // Read on the device at once, offline.
      const offline = await listCommunityRegistry(await a.client.context(), c.id);
      expect(offline.members.map((m) => m.key)).toEqual(['m-1']);
      expect(offline.delivery_points).toMatchObject([{ pod, tariff: 'D2', active: false }]);
      expect(offline.assets.map((x) => x.key)).toEqual(['meter-1', 'pv-1']);
      expect(await rowsOf(server, c.id)).toEqual([]);

      await bothSync();
      const expected = await listCommunityRegistry(org.as.viewer, c.id);
      expect(expected.assets.find((x) => x.id === meter.id)).toMatchObject({ relationships: { measures: ['pv-1'] }, sensor_id: `S-${n}` });
      expect(await listCommunityRegistry(await b.client.context(), c.id)).toEqual(expected);
      expect(await rowsOf(a.local, c.id)).toEqual(await rowsOf(server, c.id));
      expect(await rowsOf(b.local, c.id)).toEqual(await rowsOf(server, c.id));
      expect(await a.client.status()).toMatchObject({ pending: 0, rejected: 0 });

      // Device b removes the member: its delivery point and assets go with it, on the server and on device a.
      await b.write('community_members', 'delete', {}, member.id);
      expect(await listCommunityRegistry(await b.client.context(), c.id)).toMatchObject({ members: [], delivery_points: [], assets: [] });
      await bothSync();
      expect(await listCommunityRegistry(await a.client.context(), c.id)).toMatchObject({ members: [], delivery_points: [], assets: [] });
      expect(await rowsOf(a.local, c.id)).toEqual(await rowsOf(server, c.id));

      // And device a brings it back, with what went with it.
      await a.write('community_members', 'restore', {}, member.id);
      await bothSync();
      expect((await listCommunityRegistry(await b.client.context(), c.id)).assets.map((x) => x.key)).toEqual(['meter-1', 'pv-1']);
      expect(await rowsOf(b.local, c.id)).toEqual(await rowsOf(server, c.id));
    });

    it('keeps the first of two devices that took one member key offline, and tells the second, whose member goes with its assets', async () => {
      const c = await community();
      const first = await a.write('community_members', 'create', memberFields(c.id, 'twin'));
      const second = await b.write('community_members', 'create', { ...memberFields(c.id, 'twin'), name: 'From b' });
      const asset = await b.write('community_assets', 'create', {
        community_id: c.id,
        member_id: second.id,
        key: 'load-1',
        asset_type: 'load',
        name: 'Heat',
      });
      await bothSync();
      expect((await listCommunityRegistry(org.as.admin, c.id)).members.map((m) => m.id)).toEqual([first.id]);
      expect(await b.refused(second.id, asset.id)).toEqual([
        expect.objectContaining({ seq: second.seq, code: 'CONFLICT', message: expect.stringContaining('member key twin is already used') }),
        expect.objectContaining({ seq: asset.seq, code: 'NOT_FOUND' }),
      ]);
      expect(await rowsOf(b.local, c.id)).toEqual(await rowsOf(server, c.id));
    });

    it('refuses on the device what the server would: a technician editing, and a delivery point of a member removed meanwhile', async () => {
      const c = await community();
      const m = await createCommunityMember(org.as.admin, memberFields(c.id, 'm-1'));
      const technician = await device(userOf(org, 'technician'));
      expect((await listCommunityRegistry(await technician.client.context(), c.id)).members.map((x) => x.key)).toEqual(['m-1']);
      await expect(technician.write('community_members', 'update', { name: 'X' }, m.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(a.write('communities', 'update', { name: 'X' }, c.id)).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
      expect(await technician.client.status()).toMatchObject({ pending: 0 });

      await bothSync();
      const dp = await a.write('community_delivery_points', 'create', {
        community_id: c.id,
        member_id: m.id,
        pod: `GONE-${n}`,
        type: 'pod',
      });
      await b.write('community_members', 'delete', {}, m.id);
      await b.client.sync();
      await a.client.sync();
      expect(await a.refused(dp.id)).toEqual([expect.objectContaining({ code: 'NOT_FOUND', message: `member ${m.id} not found` })]);
      expect(await rowsOf(a.local, c.id)).toEqual(await rowsOf(server, c.id));
    });

    it('records a removal that met an offline edit, and restoring it brings the member back with its edit', async () => {
      const c = await community();
      const m = await createCommunityMember(org.as.admin, memberFields(c.id, 'm-1'));
      await bothSync();
      await a.write('community_members', 'update', { status: 'suspended' }, m.id);
      await updateCommunityMember(org.as.owner, m.id, { name: 'Renamed on the server' });
      await b.client.sync();
      await b.write('community_members', 'delete', {}, m.id);
      await b.client.sync();
      await a.client.sync();
      const removed = (await a.client.openConflicts()).find((x) => x.rowId === m.id && x.kind === 'delete');
      expect(removed).toMatchObject({ table: 'community_members', lost: { status: 'suspended' } });
      await a.client.resolveConflict(removed!.id, 'restored');
      await bothSync();
      expect(await getCommunityMember(org.as.viewer, m.id)).toMatchObject({ status: 'suspended', name: 'Renamed on the server' });
      expect(await rowsOf(b.local, c.id)).toEqual(await rowsOf(server, c.id));
    });

    it("puts back on the device a member's delivery points and assets when the server refuses the member's removal", async () => {
      const c = await community();
      const m = await createCommunityMember(org.as.admin, memberFields(c.id, 'm-1'));
      const dp = await createCommunityDeliveryPoint(org.as.admin, { community_id: c.id, member_id: m.id, pod: `BACK-${n}`, type: 'pod' });
      await createCommunityAsset(org.as.admin, {
        community_id: c.id,
        member_id: m.id,
        key: 'pv',
        asset_type: 'pv',
        name: 'PV',
        pod: dp.pod,
      });
      await bothSync();
      const removal = await b.write('community_members', 'delete', {}, m.id);
      expect(await listCommunityRegistry(await b.client.context(), c.id)).toMatchObject({ members: [], delivery_points: [], assets: [] });
      // Before device b syncs, its user may no longer manage the registry.
      await addMember(contextFor(server), { organisationId: org.id, userId: userOf(org, 'admin'), role: 'technician' });
      try {
        await b.client.sync();
        expect(await b.refused(m.id)).toEqual([expect.objectContaining({ seq: removal.seq, code: 'FORBIDDEN' })]);
        expect((await listCommunityRegistry(await b.client.context(), c.id)).assets.map((x) => x.key)).toEqual(['pv']);
        expect(await rowsOf(b.local, c.id)).toEqual(await rowsOf(server, c.id));
      } finally {
        await addMember(contextFor(server), { organisationId: org.id, userId: userOf(org, 'admin'), role: 'admin' });
        await b.client.sync();
      }
    });
  });
}
