// Writing the readings of many components at once, inside the caller's
// transaction: what a stream of small messages from many devices needs (the
// MQTT gateway commits each few milliseconds' messages together). The result
// is the one `writeBatch` (storage.ts) leaves for each component: one value
// per (component, field, ts), the latest replacing an older one, exact
// rollups at every level, and the component's status.
//
// One statement for the whole batch, in the lock order storage.ts keeps
// (so that concurrent writers of a component wait for each other rather than
// deadlock): the new readings are inserted, then those held already are
// locked and replaced where the value differs; the new readings' sums are
// added to their rollup buckets (computed in SQL from exactly the rows
// inserted, so a reading held already is never counted twice), the buckets of
// replaced readings locked with them; then the status rows. Only when a value
// was replaced do its buckets get recomputed exactly, in a few more
// statements (min and max cannot be subtracted).
import { DbError, type Transaction } from '@helio/db';
import { storedField } from '../fields.js';
import type { ReadingBatch } from './parse.js';
import { rollupLevels, type WriteCounts } from './storage.js';

/** One component's values in a multi-component batch. Any order; one value per (field, ts). */
export interface ComponentReadings {
  componentId: string;
  organisationId: string;
  /** Field codes (fields.ts). */
  field: ArrayLike<number>;
  /** Milliseconds since the epoch. */
  ts: ArrayLike<number>;
  value: ArrayLike<number>;
}

const WH_CODE = storedField('Wh')!.code!;

/** A PostgreSQL array literal of numbers (less `base` from each; null for NaN), sent as text. */
function numbers(values: ArrayLike<number>, base = 0): string {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    parts[i] = Number.isNaN(v) ? 'NULL' : String(v - base);
  }
  return `{${parts.join(',')}}`;
}

let savepoints = 0;

const rollupAdd = `ON CONFLICT (component_id, field, level, bucket) DO UPDATE SET
  sum = r.sum + EXCLUDED.sum,
  count = r.count + EXCLUDED.count,
  min = LEAST(r.min, EXCLUDED.min),
  max = GREATEST(r.max, EXCLUDED.max)`;

/** The status rows' CTE `st` (parameters $1, $7 to $10), after the CTE `after`. */
function statusCte(at: (ms: string) => string, after: string): string {
  return `st AS (
    INSERT INTO component_status AS s (component_id, organisation_id, last_reading_ts, last_received_at, first_energy_ts)
    SELECT c, o, ${at('lt')}, $9, ${at('fe')}
    FROM unnest($1::uuid[], $7::uuid[], $8::text::float8[], $10::text::float8[]) AS u(c, o, lt, fe)
    WHERE (SELECT count(*) FROM ${after}) >= 0
    ORDER BY c
    ON CONFLICT (component_id) DO UPDATE SET
      last_reading_ts = GREATEST(s.last_reading_ts, EXCLUDED.last_reading_ts),
      last_received_at = GREATEST(s.last_received_at, EXCLUDED.last_received_at),
      first_energy_ts = LEAST(s.first_energy_ts, EXCLUDED.first_energy_ts)
    RETURNING 1
  )`;
}

/** The status rows as the statement's last step. */
function statusInsert(at: (ms: string) => string, after: string): string {
  return `, ${statusCte(at, after)} SELECT count(*)::int AS status FROM st`;
}

/**
 * The rollup rows of readings sorted by (component, field, ts), in the order
 * their locks are taken: (component, level, field, bucket). One pass per
 * component and level; a bucket's readings are consecutive.
 */
