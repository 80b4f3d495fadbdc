import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemPrincipal } from '../auth/principal.js';
import type { ServiceContext } from '../context.js';
import { recordEvents } from '../monitoring/alerts/events.js';
import { ingestReadings } from '../monitoring/readings/service.js';
import { createComponent, getComponent } from '../monitoring/components/service.js';
import { createSite, getSite } from '../sites/service.js';
import { contextFor, seedOrganisation, type TestOrganisation } from '../testing.js';
import { plantEvents } from './events.js';
import { REFUSAL } from './lifecycle.js';
import { addPlantToGroup, createGroup } from './groups.js';
import {
  createPlant,
  decommissionPlant,
  getPlant,
  listPlants,
  loadPlantForAction,
  reactivatePlant,
  suspendPlant,
  updatePlant,
} from './service.js';
import { listTransitions, plantTransitions } from './history.js';
import { createTemplate, SYSTEM_TEMPLATE_IDS } from './templates.js';

const SPEC_PLANT_KEYS = [
  'activatedAt',
  'authFailureCount',
  'authMethod',
  'certificateExpiresAt',
  'certificateFingerprint',
  'certificateSerialNumber',
  'createdAt',
  'id',
  'lastAuthFailureAt',
  'lastSeenAt',
  'lifecycleStatus',
  'metadata',
  'name',
  'organizationId',
  'secretRotatedAt',
  'serialNumber',
  'status',
  'template',
  'templateId',
  'type',
  'updatedAt',
];
const HELIO_PLANT_KEYS = ['siteId', 'componentId', 'droppedMessageCount', 'lastDropReason'];
const SPEC_DETAIL_KEYS = [
  'alerts',
  'plantGroups',
  'capacityKwh',
  'configEnabled',
  'description',
  'esiState',
  'externalPlantId',
  'fvePeakPowerKwp',
  'latitude',
  'longitude',
  'plantWithLoad',
  'tag',
];

