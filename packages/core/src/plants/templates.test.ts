import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemPrincipal } from '../auth/principal.js';
import { contextFor, seedOrganisation } from '../testing.js';
import { addPlantToGroup, createGroup, deleteGroup, getGroup, listGroups, removePlantFromGroup, updateGroup } from './groups.js';
import { createPlant, decommissionPlant, updatePlant } from './service.js';
import {
  createTemplate,
  deleteTemplate,
  ensureSystemTemplates,
  getTemplate,
  insertSystemTemplates,
  listTemplates,
  SYSTEM_TEMPLATE_IDS,
  systemTemplates,
  templateForDecoding,
  updateTemplate,
} from './templates.js';

for (const engine of testEngines) {
  describe(`plant templates and groups [${engine}]`, () => {
    let db: TestDb;
    beforeAll(async () => {
      db = await freshTestDb(engine);
    });
    afterAll(() => db.dispose());

    let serial = 0;
    const nextSerial = () => `TG-${engine}-${++serial}`;

    it('ships four system templates, stored once however often they are ensured, shown to every organisation', async () => {
      await Promise.all([insertSystemTemplates(db), insertSystemTemplates(db), ensureSystemTemplates(db)]);
      await insertSystemTemplates(db);
      const { rows } = await db.query<{ n: number | string }>('SELECT count(*) AS n FROM device_templates WHERE is_system');
      expect(Number(rows[0]!.n)).toBe(4);

      const a = await seedOrganisation(db, 'Sys A');
      const list = await listTemplates(a.as.viewer);
      expect(list.meta).toEqual({ limit: 20, page: 1, total: 4, totalPages: 1 });
      expect(list.data.map((t) => t.name).sort()).toEqual(['Battery', 'Grid meter', 'PV inverter', 'Weather station']);
      for (const t of list.data) expect(t).toMatchObject({ isSystem: true, level: 'PLANT', version: 1, organizationId: null });
      const meter = await getTemplate(a.as.viewer, SYSTEM_TEMPLATE_IDS.gridMeter);
      expect(meter.signals.map((s) => s.field)).toEqual(expect.arrayContaining(['WhImp', 'WhExp']));
      expect(meter.signals.find((s) => s.key === 'import_energy_total')).toMatchObject({
        field: 'WhImp',
        scale: 1000,
        counter: true,
        unit: 'kWh',
      });
      expect(Object.keys(meter).sort()).toEqual(
        ['actions', 'createdAt', 'id', 'isSystem', 'level', 'name', 'signals', 'type', 'updatedAt', 'version', 'organizationId'].sort(),
      );
      // Every shipped signal names a stored base field (the template schema would refuse it otherwise).
      for (const t of systemTemplates) {
        const copy = await createTemplate(a.as.technician, {
          name: `copy of ${t.name}`,
          type: t.type,
          signals: t.signals,
          actions: t.actions,
        });
        expect(copy.signals).toEqual(t.signals);
      }
    });

    it('creates, reads, updates (bumping the version) and deletes an organisation’s template, hidden from others', async () => {
      const org = await seedOrganisation(db, 'Tpl');
      const other = await seedOrganisation(db, 'Tpl other');
      const created = await createTemplate(org.as.technician, {
        name: 'Cabinet',
        type: 'CABINET',
        signals: [
          { key: 'p', field: 'W', unit: 'kW', scale: 1000 },
          { key: 'e', field: 'Wh', counter: true },
        ],
        actions: [{ name: 'reboot' }],
      });
      expect(created).toMatchObject({ isSystem: false, level: 'PLANT', version: 1, organizationId: org.id });
      expect(created.signals).toEqual([
        { key: 'p', field: 'W', unit: 'kW', scale: 1000 },
        { key: 'e', field: 'Wh', counter: true, scale: 1 },
      ]);
      expect(await getTemplate(org.as.viewer, created.id)).toEqual(created);
      await expect(getTemplate(other.as.viewer, created.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect((await listTemplates(other.as.viewer)).data.some((t) => t.id === created.id)).toBe(false);
      expect((await listTemplates(org.as.viewer)).data.some((t) => t.id === created.id)).toBe(true);

      const renamed = await updateTemplate(org.as.technician, created.id, { name: 'Cabinet 2', actions: [] });
      expect(renamed).toMatchObject({ name: 'Cabinet 2', version: 2, actions: [], signals: created.signals });
      expect((await updateTemplate(org.as.technician, created.id, { signals: [] })).version).toBe(3);
      expect((await updateTemplate(org.as.technician, created.id, {})).version).toBe(3);
      await expect(updateTemplate(org.as.viewer, created.id, { name: 'x' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(updateTemplate(other.as.owner, created.id, { name: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(deleteTemplate(other.as.owner, created.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });

      expect(await deleteTemplate(org.as.technician, created.id)).toEqual({ message: 'Template deleted' });
      await expect(getTemplate(org.as.viewer, created.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('refuses bad signals and writes to system templates', async () => {
      const org = await seedOrganisation(db, 'Tpl bad');
      const bad = [
        { name: 'x', type: 'T', signals: [{ key: 'a', field: 'Watts' }] },
        { name: 'x', type: 'T', signals: [{ key: 'a', field: 'W_m' }] },
        { name: 'x', type: 'T', signals: [{ key: 'a', field: 'W', scale: 0 }] },
        { name: 'x', type: 'T', signals: [{ key: 'a b', field: 'W' }] },
        {
          name: 'x',
          type: 'T',
          signals: [
            { key: 'a', field: 'W' },
            { key: 'a', field: 'Wh' },
          ],
        },
        { name: 'x', type: 'T', actions: [{ name: 'go' }, { name: 'go' }] },
        { name: 'x', type: 'T', level: 'SITE' },
        { name: '', type: 'T' },
        { name: 'x' },
      ];
      for (const input of bad) {
        await expect(createTemplate(org.as.technician, input), JSON.stringify(input)).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
      }
      await expect(createTemplate(org.as.viewer, { name: 'x', type: 'T' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      for (const id of Object.values(SYSTEM_TEMPLATE_IDS)) {
        await expect(updateTemplate(org.as.owner, id, { name: 'Mine now' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
        await expect(deleteTemplate(org.as.owner, id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
        await expect(updateTemplate(contextFor(db, systemPrincipal), id, { name: 'Mine now' })).rejects.toMatchObject({
          code: 'FORBIDDEN',
        });
      }
      expect((await getTemplate(org.as.viewer, SYSTEM_TEMPLATE_IDS.pvInverter)).name).toBe('PV inverter');
    });

    it('takes a lifetime counter only on an energy field (Wh, WhImp, WhExp) with a positive scale', async () => {
      const org = await seedOrganisation(db, 'Tpl counters');
      const refused: [unknown, string, RegExp][] = [
        [{ key: 'p', field: 'W', counter: true }, 'signals[0].field', /energy field \(Wh, WhImp, WhExp\), not W/],
        [{ key: 't', field: 'TmpAmb', counter: true, scale: 0.1 }, 'signals[0].field', /energy field/],
        [{ key: 'e', field: 'Wh', counter: true, scale: -1000 }, 'signals[0].scale', /positive scale/],
        [{ key: 'e', field: 'WhExp', counter: true, scale: -0.001 }, 'signals[0].scale', /positive scale/],
      ];
      for (const [signal, path, message] of refused) {
        const err = await createTemplate(org.as.technician, { name: 'Counting', type: 'METER', signals: [signal] }).catch(
          (e: unknown) => e,
        );
        expect(err, JSON.stringify(signal)).toMatchObject({
          code: 'VALIDATION_ERROR',
          details: [{ path, message: expect.stringMatching(message) }],
        });
      }
      // The same through an update.
      const meter = await createTemplate(org.as.technician, { name: 'Meter', type: 'METER', signals: [{ key: 'p', field: 'W' }] });
      await expect(
        updateTemplate(org.as.technician, meter.id, { signals: [{ key: 'p', field: 'W', counter: true }] }),
      ).rejects.toMatchObject({ code: 'VALIDATION_ERROR', details: [{ path: 'signals[0].field' }] });
      // Energy counters are fine, as is a negative scale on a signal that is not a counter.
      const ok = await createTemplate(org.as.technician, {
        name: 'Counting',
        type: 'METER',
        signals: [
          { key: 'e', field: 'Wh', counter: true, scale: 1000 },
          { key: 'i', field: 'WhImp', counter: true },
          { key: 'x', field: 'WhExp', counter: true, scale: 0.001 },
          { key: 'p', field: 'W', scale: -1, counter: false },
        ],
      });
      expect(ok.signals.map((s) => s.key)).toEqual(['e', 'i', 'x', 'p']);
    });

    it('refuses to delete a template live plants use, or to make it a DEVICE template', async () => {
      const org = await seedOrganisation(db, 'Tpl used');
      const t = await createTemplate(org.as.technician, { name: 'Used', type: 'CABINET' });
      const plant = await createPlant(org.as.technician, { name: 'P', serialNumber: nextSerial(), type: 'SENSOR', templateId: t.id });
      await expect(deleteTemplate(org.as.technician, t.id)).rejects.toMatchObject({ code: 'CONFLICT' });
      await expect(updateTemplate(org.as.technician, t.id, { level: 'DEVICE' })).rejects.toMatchObject({ code: 'CONFLICT' });
      await updatePlant(org.as.technician, plant.id, { templateId: null });
      expect((await updateTemplate(org.as.technician, t.id, { level: 'DEVICE' })).level).toBe('DEVICE');
      await updateTemplate(org.as.technician, t.id, { level: 'PLANT' });
      await updatePlant(org.as.technician, plant.id, { templateId: t.id });
      await decommissionPlant(org.as.admin, plant.id);
      // A decommissioned plant no longer holds it.
      expect(await deleteTemplate(org.as.technician, t.id)).toEqual({ message: 'Template deleted' });
    });

    it('pages and filters templates by level', async () => {
      const org = await seedOrganisation(db, 'Tpl page');
      await createTemplate(org.as.technician, { name: 'D1', type: 'S', level: 'DEVICE' });
      await createTemplate(org.as.technician, { name: 'D2', type: 'S', level: 'DEVICE' });
      const devices = await listTemplates(org.as.viewer, { level: 'DEVICE' });
      expect(devices.data.map((t) => t.name)).toEqual(['D1', 'D2']);
      const page = await listTemplates(org.as.viewer, { page: '2', limit: '4' });
      expect(page.meta).toMatchObject({ page: 2, limit: 4, total: 6, totalPages: 2 });
      expect(page.data.map((t) => t.name)).toEqual(['D1', 'D2']);
      await expect(listTemplates(org.as.viewer, { limit: 500 })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    });

    it('decodes with the current version of a template, and with none for an unknown id', async () => {
      const org = await seedOrganisation(db, 'Decode');
      const t = await createTemplate(org.as.technician, { name: 'Dec', type: 'X', signals: [{ key: 'p', field: 'W' }] });
      expect(await templateForDecoding(db, t.id)).toMatchObject({ version: 1, signals: [{ key: 'p', field: 'W', scale: 1 }] });
      expect(await templateForDecoding(db, t.id)).toMatchObject({ version: 1 });
      await updateTemplate(org.as.technician, t.id, { signals: [{ key: 'p', field: 'DCW', scale: 2 }] });
      expect(await templateForDecoding(db, t.id)).toMatchObject({ version: 2, signals: [{ key: 'p', field: 'DCW', scale: 2 }] });
      // A change made behind this server's back (another instance) shows within a second.
      await db.query(`UPDATE device_templates SET version = 7, signals = '[{"key":"q","field":"A"}]' WHERE id = $1`, [t.id]);
      await new Promise((r) => setTimeout(r, 1100));
      expect(await templateForDecoding(db, t.id)).toMatchObject({ version: 7, signals: [{ key: 'q', field: 'A', scale: 1 }] });
      expect(await templateForDecoding(db, '0190f0f0-0000-7000-8000-000000000000')).toBeNull();
      expect(await templateForDecoding(db, null)).toBeNull();
    });

    it('groups plants: create, list, read with members, rename, add, remove and delete', async () => {
      const org = await seedOrganisation(db, 'Groups');
      const other = await seedOrganisation(db, 'Groups other');
      const p1 = await createPlant(org.as.technician, { name: 'P1', serialNumber: nextSerial(), type: 'SENSOR' });
      const p2 = await createPlant(org.as.technician, { name: 'P2', serialNumber: nextSerial(), type: 'SENSOR' });
      const theirs = await createPlant(other.as.technician, { name: 'T', serialNumber: nextSerial(), type: 'SENSOR' });

      const g = await createGroup(org.as.technician, { name: 'North', description: 'Northern fleet' });
      expect(g).toMatchObject({ name: 'North', description: 'Northern fleet', organizationId: org.id, plantIds: [] });
      await expect(createGroup(org.as.technician, { name: 'north' })).rejects.toMatchObject({ code: 'CONFLICT' });
      await expect(createGroup(org.as.viewer, { name: 'South' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      expect((await createGroup(other.as.technician, { name: 'North' })).name).toBe('North');

      await addPlantToGroup(org.as.technician, g.id, p1.id);
      await addPlantToGroup(org.as.technician, g.id, p2.id);
      expect((await addPlantToGroup(org.as.technician, g.id, p1.id)).plantIds).toEqual([p1.id, p2.id]);
      await expect(addPlantToGroup(org.as.technician, g.id, theirs.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(addPlantToGroup(org.as.technician, g.id, 'bad')).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
      await expect(addPlantToGroup(other.as.owner, g.id, theirs.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect((await getGroup(org.as.viewer, g.id)).plantIds).toEqual([p1.id, p2.id]);
      await expect(getGroup(other.as.viewer, g.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });

      const removed = await removePlantFromGroup(org.as.technician, g.id, p1.id);
      expect(removed.plantIds).toEqual([p2.id]);
      await expect(removePlantFromGroup(org.as.technician, g.id, p1.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });

      // A decommissioned plant is no longer listed as a member.
      await decommissionPlant(org.as.admin, p2.id);
      expect((await getGroup(org.as.viewer, g.id)).plantIds).toEqual([]);

      const second = await createGroup(org.as.technician, { name: 'Alpha' });
      await expect(updateGroup(org.as.technician, second.id, { name: 'NORTH' })).rejects.toMatchObject({ code: 'CONFLICT' });
      const renamed = await updateGroup(org.as.technician, g.id, { name: 'Nord', description: null });
      expect(renamed).toMatchObject({ name: 'Nord', description: null });
      expect((await updateGroup(org.as.technician, g.id, { description: 'x' })).name).toBe('Nord');

      const list = await listGroups(org.as.viewer);
      expect(list.data.map((x) => x.name)).toEqual(['Alpha', 'Nord']);
      expect(list.meta).toEqual({ limit: 20, page: 1, total: 2, totalPages: 1 });

      expect(await deleteGroup(org.as.technician, g.id)).toEqual({ message: 'Plant group deleted' });
      await expect(getGroup(org.as.viewer, g.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      // Its name is free again.
      expect((await createGroup(org.as.technician, { name: 'Nord' })).name).toBe('Nord');
    });
  });
}
