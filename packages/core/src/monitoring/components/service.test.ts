import type { Db } from '@helio/db';
import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSite, deleteSite, restoreSite } from '../../sites/service.js';
import { lastChangeSeq, seedOrganisation, type TestOrganisation } from '../../testing.js';
import { createComponent, deleteComponent, getComponent, listComponents, restoreComponent, updateComponent } from './service.js';

type Json = Record<string, unknown>;

for (const engine of testEngines) {
  describe(`components [${engine}]`, () => {
    // One database for the file: each test works in organisations of its own.
    let db: TestDb;
    beforeAll(async () => {
      db = await freshTestDb(engine);
    });
    afterAll(() => db.dispose());

    const seqOf = async (id: string) =>
      (await db.query<{ change_seq: number }>('SELECT change_seq FROM components WHERE id = $1', [id])).rows[0]!.change_seq;
    const stored = async (id: string) =>
      (
        await db.query<{ parent_id: string | null; deleted: boolean; node_id: string; name: string }>(
          'SELECT parent_id, deleted_at IS NOT NULL AS deleted, node_id, name FROM components WHERE id = $1',
          [id],
        )
      ).rows[0];
    const componentsOf = async (database: Db, organisationId: string) =>
      (await database.query('SELECT * FROM components WHERE organisation_id = $1 ORDER BY id', [organisationId])).rows;

    /** An organisation with one site, and a helper to add components to it. */
    async function setUp(name = 'Org'): Promise<{
      org: TestOrganisation;
      siteId: string;
      add: (fields: Json) => ReturnType<typeof createComponent>;
    }> {
      const org = await seedOrganisation(db, name);
      const site = await createSite(org.as.admin, { siteName: `${name} site` });
      let n = 0;
      const add = (fields: Json) =>
        createComponent(org.as.technician, { siteId: site.id, nodeId: `${name}.${++n}`, name: `C${n}`, nodeType: 'INVERTER', ...fields });
      return { org, siteId: site.id, add };
    }

    it('creates a tree under a site with every attribute of the Locus component, and reads it back', async () => {
      const { org, siteId } = await setUp('Tree');
      const meter = await createComponent(org.as.technician, {
        siteId,
        nodeId: 'OB.001EC1111DC9.1',
        name: 'PV Meter',
        nodeType: 'METER',
        application: 'GENERATION',
        generationType: 'SOLAR',
        oem: 'Locus Energy',
        model: 'LGate 120',
        isConceptualNode: false,
        serialNumber: 'ABC123',
        description: 'This is a revenue grade meter',
      });
      expect(meter).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        locusId: expect.any(Number),
        organisationId: org.id,
        siteId,
        parentId: null,
        nodeId: 'OB.001EC1111DC9.1',
        name: 'PV Meter',
        nodeType: 'METER',
        application: 'GENERATION',
        generationType: 'SOLAR',
        oem: 'Locus Energy',
        model: 'LGate 120',
        isConceptualNode: false,
        serialNumber: 'ABC123',
        description: 'This is a revenue grade meter',
        createdAt: expect.any(String),
        updatedAt: meter.createdAt,
      });
      expect(meter.locusId).toBeGreaterThan(0);
      // Only nodeId, name and nodeType are required: the rest takes the defaults.
      const inverter = await createComponent(org.as.technician, {
        siteId,
        parentId: meter.id,
        nodeId: ' INV-1 ',
        name: 'Inverter 1',
        nodeType: 'INVERTER',
      });
      expect(inverter).toMatchObject({
        parentId: meter.id,
        nodeId: 'INV-1',
        application: 'GENERATION',
        generationType: 'SOLAR',
        isConceptualNode: false,
        oem: null,
        model: null,
        serialNumber: null,
        description: null,
      });
      expect(inverter.locusId).toBeGreaterThan(meter.locusId!);
      expect(await getComponent(org.as.viewer, inverter.id)).toEqual(inverter);
      expect(await listComponents(org.as.viewer, { siteId })).toEqual([meter, inverter]);
    });

    it('lists by organisation and by nodeId, where only % is a wildcard', async () => {
      const { org, add } = await setUp('Lists');
      const other = await setUp('Other lists');
      const a = await add({ nodeId: 'OB.AA_1' });
      const b = await add({ nodeId: 'OB.AAX1' });
      const c = await add({ nodeId: 'GW.7' });
      await other.add({ nodeId: 'OB.AA_1' });
      const ids = (list: { id: string }[]) => list.map((x) => x.id);
      expect(ids(await listComponents(org.as.viewer, { organisationId: org.id }))).toEqual([a.id, b.id, c.id]);
      expect(ids(await listComponents(org.as.viewer))).toEqual([a.id, b.id, c.id]);
      expect(ids(await listComponents(org.as.viewer, { nodeId: 'OB.AA_1' }))).toEqual([a.id]);
      expect(ids(await listComponents(org.as.viewer, { nodeId: 'OB.%' }))).toEqual([a.id, b.id]);
      expect(ids(await listComponents(org.as.viewer, { nodeId: '%1' }))).toEqual([a.id, b.id]);
      expect(ids(await listComponents(org.as.viewer, { nodeId: 'OB.AA' }))).toEqual([]);
      await expect(listComponents(org.as.viewer, { organisationId: other.org.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(listComponents(org.as.viewer, { siteId: other.siteId })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(listComponents(org.as.viewer, { nodeId: 'x', colour: 'red' })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    });

    it('gives every write the next change sequence, and a removal one for each child it moves up to the site', async () => {
      const { org, add } = await setUp('Seqs');
      let last = await lastChangeSeq(db, org.id);
      const parent = await add({});
      expect(await seqOf(parent.id)).toBe(++last);
      const child1 = await add({ parentId: parent.id });
      const child2 = await add({ parentId: parent.id });
      const grandchild = await add({ parentId: child1.id });
      last += 3;
      await updateComponent(org.as.technician, child2.id, { name: 'Renamed' });
      expect(await seqOf(child2.id)).toBe(++last);
      const removedChild = await add({ parentId: parent.id });
      await deleteComponent(org.as.technician, removedChild.id);
      last += 2;

      const deleted = await deleteComponent(org.as.technician, parent.id);
      // Three children (one of them already deleted) and the parent itself.
      expect(await lastChangeSeq(db, org.id)).toBe(last + 4);
      expect(await seqOf(parent.id)).toBe(last + 4);
      expect(deleted.id).toBe(parent.id);
      for (const id of [child1.id, child2.id, removedChild.id]) {
        expect(await stored(id)).toMatchObject({ parent_id: null });
        expect(await seqOf(id)).toBeGreaterThan(last);
      }
      expect(await stored(grandchild.id)).toMatchObject({ parent_id: child1.id });
      expect(await stored(parent.id)).toMatchObject({ deleted: true });
      await expect(getComponent(org.as.viewer, parent.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect((await listComponents(org.as.viewer, { organisationId: org.id })).map((c) => c.id).sort()).toEqual(
        [child1.id, child2.id, grandchild.id].sort(),
      );
      await expect(deleteComponent(org.as.technician, parent.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('moves a component under another and back to the site, changing nothing else', async () => {
      const { org, add } = await setUp('Moves');
      const meter = await add({ nodeType: 'METER' });
      const inverter = await add({});
      const moved = await updateComponent(org.as.technician, inverter.id, { parentId: meter.id });
      const { parentId: _before, updatedAt: _u1, ...unchanged } = inverter;
      expect(moved).toMatchObject({ ...unchanged, parentId: meter.id });
      const back = await updateComponent(org.as.technician, inverter.id, { parentId: null });
      expect(back).toMatchObject({ ...unchanged, parentId: null });
      // Its own site named again is no change.
      expect(await updateComponent(org.as.technician, inverter.id, { siteId: inverter.siteId, name: 'Inv' })).toMatchObject({
        siteId: inverter.siteId,
        name: 'Inv',
      });
    });

    it('refuses a parent of another organisation or a deleted one as not found, naming it, and one of another site', async () => {
      const { org, add } = await setUp('Parents');
      const other = await setUp('Foreign');
      const foreign = await other.add({});
      const gone = await add({});
      await deleteComponent(org.as.technician, gone.id);
      const secondSite = await createSite(org.as.admin, { siteName: 'Second' });
      const elsewhere = await createComponent(org.as.technician, { siteId: secondSite.id, nodeId: 'E.1', name: 'E', nodeType: 'METER' });
      const child = await add({});
      const before = await componentsOf(db, org.id);
      const counter = await lastChangeSeq(db, org.id);

      for (const parentId of [foreign.id, gone.id, '0190a0d0-0000-7000-8000-00000000f00d']) {
        const message = `parent component ${parentId} not found`;
        await expect(add({ parentId })).rejects.toMatchObject({ code: 'NOT_FOUND', message });
        await expect(updateComponent(org.as.technician, child.id, { parentId })).rejects.toMatchObject({ code: 'NOT_FOUND', message });
      }
      await expect(add({ parentId: elsewhere.id })).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
        message: expect.stringMatching(/on another site/),
      });
      await expect(updateComponent(org.as.technician, child.id, { parentId: elsewhere.id })).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
      });
      expect(await componentsOf(db, org.id)).toEqual(before);
      expect(await lastChangeSeq(db, org.id)).toBe(counter);
      expect(await componentsOf(db, other.org.id)).toHaveLength(1);
    });

    it('refuses a move that would make a cycle with a clear validation error, and leaves the tree as it was', async () => {
      const { org, add } = await setUp('Cycles');
      const a = await add({});
      const b = await add({ parentId: a.id });
      const c = await add({ parentId: b.id });
      const counter = await lastChangeSeq(db, org.id);
      await expect(updateComponent(org.as.technician, a.id, { parentId: c.id })).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
        message: `moving component ${a.id} under ${c.id} would make a cycle: ${c.id} is inside ${a.id} (move ${c.id} out first)`,
        details: [{ path: 'parentId', message: 'a component inside this one' }],
      });
      await expect(updateComponent(org.as.technician, a.id, { parentId: a.id })).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
        message: `component ${a.id} cannot be its own parent`,
      });
      expect((await stored(a.id))!.parent_id).toBeNull();
      expect(await lastChangeSeq(db, org.id)).toBe(counter);
      // Moving a subtree elsewhere is fine: c up to the site, then a under c.
      await updateComponent(org.as.technician, c.id, { parentId: null });
      expect(await updateComponent(org.as.technician, a.id, { parentId: c.id })).toMatchObject({ parentId: c.id });
    });

    it('keeps nodeId unique among the live components of an organisation', async () => {
      const { org, siteId, add } = await setUp('Nodes');
      const other = await setUp('Nodes elsewhere');
      const first = await add({ nodeId: 'MAC-1' });
      const second = await add({ nodeId: 'MAC-2' });
      // Another organisation may use it.
      await other.add({ nodeId: 'MAC-1' });
      const counter = await lastChangeSeq(db, org.id);
      const duplicate = createComponent(org.as.technician, { siteId, nodeId: 'MAC-1', name: 'Twin', nodeType: 'METER' });
      await expect(duplicate).rejects.toMatchObject({
        code: 'CONFLICT',
        message: `nodeId MAC-1 is already used by component "${first.name}" (${first.id}) in this organisation`,
        details: [{ path: 'nodeId', componentId: first.id }],
      });
      await expect(updateComponent(org.as.technician, second.id, { nodeId: 'MAC-1' })).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(await lastChangeSeq(db, org.id)).toBe(counter);
      // Its own nodeId again is no conflict; a deleted component's nodeId is free.
      expect(await updateComponent(org.as.technician, first.id, { nodeId: 'MAC-1', name: 'Same' })).toMatchObject({ nodeId: 'MAC-1' });
      await deleteComponent(org.as.technician, first.id);
      const reused = await add({ nodeId: 'MAC-1' });
      expect(reused.nodeId).toBe('MAC-1');
      // Restoring the old one now would give the organisation two: refused, and it stays deleted.
      await expect(restoreComponent(org.as.technician, first.id)).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(await stored(first.id)).toMatchObject({ deleted: true });
    });

    it('hides the components of a deleted site, frees their nodeIds, and shows them again with the site', async () => {
      const { org, siteId, add } = await setUp('Site gone');
      const meter = await add({ nodeId: 'SG.1' });
      await deleteSite(org.as.admin, siteId);
      await expect(getComponent(org.as.viewer, meter.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(listComponents(org.as.viewer, { siteId })).rejects.toMatchObject({
        code: 'NOT_FOUND',
        message: `site ${siteId} not found`,
      });
      expect(await listComponents(org.as.viewer, { organisationId: org.id })).toEqual([]);
      await expect(updateComponent(org.as.technician, meter.id, { name: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(add({ nodeId: 'SG.2' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: `site ${siteId} not found` });
      const elsewhere = await createSite(org.as.admin, { siteName: 'New site' });
      await createComponent(org.as.technician, { siteId: elsewhere.id, nodeId: 'SG.1', name: 'Moved meter', nodeType: 'METER' });
      await restoreSite(org.as.admin, siteId);
      expect(await getComponent(org.as.viewer, meter.id)).toEqual(meter);
    });

    it("treats another organisation's site and components as not found, and lets viewers read but not write", async () => {
      const { org, siteId, add } = await setUp('Owner');
      const intruder = await setUp('Intruder');
      const meter = await add({});
      const before = await componentsOf(db, org.id);
      const as = intruder.org.as.owner;
      await expect(createComponent(as, { siteId, nodeId: 'I.1', name: 'I', nodeType: 'METER' })).rejects.toMatchObject({
        code: 'NOT_FOUND',
        message: `site ${siteId} not found`,
      });
      await expect(getComponent(as, meter.id)).rejects.toMatchObject({ code: 'NOT_FOUND', message: `component ${meter.id} not found` });
      await expect(updateComponent(as, meter.id, { name: 'Stolen' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(deleteComponent(as, meter.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(restoreComponent(as, meter.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      // Naming one's own organisation for another's site changes nothing.
      await expect(
        createComponent(as, { siteId, organisationId: intruder.org.id, nodeId: 'I.2', name: 'I', nodeType: 'METER' }),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await listComponents(as)).toEqual([]);

      const viewer = org.as.viewer;
      expect(await getComponent(viewer, meter.id)).toEqual(meter);
      await expect(createComponent(viewer, { siteId, nodeId: 'V.1', name: 'V', nodeType: 'METER' })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      await expect(updateComponent(viewer, meter.id, { name: 'V' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(deleteComponent(viewer, meter.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
      expect(await componentsOf(db, org.id)).toEqual(before);
      // Technicians and above write.
      expect(await updateComponent(org.as.admin, meter.id, { name: 'By admin' })).toMatchObject({ name: 'By admin' });
    });

    it('refuses bad input with VALIDATION_ERROR naming the field, and writes nothing', async () => {
      const { org, siteId, add } = await setUp('Bad input');
      const meter = await add({});
      const before = await componentsOf(db, org.id);
      const counter = await lastChangeSeq(db, org.id);
      const base = { siteId, nodeId: 'B.1', name: 'B', nodeType: 'METER' };
      const creates: [Json, RegExp][] = [
        [{ ...base, nodeId: '' }, /nodeId/],
        [{ ...base, nodeId: '   ' }, /nodeId/],
        [{ ...base, nodeId: 'n'.repeat(201) }, /nodeId/],
        [{ ...base, name: '' }, /name/],
        [{ ...base, name: 'x'.repeat(201) }, /name/],
        [{ ...base, nodeType: 'TOASTER' }, /nodeType/],
        [{ ...base, nodeType: 'meter' }, /nodeType/],
        [{ ...base, application: 'CONSUMPTION' }, /application/],
        [{ ...base, generationType: 'NUCLEAR' }, /generationType/],
        [{ ...base, isConceptualNode: 'yes' }, /isConceptualNode/],
        [{ ...base, oem: 'o'.repeat(201) }, /oem/],
        [{ ...base, description: 'd'.repeat(2001) }, /description/],
        [{ ...base, parentId: 'parent' }, /parentId/],
        [{ ...base, siteId: 'site' }, /siteId/],
        [{ ...base, colour: 'red' }, /colour/],
        [{ nodeId: 'B.1', name: 'B', nodeType: 'METER' }, /siteId/],
        [{ ...base, name: 'nul\u0000' }, /name/],
      ];
      for (const [input, message] of creates) {
        const attempt = createComponent(org.as.technician, input);
        await expect(attempt, JSON.stringify(input)).rejects.toMatchObject({
          code: 'VALIDATION_ERROR',
          message: expect.stringMatching(message),
        });
      }
      const updates: [Json, RegExp][] = [
        [{ name: null }, /name/],
        [{ nodeId: null }, /nodeId/],
        [{ nodeType: 'TOASTER' }, /nodeType/],
        [{ organisationId: org.id }, /organisationId/],
        [{ siteId: (await createSite(org.as.admin, { siteName: 'Other' })).id }, /siteId cannot change/],
      ];
      const afterSite = await lastChangeSeq(db, org.id);
      for (const [patch, message] of updates) {
        const attempt = updateComponent(org.as.technician, meter.id, patch);
        await expect(attempt, JSON.stringify(patch)).rejects.toMatchObject({
          code: 'VALIDATION_ERROR',
          message: expect.stringMatching(message),
        });
      }
      await expect(getComponent(org.as.viewer, 'nope')).rejects.toMatchObject({ code: 'VALIDATION_ERROR', message: 'id must be a UUID' });
      expect(await componentsOf(db, org.id)).toEqual(before);
      expect(afterSite).toBe(counter + 1);
      expect(await lastChangeSeq(db, org.id)).toBe(afterSite);
    });

    it('restores a deleted component under its parent, or under the site when the parent has gone', async () => {
      const { org, add } = await setUp('Restore');
      const parent = await add({});
      const a = await add({ parentId: parent.id });
      const b = await add({ parentId: parent.id });
      const leaf = await add({ parentId: a.id });
      await deleteComponent(org.as.technician, leaf.id);
      expect(await restoreComponent(org.as.technician, leaf.id)).toMatchObject({ id: leaf.id, parentId: a.id });
      await deleteComponent(org.as.technician, b.id);
      // Its parent is removed meanwhile: b comes back at the top of the site.
      await deleteComponent(org.as.technician, parent.id);
      expect(await restoreComponent(org.as.technician, b.id)).toMatchObject({ id: b.id, parentId: null });
      expect(await getComponent(org.as.viewer, b.id)).toMatchObject({ parentId: null });
      // Restoring a live one is no change.
      const seq = await seqOf(a.id);
      expect(await restoreComponent(org.as.technician, a.id)).toMatchObject({ id: a.id });
      expect(await seqOf(a.id)).toBe(seq);
    });

    it('shows a placeholder Locus id (a device’s, zero or negative) as null', async () => {
      const { org, add } = await setUp('Placeholder');
      const c = await add({});
      await db.query('UPDATE components SET locus_id = -3 WHERE id = $1', [c.id]);
      expect((await getComponent(org.as.viewer, c.id)).locusId).toBeNull();
      await db.query('UPDATE components SET locus_id = 0 WHERE id = $1', [c.id]);
      expect((await listComponents(org.as.viewer, { siteId: c.siteId }))[0]!.locusId).toBeNull();
    });

    it('lets only one of concurrent creators take a nodeId, and refuses the second of two crossing moves', async () => {
      const { org, siteId, add } = await setUp('Concurrent');
      const attempts = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) =>
          createComponent(org.as.technician, { siteId, nodeId: 'RACE', name: `Racer ${i}`, nodeType: 'METER' }),
        ),
      );
      expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
      for (const a of attempts.filter((x) => x.status === 'rejected'))
        expect((a as PromiseRejectedResult).reason).toMatchObject({ code: 'CONFLICT' });
      expect(await listComponents(org.as.viewer, { nodeId: 'RACE' })).toHaveLength(1);

      // x under y and y under x at once: one move wins, the other would close a loop.
      for (let round = 0; round < 3; round++) {
        const x = await add({});
        const y = await add({});
        const moves = await Promise.allSettled([
          updateComponent(org.as.technician, x.id, { parentId: y.id }),
          updateComponent(org.as.admin, y.id, { parentId: x.id }),
        ]);
        expect(moves.map((m) => m.status).sort()).toEqual(['fulfilled', 'rejected']);
        expect((moves.find((m) => m.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({ code: 'VALIDATION_ERROR' });
        const parents = [(await stored(x.id))!.parent_id, (await stored(y.id))!.parent_id];
        expect(parents.filter((p) => p === null)).toHaveLength(1);
      }
      // A longer loop through two unrelated rows (a under b while d under c, with c inside a and b inside d).
      const a = await add({});
      const c = await add({ parentId: a.id });
      const d = await add({});
      const b = await add({ parentId: d.id });
      const crossing = await Promise.allSettled([
        updateComponent(org.as.technician, a.id, { parentId: b.id }),
        updateComponent(org.as.admin, d.id, { parentId: c.id }),
      ]);
      expect(crossing.map((m) => m.status).sort()).toEqual(['fulfilled', 'rejected']);
    });
  });
}
