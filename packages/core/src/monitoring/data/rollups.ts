// The SQL behind the data calls. Every query takes whole lists at once (a
// request is a handful of statements whatever its number of buckets, sites
// or components): arrays travel as one text parameter each and are unnested.
//
// Intervals are the answer's slots (a bucket, or a bucket cut at a site's
// startup date); members map components to groups (a component's own group,
// or a site's energy or weather group). Granularities of 5 minutes and more
// read rollups only, by pieces (pieces.ts); 1-minute buckets and `latest`
// read raw readings, bounded by time (raw.ts).
import type { Queryable } from '@helio/db';
import { settleRollups } from '../readings/settle.js';
import { decompose, decomposeSigned, type SignedPiece } from './pieces.js';

export interface Interval {
  /** The answer slot this interval fills. */
  idx: number;
  from: number;
  to: number;
  /** Only these groups (a site's own cut); absent: every group. */
  groups?: readonly number[];
}

export interface Member {
  componentId: string;
  group: number;
}

/** sum, count, min and max of a (slot, group, field), and the sum over the group's components of each one's mean. */
export interface Aggregate {
  sum: number;
  count: number;
  min: number;
  max: number;
  sumOfMeans: number;
}

export const list = (values: readonly (number | string)[]) => `{${values.join(',')}}`;

/** `to_timestamp` of a float8 expression of epoch milliseconds. */
export const tsOf = (ms: string) => `to_timestamp(${ms} / 1000.0)`;

/** Every read of rollups first settles its components' readings stored without them (settle.ts). */
const settleMembers = (q: Queryable, members: readonly Member[]) =>
  settleRollups(
    q,
    members.map((m) => m.componentId),
  );

export const aggregateKey = (idx: number, group: number, field: number) => `${idx}:${group}:${field}`;

interface PieceRow {
  idx: number;
  group: number | null;
  level: number;
  from: number;
  to: number;
  /** Added (1) or subtracted (−1): signed pieces serve sums and counts only. */
  sign: 1 | -1;
}

function pieceRows(intervals: readonly Interval[], maxLevel: 0 | 1 | 2 | 3, signed = false): PieceRow[] {
  const rows: PieceRow[] = [];
  for (const iv of intervals) {
    const pieces: SignedPiece[] = signed
      ? decomposeSigned(iv.from, iv.to, maxLevel)
      : decompose(iv.from, iv.to, maxLevel).map((p) => ({ ...p, sign: 1 }));
    for (const p of pieces) {
      for (const group of iv.groups ?? [null]) rows.push({ idx: iv.idx, group, level: p.level, from: p.from, to: p.to, sign: p.sign });
    }
  }
  return rows;
}

/** Each interval as one range of 5-minute rollups (the steps the model and a site's power extremes run on). */
function stepRows(intervals: readonly Interval[]): PieceRow[] {
  return intervals.flatMap((iv) =>
    (iv.groups ?? [null]).map((group) => ({ idx: iv.idx, group, level: 1, from: iv.from, to: iv.to, sign: 1 as const })),
  );
}

/**
 * Pieces of a level that cover most of their span, for every group, are read
 * with one range scan per component and field (`dense`); the rest with one
 * index range scan per piece (`sparse`): 5-minute buckets over a month are
 * one scan, not nine thousand, and a year of daily buckets does not scan
 * every hour of the year for its edges. Added and subtracted pieces are
 * split apart (one bucket's subtracted hour is often the next one's added
 * hour; a dense scan needs disjoint pieces).
 */
function splitDense(rows: readonly PieceRow[]): { sparse: PieceRow[]; dense: PieceRow[] } {
  const sparse: PieceRow[] = rows.filter((r) => r.level === 0 || r.group !== null);
  const dense: PieceRow[] = [];
  for (const [level, sign] of [1, 2, 3].flatMap((l) => [[l, 1] as const, [l, -1] as const])) {
    const candidates = rows.filter((r) => r.level === level && r.sign === sign && r.group === null).sort((a, b) => a.from - b.from);
    if (candidates.length === 0) continue;
    const disjoint = candidates.every((r, i) => i === 0 || candidates[i - 1]!.to <= r.from);
    const covered = candidates.reduce((n, r) => n + (r.to - r.from), 0);
    const span = candidates[candidates.length - 1]!.to - candidates[0]!.from;
    (candidates.length > 1 && disjoint && covered * 2 >= span ? dense : sparse).push(...candidates);
  }
  return { sparse, dense };
}

