import type { Db } from '@helio/db';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../../test-engines.js';
import { createTenant, createTestApp, requester, type Requester, type TestApp, type TestTenant } from '../../testing.js';

/** A component's events and its organisation's alerts and change counter, as stored: equal before and after a refused request. */
async function snapshot(db: Db, organisationId: string) {
  const events = await db.query('SELECT * FROM component_events WHERE organisation_id = $1 ORDER BY id', [organisationId]);
  const alerts = await db.query('SELECT * FROM alerts WHERE organisation_id = $1 ORDER BY id', [organisationId]);
  const counter = await db.query('SELECT last_seq FROM organisation_change_counters WHERE organisation_id = $1', [organisationId]);
  return { events: events.rows, alerts: alerts.rows, counter: counter.rows };
}

describeEachEngine('POST /api/components/{componentId}/events', (engine) => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  let asA: Requester;
  let inverter: string;
  let grouping: string;
  beforeAll(async () => {
    t = await createTestApp(engine);
    a = await createTenant(t.services);
    b = await createTenant(t.services);
    asA = requester(t, a.keys.technician);
    const site = (await requester(t, a.keys.admin)('POST', '/api/sites', { siteName: 'Events site' })).json().id as string;
    const add = async (body: object) => {
      const res = await asA('POST', `/api/sites/${site}/components`, body);
      expect(res.statusCode, res.body).toBe(201);
      return res.json().id as string;
    };
    inverter = await add({ nodeId: 'INV-EV-1', name: 'Inverter 1', nodeType: 'INVERTER' });
    grouping = await add({ nodeId: 'ARRAY-EV', name: 'Array', nodeType: 'OTHER', isConceptualNode: true });
  });
  afterAll(() => t.close());

  const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

  it('opens a Device Fault alert on an active event and closes it on the cleared one', async () => {
    const opened = await asA('POST', `/api/components/${inverter}/events`, {
      ts: minutesAgo(30),
      code: 'E042',
      state: 'active',
      priority: 'High',
      descriptionShort: 'VDC high',
    });
    expect(opened.statusCode, opened.body).toBe(200);
    expect(opened.json()).toMatchObject({
      stored: 1,
      opened: 1,
      closed: 0,
      alerts: [
        {
          alertType: 'Device Fault',
          priority: 'High',
          conditionKey: 'E042',
          componentName: 'Inverter 1',
          descriptionShort: 'VDC high',
          endedAt: null,
        },
      ],
    });
    expect(opened.json().alerts[0].locusId).toBeGreaterThan(0);

    const closed = await asA('POST', `/api/components/${inverter}/events`, {
      events: [{ ts: minutesAgo(5), code: 'E042', state: 'cleared' }],
    });
    expect(closed.statusCode, closed.body).toBe(200);
    expect(closed.json()).toMatchObject({
      stored: 1,
      closed: 1,
      alerts: [{ id: opened.json().alerts[0].id, endedAt: expect.any(String) }],
    });
    const { rows } = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM alerts WHERE component_id = $1 AND ended_at IS NULL', [
      inverter,
    ]);
    expect(rows[0]!.n).toBe(0);
  });

  it('refuses bad input with a stable code and a message naming the problem, writing nothing', async () => {
    const before = await snapshot(t.db, a.organisationId);
    const good = { ts: minutesAgo(1), code: 'X', state: 'active' };
    const cases: [unknown, number, string, RegExp][] = [
      ['{"ts": ', 400, 'MALFORMED_REQUEST', /malformed/],
      [{ ...good, ts: '2024-05-01T10:00:00' }, 400, 'VALIDATION_ERROR', /ts/],
      [{ ...good, ts: new Date(Date.now() + 3 * 3_600_000).toISOString() }, 400, 'VALIDATION_ERROR', /ts: .*more than an hour ahead/],
      [{ events: [good, { ...good, state: 'on' }] }, 400, 'VALIDATION_ERROR', /events\[1\]\.state/],
      [{ ...good, priority: 'Critical' }, 400, 'VALIDATION_ERROR', /priority/],
      [{ events: [] }, 400, 'VALIDATION_ERROR', /events/],
    ];
    for (const [payload, status, code, message] of cases) {
      const res = await asA('POST', `/api/components/${inverter}/events`, payload);
      expect(res.statusCode, res.body).toBe(status);
      expect(res.json()).toMatchObject({ code, message: expect.stringMatching(message) });
    }
    const conceptual = await asA('POST', `/api/components/${grouping}/events`, good);
    expect([conceptual.statusCode, conceptual.json().code]).toEqual([400, 'VALIDATION_ERROR']);
    expect(conceptual.json().message).toMatch(/conceptual/);
    const badId = await asA('POST', '/api/components/not-a-uuid/events', good);
    expect([badId.statusCode, badId.json().code]).toEqual([400, 'VALIDATION_ERROR']);
    expect(await snapshot(t.db, a.organisationId)).toEqual(before);
  });

  it('takes events from technicians and above of the component’s organisation only', async () => {
    const before = await snapshot(t.db, a.organisationId);
    const event = { ts: minutesAgo(1), code: 'Y', state: 'active' };
    const viewer = await requester(t, a.keys.viewer)('POST', `/api/components/${inverter}/events`, event);
    expect([viewer.statusCode, viewer.json().code]).toEqual([403, 'FORBIDDEN']);
    const stranger = await requester(t, b.keys.owner)('POST', `/api/components/${inverter}/events`, event);
    expect([stranger.statusCode, stranger.json().code]).toEqual([404, 'NOT_FOUND']);
    const anonymous = await t.app.inject({ method: 'POST', url: `/api/components/${inverter}/events`, payload: event });
    expect(anonymous.statusCode).toBe(401);
    expect(await snapshot(t.db, a.organisationId)).toEqual(before);
  });
});
