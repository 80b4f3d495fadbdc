// Readings ingest on each engine. One database per engine for the file; each
// test works on components of its own organisation. Aggregates are checked
// against values this file computes from the readings it sent.
import type { Db, Engine } from '@helio/db';
import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { allocateChangeSeqs } from '../../changes.js';
import type { ServiceContext } from '../../context.js';
import type { Clock } from '../../ids.js';
import { createSite } from '../../sites/service.js';
import { contextFor, lastChangeSeq, seedOrganisation, type TestOrganisation } from '../../testing.js';
import type * as EvaluateModule from '../alerts/evaluate.js';
import { evaluateAfterIngest } from '../alerts/evaluate.js';
import { ingestReadings, resolveComponent } from './service.js';

vi.mock('../alerts/evaluate.js', async (importOriginal) => {
  const original = await importOriginal<typeof EvaluateModule>();
  return { ...original, evaluateAfterIngest: vi.fn(original.evaluateAfterIngest) };
});

const NOW = Date.parse('2024-06-15T12:00:00Z');
const clock: Clock = { now: () => new Date(NOW) };
const CODES: Record<string, number> = { W: 1, Wh: 2, A: 3, TmpAmb: 18 };
const LEVELS = [
  [1, 300_000],
  [2, 3_600_000],
  [3, 86_400_000],
] as const;

type Value = [field: string, ts: string, value: number];

/** The rollups the readings (the last value per field and time) must give, computed here. */
function expectedRollups(values: readonly Value[]): string[] {
  const latest = new Map<string, Value>();
  for (const v of values) latest.set(`${v[0]}|${Date.parse(v[1])}`, v);
  const buckets = new Map<string, { field: number; level: number; bucket: number; values: number[] }>();
  for (const [field, ts, value] of latest.values()) {
    for (const [level, ms] of LEVELS) {
      const bucket = Math.floor(Date.parse(ts) / ms) * ms;
      const key = `${level}|${CODES[field]}|${bucket}`;
      let b = buckets.get(key);
      if (!b) buckets.set(key, (b = { field: CODES[field]!, level, bucket, values: [] }));
      b.values.push(value);
    }
  }
  return [...buckets.values()]
    .sort((a, b) => a.level - b.level || a.field - b.field || a.bucket - b.bucket)
    .map((b) => {
      const sum = b.values.reduce((s, v) => s + v, 0);
      return `${b.level} ${b.field} ${new Date(b.bucket).toISOString()} sum=${sum.toFixed(6)} count=${b.values.length} min=${Math.min(...b.values)} max=${Math.max(...b.values)}`;
    });
}

async function storedRollups(db: Db, componentId: string): Promise<string[]> {
  const { rows } = await db.query<{ level: number; field: number; bucket: Date; sum: number; count: number; min: number; max: number }>(
    'SELECT level, field, bucket, sum, count, min, max FROM reading_rollups WHERE component_id = $1 ORDER BY level, field, bucket',
    [componentId],
  );
  return rows.map(
    (r) => `${r.level} ${r.field} ${r.bucket.toISOString()} sum=${r.sum.toFixed(6)} count=${r.count} min=${r.min} max=${r.max}`,
  );
}

async function storedReadings(db: Db, componentId: string): Promise<string[]> {
  const { rows } = await db.query<{ field: number; ts: Date; value: number }>(
    'SELECT field, ts, value FROM readings WHERE component_id = $1 ORDER BY field, ts',
    [componentId],
  );
  return rows.map((r) => `${r.field} ${r.ts.toISOString()} ${r.value}`);
}

/** What the last value per field and time should leave in `readings`, in the same form. */
function expectedReadings(values: readonly Value[]): string[] {
  const latest = new Map<string, string>();
  for (const [field, ts, value] of values)
    latest.set(
      `${String(CODES[field]).padStart(3, '0')} ${new Date(ts).toISOString()}`,
      `${CODES[field]} ${new Date(ts).toISOString()} ${value}`,
    );
  return [...latest.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => v);
}

const rowsOf = (values: readonly Value[]) => values.map(([field, ts, value]) => ({ ts, [field]: value }));

async function counts(db: Db): Promise<Record<string, number>> {
  const one = async (sql: string) => Number((await db.query<{ n: number }>(sql)).rows[0]!.n);
  return {
    readings: await one('SELECT count(*)::int AS n FROM readings'),
    rollups: await one('SELECT count(*)::int AS n FROM reading_rollups'),
    status: await one('SELECT count(*)::int AS n FROM component_status'),
  };
}

