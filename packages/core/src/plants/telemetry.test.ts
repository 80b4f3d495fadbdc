// Telemetry decoding, and the writer on each engine: batching, commit before
// resolve, idempotency (compared with what ingestReadings stores for the
// same readings), lifetime counters, sub-devices and the alert rules after.
import type { Db, Engine, Queryable, Transaction } from '@helio/db';
import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Clock } from '../ids.js';
import type * as EvaluateModule from '../monitoring/alerts/evaluate.js';
import { evaluateAfterIngest, evaluateSite } from '../monitoring/alerts/evaluate.js';
import { createComponent } from '../monitoring/components/service.js';
import { ingestReadings } from '../monitoring/readings/service.js';
import { settleRollups } from '../monitoring/readings/settle.js';
import { createSite } from '../sites/service.js';
import { seedOrganisation, type TestOrganisation } from '../testing.js';
import { PLANT_COLUMNS, type PlantRow } from './rows.js';
import type { Template } from './schema.js';
import { createTestPlantEnvironment } from './credentials/testing.js';
import { provisionPlant } from './provisioning.js';
import { createPlant, updatePlant } from './service.js';
import { SYSTEM_TEMPLATE_IDS } from './system-templates.js';
import {
  createTelemetryWriter,
  decodeTelemetry,
  recordDrop,
  TelemetryRejectedError,
  type DecodedTelemetry,
  type TelemetryWriterOptions,
} from './telemetry.js';
import { createTemplate, templateForDecoding, updateTemplate } from './templates.js';

vi.mock('../monitoring/alerts/evaluate.js', async (importOriginal) => {
  const original = await importOriginal<typeof EvaluateModule>();
  return {
    ...original,
    evaluateAfterIngest: vi.fn(original.evaluateAfterIngest),
    evaluateSite: vi.fn(original.evaluateSite),
  };
});

const NOW = Date.parse('2024-06-15T12:00:00Z');
const clock: Clock = { now: () => new Date(NOW) };
const now = new Date(NOW);

const template: Template = {
  id: '00000000-0000-4000-a000-00000000f001',
  name: 'Test inverter',
  level: 'PLANT',
  type: 'INVERTER',
  version: 1,
  isSystem: false,
  organizationId: null,
  createdAt: '2024-01-01T00:00:00.000Z',
  updatedAt: '2024-01-01T00:00:00.000Z',
  actions: [],
  signals: [
    { key: 'p_ac', field: 'W', scale: 1000 },
    { key: 'e_total', field: 'Wh', scale: 1000, counter: true },
    { key: 'W', field: 'DCW', scale: 1 },
    { key: 't', field: 'TmpMod', scale: 0.1, unit: '°C' },
  ],
};

const text = (m: unknown) => JSON.stringify(m);

function decoded(message: unknown, t: Template | null = null): DecodedTelemetry {
  const r = decodeTelemetry(t, text(message), now);
  if (!r.ok) throw new Error(r.reason);
  return { ts: r.ts, device: r.device, values: r.values, counters: r.counters, counterSources: r.counterSources };
}

