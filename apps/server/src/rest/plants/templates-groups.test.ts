// Helio's /api/v1 routes beside the spec's: device templates (system ones
// shared and read-only, an organisation's own versioned) and plant groups.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../../test-engines.js';
import { createTenant, createTestApp, type TestApp, type TestTenant } from '../../testing.js';
import { caller, createPlant, plantsError, type Call, type Json } from './testing.js';

const MISSING = '0190a0a0-0000-7000-8000-000000000000';

describeEachEngine('Plants API: templates and plant groups', (engine) => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  let asA: Call;
  let asB: Call;
  beforeAll(async () => {
    t = await createTestApp(engine);
    a = await createTenant(t.services);
    b = await createTenant(t.services);
    asA = caller(t, a, 'technician');
    asB = caller(t, b, 'technician');
  });
  afterAll(() => t.close());

  it("lists Helio's system templates to everyone, read-only", async () => {
    const res = await caller(t, a, 'viewer')('GET', '/templates');
    expect(res.statusCode).toBe(200);
    const { data, meta } = res.json<{ data: Json[]; meta: Json }>();
    const system = data.filter((x) => x.isSystem);
    expect(system.map((x) => x.type).sort()).toEqual(['BATTERY', 'INVERTER', 'METER', 'WEATHERSTATION'].sort());
    expect(meta).toMatchObject({ page: 1, limit: 20, total: data.length });
    const inverter = system.find((x) => x.type === 'INVERTER')!;
    expect(inverter).toMatchObject({ level: 'PLANT', organizationId: null, version: expect.any(Number) });
    expect(inverter.signals).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'ac_power', field: 'W', scale: 1 })]));
    expect((await asA('GET', `/templates/${inverter.id as string}`)).json()).toEqual(inverter);

    const change = await caller(t, a, 'owner')('PATCH', `/templates/${inverter.id as string}`, { name: 'Mine now' });
    expect(change.statusCode).toBe(403);
    expect(change.json()).toEqual(plantsError(403, 'FORBIDDEN', 'Forbidden'));
    expect((await caller(t, a, 'owner')('DELETE', `/templates/${inverter.id as string}`)).statusCode).toBe(403);
    expect((await asB('GET', '/templates?level=DEVICE')).json<{ data: Json[] }>().data.every((x) => x.level === 'DEVICE')).toBe(true);
  });

  it("creates, versions and deletes an organisation's template, refusing deletion while a plant uses it", async () => {
    const created = await asA('POST', '/templates', {
      name: 'Meter X',
      type: 'METER',
      signals: [{ key: 'imp', field: 'WhImp', scale: 1000, unit: 'kWh', counter: true }],
      actions: [{ name: 'reset' }],
    });
    expect(created.statusCode, created.body).toBe(201);
    const template = created.json<Json & { id: string }>();
    expect(template).toMatchObject({
      name: 'Meter X',
      level: 'PLANT',
      isSystem: false,
      version: 1,
      organizationId: a.organisationId,
      signals: [{ key: 'imp', field: 'WhImp', scale: 1000, unit: 'kWh', counter: true }],
      actions: [{ name: 'reset' }],
    });
    const updated = await asA('PATCH', `/templates/${template.id}`, { name: 'Meter Y' });
    expect(updated.json()).toMatchObject({ name: 'Meter Y', version: 2 });

    const invalid = await asA('POST', '/templates', { name: 'Bad', type: 'METER', signals: [{ key: 'x', field: 'NotAField' }] });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toMatchObject({ code: 'VALIDATION_ERROR', details: { issues: [{ path: 'signals[0].field' }] } });

    // Another organisation neither sees nor uses it.
    expect((await asB('GET', `/templates/${template.id}`)).json()).toMatchObject({ statusCode: 404, code: 'NOT_FOUND', details: {} });
    expect((await asB('GET', '/templates')).json<{ data: Json[] }>().data.map((x) => x.id)).not.toContain(template.id);

    const plant = await createPlant(asA, { templateId: template.id });
    expect(plant.template).toMatchObject({ id: template.id, version: 2 });
    const inUse = await asA('DELETE', `/templates/${template.id}`);
    expect(inUse.statusCode).toBe(409);
    expect(inUse.json()).toMatchObject({ code: 'CONFLICT' });
    expect((await asA('PATCH', `/plants/${plant.id}`, { templateId: null })).statusCode).toBe(200);
    expect((await asA('DELETE', `/templates/${template.id}`)).json()).toEqual({ message: expect.any(String) });
    expect((await asA('GET', `/templates/${template.id}`)).statusCode).toBe(404);
    expect((await asA('GET', '/templates/not-a-uuid')).json()).toMatchObject({ statusCode: 400, code: 'VALIDATION_ERROR' });
    expect((await caller(t, a, 'viewer')('POST', '/templates', { name: 'V', type: 'METER' })).statusCode).toBe(403);
  });

  it('groups plants: create, add, list on the plant, remove, rename, delete', async () => {
    const created = await asA('POST', '/plant-groups', { name: 'North fleet', description: 'Roofs up north' });
    expect(created.statusCode, created.body).toBe(201);
    const group = created.json<Json & { id: string }>();
    expect(group).toEqual({
      createdAt: expect.any(String),
      description: 'Roofs up north',
      id: expect.any(String),
      name: 'North fleet',
      organizationId: a.organisationId,
      updatedAt: expect.any(String),
      plantIds: [],
    });
    const duplicate = await asA('POST', '/plant-groups', { name: 'NORTH FLEET' });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json()).toMatchObject({ code: 'CONFLICT', details: { issues: [{ path: 'name' }] } });

    const plant = await createPlant(asA);
    const added = await asA('POST', `/plant-groups/${group.id}/plants`, { plantId: plant.id });
    expect(added.statusCode, added.body).toBe(200);
    expect(added.json()).toMatchObject({ id: group.id, plantIds: [plant.id] });
    // Twice changes nothing.
    expect((await asA('POST', `/plant-groups/${group.id}/plants`, { plantId: plant.id })).json()).toMatchObject({ plantIds: [plant.id] });
    const detail = (await asA('GET', `/plants/${plant.id}`)).json<{ plantGroups: Json[] }>();
    expect(detail.plantGroups).toEqual([
      {
        createdAt: group.createdAt,
        description: 'Roofs up north',
        id: group.id,
        name: 'North fleet',
        organizationId: a.organisationId,
        updatedAt: expect.any(String),
      },
    ]);

    // Another organisation's plant cannot join; the group is not the other organisation's to see.
    const theirs = await createPlant(asB);
    const foreignPlant = await asA('POST', `/plant-groups/${group.id}/plants`, { plantId: theirs.id });
    expect(foreignPlant.statusCode).toBe(404);
    expect(foreignPlant.json()).toEqual(plantsError(404, 'PLANT_NOT_FOUND', 'Plant not found'));
    expect((await asB('GET', `/plant-groups/${group.id}`)).json()).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
    expect((await asB('POST', `/plant-groups/${group.id}/plants`, { plantId: theirs.id })).statusCode).toBe(404);
    expect((await asA('POST', `/plant-groups/${group.id}/plants`, { plantId: 'nope' })).json()).toMatchObject({
      statusCode: 400,
      code: 'VALIDATION_ERROR',
      details: { issues: [{ path: 'plantId' }] },
    });
    expect((await asA('POST', `/plant-groups/${group.id}/plants`, {})).statusCode).toBe(400);

    const list = (await caller(t, a, 'viewer')('GET', '/plant-groups')).json<{ data: Json[]; meta: Json }>();
    expect(list.data.map((g) => g.id)).toContain(group.id);
    expect((await asB('GET', '/plant-groups')).json<{ data: Json[] }>().data.map((g) => g.id)).not.toContain(group.id);

    const renamed = await asA('PATCH', `/plant-groups/${group.id}`, { name: 'Northern fleet', description: null });
    expect(renamed.json()).toMatchObject({ name: 'Northern fleet', description: null, plantIds: [plant.id] });
    const removed = await asA('DELETE', `/plant-groups/${group.id}/plants/${plant.id}`);
    expect(removed.json()).toMatchObject({ plantIds: [] });
    expect((await asA('DELETE', `/plant-groups/${group.id}/plants/${plant.id}`)).statusCode).toBe(404);
    expect((await asA('GET', `/plant-groups/${group.id}`)).json()).toMatchObject({ plantIds: [] });

    expect((await caller(t, a, 'viewer')('DELETE', `/plant-groups/${group.id}`)).statusCode).toBe(403);
    expect((await asA('DELETE', `/plant-groups/${group.id}`)).json()).toEqual({ message: expect.any(String) });
    expect((await asA('GET', `/plant-groups/${group.id}`)).statusCode).toBe(404);
    expect((await asA('GET', `/plant-groups/${MISSING}`)).statusCode).toBe(404);
  });
});