for (const engine of testEngines) describeIngest(engine);

function describeIngest(engine: Engine): void {
  describe(`readings ingest [${engine}]`, () => {
    let db: TestDb;
    beforeAll(async () => {
      db = await freshTestDb(engine);
    });
    afterAll(() => db.dispose());

    let orgCounter = 0;
    async function setup(
      options: { conceptual?: boolean } = {},
    ): Promise<{ org: TestOrganisation; componentId: string; ctx: ServiceContext }> {
      const org = await seedOrganisation(db, `Org ${++orgCounter}`, clock);
      const componentId = await addComponent(org, `meter-${orgCounter}`, options.conceptual);
      return { org, componentId, ctx: org.as.technician };
    }

    // Straight into the table: these tests are about readings, not the component service.
    async function addComponent(org: TestOrganisation, nodeId: string, conceptual = false): Promise<string> {
      const site = await createSite(org.as.admin, { siteName: `Site ${nodeId}` });
      const id = org.as.admin.ids.uuid();
      await db.transaction(async (tx) => {
        const seq = await allocateChangeSeqs(tx, org.id);
        await tx.query(
          `INSERT INTO components (id, organisation_id, site_id, node_id, name, node_type, application, generation_type, is_conceptual_node, change_seq)
           VALUES ($1, $2, $3, $4, $4, 'METER', 'GENERATION', 'SOLAR', $5, $6)`,
          [id, org.id, site.id, nodeId, conceptual, seq],
        );
      });
      return id;
    }

    it('stores readings once per field and time, with exact rollups at every level and the status', async () => {
      const { org, componentId, ctx } = await setup();
      const before = await lastChangeSeq(db, org.id);
      const values: Value[] = [];
      for (let i = 0; i < 130; i++) {
        const ts = new Date(Date.parse('2024-06-13T23:00:00Z') + i * 60_000).toISOString();
        values.push(['W', ts, 1000 + ((i * 37) % 101) / 4], ['Wh', ts, 16 + (i % 7)]);
      }
      const result = await ingestReadings(ctx, componentId, {
        readings: values.filter((_, i) => i % 2 === 0).map(([, ts, W], i) => ({ ts, W, Wh: values[i * 2 + 1]![2] })),
      });
      expect(result).toEqual({
        componentId,
        rows: 130,
        stored: 260,
        unchanged: 0,
        replaced: 0,
        from: '2024-06-13T23:00:00.000Z',
        to: '2024-06-14T01:09:00.000Z',
      });
      expect(await storedReadings(db, componentId)).toEqual(expectedReadings(values));
      expect(await storedRollups(db, componentId)).toEqual(expectedRollups(values));
      const { rows: status } = await db.query('SELECT * FROM component_status WHERE component_id = $1', [componentId]);
      expect(status).toEqual([
        {
          component_id: componentId,
          organisation_id: org.id,
          last_reading_ts: new Date('2024-06-14T01:09:00Z'),
          last_received_at: new Date(NOW),
          first_energy_ts: new Date('2024-06-13T23:00:00Z'),
        },
      ]);
      // Readings are not synced rows: no change sequence was taken.
      expect(await lastChangeSeq(db, org.id)).toBe(before);
    });

    it('changes nothing when the same readings come again, and counts them as unchanged', async () => {
      const { componentId, ctx } = await setup();
      const values: Value[] = Array.from({ length: 40 }, (_, i) => ['W', new Date(NOW - i * 120_000).toISOString(), i * 1.5]);
      await ingestReadings(ctx, componentId, { readings: rowsOf(values) });
      const rollups = await storedRollups(db, componentId);
      for (let round = 0; round < 2; round++) {
        expect(await ingestReadings(ctx, componentId, { readings: rowsOf(values) })).toMatchObject({
          stored: 0,
          unchanged: 40,
          replaced: 0,
        });
      }
      // Half of them again, mixed with new ones: only the new ones count.
      const more: Value[] = Array.from({ length: 10 }, (_, i) => ['W', new Date(NOW - 100 * 60_000 - i * 60_000).toISOString(), 7]);
      expect(await ingestReadings(ctx, componentId, { readings: rowsOf([...values.slice(0, 20), ...more]) })).toMatchObject({
        stored: 10,
        unchanged: 20,
        replaced: 0,
      });
      expect(rollups).toEqual(expectedRollups(values));
      expect(await storedRollups(db, componentId)).toEqual(expectedRollups([...values, ...more]));
      expect(await storedReadings(db, componentId)).toEqual(expectedReadings([...values, ...more]));
    });

    it('replaces a different value for the same time, and recomputes sum, min and max exactly', async () => {
      const { componentId, ctx } = await setup();
      const values: Value[] = [];
      for (let i = 0; i < 60; i++)
        values.push(['A', new Date(Date.parse('2024-06-10T10:00:00Z') + i * 60_000).toISOString(), 10 + (i % 13)]);
      await ingestReadings(ctx, componentId, { readings: rowsOf(values) });
      // The maximum of a 5-minute bucket goes down, another bucket's minimum goes up, and one value is sent unchanged.
      const changes: Value[] = [
        ['A', '2024-06-10T10:12:00Z', 1],
        ['A', '2024-06-10T10:14:00+00:00', 0.25],
        ['A', '2024-06-10T12:30:00+02:00', 99.5],
        ['A', '2024-06-10T10:59:00Z', values[59]![2]],
        ['A', '2024-06-10T11:00:00Z', 5],
      ];
      expect(await ingestReadings(ctx, componentId, { readings: rowsOf(changes) })).toMatchObject({ stored: 1, unchanged: 1, replaced: 3 });
      const all = [...values, ...changes];
      expect(await storedReadings(db, componentId)).toEqual(expectedReadings(all));
      expect(await storedRollups(db, componentId)).toEqual(expectedRollups(all));
      const hour = (await storedRollups(db, componentId)).find((r) => r.startsWith('2 3 2024-06-10T10:00'));
      expect(hour).toMatch(/count=60 min=0.25 max=99.5$/);
    });

    it('puts late and out-of-order readings into their buckets, partitions for every month included', async () => {
      const { componentId, ctx } = await setup();
      const times = [
        '2024-06-15T11:59:00Z',
        '2023-11-30T23:59:59.999Z',
        '2024-02-29T12:00:00-05:00',
        '2023-12-01T00:00:00Z',
        '2024-06-01T00:00:00+02:00',
      ];
      const values: Value[] = times.flatMap((ts, i) => [['TmpAmb', ts, 20 + i] as Value, ['W', ts, i * 100] as Value]);
      await ingestReadings(ctx, componentId, { readings: times.map((ts, i) => ({ ts, TmpAmb: 20 + i, W: i * 100 })) });
      // A week of history arriving later, backwards.
      const late: Value[] = Array.from({ length: 7 * 24 }, (_, h) => [
        'W',
        new Date(Date.parse('2024-03-08T00:30:00Z') - h * 3_600_000).toISOString(),
        h,
      ]);
      await ingestReadings(ctx, componentId, { readings: rowsOf(late) });
      expect(await storedReadings(db, componentId)).toEqual(expectedReadings([...values, ...late]));
      expect(await storedRollups(db, componentId)).toEqual(expectedRollups([...values, ...late]));
      const { rows } = await db.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'readings'::regclass ORDER BY 1`,
      );
      expect(rows.map((r) => r.name)).toEqual(
        expect.arrayContaining([
          'readings_y2023m11',
          'readings_y2023m12',
          'readings_y2024m02',
          'readings_y2024m03',
          'readings_y2024m05',
          'readings_y2024m06',
        ]),
      );
      // The month partitions hold exactly their month.
      const { rows: placed } = await db.query<{ part: string; ts: Date }>(
        `SELECT tableoid::regclass::text AS part, ts FROM readings WHERE component_id = $1 AND field = 18 ORDER BY ts`,
        [componentId],
      );
      expect(placed.map((r) => `${r.part} ${r.ts.toISOString()}`)).toEqual([
        'readings_y2023m11 2023-11-30T23:59:59.999Z',
        'readings_y2023m12 2023-12-01T00:00:00.000Z',
        'readings_y2024m02 2024-02-29T17:00:00.000Z',
        'readings_y2024m05 2024-05-31T22:00:00.000Z',
        'readings_y2024m06 2024-06-15T11:59:00.000Z',
      ]);
    });

    it('takes CSV with quoted cells, CRLF and empty cells', async () => {
      const { componentId, ctx } = await setup();
      const csv = 'ts,W,"Wh"\r\n2024-06-14T10:00:00Z,"1500.5",\r\n2024-06-14T10:01:00Z,,25\r\n2024-06-14T10:02:00Z,,\r\n';
      expect(await ingestReadings(ctx, componentId, { csv })).toMatchObject({ rows: 3, stored: 2, to: '2024-06-14T10:02:00.000Z' });
      expect(await storedReadings(db, componentId)).toEqual(['1 2024-06-14T10:00:00.000Z 1500.5', '2 2024-06-14T10:01:00.000Z 25']);
      const { rows } = await db.query<{ last_reading_ts: Date }>('SELECT last_reading_ts FROM component_status WHERE component_id = $1', [
        componentId,
      ]);
      // A row without values is heard, but is not a reading.
      expect(rows[0]!.last_reading_ts).toEqual(new Date('2024-06-14T10:01:00Z'));
    });

    it('writes nothing for a request with any bad row, whatever the problem', async () => {
      const { componentId, ctx } = await setup();
      await ingestReadings(ctx, componentId, { readings: [{ ts: '2024-06-14T00:00:00Z', W: 1 }] });
      const before = await counts(db);
      const good = { ts: '2024-01-05T00:00:00Z', W: 1, Wh: 2 }; // a month with no partition yet
      const bad: [unknown, string, string][] = [
        [{ readings: [good, { ts: '2024-01-05T00:01:00Z', Watt: 1 }] }, 'readings[1].Watt', 'unknown_field'],
        [{ readings: [good, { ts: '2024-01-05T00:01:00Z', W: '12' }] }, 'readings[1].W', 'not_a_number'],
        [{ readings: [good, { ts: '2024-01-05T00:01:00', W: 1 }] }, 'readings[1].ts', 'ts_without_offset'],
        [{ readings: [good, { ts: '2024-01-32T00:00:00Z', W: 1 }] }, 'readings[1].ts', 'invalid_ts'],
        [{ readings: [good, { ts: '2024-06-16T12:00:01Z', W: 1 }] }, 'readings[1].ts', 'ts_in_future'],
        [{ readings: [good, { ts: '2024-01-05T00:00:00Z', W: 2 }] }, 'readings[1].W', 'duplicate_reading'],
        [{ readings: Array.from({ length: 10_001 }, () => good) }, 'readings', 'too_many_readings'],
        [{ csv: 'ts,W\n2024-01-05T00:00:00Z,1\n2024-01-05T00:01:00Z,Infinity\n' }, 'line 3, column W', 'not_finite'],
        [{ csv: 'ts,W\n2024-01-05T00:00:00Z,1\n2024-01-05T00:01:00Z,1e400\n' }, 'line 3, column W', 'not_finite'],
        [{ csv: 'ts,W\n2024-01-05T00:00:00Z,1\n2024-01-05T00:01:00Z,1;2\n' }, 'line 3, column W', 'not_a_number'],
        [{ csv: 'ts,W,Q\n2024-01-05T00:00:00Z,1,2\n' }, 'line 1, column Q', 'unknown_field'],
        [{ csv: 'ts,W\n2024-01-05T00:00:00Z,1\n2024-01-05T00:01:00Z,1,2\n' }, 'line 3', 'wrong_cell_count'],
      ];
      for (const [input, path, issue] of bad) {
        const outcome = await ingestReadings(ctx, componentId, input).then(
          () => 'stored',
          (err: unknown) => err,
        );
        expect(outcome, `${path} ${issue}`).toMatchObject({
          code: 'VALIDATION_ERROR',
          details: expect.arrayContaining([expect.objectContaining({ path, issue })]),
        });
      }
      expect(await counts(db)).toEqual(before);
      const { rows } = await db.query(`SELECT 1 FROM pg_class WHERE relname = 'readings_y2024m01'`);
      expect(rows).toEqual([]);
    });

    it("refuses viewers, another organisation's component, a conceptual node and a deleted component, writing nothing", async () => {
      const { org, componentId } = await setup();
      const other = await seedOrganisation(db, 'Other', clock);
      const conceptual = await addComponent(org, 'virtual', true);
      const before = await counts(db);
      const readings = { readings: [{ ts: '2024-06-14T00:00:00Z', W: 1 }] };
      await expect(ingestReadings(org.as.viewer, componentId, readings)).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(ingestReadings(other.as.owner, componentId, readings)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(ingestReadings(org.as.admin, 'not-a-uuid', readings)).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
      await expect(ingestReadings(org.as.owner, conceptual, readings)).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
        details: [expect.objectContaining({ path: 'componentId', issue: 'conceptual_component' })],
      });
      await db.query('UPDATE components SET deleted_at = now() WHERE id = $1', [componentId]);
      await expect(ingestReadings(org.as.owner, componentId, readings)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await counts(db)).toEqual(before);
      // Admins and owners write like technicians.
      const again = await addComponent(org, 'again');
      expect(await ingestReadings(org.as.admin, again, readings)).toMatchObject({ stored: 1 });
    });

    it('keeps the readings when the alert rules fail after them, and says so', async () => {
      const { componentId, ctx } = await setup();
      vi.mocked(evaluateAfterIngest).mockRejectedValueOnce(new Error('rules broke'));
      const result = await ingestReadings(ctx, componentId, { readings: [{ ts: '2024-06-14T00:00:00Z', W: 5 }] });
      expect(result).toMatchObject({ stored: 1, alertsError: 'rules broke' });
      expect(await storedReadings(db, componentId)).toEqual(['1 2024-06-14T00:00:00.000Z 5']);
      expect(vi.mocked(evaluateAfterIngest)).toHaveBeenLastCalledWith(ctx, expect.objectContaining({ componentId, stored: 1 }));
    });

    it('writes nothing and calls no rules for a request without rows', async () => {
      const { componentId, ctx } = await setup();
      vi.mocked(evaluateAfterIngest).mockClear();
      expect(await ingestReadings(ctx, componentId, { csv: 'ts,W\n' })).toEqual({
        componentId,
        rows: 0,
        stored: 0,
        unchanged: 0,
        replaced: 0,
        from: null,
        to: null,
      });
      expect(await db.query('SELECT 1 FROM component_status WHERE component_id = $1', [componentId])).toMatchObject({ rows: [] });
      expect(vi.mocked(evaluateAfterIngest)).not.toHaveBeenCalled();
    });

    it('finds a component by id or nodeId among the organisations one may see', async () => {
      const { org, componentId } = await setup();
      const other = await seedOrganisation(db, 'Twin', clock);
      const twin = await addComponent(other, `meter-${orgCounter}`);
      const system = contextFor(db, { kind: 'system' }, clock);
      expect(await resolveComponent(org.as.viewer, `meter-${orgCounter}`)).toMatchObject({ id: componentId, organisationId: org.id });
      expect(await resolveComponent(system, componentId)).toMatchObject({ id: componentId });
      await expect(resolveComponent(system, `meter-${orgCounter}`)).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
        details: [expect.objectContaining({ issue: 'ambiguous_node_id' })],
      });
      expect(await resolveComponent(system, `meter-${orgCounter}`, other.id)).toMatchObject({ id: twin });
      await expect(resolveComponent(other.as.owner, componentId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(resolveComponent(org.as.owner, 'nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    // PGlite has one connection, so its transactions never overlap; this needs PostgreSQL.
    it.skipIf(engine === 'pglite')('stays exact when ingests of one component overlap', async () => {
      const { componentId, ctx } = await setup();
      const base = Date.parse('2024-06-12T00:00:00Z');
      const at = (i: number) => new Date(base + i * 60_000).toISOString();
      // Overlapping ranges, with agreeing and disagreeing values for the shared times.
      const batches: Value[][] = [0, 1, 2, 3, 4, 5].map((k) =>
        Array.from({ length: 300 }, (_, i) => {
          const minute = k * 100 + i;
          return ['W', at(minute), k % 2 === 0 ? minute : minute + 0.5] as Value;
        }),
      );
      const results = await Promise.all(batches.map((b) => ingestReadings(ctx, componentId, { readings: rowsOf(b) })));
      // Every minute holds one value; the rollups hold exactly what the table holds.
      const { rows } = await db.query<{ ts: Date; value: number }>('SELECT ts, value FROM readings WHERE component_id = $1 ORDER BY ts', [
        componentId,
      ]);
      expect(rows).toHaveLength(800);
      const held: Value[] = rows.map((r) => ['W', r.ts.toISOString(), r.value]);
      for (const [, ts, value] of held) {
        const minute = (Date.parse(ts) - base) / 60_000;
        expect([minute, minute + 0.5]).toContain(value);
      }
      expect(await storedRollups(db, componentId)).toEqual(expectedRollups(held));
      expect(results.reduce((s, r) => s + r.stored, 0)).toBe(800);
      expect(results.reduce((s, r) => s + r.stored + r.unchanged + r.replaced, 0)).toBe(1800);
    });
  });
}
