// The Plants API's plant routes: list, create, read, update, delete, energy
// today, and what every /plants/{id} route answers for another organisation's
// plant or a malformed id.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../../test-engines.js';
import { createTenant, createTestApp, type TestApp, type TestTenant } from '../../testing.js';
import { caller, createPlant, nextSerial, PLANT_NOT_FOUND, plantsError, type Call, type Json } from './testing.js';

const PV_INVERTER = '00000000-0000-4000-a000-000000000101';
const ISO = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);

describeEachEngine('Plants API: plants', (engine) => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  let asA: Call;
  let asB: Call;
  beforeAll(async () => {
    t = await createTestApp(engine);
    a = await createTenant(t.services);
    b = await createTenant(t.services);
    asA = caller(t, a);
    asB = caller(t, b);
  });
  afterAll(() => t.close());

  /** A site of the tenant's, made through the Alentis API; its id. */
  async function createSite(tenant: TestTenant, siteName: string): Promise<string> {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/sites',
      headers: { 'x-api-key': tenant.keys.admin },
      payload: { siteName },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<Json>().id as string;
  }

  it('creates a plant PENDING with the spec fields, and reads it back with the detail fields', async () => {
    const serialNumber = nextSerial();
    const res = await asA('POST', '/plants', { name: 'Inverter 1', serialNumber, type: 'CONTROLLER', metadata: { floor: 2 } });
    expect(res.statusCode, res.body).toBe(201);
    const plant = res.json<Json>();
    expect(plant).toEqual({
      activatedAt: null,
      authFailureCount: 0,
      authMethod: 'MTLS',
      certificateExpiresAt: null,
      certificateFingerprint: null,
      certificateSerialNumber: null,
      createdAt: ISO,
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      lastAuthFailureAt: null,
      lastSeenAt: null,
      lifecycleStatus: 'PENDING',
      metadata: { floor: 2 },
      name: 'Inverter 1',
      organizationId: a.organisationId,
      secretRotatedAt: null,
      serialNumber,
      status: 'OFFLINE',
      template: null,
      templateId: null,
      type: 'CONTROLLER',
      updatedAt: ISO,
      siteId: null,
      componentId: null,
      droppedMessageCount: 0,
      lastDropReason: null,
    });

    const detail = await asA('GET', `/plants/${plant.id as string}`);
    expect(detail.statusCode).toBe(200);
    expect(detail.json()).toEqual({
      ...plant,
      alerts: [],
      plantGroups: [],
      capacityKwh: null,
      configEnabled: true,
      description: null,
      esiState: null,
      externalPlantId: null,
      fvePeakPowerKwp: null,
      latitude: null,
      longitude: null,
      plantWithLoad: false,
      tag: null,
    });
  });

  it('refuses a second live plant with the serial number 409 PLANT_ALREADY_EXISTS; deleting frees the serial number', async () => {
    const serialNumber = nextSerial();
    const first = await createPlant(asA, { serialNumber });
    // Serial numbers are unique within an organisation.
    const dup = await asA('POST', '/plants', { name: 'Copy', serialNumber, type: 'SENSOR' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toEqual(plantsError(409, 'PLANT_ALREADY_EXISTS', 'Plant with this serial number already exists'));
    // Another organisation's are its own: the same serial number is neither refused nor revealed.
    const theirs = await asB('POST', '/plants', { name: 'Theirs', serialNumber, type: 'SENSOR' });
    expect(theirs.statusCode, theirs.body).toBe(201);

    const deleted = await asA('DELETE', `/plants/${first.id}`);
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json()).toEqual({ message: expect.any(String) });
    // Decommissioned: gone from every route, kept in the database for history.
    expect((await asA('GET', `/plants/${first.id}`)).json()).toEqual(PLANT_NOT_FOUND);
    expect((await asA('DELETE', `/plants/${first.id}`)).json()).toEqual(PLANT_NOT_FOUND);
    const { rows } = await t.db.query<{ lifecycle_status: string }>('SELECT lifecycle_status FROM plants WHERE id = $1', [first.id]);
    expect(rows[0]?.lifecycle_status).toBe('DECOMMISSIONED');

    const again = await asA('POST', '/plants', { name: 'Reused', serialNumber, type: 'SENSOR' });
    expect(again.statusCode, again.body).toBe(201);
  });

  it('refuses invalid bodies 400 VALIDATION_ERROR naming each field, and writes nothing', async () => {
    const before = await t.db.query('SELECT count(*)::int AS n FROM plants');
    const res = await asA('POST', '/plants', { name: '', serialNumber: 'x'.repeat(51), type: 'TOASTER', authMethod: 'SMS' });
    expect(res.statusCode).toBe(400);
    const body = res.json<{ details: { issues: { path: string }[] } }>();
    expect(body).toMatchObject({ statusCode: 400, error: 'Bad Request', code: 'VALIDATION_ERROR', message: 'Validation error' });
    expect(body.details.issues.map((i) => i.path).sort()).toEqual(['authMethod', 'name', 'serialNumber', 'type']);

    const malformed = await asA('POST', '/plants', '{"name": ', { 'content-type': 'application/json' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ code: 'VALIDATION_ERROR', message: 'Validation error' });

    const unknownSite = await asA('POST', '/plants', { name: 'P', serialNumber: nextSerial(), type: 'SENSOR', siteId: b.organisationId });
    expect(unknownSite.statusCode).toBe(400);
    expect(unknownSite.json()).toMatchObject({ code: 'VALIDATION_ERROR', details: { issues: [{ path: 'siteId' }] } });
    // Another organisation named in x-organisation-id is not the caller's to create in.
    const otherOrg = await asA(
      'POST',
      '/plants',
      { name: 'P', serialNumber: nextSerial(), type: 'SENSOR' },
      { 'x-organisation-id': b.organisationId },
    );
    expect(otherOrg.statusCode).toBe(400);
    expect(otherOrg.json()).toMatchObject({ code: 'VALIDATION_ERROR', details: { issues: [{ path: 'organizationId' }] } });

    expect((await t.db.query('SELECT count(*)::int AS n FROM plants')).rows).toEqual(before.rows);
  });

  it("lists the caller's plants newest first with pagination meta and the authMethod filter", async () => {
    const c = await createTenant(t.services);
    const asC = caller(t, c, 'viewer');
    const writer = caller(t, c, 'technician');
    const made: string[] = [];
    for (const authMethod of ['MTLS', 'TOKEN', 'MTLS', 'PASSWORD', 'TOKEN']) made.push((await createPlant(writer, { authMethod })).id);

    const all = await asC('GET', '/plants');
    expect(all.statusCode).toBe(200);
    expect(all.json()).toMatchObject({ meta: { limit: 20, page: 1, total: 5, totalPages: 1 } });
    expect(all.json<{ data: Json[] }>().data.map((p) => p.id)).toEqual([...made].reverse());

    const page2 = (await asC('GET', '/plants?limit=2&page=2')).json<{ data: Json[]; meta: Json }>();
    expect(page2.meta).toEqual({ limit: 2, page: 2, total: 5, totalPages: 3 });
    expect(page2.data.map((p) => p.id)).toEqual([made[2], made[1]]);
    const beyond = (await asC('GET', '/plants?limit=2&page=4')).json<{ data: Json[]; meta: Json }>();
    expect(beyond).toEqual({ data: [], meta: { limit: 2, page: 4, total: 5, totalPages: 3 } });

    const tokens = (await asC('GET', '/plants?authMethod=TOKEN')).json<{ data: Json[]; meta: Json }>();
    expect(tokens.meta).toEqual({ limit: 20, page: 1, total: 2, totalPages: 1 });
    expect(tokens.data.map((p) => p.id)).toEqual([made[4], made[1]]);
    expect(tokens.data.every((p) => p.authMethod === 'TOKEN')).toBe(true);

    for (const query of ['limit=0', 'limit=101', 'page=0', 'page=x', 'authMethod=SMS']) {
      const res = await asC('GET', `/plants?${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(res.json(), query).toMatchObject({ code: 'VALIDATION_ERROR', message: 'Validation error' });
    }
    // Another organisation's plants are not listed.
    const ids = (await asA('GET', '/plants?limit=100')).json<{ data: Json[] }>().data.map((p) => p.id);
    expect(ids.some((id) => made.includes(id as string))).toBe(false);
  });

  it('updates a plant: fields, external id linked and unlinked, template assigned and unassigned', async () => {
    const plant = await createPlant(asA);
    const res = await asA('PATCH', `/plants/${plant.id}`, { name: 'Renamed', externalPlantId: 'VELVARY-MAIN', templateId: PV_INVERTER });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      name: 'Renamed',
      templateId: PV_INVERTER,
      template: { id: PV_INVERTER, isSystem: true, level: 'PLANT', version: expect.any(Number) },
    });
    expect((await asA('GET', `/plants/${plant.id}`)).json()).toMatchObject({ externalPlantId: 'VELVARY-MAIN' });

    const unlinked = await asA('PATCH', `/plants/${plant.id}`, { externalPlantId: null, templateId: null });
    expect(unlinked.statusCode).toBe(200);
    expect(unlinked.json()).toMatchObject({ name: 'Renamed', templateId: null, template: null });
    expect((await asA('GET', `/plants/${plant.id}`)).json()).toMatchObject({ externalPlantId: null });
  });

  it('refuses a wrong-level or unknown template, a reassignment and a taken serial with the spec codes', async () => {
    const plant = await createPlant(asA);
    const device = await asA('POST', '/templates', { name: 'String box', level: 'DEVICE', type: 'COMBINER' });
    expect(device.statusCode, device.body).toBe(201);

    const wrongLevel = await asA('PATCH', `/plants/${plant.id}`, { templateId: device.json<Json>().id });
    expect(wrongLevel.statusCode).toBe(400);
    expect(wrongLevel.json()).toMatchObject({
      code: 'BAD_REQUEST',
      message: 'Validation error, invalid UUID, or wrong-level template',
      details: { issues: [{ path: 'templateId' }] },
    });
    const badBody = await asA('PATCH', `/plants/${plant.id}`, { type: 'TOASTER' });
    expect(badBody.json()).toMatchObject({
      statusCode: 400,
      code: 'BAD_REQUEST',
      message: 'Validation error, invalid UUID, or wrong-level template',
    });

    const unknown = await asA('PATCH', `/plants/${plant.id}`, { templateId: '0190a0a0-0000-7000-8000-000000000000' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual(plantsError(404, 'PLANT_NOT_FOUND', 'Plant or referenced template not found'));
    // Another organisation's template is as unknown.
    const theirs = await asB('POST', '/templates', { name: 'Theirs', type: 'INVERTER' });
    const foreign = await asA('PATCH', `/plants/${plant.id}`, { templateId: theirs.json<Json>().id });
    expect(foreign.statusCode).toBe(404);

    const moved = await asA('PATCH', `/plants/${plant.id}`, { organizationId: b.organisationId });
    expect(moved.statusCode).toBe(403);
    expect(moved.json()).toEqual(plantsError(403, 'FORBIDDEN', 'Forbidden'));
    // Its own organisation named again moves nothing: accepted (reassignment is a server operator's, `helio plant move`).
    expect((await caller(t, a, 'owner')('PATCH', `/plants/${plant.id}`, { organizationId: a.organisationId })).statusCode).toBe(200);

    // A site the body names that is not there (or another organisation's) is bad input, as on create; nothing is written.
    for (const siteId of ['0190a0a0-0000-7000-8000-000000000000', await createSite(b, 'Theirs')]) {
      const unknownSite = await asA('PATCH', `/plants/${plant.id}`, { name: 'Not written', siteId });
      expect(unknownSite.statusCode).toBe(400);
      expect(unknownSite.json()).toMatchObject({ code: 'BAD_REQUEST', details: { issues: [{ path: 'siteId' }] } });
    }

    const other = await createPlant(asA);
    const taken = await asA('PATCH', `/plants/${plant.id}`, { serialNumber: other.serialNumber });
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toEqual(plantsError(409, 'PLANT_ALREADY_EXISTS', 'Plant with this serial number already exists'));

    expect((await asA('GET', `/plants/${plant.id}`)).json()).toMatchObject({
      templateId: null,
      organizationId: a.organisationId,
      name: plant.name,
    });
  });

  it('refuses an authMethod change once the plant holds credentials with PATCH’s 400, and a technician’s with 403', async () => {
    const plant = await createPlant(asA, { authMethod: 'TOKEN' });
    const technician = caller(t, a, 'technician');
    expect((await technician('PATCH', `/plants/${plant.id}`, { authMethod: 'PASSWORD' })).json()).toEqual(
      plantsError(403, 'FORBIDDEN', 'Forbidden'),
    );
    await t.db.query(`UPDATE plants SET lifecycle_status = 'ACTIVE', activated_at = now() WHERE id = $1`, [plant.id]);
    const res = await asA('PATCH', `/plants/${plant.id}`, { authMethod: 'PASSWORD' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual(
      plantsError(400, 'BAD_REQUEST', 'Validation error, invalid UUID, or wrong-level template', {
        issues: [
          {
            path: 'authMethod',
            message: 'authMethod can change only before provisioning or after revoke: revoke the plant, change it, provision again',
          },
        ],
      }),
    );
    expect((await asA('GET', `/plants/${plant.id}`)).json()).toMatchObject({ authMethod: 'TOKEN' });
  });

  it('lets viewers read, technicians write and only admins delete', async () => {
    const viewer = caller(t, a, 'viewer');
    const technician = caller(t, a, 'technician');
    const forbidden = plantsError(403, 'FORBIDDEN', 'Forbidden');

    const refused = await viewer('POST', '/plants', { name: 'V', serialNumber: nextSerial(), type: 'SENSOR' });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toEqual(forbidden);
    const plant = await createPlant(technician);
    expect((await viewer('GET', `/plants/${plant.id}`)).statusCode).toBe(200);
    expect((await viewer('GET', '/plants')).statusCode).toBe(200);
    expect((await viewer('GET', `/plants/${plant.id}/energy/today`)).statusCode).toBe(200);
    expect((await viewer('PATCH', `/plants/${plant.id}`, { name: 'No' })).json()).toEqual(forbidden);
    expect((await technician('PATCH', `/plants/${plant.id}`, { name: 'Yes' })).statusCode).toBe(200);
    expect((await technician('DELETE', `/plants/${plant.id}`)).json()).toEqual(forbidden);
    expect((await asA('DELETE', `/plants/${plant.id}`)).statusCode).toBe(200);
  });

  it('answers 401 UNAUTHORIZED without valid credentials', async () => {
    const anonymous = caller(t, null);
    const unauthorized = plantsError(401, 'UNAUTHORIZED', 'Unauthorized');
    for (const [method, url] of [
      ['GET', '/plants'],
      ['POST', '/plants'],
      ['GET', '/plants/certificate-stats'],
      ['GET', `/plants/${a.organisationId}`],
      ['POST', `/plants/${a.organisationId}/suspend`],
    ] as const) {
      const res = await anonymous(method, url);
      expect(res.statusCode, url).toBe(401);
      expect(res.json(), url).toEqual(unauthorized);
    }
    const wrongKey = await anonymous('GET', '/plants', undefined, { 'x-api-key': 'hk_not_a_key' });
    expect(wrongKey.json()).toEqual(unauthorized);
  });

  it("answers PLANT_NOT_FOUND on every /plants/{id} route for another organisation's plant, and changes nothing", async () => {
    const plant = await createPlant(asA, { authMethod: 'TOKEN' });
    const id = plant.id;
    const routes: [Parameters<Call>[0], string, unknown?][] = [
      ['GET', `/plants/${id}`],
      ['PATCH', `/plants/${id}`, { name: 'Taken over' }],
      ['DELETE', `/plants/${id}`],
      ['GET', `/plants/${id}/energy/today`],
      ['POST', `/plants/${id}/mqtt-token`],
      ['POST', `/plants/${id}/provision`],
      ['GET', `/plants/${id}/provision/download`],
      ['POST', `/plants/${id}/suspend`],
      ['POST', `/plants/${id}/reactivate`],
      ['POST', `/plants/${id}/revoke`],
      ['POST', `/plants/${id}/rotate-secret`],
      ['GET', `/plants/${id}/commands`],
      ['POST', `/plants/${id}/commands`, { command: 'reboot' }],
    ];
    for (const [method, url, body] of routes) {
      const res = await asB(method, url, body);
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(404);
      const expected = method === 'PATCH' ? plantsError(404, 'PLANT_NOT_FOUND', 'Plant or referenced template not found') : PLANT_NOT_FOUND;
      expect(res.json(), `${method} ${url}`).toEqual(expected);
    }
    // The same for a plant that does not exist at all.
    expect((await asA('GET', '/plants/0190a0a0-0000-7000-8000-000000000000')).json()).toEqual(PLANT_NOT_FOUND);

    const after = await asA('GET', `/plants/${id}`);
    expect(after.json()).toMatchObject({ name: plant.name, lifecycleStatus: 'PENDING', secretRotatedAt: null });
    const { rows } = await t.db.query('SELECT count(*)::int AS n FROM plant_commands WHERE plant_id = $1', [id]);
    expect(rows[0]).toEqual({ n: 0 });
  });

  it("answers a malformed id with each route's own 400", async () => {
    const invalid = plantsError(400, 'INVALID_UUID', 'Invalid plant UUID', { issues: [{ path: 'id', message: 'must be a UUID' }] });
    for (const [method, url] of [
      ['GET', '/plants/not-a-uuid'],
      ['DELETE', '/plants/not-a-uuid'],
      ['GET', '/plants/not-a-uuid/energy/today'],
      ['GET', '/plants/not-a-uuid/commands'],
    ] as const) {
      const res = await asA(method, url);
      expect(res.statusCode, url).toBe(400);
      expect(res.json(), url).toEqual(invalid);
    }
    const byRoute: [Parameters<Call>[0], string, string][] = [
      ['PATCH', '', 'Validation error, invalid UUID, or wrong-level template'],
      ['POST', '/commands', 'Validation error or invalid plant UUID'],
      ['POST', '/mqtt-token', 'Invalid UUID or plant is not eligible for MQTT token issuance'],
      ['POST', '/provision', 'Invalid UUID or plant cannot be provisioned in its current state'],
      ['GET', '/provision/download', 'Invalid UUID or plant cannot be provisioned in its current state'],
      ['POST', '/suspend', 'Invalid UUID or plant cannot be suspended in its current state'],
      ['POST', '/reactivate', 'Invalid UUID or plant cannot be reactivated in its current state'],
      ['POST', '/revoke', 'Invalid UUID or plant is already decommissioned'],
      ['POST', '/rotate-secret', 'Invalid UUID or plant cannot rotate secret in its current state'],
    ];
    for (const [method, suffix, message] of byRoute) {
      const res = await asA(method, `/plants/12345${suffix}`, method === 'GET' ? undefined : { command: 'reboot' });
      expect(res.statusCode, suffix).toBe(400);
      expect(res.json(), suffix).toMatchObject({ code: 'BAD_REQUEST', message });
    }
  });

  it("sums today's produced, imported and exported energy from the plant's readings (UTC day)", async () => {
    const plant = await createPlant(asA, { siteId: await createSite(a, 'Roof'), templateId: PV_INVERTER, type: 'CONTROLLER' });
    expect(plant.componentId).toEqual(expect.any(String));

    const empty = await asA('GET', `/plants/${plant.id}/energy/today`);
    const today = new Date().toISOString().slice(0, 10);
    expect(empty.json()).toEqual({ date: today, exported: 0, imported: 0, produced: 0, selfConsumptionPct: 0 });

    const midnight = Date.parse(`${today}T00:00:00Z`);
    const at = (minutes: number) => new Date(midnight + minutes * 60_000).toISOString();
    const now = Date.now();
    const readings = [
      { ts: at(0), Wh: 1500, WhImp: 200, WhExp: 100 },
      { ts: at(Math.max(1, Math.min(5, Math.floor((now - midnight) / 60_000)))), Wh: 2500, WhImp: 300, WhExp: 900 },
      // Yesterday's does not count.
      { ts: new Date(midnight - 60_000).toISOString(), Wh: 99_000, WhImp: 99_000, WhExp: 99_000 },
    ];
    const ingest = await t.app.inject({
      method: 'POST',
      url: `/api/components/${plant.componentId as string}/readings`,
      headers: { 'x-api-key': a.keys.admin },
      payload: { readings },
    });
    expect(ingest.statusCode, ingest.body).toBe(200);
    const energy = await asA('GET', `/plants/${plant.id}/energy/today`);
    expect(energy.statusCode).toBe(200);
    // 4 kWh produced, 1 kWh of it exported: 75 % consumed on site.
    expect(energy.json()).toEqual({ date: today, exported: 1, imported: 0.5, produced: 4, selfConsumptionPct: 75 });
  });

  it('shows the lifecycle history, newest first, with who did each step and when, to every member only', async () => {
    const plant = await createPlant(asA, { authMethod: 'PASSWORD' });
    for (const action of ['provision', 'suspend', 'reactivate']) {
      const res = await asA('POST', `/plants/${plant.id}/${action}`);
      expect(res.statusCode, res.body).toBe(200);
    }
    const viewer = caller(t, a, 'viewer');
    const history = await viewer('GET', `/plants/${plant.id}/transitions`);
    expect(history.statusCode, history.body).toBe(200);
    const { data, meta } = history.json<{ data: Json[]; meta: Json }>();
    expect(meta).toEqual({ limit: 20, page: 1, total: 4, totalPages: 1 });
    expect(data.map((d) => [d.action, d.fromStatus, d.toStatus])).toEqual([
      ['reactivate', 'SUSPENDED', 'PROVISIONED'],
      ['suspend', 'PROVISIONED', 'SUSPENDED'],
      ['provision', 'PENDING', 'PROVISIONED'],
      ['create', null, 'PENDING'],
    ]);
    for (const d of data) {
      expect(d).toMatchObject({ actor: { kind: 'apiKey', id: expect.any(String) }, at: expect.any(String), reason: null });
      expect(Date.parse(d.at as string)).toBeGreaterThan(Date.now() - 60_000);
    }
    const second = await viewer('GET', `/plants/${plant.id}/transitions?limit=3&page=2`);
    expect(second.json()).toMatchObject({ data: [{ action: 'create' }], meta: { limit: 3, page: 2, total: 4, totalPages: 2 } });

    expect((await asB('GET', `/plants/${plant.id}/transitions`)).json()).toEqual(plantsError(404, 'PLANT_NOT_FOUND', 'Plant not found'));
    expect((await asA('GET', '/plants/not-a-uuid/transitions')).json()).toMatchObject({ code: 'INVALID_UUID' });
    expect((await asA('GET', `/plants/${plant.id}/transitions?limit=101`)).json()).toMatchObject({ code: 'VALIDATION_ERROR' });
  });

  it('answers an unknown /api/v1 route 404 in the Plants API body', async () => {
    const res = await asA('GET', '/nothing-here');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual(plantsError(404, 'NOT_FOUND', 'no route for GET /api/v1/nothing-here'));
  });
});
