// The data calls that read raw readings: 1-minute buckets and `latest`.
// Each is one range scan per component and field, bounded by time, with
// every reading placed in its bucket by width_bucket over the buckets' edges.
import type { Queryable } from '@helio/db';
import {
  GROUPED,
  list,
  toAggregates,
  tsOf,
  weatherColumns,
  type Aggregate,
  type AggregateRow,
  type Interval,
  type Member,
  type WeatherCodes,
  type WeatherStep,
} from './rollups.js';

/**
 * Aggregates of contiguous intervals (1-minute buckets, the latest minute)
 * from raw readings: one range scan, each reading placed in its interval.
 */
export async function aggregateRaw(
  q: Queryable,
  intervals: readonly Interval[],
  members: readonly Member[],
  fields: readonly number[],
): Promise<Map<string, Aggregate>> {
  if (intervals.length === 0 || members.length === 0 || fields.length === 0) return new Map();
  const bounds = [...intervals.map((i) => i.from), intervals[intervals.length - 1]!.to];
  const { rows } = await q.query<AggregateRow>(
    `WITH b AS (SELECT array_agg(${tsOf('t')} ORDER BY t) AS bounds FROM unnest($1::text::float8[]) AS b(t)),
     m AS (SELECT component_id, grp FROM unnest($2::text::uuid[], $3::text::int[]) AS m(component_id, grp)),
     ${GROUPED(`(
       SELECT width_bucket(r.ts, b.bounds) - 1 AS idx, m.grp, m.component_id, f.code AS field, r.value AS s, 1 AS c, r.value AS lo, r.value AS hi
       FROM b, m CROSS JOIN unnest($4::text::int2[]) AS f(code) CROSS JOIN LATERAL (
         SELECT ts, value FROM readings
         WHERE component_id = m.component_id AND field = f.code AND ts >= ${tsOf('$5::float8')} AND ts < ${tsOf('$6::float8')} OFFSET 0
       ) r) x`)}`,
    [
      list(bounds),
      list(members.map((m) => m.componentId)),
      list(members.map((m) => m.group)),
      list(fields),
      bounds[0],
      bounds[bounds.length - 1],
    ],
  );
  // Slots are positions in `intervals`; map them back to the caller's idx.
  return toAggregates(rows.map((r) => ({ ...r, idx: intervals[r.idx]!.idx })));
}

/** The weather of each contiguous 1-minute interval, from raw readings. */
export async function weatherMinutes(
  q: Queryable,
  intervals: readonly Interval[],
  members: readonly Member[],
  codes: WeatherCodes,
): Promise<WeatherStep[]> {
  if (intervals.length === 0 || members.length === 0) return [];
  const bounds = [...intervals.map((i) => i.from), intervals[intervals.length - 1]!.to];
  const { rows } = await q.query<Omit<WeatherStep, 'hours'> & { grp: number; slot: number }>(
    `WITH b AS (SELECT array_agg(${tsOf('t')} ORDER BY t) AS bounds FROM unnest($1::text::float8[]) AS b(t)),
     m AS (SELECT component_id, grp FROM unnest($2::text::uuid[], $3::text::int[]) AS m(component_id, grp))
     SELECT width_bucket(r.ts, b.bounds) - 1 AS slot, m.grp, ${weatherColumns(codes, 'f.code', 'r.value', '1')}
     FROM b, m CROSS JOIN unnest($4::text::int2[]) AS f(code) CROSS JOIN LATERAL (
       SELECT ts, value FROM readings
       WHERE component_id = m.component_id AND field = f.code AND ts >= ${tsOf('$5::float8')} AND ts < ${tsOf('$6::float8')} OFFSET 0
     ) r
     GROUP BY 1, 2`,
    [
      list(bounds),
      list(members.map((m) => m.componentId)),
      list(members.map((m) => m.group)),
      list(Object.values(codes)),
      bounds[0],
      bounds[bounds.length - 1],
    ],
  );
  return rows.map((r) => {
    const iv = intervals[r.slot]!;
    return {
      idx: iv.idx,
      group: r.grp,
      hours: (iv.to - iv.from) / 3_600_000,
      poa: r.poa,
      ghi: r.ghi,
      moduleTemp: r.moduleTemp,
      ambientTemp: r.ambientTemp,
    };
  });
}

/** The newest reading's instant among the components and fields, or null. */
export async function newestReading(q: Queryable, componentIds: readonly string[], fields: readonly number[]): Promise<number | null> {
  if (componentIds.length === 0 || fields.length === 0) return null;
  const { rows } = await q.query<{ ts: Date | null }>(
    `SELECT max(x.ts) AS ts
     FROM unnest($1::text::uuid[]) AS c(id) CROSS JOIN unnest($2::text::int2[]) AS f(code)
     CROSS JOIN LATERAL (SELECT ts FROM readings WHERE component_id = c.id AND field = f.code ORDER BY ts DESC LIMIT 1) x`,
    [list(componentIds), list(fields)],
  );
  const ts = rows[0]?.ts;
  return ts ? new Date(ts).getTime() : null;
}
