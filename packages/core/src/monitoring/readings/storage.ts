// Writing one checked batch of a component's readings, with its rollups and
// status: in one statement when none of its readings is held yet (writeFresh,
// the common case, the steps below chained in that statement), else inside
// one transaction of the steps below (writeBatch). Arrays travel as one text
// parameter each (`{1,2,3}`) and are unnested in SQL: a statement per step,
// never per row.
// Times travel as milliseconds after the batch's first one (short integers
// are quicker to write and to parse than whole epoch times).
//
// Exact under concurrency without any lock of our own. Each step takes its
// row locks in key order, so concurrent ingests of a component wait for each
// other rather than deadlock (should one happen anyway, the caller retries):
//   1. insert the new readings, sorted by (field, ts); a key inserted by a
//      concurrent transaction is waited for, then counts as existing;
//   2. lock the existing ones, sorted, and replace those whose value differs;
//   3. add the new readings to their rollup buckets, every level at once,
//      sorted by (level, field, bucket): an upsert for buckets that may exist,
//      then a plain insert for those after the component's newest reading,
//      which cannot (unless a concurrent ingest just made one: then they are
//      upserted too). A bucket holding a replaced reading is only locked here ...
//   4. ... and then recomputed exactly (min and max cannot be subtracted):
//      level 1 from the raw readings, level 2 from level 1, level 3 from
//      level 2. Each recompute is a statement of its own, so it sees all that
//      committed before its lock was granted; a transaction that wrote
//      readings into the bucket and has not reached its rollups yet adds them
//      after ours commits, since its own step 3 waits for our lock;
//   5. the component's status row.
import { DbError, type Queryable, type Transaction } from '@helio/db';
import type { ReadingBatch } from './parse.js';

/** Rollup levels: 1 = 5 minutes, 2 = 1 hour, 3 = 1 day, aligned to UTC. */
export const rollupLevels = [
  { level: 1, ms: 5 * 60_000, interval: '5 minutes' },
  { level: 2, ms: 60 * 60_000, interval: '1 hour' },
  { level: 3, ms: 24 * 60 * 60_000, interval: '24 hours' },
] as const;

export interface WriteCounts {
  stored: number;
  unchanged: number;
  replaced: number;
}

/** A PostgreSQL array literal of numbers (less `base` from each), sent as text. */
function numbers(values: ArrayLike<number>, base = 0): string {
  // Array.join is several times faster than growing a string, for large arrays.
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) parts[i] = String(values[i]! - base);
  return `{${parts.join(',')}}`;
}

/** SQL for the instant `ms` milliseconds after the base parameter: exact to the millisecond (PostgreSQL rounds to microseconds). */
const at = (ms: string, base = '$base') => `to_timestamp((${base}::float8 + ${ms}) / 1000)`;

/** Binds `$base` to the parameter number of the base time. */
const withBase = (sql: string, param: number) => sql.replaceAll('$base', `$${param}`);

interface Agg {
  sum: number;
  count: number;
  min: number;
  max: number;
}

// A bucket's key: field and bucket number in one number that sorts as (field, bucket).
const FIELD_SHIFT = 2 ** 32;

let savepoints = 0;

/**
 * 1. Inserts the batch's readings that are new; resolves to the positions
 * (in the batch) of those that existed already. (A batch of fresh readings,
 * the common case, never comes here: `writeFresh` stores it whole.)
 */
async function insertNew(tx: Transaction, componentId: string, batch: ReadingBatch, base: number): Promise<number[]> {
  const params = [componentId, numbers(batch.field), numbers(batch.ts, base), numbers(batch.value), base];
  const { rows } = await tx.query<{ i: number }>(
    withBase(
      `WITH k AS (
         SELECT f, ${at('t')} AS ts, v, i FROM unnest($2::text::int2[], $3::text::float8[], $4::text::float8[]) WITH ORDINALITY AS k(f, t, v, i)
       ), ins AS (
         INSERT INTO readings (component_id, field, ts, value) SELECT $1, f, ts, v FROM k
         ON CONFLICT DO NOTHING
         RETURNING field, ts
       )
       SELECT (i - 1)::int AS i FROM k WHERE NOT EXISTS (SELECT 1 FROM ins WHERE ins.field = k.f AND ins.ts = k.ts) ORDER BY i`,
      5,
    ),
    params,
  );
  return rows.map((r) => r.i);
}