describe('decodeTelemetry', () => {
  it("decodes a template's signals with their scale, counters apart, and base fields by name", () => {
    const r = decodeTelemetry(
      template,
      text({ ts: '2024-06-15T13:00:00+02:00', values: { p_ac: 1.5, e_total: 12.25, W: 800, t: 253, Hz: 50.01 }, device: ' inv-2 ' }),
      now,
    );
    expect(r).toEqual({
      ok: true,
      ts: Date.parse('2024-06-15T11:00:00Z'),
      device: 'inv-2',
      values: { W: 1500, DCW: 800, TmpMod: 25.3, Hz: 50.01 },
      counters: { Wh: 12250 },
      // What the counter was decoded through: its state restarts when that changes.
      counterSources: { Wh: { template: template.id, version: 1, signal: 'e_total', scale: 1000 } },
    });
    // Without a template, only base fields.
    expect(decodeTelemetry(null, text({ ts: '2024-06-15T11:00:00Z', values: { W: 5, Wh: 1 } }), now)).toMatchObject({
      ok: true,
      device: null,
      values: { W: 5, Wh: 1 },
      counters: {},
      counterSources: {},
    });
  });

  it('refuses the whole message for unknown keys, naming them', () => {
    const r = decodeTelemetry(template, text({ ts: '2024-06-15T11:00:00Z', values: { p_ac: 1, foo: 2, bar: 3 } }), now);
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/^unknown keys: foo, bar/) });
    expect(decodeTelemetry(null, text({ ts: '2024-06-15T11:00:00Z', values: { p_ac: 1 } }), now)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('unknown keys: p_ac'),
    });
  });

  it('refuses bad JSON, bad shapes, bad values and bad timestamps', () => {
    const cases: [string, RegExp][] = [
      ['{"ts": ', /^malformed JSON/],
      [text([1, 2]), /^bad shape/],
      [text({ ts: '2024-06-15T11:00:00Z', values: { W: 1 }, extra: 1 }), /^bad shape: unknown members extra/],
      [text({ values: { W: 1 } }), /^bad ts/],
      [text({ ts: '2024-06-15T11:00:00', values: { W: 1 } }), /^bad ts: .*no UTC offset/],
      [text({ ts: '2024-06-17T11:00:00Z', values: { W: 1 } }), /^bad ts: .*more than one day/],
      [text({ ts: '2024-06-15T11:00:00Z', values: [1] }), /^bad values/],
      [text({ ts: '2024-06-15T11:00:00Z', values: { W: '1' } }), /^bad values: W is not a finite number/],
      [text({ ts: '2024-06-15T11:00:00Z', values: { W: null } }), /^bad values: W is not a finite number/],
      ['{"ts": "2024-06-15T11:00:00Z", "values": {"W": 1e400}}', /^bad values: W is not a finite number/],
      [text({ ts: '2024-06-15T11:00:00Z', values: { p_ac: 1e307 } }), /^bad values: p_ac × 1000 is not finite/],
      [text({ ts: '2024-06-15T11:00:00Z', values: { p_ac: 1, DCW: 2, W: 3 } }), /^bad values: W and DCW both give DCW/],
      [text({ ts: '2024-06-15T11:00:00Z', values: { W: 1 }, device: '' }), /^bad device/],
      [text({ ts: '2024-06-15T11:00:00Z', values: { W: 1 }, device: 7 }), /^bad device/],
    ];
    for (const [payload, reason] of cases) {
      const r = decodeTelemetry(template, payload, now);
      expect(r.ok, payload).toBe(false);
      if (!r.ok) expect(r.reason, payload).toMatch(reason);
    }
  });

  it('refuses a device or key the database cannot store (U+0000, a lone surrogate)', () => {
    const ts = '2024-06-15T11:00:00Z';
    const cases: [string, RegExp][] = [
      [text({ ts, values: { W: 1 }, device: 'a\u0000b' }), /^bad device: must not contain the NUL character \(U\+0000\)/],
      [text({ ts, values: { W: 1 }, device: 'a\ud800b' }), /^bad device: must not contain a lone UTF-16 surrogate/],
      [text({ ts, values: { W: 1, 'p_\u0000': 2 } }), /^bad values: key p_. must not contain the NUL character \(U\+0000\)/],
      [text({ ts, values: { W: 1, '\udc00': 2 } }), /^bad values: key \udc00 must not contain a lone UTF-16 surrogate/],
    ];
    for (const [payload, reason] of cases) {
      const r = decodeTelemetry(template, payload, now);
      expect(r.ok, payload).toBe(false);
      if (!r.ok) expect(r.reason, payload).toMatch(reason);
    }
    // A surrogate pair is a character like any other.
    expect(decoded({ ts, values: { W: 1 }, device: 'INV-😀' }).device).toBe('INV-😀');
  });
});

