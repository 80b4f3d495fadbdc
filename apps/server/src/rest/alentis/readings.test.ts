import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../../test-engines.js';
import { createTenant, createTestApp, requester, type Requester, type TestApp, type TestTenant } from '../../testing.js';

const FIELDS = ['W', 'Wh', 'A', 'Hz', 'PF', 'PPV', 'PhV', 'VA', 'VAR', 'WphA', 'WphB', 'WphC'];

describeEachEngine('POST /api/components/{componentId}/readings', (engine) => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  let asTechnician: Requester;
  let meter: string;
  let grouping: string;

  beforeAll(async () => {
    t = await createTestApp(engine);
    a = await createTenant(t.services);
    b = await createTenant(t.services);
    asTechnician = requester(t, a.keys.technician);
    const site = (await requester(t, a.keys.admin)('POST', '/api/sites', { siteName: 'Readings site' })).json().id as string;
    const add = async (body: object) => {
      const res = await asTechnician('POST', `/api/sites/${site}/components`, body);
      expect(res.statusCode, res.body).toBe(201);
      return res.json().id as string;
    };
    meter = await add({ nodeId: 'MTR-R-1', name: 'Meter', nodeType: 'METER' });
    grouping = await add({ nodeId: 'ARRAY-R', name: 'Array', nodeType: 'OTHER', isConceptualNode: true });
  });
  afterAll(() => t.close());

  const url = (id: string) => `/api/components/${id}/readings`;
  const count = async () => Number((await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM readings')).rows[0]!.n);
  const rollupCount = async () => Number((await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM reading_rollups')).rows[0]!.n);

  it('stores JSON readings and answers what it stored; the same readings again change nothing', async () => {
    const readings = [
      { ts: '2024-03-01T10:00:00Z', W: 1200.5, Wh: 20 },
      { ts: '2024-03-01T11:01:00+01:00', W: 1300, Wh: 21.5 },
    ];
    const first = await asTechnician('POST', url(meter), { readings });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({
      componentId: meter,
      rows: 2,
      stored: 4,
      unchanged: 0,
      replaced: 0,
      from: '2024-03-01T10:00:00.000Z',
      to: '2024-03-01T10:01:00.000Z',
    });
    const again = await asTechnician('POST', url(meter), { readings: [readings[0], { ...readings[1], W: 1299 }] });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ stored: 0, unchanged: 3, replaced: 1 });
    const { rows } = await t.db.query<{ sum: number; count: number; max: number }>(
      'SELECT sum, count, max FROM reading_rollups WHERE component_id = $1 AND field = 1 AND level = 3',
      [meter],
    );
    expect(rows).toEqual([{ sum: 1200.5 + 1299, count: 2, max: 1299 }]);
  });

  it('takes text/csv, and counts lines as an editor does in its errors', async () => {
    const csv = 'ts,W,Wh\r\n2024-03-02T00:00:00Z,5,\r\n"2024-03-02T00:01:00Z",6,0.5\r\n';
    const res = await t.app.inject({
      method: 'POST',
      url: url(meter),
      headers: { 'x-api-key': a.keys.technician, 'content-type': 'text/csv; charset=utf-8' },
      payload: csv,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ rows: 2, stored: 3 });

    const before = await count();
    const bad = await t.app.inject({
      method: 'POST',
      url: url(meter),
      headers: { 'x-api-key': a.keys.technician, 'content-type': 'text/csv' },
      payload: 'ts,W\n2024-03-02T00:02:00Z,7\n\n2024-03-02T00:03:00Z,7,5\n2024-03-02T00:04:00,8\n',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({
      code: 'VALIDATION_ERROR',
      details: [
        { path: 'line 4', issue: 'wrong_cell_count' },
        { path: 'line 5, column ts', issue: 'ts_without_offset' },
      ],
    });
    expect(await count()).toBe(before);
  });

  it('takes 10,000 rows of a dozen fields in one request, beyond the server-wide body limit', async () => {
    const start = Date.parse('2024-04-01T00:00:00Z');
    const readings = Array.from({ length: 10_000 }, (_, i) => ({
      ts: new Date(start + i * 60_000).toISOString(),
      ...Object.fromEntries(FIELDS.map((f, k) => [f, 1000 + i / 7 + k / 3])),
    }));
    const payload = JSON.stringify({ readings });
    expect(Buffer.byteLength(payload)).toBeGreaterThan(t.services.config.bodyLimitBytes);
    const res = await t.app.inject({
      method: 'POST',
      url: url(meter),
      headers: { 'x-api-key': a.keys.technician, 'content-type': 'application/json' },
      payload,
    });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    expect(res.json()).toMatchObject({ rows: 10_000, stored: 120_000 });
    // Other routes keep the server-wide limit.
    const site = await t.app.inject({
      method: 'POST',
      url: '/api/sites',
      headers: { 'x-api-key': a.keys.admin, 'content-type': 'application/json' },
      payload: JSON.stringify({ siteName: 'x'.repeat(t.services.config.bodyLimitBytes) }),
    });
    expect(site.statusCode).toBe(413);
  });

  it('refuses a bad row naming it, and writes nothing', async () => {
    const before = [await count(), await rollupCount()];
    const res = await asTechnician('POST', url(meter), {
      readings: [
        { ts: '2024-03-03T00:00:00Z', W: 1 },
        { ts: '2024-03-03T00:01:00Z', W: 1, Temp: 20 },
      ],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: 'VALIDATION_ERROR',
      message: expect.stringContaining('readings[1].Temp'),
      details: [{ path: 'readings[1].Temp', issue: 'unknown_field' }],
    });
    const notJson = await asTechnician('POST', url(meter), '{"readings": [');
    expect(notJson.statusCode).toBe(400);
    expect([await count(), await rollupCount()]).toEqual(before);
  });

  it('needs a technician of the component organisation, and a component that is not conceptual', async () => {
    const body = { readings: [{ ts: '2024-03-04T00:00:00Z', W: 1 }] };
    const before = await count();
    expect((await requester(t, a.keys.viewer)('POST', url(meter), body)).statusCode).toBe(403);
    expect((await requester(t, b.keys.owner)('POST', url(meter), body)).json()).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
    expect((await t.app.inject({ method: 'POST', url: url(meter), payload: body })).statusCode).toBe(401);
    expect((await asTechnician('POST', url('not-a-uuid'), body)).statusCode).toBe(400);
    expect((await asTechnician('POST', url(grouping), body)).json()).toMatchObject({
      statusCode: 400,
      details: [{ issue: 'conceptual_component' }],
    });
    expect(await count()).toBe(before);
    expect((await requester(t, a.keys.owner)('POST', url(meter), body)).statusCode).toBe(200);
  });

  it('reads CSV only on this route', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/sites',
      headers: { 'x-api-key': a.keys.admin, 'content-type': 'text/csv' },
      payload: 'siteName\nx\n',
    });
    expect(res.statusCode).toBe(415);
  });
});