/** 2. Locks the readings at these positions, which exist, and replaces those held with another value; resolves to those positions. */
async function replaceChanged(
  tx: Transaction,
  componentId: string,
  batch: ReadingBatch,
  positions: number[],
  base: number,
): Promise<number[]> {
  const last = batch.ts.reduce((a, b) => Math.max(a, b)) - base;
  // The time bounds let the planner skip the partitions outside the batch.
  const { rows } = await tx.query<{ j: number; value: number }>(
    withBase(
      `SELECT (k.j - 1)::int AS j, r.value FROM unnest($2::text::int2[], $3::text::float8[]) WITH ORDINALITY AS k(f, t, j)
       JOIN readings r ON r.component_id = $1 AND r.field = k.f AND r.ts = ${at('k.t')}
       WHERE r.ts >= ${at('0')} AND r.ts <= ${at('$5::float8')}
       ORDER BY k.j FOR UPDATE OF r`,
      4,
    ),
    [
      componentId,
      numbers(positions.map((i) => batch.field[i]!)),
      numbers(
        positions.map((i) => batch.ts[i]!),
        base,
      ),
      base,
      last,
    ],
  );
  const changed = rows.filter((r) => r.value !== batch.value[positions[r.j]!]).map((r) => positions[r.j]!);
  if (changed.length > 0) {
    await tx.query(
      withBase(
        `UPDATE readings r SET value = u.v FROM unnest($2::text::int2[], $3::text::float8[], $4::text::float8[]) AS u(f, t, v)
         WHERE r.component_id = $1 AND r.field = u.f AND r.ts = ${at('u.t')}
           AND r.ts >= ${at('0')} AND r.ts <= ${at('$6::float8')}`,
        5,
      ),
      [
        componentId,
        numbers(changed.map((i) => batch.field[i]!)),
        numbers(
          changed.map((i) => batch.ts[i]!),
          base,
        ),
        numbers(changed.map((i) => batch.value[i]!)),
        base,
        last,
      ],
    );
  }
  return changed;
}

const statusColumns = '(component_id, organisation_id, last_reading_ts, last_received_at, first_energy_ts)';
const statusConflict = `ON CONFLICT (component_id) DO UPDATE SET
  last_reading_ts = GREATEST(component_status.last_reading_ts, EXCLUDED.last_reading_ts),
  last_received_at = GREATEST(component_status.last_received_at, EXCLUDED.last_received_at),
  first_energy_ts = LEAST(component_status.first_energy_ts, EXCLUDED.first_energy_ts)`;
const rollupColumns = '(component_id, field, level, bucket, sum, count, min, max)';
const rollupAdd = `ON CONFLICT (component_id, field, level, bucket) DO UPDATE SET
  sum = r.sum + EXCLUDED.sum,
  count = r.count + EXCLUDED.count,
  min = LEAST(r.min, EXCLUDED.min),
  max = GREATEST(r.max, EXCLUDED.max)`;

/** The arrays of rollup rows, as seven text parameters: field, level, bucket (less `base`), sum, count, min, max. */
function rollupArrays(rows: readonly RollupRow[], base: number): string[] {
  return [
    numbers(rows.map((r) => r.field)),
    numbers(rows.map((r) => r.level)),
    numbers(
      rows.map((r) => r.bucket),
      base,
    ),
    numbers(rows.map((r) => r.agg.sum)),
    numbers(rows.map((r) => r.agg.count)),
    numbers(rows.map((r) => r.agg.min)),
    numbers(rows.map((r) => r.agg.max)),
  ];
}