/**
 * The CTE \`src\`: what is stored in the pieces, with columns idx, grp,
 * component_id, field, s, c, lo, hi, level and at. With \`perPiece\`, one row
 * per (slot, group, component, field) and piece, already summed (\`at\`
 * null); else one row per rollup or raw reading, \`at\` its bucket.
 *
 * Every scan is a LATERAL subquery with OFFSET 0, which the planner may not
 * flatten into a hash join over all of a component's rollups (its choice
 * when the tables have no statistics yet, thousands of times slower), and
 * names the field by equality so the whole primary key bounds it.
 */
function sources(
  rows: readonly PieceRow[],
  members: readonly Member[],
  fields: readonly number[],
  perPiece: boolean,
): { sql: string; params: string[] } {
  const { sparse, dense } = splitDense(rows);
  // A piece that serves several slots (one bucket's subtracted edge hour is
  // the next one's added hour) is read once: \`p\` holds each distinct piece,
  // \`pm\` which slots take it and with which sign.
  const pieceIds = new Map<string, number>();
  const distinct: PieceRow[] = [];
  const uses = sparse.map((r) => {
    const key = `${r.level}:${r.from}:${r.to}:${r.group}`;
    let pid = pieceIds.get(key);
    if (pid === undefined) {
      pieceIds.set(key, (pid = distinct.length));
      distinct.push(r);
    }
    return { pid, idx: r.idx, sign: r.sign };
  });
  const withRaw = distinct.some((r) => r.level === 0);
  const summed = (sum: string, count: string, min: string, max: string) =>
    perPiece
      ? `sum(${sum}) AS s, sum(${count}) AS c, min(${min}) AS lo, max(${max}) AS hi, NULL::timestamptz AS at`
      : `${sum} AS s, ${count} AS c, ${min} AS lo, ${max} AS hi`;
  const having = perPiece ? ' HAVING count(*) > 0' : '';
  const sql = `p AS (
      SELECT pid, grp, level, ${tsOf('t0')} AS t0, ${tsOf('t1')} AS t1
      FROM unnest($1::text::int[], $2::text::int[], $3::text::int[], $4::text::float8[], $5::text::float8[]) AS p(pid, grp, level, t0, t1)
    ), pm AS (
      SELECT pid, idx, sign FROM unnest($13::text::int[], $15::text::int[], $16::text::int[]) AS pm(pid, idx, sign)
    ), m AS (
      SELECT component_id, grp FROM unnest($6::text::uuid[], $7::text::int[]) AS m(component_id, grp)
    ), f AS (
      SELECT code FROM unnest($8::text::int2[]) AS f(code)
    ), d AS (
      SELECT level, sign, array_agg(${tsOf('t0')} ORDER BY t0) AS starts, array_agg(${tsOf('t1')} ORDER BY t0) AS ends,
        array_agg(idx ORDER BY t0) AS idxs, ${tsOf('min(t0)')} AS lo, ${tsOf('max(t1)')} AS hi
      FROM unnest($9::text::int[], $10::text::int[], $11::text::float8[], $12::text::float8[], $14::text::int[]) AS d(idx, level, t0, t1, sign)
      GROUP BY level, sign
    ), pr AS MATERIALIZED (
      SELECT p.pid, m.grp, m.component_id, f.code AS field, r.s, r.c, r.lo, r.hi, p.level, r.at
      FROM p JOIN m ON p.grp IS NULL OR p.grp = m.grp CROSS JOIN f
      CROSS JOIN LATERAL (
        SELECT ${summed('sum', 'count', 'min', 'max')}${perPiece ? '' : ', bucket AS at'} FROM reading_rollups
        WHERE component_id = m.component_id AND field = f.code AND level = p.level AND bucket >= p.t0 AND bucket < p.t1${having} OFFSET 0
      ) r
      WHERE p.level > 0${
        withRaw
          ? `
      UNION ALL
      SELECT p.pid, m.grp, m.component_id, f.code, r.s, r.c, r.lo, r.hi, 0, r.at
      FROM p JOIN m ON p.grp IS NULL OR p.grp = m.grp CROSS JOIN f
      CROSS JOIN LATERAL (
        SELECT ${summed('value', '1', 'value', 'value')}${perPiece ? '' : ', p.t0 AS at'} FROM readings
        WHERE component_id = m.component_id AND field = f.code AND ts >= p.t0 AND ts < p.t1${having} OFFSET 0
      ) r
      WHERE p.level = 0`
          : ''
      }
    ), src AS (
      SELECT pm.idx, pr.grp, pr.component_id, pr.field, pm.sign * pr.s AS s, pm.sign * pr.c AS c, pr.lo, pr.hi, pr.level, pr.at
      FROM pr JOIN pm ON pm.pid = pr.pid
      UNION ALL
      SELECT d.idxs[r.k], m.grp, m.component_id, f.code, d.sign * r.s, d.sign * r.c, r.lo, r.hi, d.level, r.at
      FROM d CROSS JOIN m CROSS JOIN f
      CROSS JOIN LATERAL (
        SELECT w.k, ${summed('x.sum', 'x.count', 'x.min', 'x.max')}${perPiece ? '' : ', x.bucket AS at'}
        FROM (
          SELECT sum, count, min, max, bucket FROM reading_rollups
          WHERE component_id = m.component_id AND field = f.code AND level = d.level AND bucket >= d.lo AND bucket < d.hi OFFSET 0
        ) x CROSS JOIN LATERAL (SELECT width_bucket(x.bucket, d.starts) AS k) w
        WHERE x.bucket < d.ends[w.k]${perPiece ? ' GROUP BY w.k' : ''}
      ) r
    )`;
  return {
    sql,
    params: [
      list(distinct.map((_, i) => i)),
      list(distinct.map((r) => r.group ?? 'NULL')),
      list(distinct.map((r) => r.level)),
      list(distinct.map((r) => r.from)),
      list(distinct.map((r) => r.to)),
      list(members.map((m) => m.componentId)),
      list(members.map((m) => m.group)),
      list(fields),
      list(dense.map((r) => r.idx)),
      list(dense.map((r) => r.level)),
      list(dense.map((r) => r.from)),
      list(dense.map((r) => r.to)),
      list(uses.map((u) => u.pid)),
      list(dense.map((r) => r.sign)),
      list(uses.map((u) => u.idx)),
      list(uses.map((u) => u.sign)),
    ],
  };
}

