// The multi-component writer must leave exactly what ingestReadings leaves
// for the same readings: each test sends the same data both ways, to twin
// components, and compares readings, rollups and status row for row.
import type { Db, Engine } from '@helio/db';
import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocateChangeSeqs } from '../../changes.js';
import type { Clock } from '../../ids.js';
import { createSite } from '../../sites/service.js';
import { seedOrganisation, type TestOrganisation } from '../../testing.js';
import { storedField } from '../fields.js';
import { writeComponentsReadings, type ComponentReadings } from './batch.js';
import { ensurePartitions, monthsOf } from './partitions.js';
import { ingestReadings } from './service.js';
import { settleRollups } from './settle.js';

const NOW = Date.parse('2024-06-15T12:00:00Z');
const clock: Clock = { now: () => new Date(NOW) };

type Row = { ts: string } & Record<string, number | string>;

/** What a reader sees: its rollups settled first (settle.ts). */
async function snapshot(db: Db, componentId: string): Promise<{ readings: string[]; rollups: string[]; status: string[] }> {
  await settleRollups(db, [componentId]);
  const { rows: readings } = await db.query<{ field: number; ts: Date; value: number }>(
    'SELECT field, ts, value FROM readings WHERE component_id = $1 ORDER BY field, ts',
    [componentId],
  );
  const { rows: rollups } = await db.query<{
    level: number;
    field: number;
    bucket: Date;
    sum: number;
    count: number;
    min: number;
    max: number;
  }>('SELECT level, field, bucket, sum, count, min, max FROM reading_rollups WHERE component_id = $1 ORDER BY level, field, bucket', [
    componentId,
  ]);
  const { rows: status } = await db.query<{ last_reading_ts: Date; last_received_at: Date; first_energy_ts: Date | null }>(
    'SELECT last_reading_ts, last_received_at, first_energy_ts FROM component_status WHERE component_id = $1',
    [componentId],
  );
  return {
    readings: readings.map((r) => `${r.field} ${r.ts.toISOString()} ${r.value}`),
    rollups: rollups.map(
      (r) => `${r.level} ${r.field} ${r.bucket.toISOString()} sum=${r.sum.toFixed(6)} count=${r.count} min=${r.min} max=${r.max}`,
    ),
    status: status.map(
      (s) => `${s.last_reading_ts.toISOString()} ${s.last_received_at.toISOString()} ${s.first_energy_ts?.toISOString() ?? null}`,
    ),
  };
}

/** JSON rows as the multi-component writer takes them. */
function columns(componentId: string, organisationId: string, rows: readonly Row[]): ComponentReadings {
  const field: number[] = [];
  const ts: number[] = [];
  const value: number[] = [];
  for (const row of rows) {
    for (const [key, v] of Object.entries(row)) {
      if (key === 'ts') continue;
      field.push(storedField(key)!.code!);
      ts.push(Date.parse(row.ts));
      value.push(v as number);
    }
  }
  return { componentId, organisationId, field, ts, value };
}

for (const engine of testEngines) describeBatch(engine);