/**
 * The common case in one statement, outside any transaction (a statement is
 * one): a batch of readings none of which is held yet, with its rollups and
 * the component's status. The steps run in the order of `writeBatch`'s
 * (readings, rollups that may exist, fresh rollups, status), each waiting for
 * the one before through a subquery on its RETURNING (an InitPlan, run
 * before the step's first row; a step with no rows still runs before the
 * status, which counts both), so that locks are still taken in the same
 * order as there. `newestBefore` is the component's newest reading as read
 * before (it only grows: an old value leaves fewer rollups fresh). Resolves
 * to null, having written nothing, when a reading or a fresh bucket exists:
 * then `writeBatch` does it. Not for an empty batch.
 */
export async function writeFresh(
  db: Queryable,
  componentId: string,
  organisationId: string,
  batch: ReadingBatch,
  receivedAt: Date,
  newestBefore: number | null,
): Promise<WriteCounts | null> {
  const base = batch.ts.reduce((a, b) => Math.min(a, b));
  const { old, fresh } = rollupRows(batch, [], [], newestBefore);
  const rows = [...old, ...fresh];
  const u = `unnest($6::text::int2[], $7::text::int2[], $8::text::float8[], $9::text::float8[], $10::text::int4[], $11::text::float8[], $12::text::float8[])`;
  try {
    await db.query(
      withBase(
        `WITH ins AS (
           INSERT INTO readings (component_id, field, ts, value)
           SELECT $1, f, ${at('t')}, v FROM unnest($2::text::int2[], $3::text::float8[], $4::text::float8[]) AS k(f, t, v)
           RETURNING 1
         ), u AS (
           SELECT f, l, ${at('b')} AS b, s, c, mn, mx, ord FROM ${u} WITH ORDINALITY AS u(f, l, b, s, c, mn, mx, ord)
           WHERE (SELECT count(*) FROM ins) >= 0
         ), old AS (
           INSERT INTO reading_rollups AS r ${rollupColumns}
           SELECT $1, f, l, b, s, c, mn, mx FROM u WHERE ord <= $13
           ${rollupAdd}
           RETURNING 1
         ), fresh AS (
           INSERT INTO reading_rollups ${rollupColumns}
           SELECT $1, f, l, b, s, c, mn, mx FROM u WHERE ord > $13 AND (SELECT count(*) FROM old) >= 0
           RETURNING 1
         )
         INSERT INTO component_status ${statusColumns}
         SELECT $1, $14, ${at('0', '$15')}, $16, ${at('0', '$17')} WHERE (SELECT count(*) FROM old) + (SELECT count(*) FROM fresh) >= 0
         ${statusConflict}`,
        5,
      ),
      [
        componentId,
        numbers(batch.field),
        numbers(batch.ts, base),
        numbers(batch.value),
        base,
        ...rollupArrays(rows, base),
        old.length,
        organisationId,
        batch.lastValueTs,
        receivedAt,
        batch.firstEnergyTs,
      ],
    );
  } catch (err) {
    if (err instanceof DbError && err.kind === 'unique_violation') return null;
    throw err;
  }
  return { stored: batch.field.length, unchanged: batch.duplicates, replaced: 0 };
}