export interface AggregateRow {
  idx: number;
  grp: number;
  field: number;
  s: number;
  c: number;
  lo: number;
  hi: number;
  means: number;
}

export function toAggregates(rows: readonly AggregateRow[]): Map<string, Aggregate> {
  const out = new Map<string, Aggregate>();
  for (const r of rows) {
    out.set(aggregateKey(r.idx, r.grp, r.field), {
      sum: Number(r.s),
      count: Number(r.c),
      min: Number(r.lo),
      max: Number(r.hi),
      sumOfMeans: Number(r.means),
    });
  }
  return out;
}

// Per component first (its own sum and count give its mean), then per group.
// A count of 0 (signed pieces whose subtracted rows cancel the added ones)
// is no value: that component held no readings in the interval.
export const GROUPED = (source: string) => `
  per AS (
    SELECT idx, grp, component_id, field, sum(s) AS s, sum(c) AS c, min(lo) AS lo, max(hi) AS hi
    FROM ${source} GROUP BY idx, grp, component_id, field HAVING sum(c) > 0
  )
  SELECT idx, grp, field, sum(s)::float8 AS s, sum(c)::float8 AS c, min(lo) AS lo, max(hi) AS hi, sum(s / c)::float8 AS means
  FROM per GROUP BY idx, grp, field`;