function describeBatch(engine: Engine): void {
  describe(`multi-component readings writer [${engine}]`, () => {
    let db: TestDb;
    let org: TestOrganisation;
    let siteId: string;
    let counter = 0;
    beforeAll(async () => {
      db = await freshTestDb(engine);
      org = await seedOrganisation(db, 'Batch', clock);
      siteId = (await createSite(org.as.admin, { siteName: 'Batch site' })).id;
    });
    afterAll(() => db.dispose());

    async function component(): Promise<string> {
      const id = org.as.admin.ids.uuid();
      await db.transaction(async (tx) => {
        const seq = await allocateChangeSeqs(tx, org.id);
        await tx.query(
          `INSERT INTO components (id, organisation_id, site_id, node_id, name, node_type, application, generation_type, change_seq)
           VALUES ($1, $2, $3, $4, $4, 'INVERTER', 'GENERATION', 'SOLAR', $5)`,
          [id, org.id, siteId, `batch-${++counter}`, seq],
        );
      });
      return id;
    }

    /** Writes each component's rows through the batch writer, all in one transaction. */
    async function writeMany(list: { componentId: string; rows: Row[] }[]) {
      const entries = list.map((l) => columns(l.componentId, org.id, l.rows));
      const ts = new Float64Array(entries.flatMap((e) => Array.from(e.ts)));
      await ensurePartitions(db, monthsOf(ts));
      return db.transaction((tx) => writeComponentsReadings(tx, entries, new Date(NOW)));
    }

    function series(start: string, minutes: number, make: (i: number) => Record<string, number>): Row[] {
      return Array.from({ length: minutes }, (_, i) => ({ ts: new Date(Date.parse(start) + i * 60_000).toISOString(), ...make(i) }));
    }

    it('stores several components at once exactly as ingestReadings stores each', async () => {
      const data: Row[][] = [
        series('2024-06-14T22:50:00Z', 95, (i) => ({ W: 1000 + ((i * 37) % 101) / 4, Wh: 16 + (i % 7) })),
        series('2024-05-31T23:40:00Z', 40, (i) => ({ A: 3 + i / 8, TmpAmb: 20 - i / 3 })),
        [
          { ts: '2023-12-31T23:59:59.999Z', W: 5 },
          { ts: '2024-02-29T12:00:00-05:00', W: 6, Wh: 0.25 },
        ],
      ];
      const twins = await Promise.all(data.map(async () => ({ a: await component(), b: await component() })));
      for (const [i, rows] of data.entries()) await ingestReadings(org.as.technician, twins[i]!.a, { readings: rows });
      const counts = await writeMany(data.map((rows, i) => ({ componentId: twins[i]!.b, rows })));
      // Stored with marks, not rollups: one per (field, 5-minute bucket) of the readings.
      const marks = async (id: string) =>
        (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM reading_rollup_marks WHERE component_id = $1', [id])).rows[0]!.n;
      const rollupRows = async (id: string) =>
        (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM reading_rollups WHERE component_id = $1', [id])).rows[0]!.n;
      const buckets = new Set(data[0]!.flatMap((r) => ['W', 'Wh'].map((f) => `${f} ${Math.floor(Date.parse(r.ts) / 300_000)}`)));
      expect(buckets.size).toBe(2 * 19);
      expect(await marks(twins[0]!.b)).toBe(buckets.size);
      expect(await rollupRows(twins[0]!.b)).toBe(0);
      const total = data.reduce((n, rows) => n + rows.reduce((m, r) => m + Object.keys(r).length - 1, 0), 0);
      expect(counts).toEqual({ stored: total, unchanged: 0, replaced: 0 });
      for (const { a, b } of twins) {
        const expected = await snapshot(db, a);
        expect(expected.readings.length).toBeGreaterThan(0);
        expect(await snapshot(db, b)).toEqual(expected);
        expect(await marks(b)).toBe(0);
      }
    });

    it('changes nothing when the same readings come again, and replaces a changed value with exact rollups', async () => {
      const a = await component();
      const b = await component();
      const rows = series('2024-06-10T10:00:00Z', 60, (i) => ({ A: 10 + (i % 13), W: i * 2 }));
      await ingestReadings(org.as.technician, a, { readings: rows });
      await writeMany([{ componentId: b, rows }]);
      const before = await snapshot(db, b);
      expect(await writeMany([{ componentId: b, rows }])).toEqual({ stored: 0, unchanged: 120, replaced: 0 });
      expect(await snapshot(db, b)).toEqual(before);

      // A bucket's maximum goes down, another's minimum up, one value is sent unchanged, one is new.
      const changes: Row[] = [
        { ts: '2024-06-10T10:12:00Z', A: 1 },
        { ts: '2024-06-10T10:14:00+00:00', A: 0.25 },
        { ts: '2024-06-10T12:30:00+02:00', A: 99.5 },
        { ts: '2024-06-10T10:59:00Z', A: rows[59]!['A'] as number },
        { ts: '2024-06-10T11:00:00Z', A: 5 },
      ];
      await ingestReadings(org.as.technician, a, { readings: changes });
      expect(await writeMany([{ componentId: b, rows: changes }])).toEqual({ stored: 1, unchanged: 1, replaced: 3 });
      const after = await snapshot(db, b);
      expect(after).toEqual(await snapshot(db, a));
      expect(after.rollups.find((r) => r.startsWith('2 3 2024-06-10T10:00'))).toMatch(/count=60 min=0.25 max=99.5$/);
    });

    it('mixes new and held readings of several components in one batch', async () => {
      const [a1, a2, b1, b2] = [await component(), await component(), await component(), await component()];
      const first = series('2024-06-11T00:00:00Z', 30, (i) => ({ W: i }));
      const second = series('2024-06-11T00:20:00Z', 30, (i) => ({ W: i % 3 === 0 ? 20 + i : 100 + i }));
      for (const c of [a1, a2]) await ingestReadings(org.as.technician, c, { readings: first });
      await writeMany([
        { componentId: b1, rows: first },
        { componentId: b2, rows: first },
      ]);
      for (const c of [a1, a2]) await ingestReadings(org.as.technician, c, { readings: second });
      const counts = await writeMany([
        { componentId: b2, rows: second },
        { componentId: b1, rows: second },
      ]);
      expect(counts.stored).toBe(40);
      expect(counts.unchanged + counts.replaced).toBe(20);
      expect(await snapshot(db, b1)).toEqual(await snapshot(db, a1));
      expect(await snapshot(db, b2)).toEqual(await snapshot(db, a2));
    });

    it.skipIf(engine === 'pglite')('settles a bucket that a writer is adding to only once that writer has committed', async () => {
      const c = await component();
      const W = storedField('W')!.code!;
      const level1 = async () =>
        (
          await db.query<{ sum: number; count: number; max: number }>(
            "SELECT sum, count, max FROM reading_rollups WHERE component_id = $1 AND level = 1 AND bucket = '2024-06-13T10:00:00Z'",
            [c],
          )
        ).rows[0];
      await writeMany([{ componentId: c, rows: [{ ts: '2024-06-13T10:00:00Z', W: 1 }] }]);
      await settleRollups(db, [c]);
      expect(await level1()).toEqual({ sum: 1, count: 1, max: 1 });
      await writeMany([{ componentId: c, rows: [{ ts: '2024-06-13T10:01:00Z', W: 2 }] }]);

      // A writer that adds to rollups as it stores (storage.ts) holds the bucket, not yet committed.
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let holding!: () => void;
      const held = new Promise<void>((resolve) => (holding = resolve));
      const writer = db.transaction(async (tx) => {
        await tx.query("INSERT INTO readings (component_id, field, ts, value) VALUES ($1, $2, '2024-06-13T10:02:00Z', 4)", [c, W]);
        await tx.query(
          `INSERT INTO reading_rollups AS r (component_id, field, level, bucket, sum, count, min, max)
           SELECT $1, $2, l, date_bin(w, timestamptz '2024-06-13T10:02:00Z', timestamptz 'epoch'), 4, 1, 4, 4
           FROM (VALUES (1, interval '5 minutes'), (2, interval '1 hour'), (3, interval '1 day')) AS v(l, w)
           ON CONFLICT (component_id, field, level, bucket) DO UPDATE SET sum = r.sum + EXCLUDED.sum, count = r.count + EXCLUDED.count,
             min = LEAST(r.min, EXCLUDED.min), max = GREATEST(r.max, EXCLUDED.max)`,
          [c, W],
        );
        holding();
        await released;
      });
      await held;
      let settled = false;
      const settling = settleRollups(db, [c]).then(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(settled).toBe(false);
      release();
      await writer;
      await settling;
      // The settle counted the reading the writer had added, once.
      expect(await level1()).toEqual({ sum: 7, count: 3, max: 4 });
      const twin = await component();
      await ingestReadings(org.as.technician, twin, {
        readings: [1, 2, 4].map((v, i) => ({ ts: `2024-06-13T10:0${i}:00Z`, W: v })),
      });
      expect((await snapshot(db, c)).rollups).toEqual((await snapshot(db, twin)).rollups);
    });

    // PGlite has one connection, so its transactions never overlap; this needs PostgreSQL.
    it.skipIf(engine === 'pglite')(
      'stays exact when batches, ingests of the same readings and settles of the same components overlap',
      async () => {
        const comps = [await component(), await component(), await component()];
        const base = Date.parse('2024-06-12T00:00:00Z');
        const batches = [0, 1, 2, 3, 4, 5].map((k) =>
          comps.map((componentId, c) => ({
            componentId,
            rows: Array.from({ length: 200 }, (_, i) => {
              const minute = k * 60 + i;
              return { ts: new Date(base + minute * 60_000).toISOString(), W: (k + c) % 2 === 0 ? minute : minute + 0.5 };
            }),
          })),
        );
        // Each writer takes the components in its own order: the writer must not deadlock for good. Beside
        // them, ingests that add to the rollups as they store (storage.ts), and settles of the marks.
        const settles = Array.from({ length: 6 }, async (_, k) => {
          await new Promise((resolve) => setTimeout(resolve, k * 15));
          await settleRollups(db, k % 2 ? [...comps].reverse() : comps);
        });
        const ingests = [1, 4].map((k) =>
          Promise.all(comps.map((componentId, c) => ingestReadings(org.as.technician, componentId, { readings: batches[k]![c]!.rows }))),
        );
        const results = await Promise.all(batches.map((b, k) => writeMany(k % 2 ? [...b].reverse() : b)));
        await Promise.all([...settles, ...ingests]);
        expect(results.reduce((s, r) => s + r.stored, 0)).toBeGreaterThan(0);
        for (const componentId of comps) {
          const { rows } = await db.query<{ ts: Date; value: number }>(
            'SELECT ts, value FROM readings WHERE component_id = $1 ORDER BY ts',
            [componentId],
          );
          expect(rows).toHaveLength(500);
          // The rollups hold exactly what the table holds: a twin fed the held values through ingestReadings agrees.
          const twin = await component();
          await ingestReadings(org.as.technician, twin, { readings: rows.map((r) => ({ ts: r.ts.toISOString(), W: r.value })) });
          const mine = await snapshot(db, componentId);
          const theirs = await snapshot(db, twin);
          expect(mine.readings).toEqual(theirs.readings);
          expect(mine.rollups).toEqual(theirs.rollups);
        }
      },
    );
  });
}