export async function writeBatch(
  tx: Transaction,
  componentId: string,
  organisationId: string,
  batch: ReadingBatch,
  receivedAt: Date,
): Promise<WriteCounts> {
  const n = batch.field.length;
  let existing: number[] = [];
  let replaced: number[] = [];
  if (n > 0) {
    const base = batch.ts.reduce((a, b) => Math.min(a, b));
    const { rows: status } = await tx.query<{ newest: number | null }>(
      'SELECT (extract(epoch FROM last_reading_ts) * 1000)::float8 AS newest FROM component_status WHERE component_id = $1',
      [componentId],
    );
    const newestBefore = status[0]?.newest ?? null;
    existing = await insertNew(tx, componentId, batch, base);
    if (existing.length > 0) replaced = await replaceChanged(tx, componentId, batch, existing, base);
    await writeRollups(tx, componentId, batch, existing, replaced, base, newestBefore);
  }

  // 5. The newest reading, the first energy reading, and when anything last came.
  await tx.query(
    `INSERT INTO component_status ${statusColumns} VALUES ($1, $2, ${at('0', '$3')}, $4, ${at('0', '$5')}) ${statusConflict}`,
    [componentId, organisationId, batch.lastValueTs, receivedAt, batch.firstEnergyTs],
  );
  const stored = n - existing.length;
  return { stored, unchanged: existing.length - replaced.length + batch.duplicates, replaced: replaced.length };
}

interface RollupRow {
  field: number;
  level: number;
  bucket: number;
  agg: Agg;
}

/** Adds these sums to their buckets (`add`), or inserts them as new buckets. */
async function upsertRollups(tx: Transaction, componentId: string, rows: readonly RollupRow[], base: number, add = true): Promise<void> {
  await tx.query(
    withBase(
      `INSERT INTO reading_rollups AS r ${rollupColumns}
       SELECT $1, f, l, ${at('b')}, s, c, mn, mx
       FROM unnest($2::text::int2[], $3::text::int2[], $4::text::float8[], $5::text::float8[], $6::text::int4[], $7::text::float8[], $8::text::float8[])
         AS u(f, l, b, s, c, mn, mx)
       ${add ? rollupAdd : ''}`,
      9,
    ),
    [componentId, ...rollupArrays(rows, base), base],
  );
}

/**
 * The new readings' sums per bucket, every level, in (level, field, bucket)
 * order, split: a bucket that starts after the component's newest reading
 * (`newestBefore`, as committed when it was read) cannot exist yet unless a
 * concurrent ingest just made it, and a plain insert of those (`fresh`) is
 * much cheaper than an upsert (`old`). With `recompute`: the buckets holding
 * a replaced reading per level, each given a neutral row (nothing added)
 * where no new reading fell, so that the upsert locks them all in order.
 */
function rollupRows(
  batch: ReadingBatch,
  existing: readonly number[],
  replaced: readonly number[],
  newestBefore: number | null,
): { old: RollupRow[]; fresh: RollupRow[]; recompute: number[][] } {
  const { field, ts: times, value } = batch;
  const n = field.length;
  const held = new Uint8Array(n);
  for (const i of existing) held[i] = 1;

  // The batch is sorted by (field, ts), so a bucket's readings are
  // consecutive: one pass per level, no lookups.
  const perLevel = rollupLevels.map(({ ms }) => {
    const keys: number[] = [];
    const aggs: Agg[] = [];
    let agg: Agg | undefined;
    let lastKey = -1;
    for (let i = 0; i < n; i++) {
      if (held[i]) continue;
      const key = field[i]! * FIELD_SHIFT + Math.floor(times[i]! / ms);
      const v = value[i]!;
      if (key !== lastKey || !agg) {
        agg = { sum: v, count: 1, min: v, max: v };
        keys.push(key);
        aggs.push(agg);
        lastKey = key;
      } else {
        agg.sum += v;
        agg.count += 1;
        if (v < agg.min) agg.min = v;
        if (v > agg.max) agg.max = v;
      }
    }
    return { keys, aggs };
  });

  const recompute = rollupLevels.map(({ ms }, l) => {
    if (replaced.length === 0) return [];
    const keys = [...new Set(replaced.map((i) => field[i]! * FIELD_SHIFT + Math.floor(times[i]! / ms)))].sort((a, b) => a - b);
    const level = perLevel[l]!;
    const added = new Set(level.keys);
    const neutral = keys.filter((k) => !added.has(k));
    if (neutral.length > 0) {
      const merged = level.keys.map((k, j) => [k, level.aggs[j]!] as const);
      for (const k of neutral) merged.push([k, { sum: 0, count: 0, min: Infinity, max: -Infinity }]);
      merged.sort((a, b) => a[0] - b[0]);
      level.keys = merged.map((m) => m[0]);
      level.aggs = merged.map((m) => m[1]);
    }
    return keys;
  });

  const old: RollupRow[] = [];
  const fresh: RollupRow[] = [];
  rollupLevels.forEach(({ level, ms }, l) => {
    const { keys, aggs } = perLevel[l]!;
    for (let k = 0; k < keys.length; k++) {
      const bucket = (keys[k]! % FIELD_SHIFT) * ms;
      const row = { field: Math.floor(keys[k]! / FIELD_SHIFT), level, bucket, agg: aggs[k]! };
      (newestBefore === null || bucket > newestBefore ? fresh : old).push(row);
    }
  });
  return { old, fresh, recompute };
}