/**
 * Exact aggregates of each interval from the rollups (and raw readings for
 * remainders under 5 minutes): sums and counts add, min and max combine, so
 * an average is Σsum / Σcount over the pieces.
 *
 * With `sumsOnly` (no min or max wanted), the pieces are signed
 * (decomposeSigned): Σ sign × sum and Σ sign × count, far fewer rows for
 * buckets not aligned to UTC days; min and max are then NaN. Sums of values
 * not exactly representable may differ from a direct sum in the last bits.
 */
export async function aggregateRollups(
  q: Queryable,
  intervals: readonly Interval[],
  members: readonly Member[],
  fields: readonly number[],
  opts: { sumsOnly?: boolean } = {},
): Promise<Map<string, Aggregate>> {
  if (intervals.length === 0 || members.length === 0 || fields.length === 0) return new Map();
  await settleMembers(q, members);
  const signed = opts.sumsOnly === true;
  const src = sources(pieceRows(intervals, 3, signed), members, fields, true);
  const { rows: out } = await q.query<AggregateRow>(`WITH ${src.sql}, ${GROUPED('src')}`, src.params);
  const aggs = toAggregates(out);
  if (signed) for (const a of aggs.values()) Object.assign(a, { min: NaN, max: NaN });
  return aggs;
}

export interface Extremes {
  max: number;
  min: number;
}

/**
 * For a group summed over components (a site's power): the highest and
 * lowest 5-minute value of the sum of its components' 5-minute means, per
 * interval.
 */
export async function summedExtremes(
  q: Queryable,
  intervals: readonly Interval[],
  members: readonly Member[],
  fields: readonly number[],
): Promise<Map<string, Extremes>> {
  if (intervals.length === 0 || members.length === 0 || fields.length === 0) return new Map();
  await settleMembers(q, members);
  const src = sources(stepRows(intervals), members, fields, false);
  const { rows: out } = await q.query<{ idx: number; grp: number; field: number; hi: number; lo: number }>(
    `WITH ${src.sql}, steps AS (SELECT idx, grp, field, at, sum(s / c) AS v FROM src GROUP BY idx, grp, field, at)
     SELECT idx, grp, field, max(v) AS hi, min(v) AS lo FROM steps GROUP BY idx, grp, field`,
    src.params,
  );
  return new Map(out.map((r) => [aggregateKey(r.idx, r.grp, r.field), { max: Number(r.hi), min: Number(r.lo) }]));
}

/** One step of weather: the pooled means of a group's readings in a 5-minute rollup step (or a 1-minute bucket). */
export interface WeatherStep {
  idx: number;
  group: number;
  hours: number;
  poa: number | null;
  ghi: number | null;
  moduleTemp: number | null;
  ambientTemp: number | null;
}

export interface WeatherCodes {
  poa: number;
  ghi: number;
  moduleTemp: number;
  ambientTemp: number;
}

export const weatherColumns = (codes: WeatherCodes, fieldCol: string, sumCol: string, countCol: string) =>
  (['poa', 'ghi', 'moduleTemp', 'ambientTemp'] as const)
    .map(
      (k) =>
        `(sum(${sumCol}) FILTER (WHERE ${fieldCol} = ${codes[k]})) / (sum(${countCol}) FILTER (WHERE ${fieldCol} = ${codes[k]}))::float8 AS "${k}"`,
    )
    .join(', ');

/**
 * The weather of every 5-minute step (level-1 rollup) starting in each
 * interval, pooled over the group's stations: what the PV model runs on.
 */
export async function weatherSteps(
  q: Queryable,
  intervals: readonly Interval[],
  members: readonly Member[],
  codes: WeatherCodes,
): Promise<WeatherStep[]> {
  if (intervals.length === 0 || members.length === 0) return [];
  await settleMembers(q, members);
  const src = sources(stepRows(intervals), members, Object.values(codes), false);
  const { rows: out } = await q.query<Omit<WeatherStep, 'hours'> & { grp: number }>(
    `WITH ${src.sql} SELECT idx, grp, ${weatherColumns(codes, 'field', 's', 'c')} FROM src GROUP BY idx, grp, at`,
    src.params,
  );
  return out.map((r) => ({ ...r, group: r.grp, hours: 5 / 60 }));
}

