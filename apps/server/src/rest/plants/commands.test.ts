// The Plants API's command routes: a command is recorded queued (the gateway
// delivers it), Idempotency-Key makes a retry answer the first command, and
// the history pages newest first.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Config } from '../../config.js';
import { describeEachEngine } from '../../test-engines.js';
import { createTenant, createTestApp, type TestApp, type TestTenant } from '../../testing.js';
import { caller, createPlant, PLANT_NOT_FOUND, plantsError, type Call, type Json } from './testing.js';

describeEachEngine('Plants API: commands', (engine) => {
  let t: TestApp;
  let a: TestTenant;
  let asA: Call;
  beforeAll(async () => {
    t = await createTestApp(engine, { config: { mqtt: { commandTtlSeconds: 600 } as Config['mqtt'] } });
    a = await createTenant(t.services);
    asA = caller(t, a, 'technician');
  });
  afterAll(() => t.close());

  const commandCount = async (plantId: string) =>
    (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM plant_commands WHERE plant_id = $1', [plantId])).rows[0]!.n;

  it('records a command queued, with the spec fields and its expiry', async () => {
    const plant = await createPlant(asA);
    const res = await asA('POST', `/plants/${plant.id}/commands`, {
      command: 'set_power_limit',
      payload: { percent: 60 },
      target: 'INV-01',
    });
    expect(res.statusCode, res.body).toBe(201);
    const command = res.json<Json>();
    expect(command).toEqual({
      ackedAt: null,
      cmdId: expect.any(String),
      command: 'set_power_limit',
      createdAt: expect.any(String),
      id: expect.any(String),
      payload: { percent: 60 },
      plantId: plant.id,
      response: null,
      responseStatus: null,
      sentAt: null,
      state: 'queued',
      target: 'INV-01',
      completedAt: null,
      expiresAt: expect.any(String),
    });
    // The configured time to live (mqtt.commandTtlSeconds).
    expect(Date.parse(command.expiresAt as string) - Date.parse(command.createdAt as string)).toBe(600_000);
  });

  it('creates one command for two sends with the same Idempotency-Key (201, then 200 with the first)', async () => {
    const plant = await createPlant(asA);
    const send = (key: string, command = 'reboot') => asA('POST', `/plants/${plant.id}/commands`, { command }, { 'idempotency-key': key });
    const first = await send('key-1');
    expect(first.statusCode).toBe(201);
    const replay = await send('key-1');
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toEqual(first.json());
    expect(await commandCount(plant.id)).toBe(1);

    const other = await send('key-2');
    expect(other.statusCode).toBe(201);
    expect(other.json<Json>().cmdId).not.toBe(first.json<Json>().cmdId);
    // Without a key every send is a new command.
    expect((await asA('POST', `/plants/${plant.id}/commands`, { command: 'reboot' })).statusCode).toBe(201);
    expect((await asA('POST', `/plants/${plant.id}/commands`, { command: 'reboot' })).statusCode).toBe(201);
    expect(await commandCount(plant.id)).toBe(4);
    // A key is the plant's: another plant may use the same one.
    const second = await createPlant(asA);
    expect((await asA('POST', `/plants/${second.id}/commands`, { command: 'reboot' }, { 'idempotency-key': 'key-1' })).statusCode).toBe(
      201,
    );
  });

  it('lists the history newest first with pagination meta', async () => {
    const plant = await createPlant(asA);
    const sent: string[] = [];
    for (const command of ['a', 'b', 'c']) {
      sent.push((await asA('POST', `/plants/${plant.id}/commands`, { command })).json<Json>().cmdId as string);
    }
    const viewer = caller(t, a, 'viewer');
    const all = await viewer('GET', `/plants/${plant.id}/commands`);
    expect(all.statusCode).toBe(200);
    expect(all.json<{ meta: Json }>().meta).toEqual({ limit: 20, page: 1, total: 3, totalPages: 1 });
    expect(all.json<{ data: Json[] }>().data.map((c) => c.cmdId)).toEqual([...sent].reverse());
    const page = (await viewer('GET', `/plants/${plant.id}/commands?limit=1&page=2`)).json<{ data: Json[]; meta: Json }>();
    expect(page.meta).toEqual({ limit: 1, page: 2, total: 3, totalPages: 3 });
    expect(page.data.map((c) => c.command)).toEqual(['b']);
    const bad = await viewer('GET', `/plants/${plant.id}/commands?limit=500`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'VALIDATION_ERROR' });
  });

  it('refuses invalid commands 400 BAD_REQUEST with the spec message, naming the field', async () => {
    const plant = await createPlant(asA);
    const message = 'Validation error or invalid plant UUID';
    const cases: [unknown, string, Record<string, string>?][] = [
      [{}, 'command'],
      [{ command: 'x'.repeat(256) }, 'command'],
      [{ command: 'reboot', target: 'lower-case' }, 'target'],
      [{ command: 'reboot', target: 'A'.repeat(33) }, 'target'],
      [{ command: 'reboot', unknown: 1 }, ''],
      [{ command: 'reboot' }, 'Idempotency-Key', { 'idempotency-key': 'k'.repeat(256) }],
    ];
    for (const [body, path, headers] of cases) {
      const res = await asA('POST', `/plants/${plant.id}/commands`, body, headers);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      const json = res.json<{ code: string; message: string; details: { issues: { path: string }[] } }>();
      expect(json, JSON.stringify(body)).toMatchObject({ statusCode: 400, error: 'Bad Request', code: 'BAD_REQUEST', message });
      expect(
        json.details.issues.map((i) => i.path),
        JSON.stringify(body),
      ).toContain(path);
    }
    expect(await commandCount(plant.id)).toBe(0);
  });

  it('lets viewers read the history but not send; a decommissioned plant takes no command', async () => {
    const plant = await createPlant(asA);
    const viewer = caller(t, a, 'viewer');
    const refused = await viewer('POST', `/plants/${plant.id}/commands`, { command: 'reboot' });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toEqual(plantsError(403, 'FORBIDDEN', 'Forbidden'));
    expect((await viewer('GET', `/plants/${plant.id}/commands`)).statusCode).toBe(200);

    expect((await caller(t, a, 'admin')('DELETE', `/plants/${plant.id}`)).statusCode).toBe(200);
    expect((await asA('POST', `/plants/${plant.id}/commands`, { command: 'reboot' })).json()).toEqual(PLANT_NOT_FOUND);
    expect((await asA('GET', `/plants/${plant.id}/commands`)).json()).toEqual(PLANT_NOT_FOUND);
  });
});
