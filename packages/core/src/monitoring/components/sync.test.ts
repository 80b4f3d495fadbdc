// The component tree offline: devices create, edit, move and remove
// components through the sync engine, and the server keeps the tree whole
// when devices' changes meet (a parent removed under a new child, two moves
// that together would close a loop, one nodeId taken twice).
import type { Db } from '@helio/db';
import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSite } from '../../sites/service.js';
import { SyncClient } from '../../sync/client.js';
import { directTransport } from '../../sync/testing.js';
import { contextFor, seedOrganisation, type TestOrganisation } from '../../testing.js';
import { createComponent, deleteComponent, getComponent, listComponents, updateComponent } from './service.js';

const userOf = (org: TestOrganisation, role: 'technician' | 'admin') => (org.as[role].principal as { userId: string }).userId;

/** The tree as stored: name → parent's name (null: under the site), live components only. */
async function treeOf(db: Db, siteId: string): Promise<Record<string, string | null>> {
  const { rows } = await db.query<{ name: string; parent: string | null }>(
    `SELECT c.name, p.name AS parent FROM components c LEFT JOIN components p ON p.id = c.parent_id
     WHERE c.site_id = $1 AND c.deleted_at IS NULL ORDER BY c.name`,
    [siteId],
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.parent]));
}

/** Every column the server sends, as stored: a device that caught up holds exactly the server's rows. */
async function rowsOf(db: Db, siteId: string) {
  const { rows } = await db.query('SELECT to_jsonb(c) AS row FROM components c WHERE site_id = $1 ORDER BY id', [siteId]);
  return rows;
}