function rollupRows(comp: Int32Array, field: Int16Array, ts: Float64Array, value: Float64Array) {
  const out = { comp: [] as number[], field: [] as number[], level: [] as number[], bucket: [] as number[] };
  const agg = { sum: [] as number[], count: [] as number[], min: [] as number[], max: [] as number[] };
  const n = comp.length;
  for (let start = 0; start < n;) {
    let end = start;
    while (end < n && comp[end] === comp[start]) end++;
    for (const { level, ms } of rollupLevels) {
      let last = -1;
      for (let i = start; i < end; i++) {
        const bucket = Math.floor(ts[i]! / ms) * ms;
        const v = value[i]!;
        if (last >= 0 && out.field[last] === field[i] && out.bucket[last] === bucket) {
          agg.sum[last]! += v;
          agg.count[last]! += 1;
          if (v < agg.min[last]!) agg.min[last] = v;
          if (v > agg.max[last]!) agg.max[last] = v;
          continue;
        }
        last = out.comp.length;
        out.comp.push(comp[i]!);
        out.field.push(field[i]!);
        out.level.push(level);
        out.bucket.push(bucket);
        agg.sum.push(v);
        agg.count.push(1);
        agg.min.push(v);
        agg.max.push(v);
      }
    }
    start = end;
  }
  return { ...out, ...agg };
}

/** One component's readings as storage.ts's `ReadingBatch`: sorted by (field, ts). */
export function toReadingBatch(r: Pick<ComponentReadings, 'field' | 'ts' | 'value'>): ReadingBatch {
  const index = Array.from({ length: r.field.length }, (_, i) => i);
  index.sort((a, b) => r.field[a]! - r.field[b]! || r.ts[a]! - r.ts[b]!);
  const n = index.length;
  const field = new Int16Array(n);
  const ts = new Float64Array(n);
  const value = new Float64Array(n);
  let first: number | null = null;
  let last: number | null = null;
  let firstEnergy: number | null = null;
  for (let k = 0; k < n; k++) {
    const i = index[k]!;
    field[k] = r.field[i]!;
    ts[k] = r.ts[i]!;
    value[k] = r.value[i]!;
    if (first === null || ts[k]! < first) first = ts[k]!;
    if (last === null || ts[k]! > last) last = ts[k]!;
    if (field[k] === WH_CODE && (firstEnergy === null || ts[k]! < firstEnergy)) firstEnergy = ts[k]!;
  }
  return { rows: n, field, ts, value, duplicates: 0, firstTs: first, lastTs: last, lastValueTs: last, firstEnergyTs: firstEnergy };
}

/**
 * Stores the readings of several components in the caller's transaction.
 * Each component's (field, ts) pairs must be unique (the caller keeps the
 * latest value of each). Resolves to the counts over all of them: `stored`
 * new readings, `unchanged` held already with the same value, `replaced`
 * held with another value (now this one). Components without values are
 * left alone. Partitions must exist (partitions.ts `ensurePartitions`).
 */
