// Test fixtures for the data queries: components and readings written with
// plain SQL, and rollups built from the raw readings the way the contract
// defines them (sum, count, min, max per UTC-aligned 5-minute, 1-hour and
// 1-day bucket), independently of the ingest service.
import type { Db } from '@helio/db';
import { randomUUID } from 'node:crypto';
import { storedField } from '../fields.js';
import { ensurePartitions, monthIndex } from '../readings/partitions.js';

export async function addComponent(
  db: Db,
  organisationId: string,
  siteId: string,
  nodeType: string,
  options: { application?: string; conceptual?: boolean } = {},
): Promise<string> {
  const id = randomUUID();
  await db.query(
    `INSERT INTO components (id, organisation_id, site_id, node_id, name, node_type, application, generation_type, is_conceptual_node, change_seq)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'SOLAR', $8, 0)`,
    [
      id,
      organisationId,
      siteId,
      `node-${id}`,
      `${nodeType} ${id.slice(0, 4)}`,
      nodeType,
      options.application ?? 'GENERATION',
      options.conceptual ?? false,
    ],
  );
  return id;
}

/**
 * Readings of one field every `stepSeconds` in [from, to): a constant, or
 * `minuteOfHour` (the reading's UTC minute, 0..59: so a bucket's min, max and
 * mean say which minutes it holds).
 */
export async function writeSeries(
  db: Db,
  componentId: string,
  field: string,
  from: string,
  to: string,
  value: number | 'minuteOfHour',
  stepSeconds = 60,
): Promise<void> {
  const months = new Set<number>();
  for (let m = monthIndex(Date.parse(from)); m <= monthIndex(Date.parse(to) - 1); m++) months.add(m);
  await ensurePartitions(db, months);
  const expr = value === 'minuteOfHour' ? `extract(minute FROM t AT TIME ZONE 'UTC')::float8` : '$6::float8';
  await db.query(
    `INSERT INTO readings (component_id, field, ts, value)
     SELECT $1, $2, t, ${expr} FROM generate_series($3::timestamptz, $4::timestamptz - interval '1 microsecond', make_interval(secs => $5)) AS t
     ON CONFLICT (component_id, field, ts) DO UPDATE SET value = excluded.value`,
    [componentId, storedField(field)!.code, from, to, stepSeconds, ...(value === 'minuteOfHour' ? [] : [value])],
  );
}

/** Rebuilds the components' rollups from their raw readings. */
export async function rebuildRollups(db: Db, componentIds: string[]): Promise<void> {
  await db.query('DELETE FROM reading_rollups WHERE component_id = ANY($1::uuid[])', [componentIds]);
  for (const [level, seconds] of [
    [1, 300],
    [2, 3600],
    [3, 86400],
  ] as const) {
    await db.query(
      `INSERT INTO reading_rollups (component_id, field, level, bucket, sum, count, min, max)
       SELECT component_id, field, $2, to_timestamp(floor(extract(epoch FROM ts) / $3) * $3), sum(value), count(*), min(value), max(value)
       FROM readings WHERE component_id = ANY($1::uuid[]) GROUP BY 1, 2, 4`,
      [componentIds, level, seconds],
    );
  }
}