/**
 * Insolation (Wh/m²) of a field per interval and group: the sum over the
 * interval's hourly rollups of (mean × 1 h), over 5-minute rollups at edges
 * that are not whole UTC hours (mean × 5/60 h), and over raw readings for
 * what is left (mean × its length). An hour or step without readings adds
 * nothing; several stations are pooled per hour or step.
 */
export async function insolation(
  q: Queryable,
  intervals: readonly Interval[],
  members: readonly Member[],
  field: number,
): Promise<Map<string, number>> {
  if (intervals.length === 0 || members.length === 0) return new Map();
  await settleMembers(q, members);
  const rows = pieceRows(intervals, 2);
  const withRaw = rows.some((r) => r.level === 0);
  const src = sources(
    rows.filter((r) => r.level > 0),
    members,
    [field],
    false,
  );
  const { rows: out } = await q.query<{ idx: number; grp: number; v: number }>(
    `WITH ${src.sql}, steps AS (
       SELECT idx, grp, level, at, sum(s) / sum(c)::float8 * CASE level WHEN 1 THEN 1.0 / 12 ELSE 1.0 END AS v
       FROM src GROUP BY idx, grp, level, at
     )
     SELECT idx, grp, sum(v)::float8 AS v FROM steps GROUP BY idx, grp`,
    src.params,
  );
  const result = new Map(out.map((r) => [`${r.idx}:${r.grp}`, Number(r.v)]));
  if (withRaw) {
    // Remainders under 5 minutes (historic zone offsets only): mean × length.
    const raw = rows.filter((r) => r.level === 0);
    const pieces = raw.map((r, i) => ({ idx: i, from: r.from, to: r.to, ...(r.group === null ? {} : { groups: [r.group] }) }));
    const aggs = await aggregateRollups(q, pieces, members, [field]);
    raw.forEach((r, i) => {
      for (const m of new Set(members.map((x) => x.group))) {
        const a = aggs.get(aggregateKey(i, m, field));
        if (!a) continue;
        const key = `${r.idx}:${m}`;
        result.set(key, (result.get(key) ?? 0) + (a.sum / a.count) * ((r.to - r.from) / 3_600_000));
      }
    });
  }
  return result;
}

/** Per group: the start of the first 5-minute step holding an energy reading of its components. */
export async function firstReadings(q: Queryable, members: readonly Member[], field: number): Promise<Map<number, number>> {
  if (members.length === 0) return new Map();
  await settleMembers(q, members);
  const { rows } = await q.query<{ grp: number; first: Date }>(
    `SELECT m.grp, min(f.bucket) AS first
     FROM unnest($1::text::uuid[], $2::text::int[]) AS m(component_id, grp)
     CROSS JOIN LATERAL (
       SELECT bucket FROM reading_rollups WHERE component_id = m.component_id AND field = $3 AND level = 1 ORDER BY bucket LIMIT 1
     ) f GROUP BY m.grp`,
    [list(members.map((m) => m.componentId)), list(members.map((m) => m.group)), field],
  );
  return new Map(rows.map((r) => [r.grp, new Date(r.first).getTime()]));
}

/** Which of the fields each component has any rollup of (its daily rollups are the fewest). */
export async function storedFieldsOf(
  q: Queryable,
  componentIds: readonly string[],
  fields: readonly number[],
): Promise<Map<string, Set<number>>> {
  const out = new Map<string, Set<number>>(componentIds.map((id) => [id, new Set()]));
  if (componentIds.length === 0 || fields.length === 0) return out;
  await settleRollups(q, componentIds);
  const { rows } = await q.query<{ id: string; code: number }>(
    // One index probe per (component, field): a LATERAL with LIMIT 1 keeps the planner from hashing
    // the whole rollups table for what is a handful of lookups.
    `SELECT c.id, f.code
     FROM unnest($1::text::uuid[]) AS c(id) CROSS JOIN unnest($2::text::int2[]) AS f(code)
     CROSS JOIN LATERAL (SELECT 1 FROM reading_rollups r WHERE r.component_id = c.id AND r.field = f.code AND r.level = 3 LIMIT 1) AS found`,
    [list(componentIds), list(fields)],
  );
  for (const r of rows) out.get(r.id)?.add(Number(r.code));
  return out;
}