/** A Db whose transactions are counted, and whose statements can be made to fail. */
function instrumented(db: Db) {
  const state = { transactions: 0, committed: 0, fail: null as ((sql: string, params: readonly unknown[]) => boolean) | null };
  const wrap = (q: Queryable): Queryable => ({
    query: (sql, params = []) => {
      if (state.fail?.(sql, params)) return Promise.reject(new Error('injected failure'));
      return q.query(sql, params);
    },
  });
  const wrapped: Db = {
    engine: db.engine,
    query: (sql, params) => wrap(db).query(sql, params),
    exec: (sql) => db.exec(sql),
    listen: (c, f) => db.listen(c, f),
    close: () => db.close(),
    async transaction(fn) {
      state.transactions += 1;
      const result = await db.transaction((tx) => fn({ ...wrap(tx), exec: (sql: string) => tx.exec(sql) } as Transaction));
      state.committed += 1;
      return result;
    },
  };
  return { db: wrapped, state };
}

for (const engine of testEngines) describeWriter(engine);

function describeWriter(engine: Engine): void {
  describe(`telemetry writer [${engine}]`, () => {
    let db: TestDb;
    let org: TestOrganisation;
    let siteId: string;
    let counter = 0;
    beforeAll(async () => {
      db = await freshTestDb(engine);
      org = await seedOrganisation(db, 'Telemetry', clock);
      siteId = (await createSite(org.as.admin, { siteName: 'Roof' })).id;
    });
    afterAll(() => db.dispose());
    beforeEach(() => {
      vi.mocked(evaluateAfterIngest).mockClear();
      vi.mocked(evaluateSite).mockClear();
    });

    async function plant(opts: { site?: boolean; templateId?: string } = {}): Promise<PlantRow> {
      const n = ++counter;
      const created = await createPlant(org.as.technician, {
        name: `Plant ${n}`,
        serialNumber: `SN-TEL-${n}`,
        type: 'GATEWAY',
        authMethod: 'TOKEN',
        ...(opts.site === false ? {} : { siteId }),
        ...(opts.templateId ? { templateId: opts.templateId } : {}),
      });
      return row(created.id);
    }

    async function row(id: string): Promise<PlantRow> {
      const { rows } = await db.query<PlantRow>(`SELECT ${PLANT_COLUMNS} FROM plants WHERE id = $1`, [id]);
      return rows[0]!;
    }

    async function readings(componentId: string): Promise<string[]> {
      const { rows } = await db.query<{ field: number; ts: Date; value: number }>(
        'SELECT field, ts, value FROM readings WHERE component_id = $1 ORDER BY field, ts',
        [componentId],
      );
      return rows.map((r) => `${r.field} ${r.ts.toISOString()} ${r.value}`);
    }

    async function rollups(componentId: string): Promise<string[]> {
      await settleRollups(db, [componentId]);
      const { rows } = await db.query<{ level: number; field: number; bucket: Date; sum: number; count: number; min: number; max: number }>(
        'SELECT level, field, bucket, sum, count, min, max FROM reading_rollups WHERE component_id = $1 ORDER BY level, field, bucket',
        [componentId],
      );
      return rows.map((r) => `${r.level} ${r.field} ${r.bucket.toISOString()} ${r.sum.toFixed(6)} ${r.count} ${r.min} ${r.max}`);
    }

    const writerOf = (d: Db = db, opts: TelemetryWriterOptions = {}) => createTelemetryWriter(d, { clock, alerts: false, ...opts });
    const at = (minute: number) => new Date(Date.parse('2024-06-14T10:00:00Z') + minute * 60_000).toISOString();

    it('commits the messages of many plants together, storing what ingestReadings stores for the same readings', async () => {
      const plants = await Promise.all(Array.from({ length: 12 }, () => plant()));
      const { db: counted, state } = instrumented(db);
      const writer = writerOf(counted);
      const messages = plants.flatMap((p, i) =>
        Array.from({ length: 5 }, (_, m) => ({ p, message: { ts: at(m * 3), values: { W: 1000 + i * 10 + m, A: 4 + m / 4, Wh: 16.5 } } })),
      );
      const results = await Promise.all(messages.map(({ p, message }) => writer.write(p, decoded(message))));
      expect(results.every((r) => r.stored === 3)).toBe(true);
      // 60 messages in far fewer transactions than messages.
      expect(state.committed).toBeGreaterThan(0);
      expect(state.committed).toBeLessThanOrEqual(3);
      await writer.close();

      // A twin component fed the same readings through the ingest service holds the same rows.
      for (const p of plants.slice(0, 3)) {
        const twin = await plant();
        await ingestReadings(org.as.technician, twin.component_id!, {
          readings: messages.filter((m) => m.p === p).map((m) => ({ ts: m.message.ts, ...m.message.values })),
        });
        expect(await readings(p.component_id!)).toEqual(await readings(twin.component_id!));
        expect(await rollups(p.component_id!)).toEqual(await rollups(twin.component_id!));
        expect((await readings(p.component_id!)).length).toBe(15);
      }
      // last seen, as the server's clock says.
      expect((await row(plants[0]!.id)).last_seen_at).toEqual(now);
    });

    it('resolves a write only once its transaction committed, and rejects it when the commit fails, storing nothing', async () => {
      const p = await plant();
      const { db: counted, state } = instrumented(db);
      const writer = writerOf(counted);
      const ok = await writer.write(p, decoded({ ts: at(100), values: { W: 1 } })).then(() => state.committed);
      expect(ok).toBe(1);

      // The plants update comes after the readings in the same transaction: failing it must undo them.
      state.fail = (sql) => sql.includes('UPDATE plants');
      const other = await plant();
      await expect(writer.write(other, decoded({ ts: at(101), values: { W: 2 } }))).rejects.toThrow('injected failure');
      expect(await readings(other.component_id!)).toEqual([]);
      await writer.close();
    });

    it('refuses only the message that fails, not the others committed with it', async () => {
      const [good1, poison, good2] = [await plant(), await plant(), await plant()];
      const { db: counted, state } = instrumented(db);
      // The readings statement fails whenever the poison plant's component is in it.
      state.fail = (sql, params) =>
        sql.includes('INSERT INTO readings') && params.some((v) => Array.isArray(v) && v.includes(poison.component_id));
      const writer = writerOf(counted);
      const outcomes = await Promise.allSettled(
        [good1, poison, good2].map((p) => writer.write(p, decoded({ ts: at(200), values: { W: 7 } }))),
      );
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(await readings(good1.component_id!)).toHaveLength(1);
      expect(await readings(good2.component_id!)).toHaveLength(1);
      expect(await readings(poison.component_id!)).toEqual([]);
      await writer.close();
    });

    it('stores nothing twice when a message comes again, and lets a later value replace an earlier one exactly', async () => {
      const p = await plant();
      const twin = await plant();
      const writer = writerOf();
      const rows = Array.from({ length: 20 }, (_, m) => ({ ts: at(300 + m), values: { W: 100 + m, A: m } }));
      for (const r of rows) await writer.write(p, decoded(r));
      const before = await rollups(p.component_id!);
      // QoS 1 redelivery after a lost PUBACK: the same messages again, some in one batch.
      await Promise.all(rows.slice(0, 10).map((r) => writer.write(p, decoded(r))));
      expect(await rollups(p.component_id!)).toEqual(before);
      expect(await readings(p.component_id!)).toHaveLength(40);
      // A correction, and within one batch two values for one time: the later message wins.
      await Promise.all([
        writer.write(p, decoded({ ts: at(305), values: { W: 1 } })),
        writer.write(p, decoded({ ts: at(306), values: { W: 5000 } })),
        writer.write(p, decoded({ ts: at(306), values: { W: 2 } })),
      ]);
      await writer.close();
      const expected = rows.map((r) => ({ ts: r.ts, ...r.values }));
      expected[5]!.W = 1;
      expected[6]!.W = 2;
      await ingestReadings(org.as.technician, twin.component_id!, { readings: expected });
      expect(await readings(p.component_id!)).toEqual(await readings(twin.component_id!));
      expect(await rollups(p.component_id!)).toEqual(await rollups(twin.component_id!));
    });

    it('turns lifetime counters into interval energy, once, across batches and within one', async () => {
      const p = await plant();
      const writer = writerOf();
      const msg = (minute: number, kwh: number, w = 1) => decoded({ ts: at(minute), values: { p_ac: w, e_total: kwh } }, template);
      await writer.write(p, msg(400, 100));
      await writer.write(p, msg(401, 100.5));
      // Several in one batch, one of them redelivered, then a reset (meter replaced).
      await Promise.all([writer.write(p, msg(402, 101.25)), writer.write(p, msg(401, 100.5)), writer.write(p, msg(403, 101.5))]);
      await writer.write(p, msg(404, 0.5));
      await writer.write(p, msg(405, 0.75));
      // A redelivery of an old one, alone: nothing.
      await writer.write(p, msg(402, 101.25));
      await writer.close();
      const wh = (await readings(p.component_id!)).filter((r) => r.startsWith('2 '));
      expect(wh).toEqual([`2 ${at(400)} 500`, `2 ${at(401)} 750`, `2 ${at(402)} 250`, `2 ${at(404)} 250`]);
      expect((await row(p.id)).counters).toEqual({
        '|Wh': { t: Date.parse(at(405)), v: 750, template: template.id, version: 1, signal: 'e_total', scale: 1000, provision: null },
      });
    });

    it('keeps the counters of two writers exact (the plant row is the lock)', async () => {
      const p = await plant();
      const a = writerOf();
      const b = writerOf();
      const msg = (minute: number, kwh: number) => decoded({ ts: at(minute), values: { e_total: kwh } }, template);
      await a.write(p, msg(450, 10));
      // Interleaved through two writers (two gateways), in order: each interval once.
      for (let m = 1; m <= 6; m++) await (m % 2 ? b : a).write(p, msg(450 + m, 10 + m));
      await Promise.all([a.close(), b.close()]);
      const wh = (await readings(p.component_id!)).filter((r) => r.startsWith('2 '));
      expect(wh).toEqual(Array.from({ length: 6 }, (_, i) => `2 ${at(450 + i)} 1000`));
    });

    it('keeps the order of messages with several batches in flight: the later value and counter win', async () => {
      const p = await plant();
      const writer = writerOf(db, { maxBatch: 1, maxInFlight: 3 });
      const writes = Array.from({ length: 12 }, (_, i) =>
        writer.write(p, decoded({ ts: at(470 + i), values: { p_ac: 0.5, e_total: 20 + i / 4 } }, template)),
      );
      writes.push(...Array.from({ length: 8 }, (_, i) => writer.write(p, decoded({ ts: at(469), values: { W: i } }))));
      await Promise.all(writes);
      await writer.close();
      const held = await readings(p.component_id!);
      expect(held.filter((r) => r.startsWith('2 '))).toEqual(Array.from({ length: 11 }, (_, i) => `2 ${at(470 + i)} 250`));
      expect(held.filter((r) => r.startsWith(`1 ${at(469)}`))).toEqual([`1 ${at(469)} 7`]);
    });

    it("stores a sub-device's readings on its own component, created under the plant's once", async () => {
      const p = await plant();
      const writer = writerOf();
      await writer.write(p, decoded({ ts: at(500), values: { W: 10 }, device: `string-${p.id.slice(-6)}` }));
      await writer.write(p, decoded({ ts: at(501), values: { W: 11 }, device: `string-${p.id.slice(-6)}` }));
      await writer.close();
      const { rows } = await db.query<{ id: string; parent_id: string; site_id: string; node_type: string }>(
        'SELECT id, parent_id, site_id, node_type FROM components WHERE node_id = $1 AND organisation_id = $2',
        [`string-${p.id.slice(-6)}`, org.id],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ parent_id: p.component_id, site_id: siteId });
      expect(await readings(rows[0]!.id)).toEqual([`1 ${at(500)} 10`, `1 ${at(501)} 11`]);
      expect(await readings(p.component_id!)).toEqual([]);
      // Another writer (another server) finds the same component.
      const again = writerOf();
      await again.write(p, decoded({ ts: at(502), values: { W: 12 }, device: `string-${p.id.slice(-6)}` }));
      await again.close();
      expect(await readings(rows[0]!.id)).toHaveLength(3);

      // A nodeId of a component outside the plant (another plant's) is never written to: the device gets a
      // component of its own under the plant, its nodeId prefixed with the plant's component's, and keeps it.
      const neighbour = await plant();
      const nodeOf = async (id: string) =>
        (await db.query<{ node_id: string }>('SELECT node_id FROM components WHERE id = $1', [id])).rows[0]!.node_id;
      const theirs = await nodeOf(neighbour.component_id!);
      const mine = await nodeOf(p.component_id!);
      for (const minute of [503, 504]) {
        const w = writerOf();
        await w.write(p, decoded({ ts: at(minute), values: { W: minute }, device: theirs }));
        await w.close();
      }
      expect(await readings(neighbour.component_id!)).toEqual([]);
      const { rows: made } = await db.query<{ id: string; parent_id: string; name: string }>(
        'SELECT id, parent_id, name FROM components WHERE node_id = $1 AND organisation_id = $2 AND deleted_at IS NULL',
        [`${mine}/${theirs}`, org.id],
      );
      expect(made).toHaveLength(1);
      expect(made[0]).toMatchObject({ parent_id: p.component_id, name: theirs });
      expect(await readings(made[0]!.id)).toEqual([`1 ${at(503)} 503`, `1 ${at(504)} 504`]);

      // A device found deeper in the plant's tree is that one; another plant naming it gets its own component.
      const elsewhere = await plant();
      const deep = await createComponent(org.as.technician, {
        siteId,
        parentId: made[0]!.id,
        nodeId: `deep-${p.id.slice(-6)}`,
        name: 'Deep',
        nodeType: 'OTHER',
      });
      const deepWriter = writerOf();
      await deepWriter.write(p, decoded({ ts: at(505), values: { W: 1 }, device: `deep-${p.id.slice(-6)}` }));
      // The neighbour's telemetry naming it has its own component made under the neighbour.
      await deepWriter.write(elsewhere, decoded({ ts: at(505), values: { W: 2 }, device: `deep-${p.id.slice(-6)}` }));
      await deepWriter.close();
      expect(await readings(deep.id)).toEqual([`1 ${at(505)} 1`]);
      const { rows: theirsDeep } = await db.query<{ id: string; parent_id: string }>(
        'SELECT id, parent_id FROM components WHERE node_id = $1 AND deleted_at IS NULL',
        [`${await nodeOf(elsewhere.component_id!)}/deep-${p.id.slice(-6)}`],
      );
      expect(theirsDeep).toEqual([{ id: expect.any(String), parent_id: elsewhere.component_id }]);
      expect(await readings(theirsDeep[0]!.id)).toEqual([`1 ${at(505)} 2`]);

      // Its own component by nodeId is its own.
      const self = writerOf();
      await self.write(p, decoded({ ts: at(506), values: { W: 5 }, device: mine }));
      await self.close();
      expect(await readings(p.component_id!)).toEqual([`1 ${at(506)} 5`]);
    });

    it("rejects with the database's error, not as a refused message, when finding or making a sub-device fails", async () => {
      const p = await plant();
      const { db: failing, state } = instrumented(db);
      // The sub-device lookup fails (the connection dropped, a deadlock...): the gateway must not PUBACK.
      state.fail = (sql) => sql.includes('WITH RECURSIVE');
      const writer = writerOf(failing);
      const outcome = await writer
        .write(p, decoded({ ts: at(550), values: { W: 1 }, device: `lost-${p.id.slice(-6)}` }))
        .catch((e: unknown) => e);
      // Making its component fails the same way.
      state.fail = (sql) => sql.includes('INSERT INTO components');
      const making = await writer
        .write(p, decoded({ ts: at(551), values: { W: 1 }, device: `lost-${p.id.slice(-6)}` }))
        .catch((e: unknown) => e);
      await writer.close();
      for (const err of [outcome, making]) {
        expect(err).toBeInstanceOf(Error);
        expect(err).not.toBeInstanceOf(TelemetryRejectedError);
        expect((err as Error).message).toBe('injected failure');
      }
      // Once the database answers again, the same message is stored.
      state.fail = null;
      const again = writerOf(failing);
      await expect(again.write(p, decoded({ ts: at(550), values: { W: 1 }, device: `lost-${p.id.slice(-6)}` }))).resolves.toEqual({
        stored: 1,
      });
      await again.close();
    });

    it('starts a counter again, with no energy for that interval, after its template, the plant’s template or its provisioning changed', async () => {
      const env = await createTestPlantEnvironment();
      const meter = await createTemplate(org.as.technician, {
        name: `Meter ${engine}`,
        type: 'METER',
        // Wrong at first: the device counts kWh.
        signals: [{ key: 'e_total', field: 'Wh', scale: 1, counter: true }],
      });
      const p = await plant({ templateId: meter.id });
      const send = async (minute: number, kwh: number) => {
        const t = await templateForDecoding(db, (await row(p.id)).template_id);
        const w = writerOf();
        await w.write(p, decoded({ ts: at(minute), values: { e_total: kwh } }, t));
        await w.close();
      };
      const wh = async () => (await readings(p.component_id!)).filter((r) => r.startsWith('2 '));
      await send(1000, 5000);
      await send(1001, 5001);
      // The scale fixed: the next interval would otherwise hold the whole counter (about 5 MWh).
      await updateTemplate(org.as.technician, meter.id, { signals: [{ key: 'e_total', field: 'Wh', scale: 1000, counter: true }] });
      await send(1002, 5002);
      await send(1003, 5003);
      expect(await wh()).toEqual([`2 ${at(1000)} 1`, `2 ${at(1002)} 1000`]);

      // Another template for the plant (a PATCH of templateId): its counter is another one.
      const other = await createTemplate(org.as.technician, {
        name: `Meter 2 ${engine}`,
        type: 'METER',
        signals: [{ key: 'e_total', field: 'Wh', scale: 1000, counter: true }],
      });
      await updatePlant(org.as.technician, p.id, { templateId: other.id });
      // (higher than the old counter: not mistaken for a reset, nor subtracted from it)
      await send(1004, 6000);
      await send(1005, 6001);
      // Provisioned again (a replaced device, say): the counter starts again too.
      await provisionPlant(org.as.admin, env, p.id);
      await send(1006, 9000);
      await send(1007, 9000.5);
      expect(await wh()).toEqual([`2 ${at(1000)} 1`, `2 ${at(1002)} 1000`, `2 ${at(1004)} 1000`, `2 ${at(1006)} 500`]);
      const { rows: provisions } = await db.query<{ id: string }>(
        "SELECT id FROM plant_transitions WHERE plant_id = $1 AND action = 'provision'",
        [p.id],
      );
      expect((await row(p.id)).counters).toEqual({
        '|Wh': {
          t: Date.parse(at(1007)),
          v: 9000500,
          template: other.id,
          version: 1,
          signal: 'e_total',
          scale: 1000,
          provision: provisions[0]!.id,
        },
      });
    });

    it('stops writing to a deleted component within 5 seconds (what it knows of components is trusted that long)', async () => {
      const p = await plant();
      const writer = writerOf();
      await writer.write(p, decoded({ ts: at(560), values: { W: 1 } }));
      await db.query('UPDATE components SET deleted_at = now() WHERE id = $1', [p.component_id]);
      const realNow = Date.now.bind(Date);
      const later = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 6000);
      try {
        const outcome = await writer.write(p, decoded({ ts: at(561), values: { W: 2 } })).catch((e: unknown) => e);
        expect(outcome).toBeInstanceOf(TelemetryRejectedError);
        expect((outcome as TelemetryRejectedError).reason).toBe('no-component');
      } finally {
        later.mockRestore();
      }
      await writer.close();
      expect(await readings(p.component_id!)).toEqual([`1 ${at(560)} 1`]);
    });

    it('refuses telemetry of a plant without a site, and of a component that is gone', async () => {
      const lonely = await plant({ site: false });
      const gone = await plant();
      await db.query('UPDATE components SET deleted_at = now() WHERE id = $1', [gone.component_id]);
      const writer = writerOf();
      const [a, b] = await Promise.allSettled([
        writer.write(lonely, decoded({ ts: at(600), values: { W: 1 } })),
        writer.write(gone, decoded({ ts: at(600), values: { W: 1 } })),
      ]);
      await writer.close();
      expect(a).toMatchObject({ status: 'rejected', reason: expect.any(TelemetryRejectedError) });
      expect(a.status === 'rejected' && (a.reason as TelemetryRejectedError).reason).toBe('no-site');
      expect(b.status === 'rejected' && (b.reason as TelemetryRejectedError).reason).toBe('no-component');
      expect(await readings(gone.component_id!)).toEqual([]);
    });

    it('takes late history, making the partitions it needs, and flushes on close', async () => {
      const p = await plant();
      const writer = writerOf(db, { maxDelayMs: 60_000 });
      const pending = [
        writer.write(p, decoded({ ts: '2022-03-01T00:00:00Z', values: { W: 3 } })),
        writer.write(p, decoded({ ts: '2023-09-30T23:59:59.500+00:00', values: { W: 4 } })),
      ];
      await writer.close();
      expect(await Promise.all(pending)).toEqual([{ stored: 1 }, { stored: 1 }]);
      expect(await readings(p.component_id!)).toEqual(['1 2022-03-01T00:00:00.000Z 3', '1 2023-09-30T23:59:59.500Z 4']);
      await expect(writer.write(p, decoded({ ts: at(700), values: { W: 1 } }))).rejects.toThrow(/closed/);
    });

    it('runs the alert rules after commit: for one component, then once for a site of several', async () => {
      const [p1, p2] = [await plant(), await plant()];
      const writer = writerOf(db, { alerts: true, alertIntervalMs: 60_000 });
      await writer.write(p1, decoded({ ts: at(800), values: { W: 1 } }));
      await writer.flushAlerts();
      expect(vi.mocked(evaluateAfterIngest)).toHaveBeenCalledTimes(1);
      expect(vi.mocked(evaluateAfterIngest).mock.calls[0]![1]).toMatchObject({ componentId: p1.component_id, siteId });
      await Promise.all([p1, p2].map((p) => writer.write(p, decoded({ ts: at(801), values: { W: 2 } }))));
      await writer.flushAlerts();
      expect(vi.mocked(evaluateSite)).toHaveBeenCalledTimes(1);
      expect(vi.mocked(evaluateSite).mock.calls[0]![1]).toBe(siteId);
      // A failing rule run leaves the readings alone.
      vi.mocked(evaluateAfterIngest).mockRejectedValueOnce(new Error('rules broke'));
      await writer.write(p2, decoded({ ts: at(802), values: { W: 3 } }));
      await writer.flushAlerts();
      await writer.close();
      expect(await readings(p2.component_id!)).toHaveLength(2);
    });

    it('decodes through a stored template (the PV inverter of the system templates)', async () => {
      const p = await plant({ templateId: SYSTEM_TEMPLATE_IDS.pvInverter });
      const t = await templateForDecoding(db, p.template_id);
      expect(t?.name).toBe('PV inverter');
      const writer = writerOf();
      await writer.write(p, decoded({ ts: at(900), values: { ac_power: 2500, energy_total: 1.5 } }, t));
      await writer.write(p, decoded({ ts: at(905), values: { ac_power: 2600, energy_total: 1.7 } }, t));
      await writer.close();
      expect(await readings(p.component_id!)).toEqual([`1 ${at(900)} 2500`, `1 ${at(905)} 2600`, `2 ${at(900)} 200`]);
    });

    it('counts a dropped message on the plant', async () => {
      const p = await plant();
      await recordDrop(db, p.id, 'bad-signature', now);
      await recordDrop(db, p.id, 'malformed JSON', new Date(NOW + 1000));
      expect(await row(p.id)).toMatchObject({
        dropped_message_count: 2,
        last_dropped_at: new Date(NOW + 1000),
        last_drop_reason: 'malformed JSON',
      });
    });

    it('counts a drop whose reason quotes a NUL or a lone surrogate the plant sent, writing them out', async () => {
      const p = await plant();
      await recordDrop(db, p.id, 'telemetry: unknown keys: a\u0000b, c\ud800', now);
      expect(await row(p.id)).toMatchObject({
        dropped_message_count: 1,
        last_drop_reason: 'telemetry: unknown keys: a\\u0000b, c\ufffd',
      });
    });
  });
}
