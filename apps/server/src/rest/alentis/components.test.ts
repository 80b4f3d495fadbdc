import type { Db } from '@helio/db';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine as describeEach } from '../../test-engines.js';
import { createTenant, createTestApp, type InjectResponse, type TestApp, type TestTenant } from '../../testing.js';

type Json = Record<string, unknown>;
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** The components and change counters of an organisation, as stored: equal before and after a refused request. */
async function componentSnapshot(db: Db, organisationId: string) {
  const components = await db.query('SELECT * FROM components WHERE organisation_id = $1 ORDER BY id', [organisationId]);
  const counter = await db.query('SELECT last_seq FROM organisation_change_counters WHERE organisation_id = $1', [organisationId]);
  return { components: components.rows, counter: counter.rows };
}

describeEach('Alentis components', (engine) => {
  // One app for the file: each test makes sites of its own.
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  beforeAll(async () => {
    t = await createTestApp(engine);
    a = await createTenant(t.services);
    b = await createTenant(t.services);
  });
  afterAll(() => t.close());

  /** A request with the API key; a string payload goes as it is, labelled JSON (to send malformed JSON). */
  const call = (key: string, method: Method, url: string, payload?: unknown): Promise<InjectResponse> => {
    const headers: Record<string, string> = { 'x-api-key': key };
    if (typeof payload === 'string') headers['content-type'] = 'application/json';
    return t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as string }) });
  };
  const asA = (method: Method, url: string, payload?: unknown) => call(a.keys.technician, method, url, payload);
  const newSite = async (tenant: TestTenant, name: string) => {
    const res = await call(tenant.keys.admin, 'POST', '/api/sites', { siteName: name });
    expect(res.statusCode).toBe(201);
    return res.json().id as string;
  };
  const add = async (siteId: string, body: Json, tenant = a) => {
    const res = await call(tenant.keys.technician, 'POST', `/api/sites/${siteId}/components`, body);
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as Json;
  };

  it('builds, reads, moves and prunes a component tree, every answer with its locusId beside its id', async () => {
    const siteId = await newSite(a, 'Tree site');
    const meterBody = {
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
    };
    const meter = await add(siteId, meterBody);
    expect(meter).toEqual({
      ...meterBody,
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      locusId: expect.any(Number),
      organisationId: a.organisationId,
      siteId,
      parentId: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(Object.keys(meter).slice(0, 2)).toEqual(['id', 'locusId']);
    const inverter = await add(siteId, { nodeId: 'INV.1', name: 'Inverter 1', nodeType: 'INVERTER', parentId: meter.id });
    const string = await add(siteId, { nodeId: 'STR.1', name: 'String 1', nodeType: 'STRING', parentId: inverter.id });
    expect(inverter).toMatchObject({
      parentId: meter.id,
      application: 'GENERATION',
      generationType: 'SOLAR',
      isConceptualNode: false,
      oem: null,
    });
    expect(inverter.locusId).toBeGreaterThan(meter.locusId as number);

    const listed = await call(a.keys.viewer, 'GET', `/api/sites/${siteId}/components`);
    expect(listed.statusCode).toBe(200);
    expect(listed.json()).toEqual([meter, inverter, string]);
    expect((await call(a.keys.viewer, 'GET', `/api/sites/${siteId}/components?nodeId=INV.%25`)).json()).toEqual([inverter]);
    expect((await call(a.keys.viewer, 'GET', `/api/components/${inverter.id as string}`)).json()).toEqual(inverter);

    // The string moves directly under the meter, then up to the site; only parentId changes.
    const { parentId: _p, updatedAt: _u, ...unchanged } = string;
    const moved = await asA('PATCH', `/api/components/${string.id as string}`, { parentId: meter.id, serialNumber: 'S-1' });
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toEqual({ ...unchanged, parentId: meter.id, serialNumber: 'S-1', updatedAt: expect.any(String) });
    const up = await asA('PATCH', `/api/components/${string.id as string}`, { parentId: null, serialNumber: null });
    expect(up.json()).toMatchObject({ ...unchanged, parentId: null });

    // Removing the meter moves the inverter up to the site.
    const removed = await asA('DELETE', `/api/components/${meter.id as string}`);
    expect(removed.statusCode).toBe(200);
    expect(removed.json()).toEqual({ id: meter.id, locusId: meter.locusId, deleted: true });
    const after = (await asA('GET', `/api/sites/${siteId}/components`)).json() as Json[];
    expect(after.map((c) => [c.name, c.parentId])).toEqual([
      ['Inverter 1', null],
      ['String 1', null],
    ]);
    expect((await asA('GET', `/api/components/${meter.id as string}`)).statusCode).toBe(404);
    expect((await asA('DELETE', `/api/components/${meter.id as string}`)).json()).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
  });

  it('refuses bad input with 400, a code and a message naming the problem, and writes nothing', async () => {
    const siteId = await newSite(a, 'Strict site');
    const other = await newSite(a, 'Other site');
    const parent = await add(siteId, { nodeId: 'P.1', name: 'Parent', nodeType: 'COMBINER' });
    const child = await add(siteId, { nodeId: 'C.1', name: 'Child', nodeType: 'STRING', parentId: parent.id });
    const elsewhere = await add(other, { nodeId: 'E.1', name: 'Elsewhere', nodeType: 'METER' });
    const before = await componentSnapshot(t.db, a.organisationId);
    const body = { nodeId: 'N.1', name: 'New', nodeType: 'INVERTER' };
    const create = `/api/sites/${siteId}/components`;
    const cases: [string, Method, string, unknown, string, RegExp][] = [
      ['malformed JSON', 'POST', create, '{"nodeId": "x",', 'MALFORMED_REQUEST', /malformed request body/i],
      ['an unknown field', 'POST', create, { ...body, colour: 'red' }, 'VALIDATION_ERROR', /colour/],
      ['a siteId in the body', 'POST', create, { ...body, siteId: other }, 'VALIDATION_ERROR', /siteId/],
      ['a missing nodeId', 'POST', create, { name: 'x', nodeType: 'METER' }, 'VALIDATION_ERROR', /nodeId/],
      ['a blank name', 'POST', create, { ...body, name: '  ' }, 'VALIDATION_ERROR', /name/],
      ['a nodeId too long', 'POST', create, { ...body, nodeId: 'n'.repeat(201) }, 'VALIDATION_ERROR', /nodeId/],
      ['an unknown nodeType', 'POST', create, { ...body, nodeType: 'TOASTER' }, 'VALIDATION_ERROR', /nodeType/],
      ['an unknown application', 'POST', create, { ...body, application: 'HEATING' }, 'VALIDATION_ERROR', /application/],
      ['an unknown generationType', 'POST', create, { ...body, generationType: 'COAL' }, 'VALIDATION_ERROR', /generationType/],
      ['a string for a boolean', 'POST', create, { ...body, isConceptualNode: 'false' }, 'VALIDATION_ERROR', /isConceptualNode/],
      ['a malformed parentId', 'POST', create, { ...body, parentId: 42 }, 'VALIDATION_ERROR', /parentId/],
      ['a parent on another site', 'POST', create, { ...body, parentId: elsewhere.id }, 'VALIDATION_ERROR', /on another site/],
      ['a malformed site id', 'POST', '/api/sites/not-a-uuid/components', body, 'VALIDATION_ERROR', /^siteId must be a UUID$/],
      ['an array', 'POST', create, [body], 'VALIDATION_ERROR', /expected object/],
      ['a null name', 'PATCH', `/api/components/${child.id as string}`, { name: null }, 'VALIDATION_ERROR', /name/],
      ['another site', 'PATCH', `/api/components/${child.id as string}`, { siteId: other }, 'VALIDATION_ERROR', /siteId cannot change/],
      [
        'a move under its own child',
        'PATCH',
        `/api/components/${parent.id as string}`,
        { parentId: child.id },
        'VALIDATION_ERROR',
        /would make a cycle/,
      ],
      ['itself as parent', 'PATCH', `/api/components/${child.id as string}`, { parentId: child.id }, 'VALIDATION_ERROR', /own parent/],
      ['a malformed component id', 'PATCH', '/api/components/123', { name: 'x' }, 'VALIDATION_ERROR', /^componentId must be a UUID$/],
      ['a malformed id to delete', 'DELETE', '/api/components/123', undefined, 'VALIDATION_ERROR', /^componentId must be a UUID$/],
      ['a malformed id to read', 'GET', '/api/components/xyz', undefined, 'VALIDATION_ERROR', /^componentId must be a UUID$/],
      ['an unknown list filter', 'GET', `${create}?parent=1`, undefined, 'VALIDATION_ERROR', /parent/],
    ];
    for (const [name, method, url, payload, code, message] of cases) {
      const res = await asA(method, url, payload);
      expect(res.statusCode, name).toBe(400);
      expect(res.json(), name).toMatchObject({ statusCode: 400, error: 'Bad Request', code });
      expect(res.json().message, name).toMatch(message);
    }
    const fieldError = (await asA('POST', create, { ...body, nodeType: 'TOASTER' })).json();
    expect(fieldError.details).toEqual([expect.objectContaining({ path: 'nodeType', message: expect.any(String) })]);
    expect(await componentSnapshot(t.db, a.organisationId)).toEqual(before);
  });

  it('answers 409 for a nodeId another live component of the organisation has', async () => {
    const siteId = await newSite(a, 'Twin site');
    const first = await add(siteId, { nodeId: 'TWIN', name: 'First', nodeType: 'METER' });
    const second = await add(siteId, { nodeId: 'TWIN-2', name: 'Second', nodeType: 'METER' });
    const before = await componentSnapshot(t.db, a.organisationId);
    const dup = await asA('POST', `/api/sites/${siteId}/components`, { nodeId: 'TWIN', name: 'Third', nodeType: 'METER' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining(first.id as string) });
    const renamed = await asA('PATCH', `/api/components/${second.id as string}`, { nodeId: 'TWIN' });
    expect(renamed.statusCode).toBe(409);
    expect(await componentSnapshot(t.db, a.organisationId)).toEqual(before);
    // Another organisation may use the same nodeId.
    await add(await newSite(b, 'B twin'), { nodeId: 'TWIN', name: 'B twin', nodeType: 'METER' }, b);
  });

  it("treats another organisation's sites and components as not found in every path and body field", async () => {
    const siteB = await newSite(b, 'B secret site');
    const compB = await add(siteB, { nodeId: 'B.SECRET', name: 'B secret meter', nodeType: 'METER' }, b);
    const siteA = await newSite(a, 'A site');
    const compA = await add(siteA, { nodeId: 'A.1', name: 'A meter', nodeType: 'METER' });
    const beforeB = await componentSnapshot(t.db, b.organisationId);
    const beforeA = await componentSnapshot(t.db, a.organisationId);
    const owner = a.keys.owner;
    const attempts: [string, Method, string, unknown][] = [
      ['list of its site', 'GET', `/api/sites/${siteB}/components`, undefined],
      ['create on its site', 'POST', `/api/sites/${siteB}/components`, { nodeId: 'I.1', name: 'Intruder', nodeType: 'METER' }],
      ['read its component', 'GET', `/api/components/${compB.id as string}`, undefined],
      ['update its component', 'PATCH', `/api/components/${compB.id as string}`, { name: 'Stolen' }],
      ['delete its component', 'DELETE', `/api/components/${compB.id as string}`, undefined],
      [
        'its component as parent of a new one',
        'POST',
        `/api/sites/${siteA}/components`,
        { nodeId: 'I.2', name: 'I', nodeType: 'METER', parentId: compB.id },
      ],
      ['its component as new parent', 'PATCH', `/api/components/${compA.id as string}`, { parentId: compB.id }],
    ];
    for (const [name, method, url, payload] of attempts) {
      const res = await call(owner, method, url, payload);
      expect(res.statusCode, name).toBe(404);
      expect(res.json(), name).toMatchObject({ code: 'NOT_FOUND' });
      expect(res.body, name).not.toContain('B secret');
    }
    expect(await componentSnapshot(t.db, b.organisationId)).toEqual(beforeB);
    expect(await componentSnapshot(t.db, a.organisationId)).toEqual(beforeA);
  });

  it('lets a viewer read the tree but not change it (403), and writes nothing', async () => {
    const siteId = await newSite(a, 'Viewer site');
    const meter = await add(siteId, { nodeId: 'V.1', name: 'Meter', nodeType: 'METER' });
    const before = await componentSnapshot(t.db, a.organisationId);
    const viewer = a.keys.viewer;
    expect((await call(viewer, 'GET', `/api/sites/${siteId}/components`)).json()).toEqual([meter]);
    expect((await call(viewer, 'GET', `/api/components/${meter.id as string}`)).json()).toEqual(meter);
    const writes: [Method, string, unknown][] = [
      ['POST', `/api/sites/${siteId}/components`, { nodeId: 'V.2', name: 'New', nodeType: 'METER' }],
      ['PATCH', `/api/components/${meter.id as string}`, { name: 'Renamed' }],
      ['DELETE', `/api/components/${meter.id as string}`, undefined],
    ];
    for (const [method, url, payload] of writes) {
      const res = await call(viewer, method, url, payload);
      expect(res.statusCode, `${method} ${url}`).toBe(403);
      expect(res.json()).toMatchObject({ code: 'FORBIDDEN' });
    }
    expect(await componentSnapshot(t.db, a.organisationId)).toEqual(before);
  });
});