/** Steps 3 and 4: the rollups of the new readings, and exact recomputes where readings were replaced. */
async function writeRollups(
  tx: Transaction,
  componentId: string,
  batch: ReadingBatch,
  existing: number[],
  replaced: number[],
  base: number,
  newestBefore: number | null,
) {
  const { old, fresh, recompute } = rollupRows(batch, existing, replaced, newestBefore);
  if (old.length > 0) await upsertRollups(tx, componentId, old, base);
  if (fresh.length > 0) {
    // A concurrent ingest may have made one since: then they are upserted after all.
    const savepoint = `helio_rollups_${++savepoints}`;
    await tx.query(`SAVEPOINT ${savepoint}`);
    try {
      await upsertRollups(tx, componentId, fresh, base, false);
      await tx.query(`RELEASE SAVEPOINT ${savepoint}`);
    } catch (err) {
      if (!(err instanceof DbError && err.kind === 'unique_violation')) throw err;
      await tx.query(`ROLLBACK TO SAVEPOINT ${savepoint}`);
      await tx.query(`RELEASE SAVEPOINT ${savepoint}`);
      await upsertRollups(tx, componentId, fresh, base);
    }
  }

  // Exact recomputes, level by level, each from the one below; one index
  // range scan per bucket (LATERAL), whatever a fresh partition's statistics say.
  for (const [l, { level, ms, interval }] of rollupLevels.entries()) {
    const keys = recompute[l]!;
    if (keys.length === 0) continue;
    const source =
      level === 1
        ? `SELECT sum(s.value) AS s, count(*)::int AS c, min(s.value) AS mn, max(s.value) AS mx FROM readings s
           WHERE s.component_id = $1 AND s.field = k.f AND s.ts >= k.bucket AND s.ts < k.bucket + interval '${interval}'`
        : `SELECT sum(s.sum) AS s, sum(s.count)::int AS c, min(s.min) AS mn, max(s.max) AS mx FROM reading_rollups s
           WHERE s.component_id = $1 AND s.field = k.f AND s.level = ${level - 1}
             AND s.bucket >= k.bucket AND s.bucket < k.bucket + interval '${interval}'`;
    await tx.query(
      withBase(
        `WITH k AS (SELECT f, ${at('b')} AS bucket FROM unnest($2::text::int2[], $3::text::float8[]) AS k(f, b)),
         a AS (SELECT k.f, k.bucket, x.* FROM k CROSS JOIN LATERAL (${source}) x)
         UPDATE reading_rollups r SET sum = a.s, count = a.c, min = a.mn, max = a.mx
         FROM a WHERE r.component_id = $1 AND r.field = a.f AND r.level = ${level} AND r.bucket = a.bucket AND a.c > 0`,
        4,
      ),
      [
        componentId,
        numbers(keys.map((k) => Math.floor(k / FIELD_SHIFT))),
        numbers(
          keys.map((k) => (k % FIELD_SHIFT) * ms),
          base,
        ),
        base,
      ],
    );
  }
}