for (const engine of testEngines) {
  describe(`plants registry [${engine}]`, () => {
    let db: TestDb;
    let system: ServiceContext;
    beforeAll(async () => {
      db = await freshTestDb(engine);
      system = contextFor(db, systemPrincipal);
    });
    afterAll(() => db.dispose());

    let serial = 0;
    const nextSerial = (prefix = 'SN') => `${prefix}-${engine}-${++serial}`;
    const setStatus = (id: string, status: string, activated = false) =>
      db.query(`UPDATE plants SET lifecycle_status = $2, activated_at = ${activated ? 'now()' : 'NULL'} WHERE id = $1`, [id, status]);
    const row = async (id: string) => (await db.query<Record<string, unknown>>('SELECT * FROM plants WHERE id = $1', [id])).rows[0]!;

    async function orgWithSite(name: string): Promise<{ org: TestOrganisation; siteId: string }> {
      const org = await seedOrganisation(db, name);
      const site = await createSite(org.as.admin, { siteName: `${name} site` });
      return { org, siteId: site.id };
    }

    it('creates a plant with the spec’s defaults and shape, and records the creation with its actor', async () => {
      const org = await seedOrganisation(db, 'Create');
      const sn = nextSerial();
      const plant = await createPlant(org.as.technician, { name: 'Roof logger', serialNumber: sn, type: 'GATEWAY' });
      expect(Object.keys(plant).sort()).toEqual([...SPEC_PLANT_KEYS, ...HELIO_PLANT_KEYS].sort());
      expect(plant).toMatchObject({
        name: 'Roof logger',
        serialNumber: sn,
        type: 'GATEWAY',
        authMethod: 'MTLS',
        lifecycleStatus: 'PENDING',
        status: 'OFFLINE',
        metadata: {},
        organizationId: org.id,
        template: null,
        templateId: null,
        activatedAt: null,
        authFailureCount: 0,
        certificateFingerprint: null,
        siteId: null,
        componentId: null,
        droppedMessageCount: 0,
      });
      expect(plant.createdAt).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
      const history = await plantTransitions(org.as.viewer, plant.id);
      const userId = (org.as.technician.principal as { userId: string }).userId;
      expect(history).toEqual([
        { from: null, to: 'PENDING', action: 'create', actorKind: 'user', actorId: userId, at: expect.any(String), reason: null },
      ]);
    });

    it('refuses bad input, viewers, and organisations the caller is not in', async () => {
      const org = await seedOrganisation(db, 'Refuse');
      const other = await seedOrganisation(db, 'Refuse other');
      const ok = { name: 'P', serialNumber: nextSerial(), type: 'SENSOR' };
      await expect(createPlant(org.as.technician, { ...ok, name: 'x'.repeat(101) })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
      await expect(createPlant(org.as.technician, { ...ok, serialNumber: 'x'.repeat(51) })).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
      });
      await expect(createPlant(org.as.technician, { ...ok, type: 'ROBOT' })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
      await expect(createPlant(org.as.technician, { ...ok, authMethod: 'KERBEROS' })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
      await expect(createPlant(org.as.technician, { ...ok, surprise: 1 })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
      await expect(createPlant(org.as.viewer, ok)).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(createPlant(org.as.technician, ok, { organisationId: other.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect((await listPlants(org.as.viewer)).meta.total).toBe(0);
    });

    it('refuses a serial number a live plant of the organisation holds, and frees it when that plant is decommissioned', async () => {
      const a = await seedOrganisation(db, 'Serial A');
      const b = await seedOrganisation(db, 'Serial B');
      const sn = nextSerial('DUP');
      const first = await createPlant(a.as.technician, { name: 'First', serialNumber: sn, type: 'SENSOR', authMethod: 'TOKEN' });
      const dup = { code: 'CONFLICT', message: 'Plant with this serial number already exists' };
      await expect(createPlant(a.as.technician, { name: 'Again', serialNumber: sn, type: 'SENSOR' })).rejects.toMatchObject(dup);
      // Another organisation's serial numbers are its own: neither refused nor revealed.
      const theirs = await createPlant(b.as.technician, { name: 'Elsewhere', serialNumber: sn, type: 'SENSOR' });
      expect(theirs.serialNumber).toBe(sn);
      await expect(createPlant(b.as.technician, { name: 'Again', serialNumber: sn, type: 'SENSOR' })).rejects.toMatchObject(dup);
      const second = await createPlant(a.as.technician, { name: 'Second', serialNumber: nextSerial(), type: 'SENSOR' });
      await expect(updatePlant(a.as.technician, second.id, { serialNumber: sn })).rejects.toMatchObject(dup);
      // Moved to an organisation where a live plant holds its serial number: refused as well.
      await expect(updatePlant(system, first.id, { organizationId: b.id })).rejects.toMatchObject(dup);
      expect(await row(first.id)).toMatchObject({ organisation_id: a.id });

      expect(await decommissionPlant(a.as.admin, first.id)).toEqual({ message: 'Plant decommissioned' });
      const reborn = await createPlant(a.as.technician, { name: 'Reborn', serialNumber: sn, type: 'SENSOR' });
      expect(reborn.serialNumber).toBe(sn);
      // The decommissioned row is kept for history.
      expect(await row(first.id)).toMatchObject({ lifecycle_status: 'DECOMMISSIONED', serial_number: sn });
      const { rows } = await db.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE indexname = 'plants_serial_live_idx'`);
      expect(rows[0]?.indexdef).toMatch(/\(organisation_id, serial_number\) WHERE \(deleted_at IS NULL\)/);
    });

    it('lets exactly one of two concurrent creates with one serial number win', async () => {
      const org = await seedOrganisation(db, 'Race');
      const sn = nextSerial('RACE');
      const results = await Promise.allSettled(
        [1, 2, 3].map((n) => createPlant(org.as.technician, { name: `Racer ${n}`, serialNumber: sn, type: 'SENSOR' })),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results.filter((x) => x.status === 'rejected')) {
        expect((r as PromiseRejectedResult).reason).toMatchObject({
          code: 'CONFLICT',
          message: 'Plant with this serial number already exists',
        });
      }
      const { rows } = await db.query('SELECT id FROM plants WHERE serial_number = $1', [sn]);
      expect(rows).toHaveLength(1);
    });

    it('maps a plant with a site to a new component named after it, typed by its template', async () => {
      const { org, siteId } = await orgWithSite('Map');
      const sn = nextSerial('METER');
      const plant = await createPlant(org.as.technician, {
        name: 'Grid meter',
        serialNumber: sn,
        type: 'SENSOR',
        siteId,
        templateId: SYSTEM_TEMPLATE_IDS.gridMeter,
      });
      expect(plant.siteId).toBe(siteId);
      expect(plant.template).toMatchObject({ id: SYSTEM_TEMPLATE_IDS.gridMeter, isSystem: true, level: 'PLANT', type: 'METER' });
      const component = await getComponent(org.as.viewer, plant.componentId!);
      expect(component).toMatchObject({
        siteId,
        nodeId: sn,
        name: 'Grid meter',
        nodeType: 'METER',
        application: 'NET-GRID',
        generationType: 'NET-GRID',
        serialNumber: sn,
      });

      // A plant without a template: the node type follows the plant type.
      const gw = await createPlant(org.as.technician, { name: 'Gateway', serialNumber: nextSerial(), type: 'GATEWAY', siteId });
      expect((await getComponent(org.as.viewer, gw.componentId!)).nodeType).toBe('GATEWAY');
    });

    it('maps to the site’s component that already carries the serial number, or to the one named', async () => {
      const { org, siteId } = await orgWithSite('Existing');
      const sn = nextSerial('INV');
      const existing = await createComponent(org.as.technician, { siteId, nodeId: sn, name: 'Inverter 1', nodeType: 'INVERTER' });
      const plant = await createPlant(org.as.technician, { name: 'Inv', serialNumber: sn, type: 'CONTROLLER', siteId });
      expect(plant.componentId).toBe(existing.id);
      const { rows } = await db.query('SELECT id FROM components WHERE site_id = $1', [siteId]);
      expect(rows).toHaveLength(1);

      const named = await createComponent(org.as.technician, { siteId, nodeId: 'named-1', name: 'Named', nodeType: 'SENSOR' });
      const second = await createPlant(org.as.technician, { name: 'N', serialNumber: nextSerial(), type: 'SENSOR', componentId: named.id });
      expect(second).toMatchObject({ componentId: named.id, siteId });
      // One component, one plant.
      await expect(
        createPlant(org.as.technician, { name: 'N2', serialNumber: nextSerial(), type: 'SENSOR', componentId: named.id }),
      ).rejects.toMatchObject({ code: 'CONFLICT' });
      // Two plants racing for one component: one wins.
      const contested = await createComponent(org.as.technician, { siteId, nodeId: 'contested', name: 'C', nodeType: 'SENSOR' });
      // Every connection of the pool open first, so that the creates really overlap.
      await Promise.all([1, 2, 3, 4].map(() => db.query('SELECT pg_sleep(0.05)')));
      const race = await Promise.allSettled(
        [1, 2, 3].map((n) =>
          createPlant(org.as.technician, { name: `R${n}`, serialNumber: nextSerial(), type: 'SENSOR', componentId: contested.id }),
        ),
      );
      expect(race.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected', 'rejected']);
      for (const r of race.filter((x) => x.status === 'rejected')) expect(r).toMatchObject({ reason: { code: 'CONFLICT' } });
      // Another organisation's site or component is not found.
      const other = await orgWithSite('Existing other');
      await expect(
        createPlant(org.as.technician, { name: 'X', serialNumber: nextSerial(), type: 'SENSOR', siteId: other.siteId }),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const foreign = await createComponent(other.org.as.technician, { siteId: other.siteId, nodeId: 'f', name: 'F', nodeType: 'SENSOR' });
      await expect(
        createPlant(org.as.technician, { name: 'X', serialNumber: nextSerial(), type: 'SENSOR', componentId: foreign.id }),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
      // Nothing of the refused creates is left behind.
      expect((await listPlants(org.as.viewer)).meta.total).toBe(3);
    });

    it('lists the caller’s live plants a page at a time, newest first, filtered by auth method', async () => {
      const org = await seedOrganisation(db, 'List');
      const other = await seedOrganisation(db, 'List other');
      await createPlant(other.as.technician, { name: 'Theirs', serialNumber: nextSerial(), type: 'SENSOR' });
      const made = [];
      for (let i = 0; i < 5; i++) {
        made.push(
          await createPlant(org.as.technician, {
            name: `P${i}`,
            serialNumber: nextSerial(),
            type: 'SENSOR',
            authMethod: i % 2 ? 'TOKEN' : 'PASSWORD',
            ...(i === 0 ? { templateId: SYSTEM_TEMPLATE_IDS.pvInverter } : {}),
          }),
        );
      }
      await decommissionPlant(org.as.admin, made[4]!.id);

      const all = await listPlants(org.as.viewer);
      expect(all.meta).toEqual({ limit: 20, page: 1, total: 4, totalPages: 1 });
      expect(all.data.map((p) => p.name)).toEqual(['P3', 'P2', 'P1', 'P0']);
      expect(all.data[3]!.template).toMatchObject({ id: SYSTEM_TEMPLATE_IDS.pvInverter, name: 'PV inverter' });
      expect(all.data[0]!.template).toBeNull();

      const page2 = await listPlants(org.as.viewer, { page: '2', limit: '3' });
      expect(page2.meta).toEqual({ limit: 3, page: 2, total: 4, totalPages: 2 });
      expect(page2.data.map((p) => p.name)).toEqual(['P0']);
      expect((await listPlants(org.as.viewer, { page: 3, limit: 3 })).data).toEqual([]);

      const tokens = await listPlants(org.as.viewer, { authMethod: 'TOKEN' });
      expect(tokens.data.map((p) => p.name)).toEqual(['P3', 'P1']);
      expect(tokens.meta.total).toBe(2);

      for (const bad of [{ limit: 0 }, { limit: 101 }, { page: 0 }, { page: 'x' }, { authMethod: 'mtls' }]) {
        await expect(listPlants(org.as.viewer, bad), JSON.stringify(bad)).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
      }
      expect((await listPlants(system, { limit: 100 })).data.some((p) => p.name === 'Theirs')).toBe(true);
    });

    it('reads a plant with its detail fields, groups and its components’ alerts in the spec’s shape', async () => {
      const { org, siteId } = await orgWithSite('Detail');
      const plant = await createPlant(org.as.technician, {
        name: 'Detailed',
        serialNumber: nextSerial(),
        type: 'CONTROLLER',
        siteId,
        externalPlantId: 'VELVARY-MAIN',
        description: 'On the barn',
        tag: 'barn',
        latitude: 49.5,
        longitude: 17.25,
        capacityKwh: 12.5,
        fvePeakPowerKwp: 9.9,
        plantWithLoad: true,
        metadata: { installer: 'Acme' },
      });
      const group = await createGroup(org.as.technician, { name: 'Barns' });
      await addPlantToGroup(org.as.technician, group.id, plant.id);
      const child = await createComponent(org.as.technician, {
        siteId,
        parentId: plant.componentId!,
        nodeId: 'sub-1',
        name: 'Sub device',
        nodeType: 'SENSOR',
      });
      const ts = new Date(Date.now() - 60_000).toISOString();
      await recordEvents(org.as.technician, plant.componentId!, {
        ts,
        code: 'E42',
        state: 'active',
        priority: 'High',
        descriptionShort: 'Isolation fault',
      });
      await recordEvents(org.as.technician, child.id, { ts, code: 'W1', state: 'active', priority: 'Low' });

      const detail = await getPlant(org.as.viewer, plant.id);
      expect(Object.keys(detail).sort()).toEqual([...SPEC_PLANT_KEYS, ...HELIO_PLANT_KEYS, ...SPEC_DETAIL_KEYS].sort());
      expect(detail).toMatchObject({
        externalPlantId: 'VELVARY-MAIN',
        description: 'On the barn',
        tag: 'barn',
        latitude: 49.5,
        longitude: 17.25,
        capacityKwh: 12.5,
        fvePeakPowerKwp: 9.9,
        plantWithLoad: true,
        configEnabled: true,
        esiState: null,
        metadata: { installer: 'Acme' },
        plantGroups: [
          {
            id: group.id,
            name: 'Barns',
            description: null,
            organizationId: org.id,
            createdAt: group.createdAt,
            updatedAt: expect.any(String),
          },
        ],
      });
      expect(detail.alerts).toHaveLength(2);
      const fault = detail.alerts.find((a) => a.message === 'Isolation fault')!;
      expect(fault).toEqual({
        id: expect.any(String),
        plantId: plant.id,
        message: 'Isolation fault',
        severity: 'CRITICAL',
        status: 'ACTIVE',
        type: 'DEVICE_FAULT',
        acknowledgedAt: null,
        acknowledgedBy: null,
        resolvedAt: null,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      expect(detail.alerts.find((a) => a !== fault)).toMatchObject({ severity: 'INFO', status: 'ACTIVE' });

      await recordEvents(org.as.technician, plant.componentId!, { ts: new Date().toISOString(), code: 'E42', state: 'cleared' });
      const after = await getPlant(org.as.viewer, plant.id);
      expect(after.alerts.find((a) => a.id === fault.id)).toMatchObject({ status: 'RESOLVED', resolvedAt: expect.any(String) });
    });

    it('answers NOT_FOUND for another organisation’s, a missing or a decommissioned plant, and invalid_uuid for a bad id', async () => {
      const org = await seedOrganisation(db, 'Hidden');
      const other = await seedOrganisation(db, 'Hidden other');
      const plant = await createPlant(org.as.technician, { name: 'Mine', serialNumber: nextSerial(), type: 'SENSOR' });
      const notFound = { code: 'NOT_FOUND', message: 'Plant not found' };
      for (const ctx of [other.as.owner, other.as.viewer]) {
        await expect(getPlant(ctx, plant.id)).rejects.toMatchObject(notFound);
        await expect(updatePlant(ctx, plant.id, { name: 'Stolen' })).rejects.toMatchObject(notFound);
        await expect(updatePlant(ctx, plant.id, { organizationId: other.id })).rejects.toMatchObject(notFound);
        await expect(suspendPlant(ctx, plant.id)).rejects.toMatchObject(notFound);
        await expect(reactivatePlant(ctx, plant.id)).rejects.toMatchObject(notFound);
        await expect(decommissionPlant(ctx, plant.id)).rejects.toMatchObject(notFound);
        await expect(loadPlantForAction(db, ctx, plant.id, 'read')).rejects.toMatchObject(notFound);
      }
      await expect(getPlant(org.as.viewer, '0190f0f0-0000-7000-8000-000000000000')).rejects.toMatchObject(notFound);
      for (const bad of ['not-a-uuid', '', '0190f0f0-0000-7000-8000-00000000000']) {
        await expect(getPlant(org.as.viewer, bad)).rejects.toMatchObject({
          code: 'VALIDATION_ERROR',
          message: 'Invalid plant UUID',
          details: [expect.objectContaining({ issue: 'invalid_uuid' })],
        });
      }
      await decommissionPlant(org.as.admin, plant.id);
      await expect(getPlant(org.as.viewer, plant.id)).rejects.toMatchObject(notFound);
      await expect(decommissionPlant(org.as.admin, plant.id)).rejects.toMatchObject(notFound);
      await expect(getPlant(system, plant.id)).rejects.toMatchObject(notFound);
    });

    it('checks the role for each action: read for viewers, write for technicians, manage for admins', async () => {
      const org = await seedOrganisation(db, 'Roles');
      const plant = await createPlant(org.as.technician, { name: 'R', serialNumber: nextSerial(), type: 'SENSOR' });
      await expect(loadPlantForAction(db, org.as.viewer, plant.id, 'read')).resolves.toMatchObject({ id: plant.id });
      await expect(loadPlantForAction(db, org.as.viewer, plant.id, 'write')).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(loadPlantForAction(db, org.as.technician, plant.id, 'write')).resolves.toMatchObject({ id: plant.id });
      await expect(loadPlantForAction(db, org.as.technician, plant.id, 'manage')).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(loadPlantForAction(db, org.as.admin, plant.id, 'manage')).resolves.toMatchObject({ id: plant.id });
      await expect(updatePlant(org.as.viewer, plant.id, { name: 'V' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(suspendPlant(org.as.technician, plant.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(decommissionPlant(org.as.technician, plant.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    });

    it('locks the plant row until the transaction that loaded it ends', async () => {
      const org = await seedOrganisation(db, 'Lock');
      const plant = await createPlant(org.as.technician, { name: 'L', serialNumber: nextSerial(), type: 'SENSOR' });
      await setStatus(plant.id, 'PROVISIONED');
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let loaded!: () => void;
      const isLoaded = new Promise<void>((resolve) => (loaded = resolve));
      const holder = db.transaction(async (tx) => {
        await loadPlantForAction(tx, org.as.admin, plant.id, 'manage');
        loaded();
        await held;
        await tx.query(`UPDATE plants SET name = 'held' WHERE id = $1`, [plant.id]);
      });
      await isLoaded;
      let suspended = false;
      const suspend = suspendPlant(org.as.admin, plant.id).then(() => (suspended = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(suspended).toBe(false);
      release();
      await holder;
      await suspend;
      expect(await row(plant.id)).toMatchObject({ name: 'held', lifecycle_status: 'SUSPENDED' });
    });

    it('updates fields, links and unlinks, assigns and unassigns templates', async () => {
      const org = await seedOrganisation(db, 'Update');
      const other = await seedOrganisation(db, 'Update other');
      const plant = await createPlant(org.as.technician, { name: 'U', serialNumber: nextSerial(), type: 'SENSOR' });
      const updated = await updatePlant(org.as.technician, plant.id, {
        name: 'Renamed',
        type: 'ACTUATOR',
        metadata: { a: 1 },
        externalPlantId: 'ESM-1',
        templateId: SYSTEM_TEMPLATE_IDS.battery,
      });
      expect(updated).toMatchObject({
        name: 'Renamed',
        type: 'ACTUATOR',
        metadata: { a: 1 },
        templateId: SYSTEM_TEMPLATE_IDS.battery,
        template: { id: SYSTEM_TEMPLATE_IDS.battery, name: 'Battery' },
      });
      expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(Date.parse(plant.updatedAt));
      expect((await getPlant(org.as.viewer, plant.id)).externalPlantId).toBe('ESM-1');

      const unlinked = await updatePlant(org.as.technician, plant.id, { externalPlantId: null, templateId: null });
      expect(unlinked).toMatchObject({ templateId: null, template: null, name: 'Renamed' });
      expect((await getPlant(org.as.viewer, plant.id)).externalPlantId).toBeNull();

      // The organisation's own PLANT template is fine; a DEVICE one is refused; another organisation's is not found.
      const own = await createTemplate(org.as.technician, { name: 'Own', type: 'CABINET', level: 'PLANT' });
      expect((await updatePlant(org.as.technician, plant.id, { templateId: own.id })).template).toMatchObject({ id: own.id });
      const device = await createTemplate(org.as.technician, { name: 'Dev', type: 'SENSOR', level: 'DEVICE' });
      await expect(updatePlant(org.as.technician, plant.id, { templateId: device.id })).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
        details: [expect.objectContaining({ path: 'templateId', issue: 'wrong_level' })],
      });
      const theirs = await createTemplate(other.as.technician, { name: 'Theirs', type: 'CABINET' });
      const missing = { code: 'NOT_FOUND', message: 'Plant or referenced template not found' };
      await expect(updatePlant(org.as.technician, plant.id, { templateId: theirs.id })).rejects.toMatchObject(missing);
      await expect(updatePlant(org.as.technician, plant.id, { templateId: '0190f0f0-0000-7000-8000-000000000000' })).rejects.toMatchObject(
        missing,
      );
      await expect(updatePlant(org.as.technician, plant.id, { templateId: 'nope' })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
      await expect(updatePlant(org.as.technician, plant.id, { externalPlantId: 'x'.repeat(121) })).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
      });
      // The refused changes left the plant as it was.
      expect((await getPlant(org.as.viewer, plant.id)).templateId).toBe(own.id);
      // An empty patch changes nothing.
      expect((await updatePlant(org.as.technician, plant.id, {})).name).toBe('Renamed');
    });

    it('maps a plant to a site later, and unmaps it', async () => {
      const { org, siteId } = await orgWithSite('Later');
      const plant = await createPlant(org.as.technician, { name: 'Later', serialNumber: nextSerial(), type: 'GATEWAY' });
      const mapped = await updatePlant(org.as.technician, plant.id, { siteId });
      expect(mapped.siteId).toBe(siteId);
      expect((await getComponent(org.as.viewer, mapped.componentId!)).nodeId).toBe(plant.serialNumber);
      // Setting the same site again keeps the component.
      expect((await updatePlant(org.as.technician, plant.id, { siteId })).componentId).toBe(mapped.componentId);
      const unmapped = await updatePlant(org.as.technician, plant.id, { siteId: null });
      expect(unmapped).toMatchObject({ siteId: null, componentId: null });
      // Mapped again: the component that carries its serial number is found, not made twice.
      expect((await updatePlant(org.as.technician, plant.id, { siteId })).componentId).toBe(mapped.componentId);
    });

    it('changes authMethod only for admins, only while the plant holds no live credentials, and records it', async () => {
      const org = await seedOrganisation(db, 'Auth method');
      const plant = await createPlant(org.as.technician, { name: 'A', serialNumber: nextSerial(), type: 'SENSOR' });
      expect(plant.authMethod).toBe('MTLS');
      await expect(updatePlant(org.as.technician, plant.id, { authMethod: 'TOKEN' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      // Sending the method it has is no change: a technician may.
      expect(await updatePlant(org.as.technician, plant.id, { authMethod: 'MTLS', name: 'A2' })).toMatchObject({
        authMethod: 'MTLS',
        name: 'A2',
      });
      // PENDING: nothing issued yet.
      expect((await updatePlant(org.as.admin, plant.id, { authMethod: 'TOKEN' })).authMethod).toBe('TOKEN');

      const rule = 'authMethod can change only before provisioning or after revoke: revoke the plant, change it, provision again';
      for (const [status, activated] of [
        ['PROVISIONED', false],
        ['ACTIVE', true],
        ['SUSPENDED', true],
      ] as const) {
        await setStatus(plant.id, status, activated);
        for (const ctx of [org.as.admin, org.as.owner, system]) {
          await expect(updatePlant(ctx, plant.id, { authMethod: 'PASSWORD', name: 'Changed' }), status).rejects.toMatchObject({
            code: 'VALIDATION_ERROR',
            details: [expect.objectContaining({ path: 'authMethod', message: rule })],
          });
        }
        await expect(updatePlant(org.as.technician, plant.id, { authMethod: 'PASSWORD' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      }
      expect(await row(plant.id)).toMatchObject({ auth_method: 'TOKEN', name: 'A2' });

      // REVOKED: its credentials are void; it may change before it is provisioned again.
      await setStatus(plant.id, 'REVOKED', true);
      expect((await updatePlant(org.as.admin, plant.id, { authMethod: 'PASSWORD' })).authMethod).toBe('PASSWORD');
      const adminId = (org.as.admin.principal as { userId: string }).userId;
      const history = await plantTransitions(org.as.viewer, plant.id);
      expect(history.filter((h) => h.action === 'change-auth-method')).toEqual([
        {
          from: 'PENDING',
          to: 'PENDING',
          action: 'change-auth-method',
          actorKind: 'user',
          actorId: adminId,
          at: expect.any(String),
          reason: 'MTLS → TOKEN',
        },
        {
          from: 'REVOKED',
          to: 'REVOKED',
          action: 'change-auth-method',
          actorKind: 'user',
          actorId: adminId,
          at: expect.any(String),
          reason: 'TOKEN → PASSWORD',
        },
      ]);
    });

    it('moves a plant to another site of its organisation, keeping the old component and its readings', async () => {
      const { org, siteId } = await orgWithSite('Resite');
      const site2 = await createSite(org.as.admin, { siteName: 'Resite second' });
      const sn = nextSerial('MV');
      const plant = await createPlant(org.as.technician, { name: 'Mover', serialNumber: sn, type: 'CONTROLLER', siteId });
      const old = await getComponent(org.as.viewer, plant.componentId!);
      expect(old).toMatchObject({ siteId, nodeId: sn });
      const ts = new Date(Date.now() - 3_600_000).toISOString();
      await ingestReadings(org.as.technician, old.id, { readings: [{ ts, W: 1234 }] });

      const moved = await updatePlant(org.as.technician, plant.id, { siteId: site2.id });
      expect(moved.siteId).toBe(site2.id);
      expect(moved.componentId).not.toBe(old.id);
      const fresh = await getComponent(org.as.viewer, moved.componentId!);
      expect(fresh).toMatchObject({ siteId: site2.id, name: 'Mover', serialNumber: sn, isConceptualNode: false });
      expect(fresh.nodeId).toBe(`${sn}-${site2.locusId}`);
      // The old component stays on its site, with its history.
      expect(await getComponent(org.as.viewer, old.id)).toMatchObject({ siteId, nodeId: sn });
      const { rows: kept } = await db.query<{ component_id: string; value: number }>(
        'SELECT component_id, value FROM readings WHERE component_id = ANY($1::uuid[])',
        [[old.id, fresh.id]],
      );
      expect(kept).toEqual([{ component_id: old.id, value: 1234 }]);
      // Back and forth: each site's component is found again, none made twice.
      expect((await updatePlant(org.as.technician, plant.id, { siteId })).componentId).toBe(old.id);
      expect((await updatePlant(org.as.technician, plant.id, { siteId: site2.id })).componentId).toBe(fresh.id);
      const { rows } = await db.query('SELECT id FROM components WHERE organisation_id = $1 AND deleted_at IS NULL', [org.id]);
      expect(rows).toHaveLength(2);

      // A new plant whose serial number another site's component already uses as its node id.
      const sn2 = nextSerial('ELSE');
      const elsewhere = await createComponent(org.as.technician, { siteId: site2.id, nodeId: sn2, name: 'Other', nodeType: 'METER' });
      const p2 = await createPlant(org.as.technician, { name: 'Second', serialNumber: sn2, type: 'SENSOR', siteId });
      expect(p2.componentId).not.toBe(elsewhere.id);
      const c2 = await getComponent(org.as.viewer, p2.componentId!);
      expect(c2).toMatchObject({ siteId, nodeId: `${sn2}-${(await getSite(org.as.viewer, siteId)).locusId}` });
      // Even that one taken: a further free one.
      const sn3 = nextSerial('THIRD');
      const site1Locus = (await getSite(org.as.viewer, siteId)).locusId;
      await createComponent(org.as.technician, { siteId: site2.id, nodeId: sn3, name: 'T1', nodeType: 'METER' });
      await createComponent(org.as.technician, { siteId: site2.id, nodeId: `${sn3}-${site1Locus}`, name: 'T2', nodeType: 'METER' });
      const p3 = await createPlant(org.as.technician, { name: 'Third', serialNumber: sn3, type: 'SENSOR', siteId });
      expect((await getComponent(org.as.viewer, p3.componentId!)).nodeId).toBe(`${sn3}-${site1Locus}-2`);
    });

    it('never maps a plant to a conceptual component', async () => {
      const { org, siteId } = await orgWithSite('Conceptual');
      const virtual = await createComponent(org.as.technician, {
        siteId,
        nodeId: 'virtual-inverter',
        name: 'Virtual',
        nodeType: 'INVERTER',
        isConceptualNode: true,
      });
      const refused = {
        code: 'VALIDATION_ERROR',
        details: [expect.objectContaining({ path: 'componentId', message: expect.stringContaining('conceptual node takes no readings') })],
      };
      await expect(
        createPlant(org.as.technician, { name: 'C', serialNumber: nextSerial(), type: 'SENSOR', componentId: virtual.id }),
      ).rejects.toMatchObject(refused);
      const plant = await createPlant(org.as.technician, { name: 'C', serialNumber: nextSerial(), type: 'SENSOR' });
      await expect(updatePlant(org.as.technician, plant.id, { componentId: virtual.id })).rejects.toMatchObject(refused);
      await expect(updatePlant(org.as.technician, plant.id, { siteId, componentId: virtual.id })).rejects.toMatchObject(refused);
      expect(await row(plant.id)).toMatchObject({ component_id: null });

      // A conceptual component carrying the serial number as its node id is passed over: a real one is made.
      const sn = nextSerial('CN');
      const carrier = await createComponent(org.as.technician, {
        siteId,
        nodeId: sn,
        name: 'Group',
        nodeType: 'INVERTER',
        isConceptualNode: true,
      });
      const mapped = await createPlant(org.as.technician, { name: 'Real', serialNumber: sn, type: 'CONTROLLER', siteId });
      expect(mapped.componentId).not.toBe(carrier.id);
      expect(await getComponent(org.as.viewer, mapped.componentId!)).toMatchObject({
        siteId,
        isConceptualNode: false,
        nodeId: expect.stringMatching(new RegExp(`^${sn}-`)),
      });
    });

    it('indexes the commands that may still expire', async () => {
      const { rows } = await db.query<{ indexdef: string }>(
        `SELECT indexdef FROM pg_indexes WHERE indexname = 'plant_commands_expiry_idx'`,
      );
      expect(rows[0]?.indexdef).toMatch(
        /ON (public\.)?plant_commands USING btree \(expires_at\) WHERE \(state = ANY \(ARRAY\['queued'::text, 'sent'::text\]\)\)/,
      );
    });

    it('moves a plant to another organisation only for the system principal', async () => {
      const { org, siteId } = await orgWithSite('Move');
      const target = await seedOrganisation(db, 'Move target');
      const plant = await createPlant(org.as.technician, { name: 'M', serialNumber: nextSerial(), type: 'SENSOR', siteId });
      const group = await createGroup(org.as.technician, { name: 'G' });
      await addPlantToGroup(org.as.technician, group.id, plant.id);
      for (const ctx of [org.as.owner, org.as.admin]) {
        await expect(updatePlant(ctx, plant.id, { organizationId: target.id, name: 'Moved' })).rejects.toMatchObject({
          code: 'FORBIDDEN',
        });
        // Its own organisation named again moves nothing: accepted with the rest of the patch.
        expect(await updatePlant(ctx, plant.id, { organizationId: org.id.toUpperCase(), name: 'M' })).toMatchObject({
          organizationId: org.id,
          siteId,
          name: 'M',
        });
      }
      expect(await getPlant(org.as.viewer, plant.id)).toMatchObject({ name: 'M', organizationId: org.id });
      await expect(updatePlant(system, plant.id, { organizationId: '0190f0f0-0000-7000-8000-000000000000' })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      const moved = await updatePlant(system, plant.id, { organizationId: target.id });
      expect(moved).toMatchObject({ organizationId: target.id, siteId: null, componentId: null });
      await expect(getPlant(org.as.viewer, plant.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect((await getPlant(target.as.viewer, plant.id)).plantGroups).toEqual([]);
      // The move is in the history; who acted for the old organisation is told by kind only.
      const before = await plantTransitions(system, plant.id);
      expect(before.find((h) => h.action === 'create')?.actorId).toEqual(expect.any(String));
      const { data } = await listTransitions(target.as.viewer, plant.id);
      expect(data.map((d) => [d.action, d.actor])).toEqual([
        ['move', { kind: 'system', id: null }],
        ['create', { kind: before.find((h) => h.action === 'create')!.actorKind, id: null }],
      ]);
      expect(data[0]).toMatchObject({
        fromStatus: 'PENDING',
        toStatus: 'PENDING',
        reason: 'moved from another organisation by a server operator',
      });
    });

    it('walks the lifecycle: suspend, reactivate and decommission, refusing illegal transitions with the spec’s message', async () => {
      const org = await seedOrganisation(db, 'Life');
      const plant = await createPlant(org.as.technician, { name: 'Life', serialNumber: nextSerial(), type: 'SENSOR' });
      const changed: string[] = [];
      const listener = (id: string) => changed.push(id);
      plantEvents.on('changed', listener);
      try {
        await expect(suspendPlant(org.as.admin, plant.id)).rejects.toMatchObject({ code: 'VALIDATION_ERROR', message: REFUSAL.suspend });
        await expect(reactivatePlant(org.as.admin, plant.id)).rejects.toMatchObject({
          code: 'VALIDATION_ERROR',
          message: REFUSAL.reactivate,
        });
        expect(changed).toEqual([]);

        await setStatus(plant.id, 'PROVISIONED');
        expect(await suspendPlant(org.as.admin, plant.id)).toEqual({ message: 'Plant suspended' });
        expect((await getPlant(org.as.viewer, plant.id)).lifecycleStatus).toBe('SUSPENDED');
        await expect(suspendPlant(org.as.admin, plant.id)).rejects.toMatchObject({ message: REFUSAL.suspend });
        // It never connected: back to PROVISIONED.
        expect(await reactivatePlant(org.as.owner, plant.id)).toEqual({ message: 'Plant reactivated' });
        expect((await getPlant(org.as.viewer, plant.id)).lifecycleStatus).toBe('PROVISIONED');

        await setStatus(plant.id, 'ACTIVE', true);
        await suspendPlant(org.as.admin, plant.id);
        await reactivatePlant(org.as.admin, plant.id);
        expect((await getPlant(org.as.viewer, plant.id)).lifecycleStatus).toBe('ACTIVE');

        await db.query(
          `INSERT INTO plant_certificates (serial_number, plant_id, fingerprint, not_before, not_after, state, key_generated)
           VALUES ($1, $2, $3, now(), now() + interval '1 year', 'active', true)`,
          [`cert-${plant.id}`, plant.id, `fp-${plant.id}`],
        );
        expect(await decommissionPlant(org.as.admin, plant.id)).toEqual({ message: 'Plant decommissioned' });
        expect(await row(plant.id)).toMatchObject({ lifecycle_status: 'DECOMMISSIONED', status: 'OFFLINE' });
        const { rows: certs } = await db.query('SELECT state FROM plant_certificates WHERE plant_id = $1', [plant.id]);
        expect(certs).toEqual([{ state: 'revoked' }]);
        expect(changed).toEqual(Array(5).fill(plant.id));
      } finally {
        plantEvents.off('changed', listener);
      }
      const { rows: history } = await db.query<{ action: string; from_status: string; to_status: string; actor_kind: string }>(
        'SELECT action, from_status, to_status, actor_kind FROM plant_transitions WHERE plant_id = $1 ORDER BY at, id',
        [plant.id],
      );
      expect(history.map((h) => `${h.action}:${h.from_status ?? '-'}>${h.to_status}`)).toEqual([
        'create:->PENDING',
        'suspend:PROVISIONED>SUSPENDED',
        'reactivate:SUSPENDED>PROVISIONED',
        'suspend:ACTIVE>SUSPENDED',
        'reactivate:SUSPENDED>ACTIVE',
        'decommission:ACTIVE>DECOMMISSIONED',
      ]);
      expect(new Set(history.map((h) => h.actor_kind))).toEqual(new Set(['user']));
    });
  });
}