for (const engine of testEngines) {
  describe(`components through sync, server on ${engine}`, () => {
    // One server, organisation and pair of devices for the file: each test works on a site of its own.
    let server: TestDb;
    let org: TestOrganisation;
    let a: Device;
    let b: Device;
    const locals: TestDb[] = [];
    beforeAll(async () => {
      server = await freshTestDb(engine);
      org = await seedOrganisation(server, 'Offline Co');
      a = await device(userOf(org, 'technician'));
      b = await device(userOf(org, 'admin'));
    });
    afterAll(async () => {
      for (const db of locals.splice(0)) await db.dispose();
      await server.dispose();
    });

    type Device = Awaited<ReturnType<typeof device>>;
    /** A device signed in as the user, after its first sync. */
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
        ctx: () => client.context(),
        /** A local write of the components table. */
        write: (op: 'create' | 'update' | 'delete', fields: Record<string, unknown> = {}, id?: string) =>
          client.write({ table: 'components', op, organisationId: org.id, fields, ...(id ? { id } : {}) }),
        /** The changes the server refused, of these rows. */
        refused: async (...ids: string[]) => (await client.rejectedChanges()).filter((r) => ids.includes(r.rowId)),
      };
    };

    /** A new site on the server. */
    const newSite = async (name: string) => (await createSite(org.as.admin, { siteName: name })).id;
    /** Both devices catch up with the server (then go offline again: nothing syncs unless asked). */
    const bothSync = async () => {
      await a.client.sync();
      await b.client.sync();
    };

    it('carries a tree built, edited, moved and pruned offline to the server and to another device', async () => {
      const siteId = await newSite('Offline tree');
      await bothSync();
      const component = (nodeId: string, name: string, nodeType: string, parentId?: string) => ({
        siteId,
        nodeId,
        name,
        nodeType,
        ...(parentId ? { parentId } : {}),
      });

      // Offline on device a.
      const meter = await a.write('create', component('M.1', 'Meter', 'METER'));
      const inv1 = await a.write('create', component('I.1', 'Inverter 1', 'INVERTER', meter.id));
      const inv2 = await a.write('create', component('I.2', 'Inverter 2', 'INVERTER', meter.id));
      const str1 = await a.write('create', component('S.1', 'String 1', 'STRING', inv1.id));
      await a.write('update', { oem: 'SMA', model: 'Tripower' }, inv1.id);
      await a.write('update', { parentId: inv2.id }, str1.id);
      await a.write('delete', {}, meter.id);
      // Read locally at once: the removed meter's inverters are directly under the site, with a placeholder Locus id.
      expect(await treeOf(a.local, siteId)).toEqual({ 'Inverter 1': null, 'Inverter 2': null, 'String 1': 'Inverter 2' });
      const offline = await getComponent(await a.ctx(), inv1.id);
      expect(offline).toMatchObject({ oem: 'SMA', model: 'Tripower', parentId: null, locusId: null });
      expect(await treeOf(server, siteId)).toEqual({});

      await a.client.sync();
      await b.client.sync();
      const expected = { 'Inverter 1': null, 'Inverter 2': null, 'String 1': 'Inverter 2' };
      expect(await treeOf(server, siteId)).toEqual(expected);
      expect(await treeOf(b.local, siteId)).toEqual(expected);
      expect(await a.client.status()).toMatchObject({ pending: 0 });
      expect(await a.refused(meter.id, inv1.id, inv2.id, str1.id)).toEqual([]);
      // Once synced, the device holds the server's rows, Locus ids included.
      expect(await rowsOf(a.local, siteId)).toEqual(await rowsOf(server, siteId));
      expect(await rowsOf(b.local, siteId)).toEqual(await rowsOf(server, siteId));
      const synced = await getComponent(await a.ctx(), inv1.id);
      expect(synced.locusId).toBe((await getComponent(org.as.viewer, inv1.id)).locusId);
      expect(synced.locusId).toBeGreaterThan(0);

      // Device b moves the string back under inverter 1; a receives it.
      await b.write('update', { parentId: inv1.id }, str1.id);
      await b.client.sync();
      await a.client.sync();
      expect((await listComponents(await a.ctx(), { siteId })).find((c) => c.id === str1.id)?.parentId).toBe(inv1.id);
    });

    it('refuses a child created offline under a parent the server removed meanwhile, saying why, and drops it locally', async () => {
      const siteId = await newSite('Parent gone');
      const parent = await createComponent(org.as.admin, { siteId, nodeId: 'P.1', name: 'Combiner', nodeType: 'COMBINER' });
      await bothSync();
      const child = await a.write('create', { siteId, parentId: parent.id, nodeId: 'C.1', name: 'String', nodeType: 'STRING' });
      expect(await treeOf(a.local, siteId)).toEqual({ Combiner: null, String: 'Combiner' });

      await deleteComponent(org.as.admin, parent.id);
      await a.client.sync();

      expect(await a.refused(child.id)).toEqual([
        expect.objectContaining({
          seq: child.seq,
          table: 'components',
          op: 'create',
          rowId: child.id,
          code: 'NOT_FOUND',
          message: `parent component ${parent.id} not found`,
        }),
      ]);
      expect(await treeOf(server, siteId)).toEqual({});
      expect(await treeOf(a.local, siteId)).toEqual({});
      expect(await rowsOf(a.local, siteId)).toEqual(await rowsOf(server, siteId));
    });

    it('applies the first of two offline moves that together would close a loop and refuses the second as a cycle', async () => {
      const siteId = await newSite('Loop');
      const x = await createComponent(org.as.admin, { siteId, nodeId: 'X', name: 'X', nodeType: 'INVERTER' });
      const y = await createComponent(org.as.admin, { siteId, nodeId: 'Y', name: 'Y', nodeType: 'INVERTER' });
      await bothSync();
      // Each move is valid on its own device.
      await a.write('update', { parentId: y.id }, x.id);
      const bMove = await b.write('update', { parentId: x.id }, y.id);
      expect(await treeOf(a.local, siteId)).toEqual({ X: 'Y', Y: null });
      expect(await treeOf(b.local, siteId)).toEqual({ X: null, Y: 'X' });

      await a.client.sync();
      await b.client.sync();
      await a.client.sync();

      const expected = { X: 'Y', Y: null };
      expect(await treeOf(server, siteId)).toEqual(expected);
      expect(await treeOf(a.local, siteId)).toEqual(expected);
      expect(await treeOf(b.local, siteId)).toEqual(expected);
      expect(await b.refused(y.id)).toEqual([
        expect.objectContaining({
          seq: bMove.seq,
          rowId: y.id,
          code: 'VALIDATION_ERROR',
          message: `moving component ${y.id} under ${x.id} would make a cycle: ${x.id} is inside ${y.id} (move ${x.id} out first)`,
        }),
      ]);
      expect(await rowsOf(b.local, siteId)).toEqual(await rowsOf(server, siteId));
    });

    it('moves up to the site a child another device put under a component this device removed', async () => {
      const siteId = await newSite('Remove and move');
      const p = await createComponent(org.as.admin, { siteId, nodeId: 'P', name: 'P', nodeType: 'COMBINER' });
      const c = await createComponent(org.as.admin, { siteId, nodeId: 'C', name: 'C', nodeType: 'STRING' });
      await bothSync();
      await b.write('update', { parentId: p.id }, c.id);
      await a.write('delete', {}, p.id);
      // The move reaches the server first, then the removal, which takes C with it to the site.
      await b.client.sync();
      await a.client.sync();
      await b.client.sync();
      expect(await treeOf(server, siteId)).toEqual({ C: null });
      expect(await treeOf(a.local, siteId)).toEqual({ C: null });
      expect(await treeOf(b.local, siteId)).toEqual({ C: null });
      expect(await b.client.status()).toMatchObject({ pending: 0 });
      expect(await b.refused(c.id)).toEqual([]);
      expect(await rowsOf(b.local, siteId)).toEqual(await rowsOf(server, siteId));
    });

    it('keeps the first of two devices that took one nodeId offline, and tells the second', async () => {
      const siteId = await newSite('Twins');
      await bothSync();
      const first = await a.write('create', { siteId, nodeId: 'MAC-1', name: 'From a', nodeType: 'METER' });
      const second = await b.write('create', { siteId, nodeId: 'MAC-1', name: 'From b', nodeType: 'METER' });
      await a.client.sync();
      await b.client.sync();
      expect(await treeOf(server, siteId)).toEqual({ 'From a': null });
      expect(await treeOf(b.local, siteId)).toEqual({ 'From a': null });
      expect(await b.refused(second.id)).toEqual([
        expect.objectContaining({
          seq: second.seq,
          code: 'CONFLICT',
          message: `nodeId MAC-1 is already used by component "From a" (${first.id}) in this organisation`,
        }),
      ]);
    });

    it('records a conflict when two devices rename one component, and a device edit of a removed component', async () => {
      const siteId = await newSite('Renames');
      const inv = await createComponent(org.as.admin, { siteId, nodeId: 'R.1', name: 'Inverter', nodeType: 'INVERTER' });
      await bothSync();
      await a.write('update', { name: 'Inverter A' }, inv.id);
      await b.write('update', { name: 'Inverter B' }, inv.id);
      await a.client.sync();
      await b.client.sync();
      await a.client.sync();
      const [conflict] = (await a.client.openConflicts()).filter((c) => c.rowId === inv.id);
      expect(conflict).toMatchObject({ table: 'components', rowId: inv.id, field: 'name', kept: 'Inverter B', lost: 'Inverter A' });
      expect(conflict?.rowLabel).toBe('Inverter B');

      // Removed on the server while a device edits it: the removal wins, and the edit is kept, restorable.
      await a.write('update', { serialNumber: 'SN-9' }, inv.id);
      await updateComponent(org.as.admin, inv.id, { description: 'to go' });
      await deleteComponent(org.as.admin, inv.id);
      await a.client.sync();
      const removed = (await a.client.openConflicts()).find((c) => c.rowId === inv.id && c.kind === 'delete');
      expect(removed).toMatchObject({ rowId: inv.id, lost: { serialNumber: 'SN-9' } });
      await a.client.resolveConflict(removed!.id, 'restored');
      await a.client.sync();
      expect(await getComponent(org.as.viewer, inv.id)).toMatchObject({ name: 'Inverter B', serialNumber: 'SN-9' });
    });
  });
}
