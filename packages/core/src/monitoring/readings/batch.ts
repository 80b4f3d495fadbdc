// Writing the readings of many components at once, inside the caller's
// transaction: what a stream of small messages from many devices needs (the
// MQTT gateway commits each few milliseconds' messages together). One value
// per (component, field, ts), the latest replacing an older one, and the
// component's status, as `writeBatch` (storage.ts) leaves them.
//
// Rollups are not summed here: a mark per (component, field, 5-minute
// bucket) says that the bucket has readings not in its rollups yet, and
// settle.ts recomputes marked buckets before anything reads them (a plant's
// messages of many batches at once). Summing a few milliseconds' messages
// into three levels of buckets cost more than storing them.
//
// One statement for the whole batch: the marks first (a writer that waits
// for a settle holds no other lock then), the new readings, then those held
// already, locked in key order and replaced where the value differs, as
// storage.ts locks them (so that concurrent writers of a component wait for
// each other rather than deadlock); then the status rows.
import { DbError, type Transaction } from '@helio/db';
import { storedField } from '../fields.js';
import type { ReadingBatch } from './parse.js';
import { MARK_MS } from './settle.js';
import type { WriteCounts } from './storage.js';

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
 * The marks of readings sorted by (component, field, ts) (settle.ts): one
 * per (component, field, 5-minute bucket), in key order. A bucket's readings
 * are consecutive.
 */
function markRows(comp: Int32Array, field: Int16Array, ts: Float64Array) {
  const out = { comp: [] as number[], field: [] as number[], bucket: [] as number[] };
  let last = -1;
  for (let i = 0; i < comp.length; i++) {
    const bucket = Math.floor(ts[i]! / MARK_MS) * MARK_MS;
    if (last >= 0 && out.comp[last] === comp[i] && out.field[last] === field[i] && out.bucket[last] === bucket) continue;
    last = out.comp.length;
    out.comp.push(comp[i]!);
    out.field.push(field[i]!);
    out.bucket.push(bucket);
  }
  return out;
}

/** The marks' CTE `marks` (parameters $1, $5, $11 to $13): first, so that a writer waiting for a settle holds no other lock. */
function marksCte(at: (ms: string) => string): string {
  return `marks AS (
    INSERT INTO reading_rollup_marks (component_id, field, bucket)
    SELECT ($1::uuid[])[c], f, ${at('b')} FROM unnest($11::text::int4[], $12::text::int2[], $13::text::float8[]) WITH ORDINALITY AS u(c, f, b, i)
    ORDER BY i
    ON CONFLICT DO NOTHING
    RETURNING 1
  )`;
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

  const m = markRows(comp, field, ts);
  const markParams = [numbers(m.comp), numbers(m.field), numbers(m.bucket, base)];
  const at = (ms: string) => `to_timestamp(($5::float8 + ${ms}) / 1000)`;

  // The common case: none of them is held yet. A plain insert (cheaper than
  // one that checks for conflicts first); should a reading be held after
  // all, the savepoint undoes it and the general statement below runs.
  const savepoint = `helio_batch_${++savepoints}`;
  await tx.query(`SAVEPOINT ${savepoint}`);
  try {
    await tx.query(
      `WITH ${marksCte(at)}, ins AS (
         INSERT INTO readings (component_id, field, ts, value)
         SELECT ($1::uuid[])[c], f, ${at('t')}, v FROM unnest($2::text::int4[], $3::text::int2[], $4::text::float8[], $6::text::float8[]) AS k(c, f, t, v)
         WHERE (SELECT count(*) FROM marks) >= 0
         RETURNING 1
       )
       ${statusInsert(at, 'ins')}`,
      [components, numbers(comp), numbers(field), numbers(ts, base), base, numbers(value), ...statusParams, ...markParams],
    );
    await tx.query(`RELEASE SAVEPOINT ${savepoint}`);
    return { stored: n, unchanged: 0, replaced: 0 };
  } catch (err) {
    if (!(err instanceof DbError && err.kind === 'unique_violation')) throw err;
    await tx.query(`ROLLBACK TO SAVEPOINT ${savepoint}`);
    await tx.query(`RELEASE SAVEPOINT ${savepoint}`);
  }

  // Readings held already are locked in order after the new ones (as storage.ts does) and replaced where the
  // value differs; their buckets are marked with the rest, and settled from the readings as they are then.
  const { rows } = await tx.query<{ inserted: number; replaced: number }>(
    `WITH ${marksCte(at)}, k AS (
       SELECT c, ($1::uuid[])[c] AS component_id, f AS field, ${at('t')} AS ts, v AS value
       FROM unnest($2::text::int4[], $3::text::int2[], $4::text::float8[], $6::text::float8[]) AS k(c, f, t, v)
       WHERE (SELECT count(*) FROM marks) >= 0
     ), ins AS (
       INSERT INTO readings (component_id, field, ts, value) SELECT component_id, field, ts, value FROM k
       ON CONFLICT DO NOTHING
       RETURNING component_id, field, ts
     ), upd AS (
       INSERT INTO readings AS r (component_id, field, ts, value)
       SELECT k.component_id, k.field, k.ts, k.value FROM k
       WHERE NOT EXISTS (SELECT 1 FROM ins WHERE ins.component_id = k.component_id AND ins.field = k.field AND ins.ts = k.ts)
       ORDER BY k.c, k.field, k.ts
       ON CONFLICT (component_id, field, ts) DO UPDATE SET value = EXCLUDED.value WHERE r.value IS DISTINCT FROM EXCLUDED.value
       RETURNING 1
     ), ${statusCte(at, 'upd')}
     SELECT (SELECT count(*) FROM ins)::int AS inserted, (SELECT count(*) FROM upd)::int AS replaced
     WHERE (SELECT count(*) FROM st) >= 0`,
    [components, numbers(comp), numbers(field), numbers(ts, base), base, numbers(value), ...statusParams, ...markParams],
  );
  const { inserted, replaced } = rows[0]!;
  return { stored: inserted, unchanged: n - inserted - replaced, replaced };
}