export async function writeComponentsReadings(
  tx: Transaction,
  entries: readonly ComponentReadings[],
  receivedAt: Date,
): Promise<WriteCounts> {
  const live = entries
    .filter((e) => e.field.length > 0)
    .sort((a, b) => (a.componentId < b.componentId ? -1 : a.componentId > b.componentId ? 1 : 0));
  if (live.length === 0) return { stored: 0, unchanged: 0, replaced: 0 };

  let n = 0;
  for (const e of live) n += e.field.length;
  let base = Infinity;
  for (const e of live) for (let i = 0; i < e.ts.length; i++) if (e.ts[i]! < base) base = e.ts[i]!;

  // Columns in (component, field, ts) order: the order the rows are inserted and locked in.
  const comp = new Int32Array(n);
  const field = new Int16Array(n);
  const ts = new Float64Array(n);
  const value = new Float64Array(n);
  const lastTs = new Float64Array(live.length);
  const firstEnergy = new Float64Array(live.length);
  let k = 0;
  live.forEach((e, c) => {
    const b = toReadingBatch(e);
    for (let i = 0; i < b.field.length; i++, k++) {
      comp[k] = c + 1;
      field[k] = b.field[i]!;
      ts[k] = b.ts[i]!;
      value[k] = b.value[i]!;
    }
    lastTs[c] = b.lastValueTs! - base;
    firstEnergy[c] = b.firstEnergyTs === null ? NaN : b.firstEnergyTs - base;
  });

  const components = live.map((e) => e.componentId);
  const statusParams = [live.map((e) => e.organisationId), numbers(lastTs), receivedAt, numbers(firstEnergy)];

  // The common case: none of them is held yet. A plain insert (cheaper than
  // one that checks for conflicts first), the rollups summed here; should a
  // reading be held after all, the savepoint undoes it and the general
  // statement below runs.
  const savepoint = `helio_batch_${++savepoints}`;
  await tx.query(`SAVEPOINT ${savepoint}`);
  try {
    const r = rollupRows(comp, field, ts, value);
    const at0 = (ms: string) => `to_timestamp(($5::float8 + ${ms}) / 1000)`;
    await tx.query(
      `WITH ins AS (
         INSERT INTO readings (component_id, field, ts, value)
         SELECT ($1::uuid[])[c], f, ${at0('t')}, v FROM unnest($2::text::int4[], $3::text::int2[], $4::text::float8[], $6::text::float8[]) AS k(c, f, t, v)
         RETURNING 1
       ), roll AS (
         INSERT INTO reading_rollups AS r (component_id, field, level, bucket, sum, count, min, max)
         SELECT ($1::uuid[])[c], f, l, ${at0('b')}, s, n, mn, mx
         FROM unnest($11::text::int4[], $12::text::int2[], $13::text::int2[], $14::text::float8[], $15::text::float8[], $16::text::int4[],
           $17::text::float8[], $18::text::float8[]) AS u(c, f, l, b, s, n, mn, mx)
         WHERE (SELECT count(*) FROM ins) >= 0
         ${rollupAdd}
         RETURNING 1
       )
       ${statusInsert(at0, 'roll')}`,
      [
        components,
        numbers(comp),
        numbers(field),
        numbers(ts, base),
        base,
        numbers(value),
        ...statusParams,
        numbers(r.comp),
        numbers(r.field),
        numbers(r.level),
        numbers(r.bucket, base),
        numbers(r.sum),
        numbers(r.count),
        numbers(r.min),
        numbers(r.max),
      ],
    );
    await tx.query(`RELEASE SAVEPOINT ${savepoint}`);
    return { stored: n, unchanged: 0, replaced: 0 };
  } catch (err) {
    if (!(err instanceof DbError && err.kind === 'unique_violation')) throw err;
    await tx.query(`ROLLBACK TO SAVEPOINT ${savepoint}`);
    await tx.query(`RELEASE SAVEPOINT ${savepoint}`);
  }

  const at = (ms: string) => `to_timestamp(($5::float8 + ${ms}) / 1000)`;
  const { rows } = await tx.query<{ inserted: number; replaced: [number, number, number][] | null }>(
    `WITH k AS (
       SELECT c, ($1::uuid[])[c] AS component_id, f AS field, ${at('t')} AS ts, v AS value
       FROM unnest($2::text::int4[], $3::text::int2[], $4::text::float8[], $6::text::float8[]) AS k(c, f, t, v)
     ), ins AS (
       INSERT INTO readings (component_id, field, ts, value) SELECT component_id, field, ts, value FROM k
       ON CONFLICT DO NOTHING
       RETURNING component_id, field, ts, value
     ), upd AS (
       -- Those held already: locked, in order, after the new ones (as storage.ts does); replaced where the value differs.
       INSERT INTO readings AS r (component_id, field, ts, value)
       SELECT k.component_id, k.field, k.ts, k.value FROM k
       WHERE NOT EXISTS (SELECT 1 FROM ins WHERE ins.component_id = k.component_id AND ins.field = k.field AND ins.ts = k.ts)
       ORDER BY k.c, k.field, k.ts
       ON CONFLICT (component_id, field, ts) DO UPDATE SET value = EXCLUDED.value WHERE r.value IS DISTINCT FROM EXCLUDED.value
       RETURNING component_id, field, ts
     ), touched AS (
       SELECT component_id, field, ts, value, 1 AS n FROM ins
       UNION ALL
       -- A replaced reading's buckets get a neutral row: locked now, in order, recomputed after.
       SELECT component_id, field, ts, NULL, 0 FROM upd
     ), roll AS (
       INSERT INTO reading_rollups AS r (component_id, field, level, bucket, sum, count, min, max)
       SELECT t.component_id, t.field, l.level, date_bin(l.width, t.ts, timestamptz 'epoch'),
         COALESCE(sum(t.value), 0), sum(t.n)::int, COALESCE(min(t.value), 'Infinity'), COALESCE(max(t.value), '-Infinity')
       FROM touched t CROSS JOIN (VALUES (1, interval '5 minutes'), (2, interval '1 hour'), (3, interval '1 day')) AS l(level, width)
       GROUP BY 1, 2, 3, 4
       ORDER BY 1, 3, 2, 4
       ${rollupAdd}
       RETURNING 1
     ), ${statusCte(at, 'roll')}
     SELECT (SELECT count(*) FROM ins)::int AS inserted,
       (SELECT json_agg(json_build_array(array_position($1::uuid[], component_id), field, extract(epoch FROM ts) * 1000)) FROM upd) AS replaced
     WHERE (SELECT count(*) FROM st) >= 0`,
    [components, numbers(comp), numbers(field), numbers(ts, base), base, numbers(value), ...statusParams],
  );
  const inserted = rows[0]!.inserted;
  const replaced = rows[0]!.replaced ?? [];
  if (replaced.length > 0) await recompute(tx, live, replaced);
  return { stored: inserted, unchanged: n - inserted - replaced.length, replaced: replaced.length };
}

/**
 * The buckets of replaced readings, recomputed exactly (min and max cannot be
 * subtracted), level by level, each from the one below; each statement sees
 * what the previous one wrote. Their rows are locked already (the neutral
 * rows above), so this takes no lock out of order.
 */
async function recompute(
  tx: Transaction,
  live: readonly ComponentReadings[],
  replaced: readonly [number, number, number][],
): Promise<void> {
  for (const { level, ms, interval } of rollupLevels) {
    const keys = new Map<string, [number, number, number]>();
    for (const [c, f, t] of replaced) {
      const bucket = Math.floor(t / ms) * ms;
      keys.set(`${c}|${f}|${bucket}`, [c, f, bucket]);
    }
    const list = [...keys.values()].sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
    const source =
      level === 1
        ? `SELECT sum(s.value) AS s, count(*)::int AS c, min(s.value) AS mn, max(s.value) AS mx FROM readings s
           WHERE s.component_id = k.component_id AND s.field = k.f AND s.ts >= k.bucket AND s.ts < k.bucket + interval '${interval}'`
        : `SELECT sum(s.sum) AS s, sum(s.count)::int AS c, min(s.min) AS mn, max(s.max) AS mx FROM reading_rollups s
           WHERE s.component_id = k.component_id AND s.field = k.f AND s.level = ${level - 1}
             AND s.bucket >= k.bucket AND s.bucket < k.bucket + interval '${interval}'`;
    await tx.query(
      `WITH k AS (
         SELECT ($1::uuid[])[c] AS component_id, f, to_timestamp(b / 1000) AS bucket
         FROM unnest($2::text::int4[], $3::text::int2[], $4::text::float8[]) AS k(c, f, b)
       ), a AS (SELECT k.component_id, k.f, k.bucket, x.* FROM k CROSS JOIN LATERAL (${source}) x)
       UPDATE reading_rollups r SET sum = a.s, count = a.c, min = a.mn, max = a.mx
       FROM a WHERE r.component_id = a.component_id AND r.field = a.f AND r.level = ${level} AND r.bucket = a.bucket AND a.c > 0`,
      [live.map((e) => e.componentId), numbers(list.map((k) => k[0])), numbers(list.map((k) => k[1])), numbers(list.map((k) => k[2]))],
    );
  }
}
