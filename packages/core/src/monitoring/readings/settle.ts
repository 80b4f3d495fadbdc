// Rollups of readings stored without them. The MQTT gateway's writer
// (batch.ts) stores readings with a mark per (component, field, 5-minute
// bucket) instead of adding them to three levels of rollups: a plant sends
// every few seconds, and summing each few milliseconds' messages into their
// buckets cost more than the readings. Settling recomputes the marked
// buckets from the readings, every message since the last settle at once:
// level 1 from the readings, level 2 from level 1, level 3 from level 2.
//
// Every read of rollups settles its components first (data/rollups.ts,
// alerts/site-data.ts), so what a reader sees is exact; the server also
// settles on a schedule, so that marks do not pile up for components nobody
// reads.
//
// Exact beside the writers that add to rollups as they store (storage.ts)
// without a lock of our own. A settle, in one transaction:
//   1. takes its components' marks in key order and deletes them; a mark
//      another settle is taking is waited for, and then gone: that settle
//      has done it;
//   2. locks every bucket it will recompute, at every level, in the order
//      every writer of rollups takes them (component, level, field, bucket),
//      inserting an empty one where there is none yet;
//   3. recomputes them, one level a statement. Each statement starts after
//      the locks were granted, so it sees every reading whose writer added
//      to these buckets; a writer that adds to them later waits for our
//      locks and adds on top of what we computed, which does not hold its
//      readings. A mark written after step 1 stays for the next settle.
// Writers write their marks before anything else, so a writer waiting for a
// settle's mark holds no lock the settle could wait for.
import type { Db, Queryable } from '@helio/db';
import { rollupLevels } from './storage.js';

/** The width of a mark's bucket: the rollups' first level. */
export const MARK_MS = rollupLevels[0].ms;

/** Settles at most this many marks a transaction on the schedule, and this many components' for a reader. */
const SCHEDULE_BATCH = 2_000;
const COMPONENTS_A_TRANSACTION = 100;

function list(values: readonly (string | number)[]): string {
  return `{${values.join(',')}}`;
}

/** Runs `fn` in a transaction of its own when `q` can open one, else in the caller's. */
function inTransaction<T>(q: Queryable, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  const db = q as Partial<Db>;
  return typeof db.transaction === 'function' ? db.transaction(fn) : fn(q);
}

interface Mark {
  component: string;
  field: number;
  /** Milliseconds since the epoch, a multiple of MARK_MS. */
  bucket: number;
}

/**
 * Brings these components' rollups up to date with every reading committed
 * so far. Cheap when none of them has a mark (one index lookup). Resolves to
 * the marks it settled. Given a `Db`, it settles `COMPONENTS_A_TRANSACTION`
 * components a transaction: a writer of a component waits for the settle
 * that holds its marks, so no transaction holds many.
 */
export async function settleRollups(q: Queryable, componentIds: readonly string[]): Promise<number> {
  if (componentIds.length === 0) return 0;
  const sorted = [...new Set(componentIds)].sort();
  const { rows } = await q.query('SELECT 1 FROM reading_rollup_marks WHERE component_id = ANY($1::text::uuid[]) LIMIT 1', [list(sorted)]);
  if (rows.length === 0) return 0;
  const own = typeof (q as Partial<Db>).transaction === 'function';
  const size = own ? COMPONENTS_A_TRANSACTION : sorted.length;
  let settled = 0;
  for (let i = 0; i < sorted.length; i += size) {
    const ids = list(sorted.slice(i, i + size));
    settled += await inTransaction(q, async (tx) => settleMarks(tx, await takeMarks(tx, 'component_id = ANY($1::text::uuid[])', [ids])));
  }
  return settled;
}

/**
 * Settles a site's components in a transaction of its own: before a longer
 * transaction that reads them (the alert rules), which would otherwise hold
 * the marks and buckets it settles, and so the writers of those components,
 * until it ends.
 */
export async function settleSiteRollups(db: Db, siteId: string): Promise<number> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM components WHERE site_id = $1', [siteId]);
  return settleRollups(
    db,
    rows.map((r) => r.id),
  );
}

/** Settles every component's marks, a bounded number a transaction; resolves to how many. For the server's schedule. */
export async function settleAllRollups(db: Db): Promise<number> {
  let settled = 0;
  for (;;) {
    const n = await db.transaction(async (tx) =>
      // SKIP LOCKED: marks a reader is settling now are its to finish.
      settleMarks(tx, await takeMarks(tx, 'true', [], `LIMIT ${SCHEDULE_BATCH} FOR UPDATE SKIP LOCKED`)),
    );
    settled += n;
    if (n < SCHEDULE_BATCH) return settled;
  }
}

/** Step 1: the marks, deleted, in key order. */
async function takeMarks(tx: Queryable, where: string, params: unknown[], lock = 'FOR UPDATE'): Promise<Mark[]> {
  const { rows } = await tx.query<{ c: string; f: number; b: number }>(
    `WITH m AS (
       SELECT component_id, field, bucket FROM reading_rollup_marks WHERE ${where} ORDER BY component_id, field, bucket ${lock}
     ), d AS (
       DELETE FROM reading_rollup_marks x USING m
       WHERE x.component_id = m.component_id AND x.field = m.field AND x.bucket = m.bucket
       RETURNING x.component_id, x.field, x.bucket
     )
     SELECT component_id::text AS c, field AS f, (extract(epoch FROM bucket) * 1000)::float8 AS b FROM d`,
    params,
  );
  return rows.map((r) => ({ component: r.c, field: Number(r.f), bucket: Number(r.b) }));
}

/** Component ids in the order PostgreSQL sorts uuids (their lowercase text's order). */
const byComponent = (a: Mark, b: Mark) => (a.component < b.component ? -1 : a.component > b.component ? 1 : 0);

/** The distinct (component, field, bucket) of each level the marks fall in, sorted (component, field, bucket). */
function bucketsPerLevel(marks: readonly Mark[]): Mark[][] {
  return rollupLevels.map(({ ms }) => {
    const seen = new Map<string, Mark>();
    for (const m of marks) {
      const bucket = Math.floor(m.bucket / ms) * ms;
      const key = `${m.component}|${m.field}|${bucket}`;
      if (!seen.has(key)) seen.set(key, { component: m.component, field: m.field, bucket });
    }
    return [...seen.values()].sort((a, b) => byComponent(a, b) || a.field - b.field || a.bucket - b.bucket);
  });
}

/** Steps 2 and 3. Resolves to the number of marks. */
async function settleMarks(tx: Queryable, marks: readonly Mark[]): Promise<number> {
  if (marks.length === 0) return 0;
  const levels = bucketsPerLevel(marks);

  // 2. Every bucket locked in (component, level, field, bucket) order, an empty one made where none is.
  const locks = levels
    .flatMap((buckets, l) => buckets.map((b) => ({ ...b, level: rollupLevels[l]!.level })))
    .sort((a, b) => byComponent(a, b) || a.level - b.level || a.field - b.field || a.bucket - b.bucket);
  await tx.query(
    `INSERT INTO reading_rollups AS r (component_id, field, level, bucket, sum, count, min, max)
     SELECT c, f, l, to_timestamp(b / 1000), 0, 0, 'Infinity', '-Infinity'
     FROM unnest($1::text::uuid[], $2::text::int2[], $3::text::int2[], $4::text::float8[]) WITH ORDINALITY AS u(c, f, l, b, i)
     ORDER BY i
     ON CONFLICT (component_id, field, level, bucket) DO UPDATE SET count = r.count WHERE false`,
    [
      list(locks.map((k) => k.component)),
      list(locks.map((k) => k.field)),
      list(locks.map((k) => k.level)),
      list(locks.map((k) => k.bucket)),
    ],
  );

  // 3. Level by level, each from the one below, one index range scan a bucket.
  for (const [l, { level, interval }] of rollupLevels.entries()) {
    const buckets = levels[l]!;
    const source =
      level === 1
        ? `SELECT sum(s.value) AS s, count(*)::int AS n, min(s.value) AS mn, max(s.value) AS mx FROM readings s
           WHERE s.component_id = k.c AND s.field = k.f AND s.ts >= k.bucket AND s.ts < k.bucket + interval '${interval}'`
        : `SELECT sum(s.sum) AS s, sum(s.count)::int AS n, min(s.min) AS mn, max(s.max) AS mx FROM reading_rollups s
           WHERE s.component_id = k.c AND s.field = k.f AND s.level = ${level - 1}
             AND s.bucket >= k.bucket AND s.bucket < k.bucket + interval '${interval}' AND s.count > 0`;
    await tx.query(
      `WITH k AS (SELECT c, f, to_timestamp(b / 1000) AS bucket FROM unnest($1::text::uuid[], $2::text::int2[], $3::text::float8[]) AS k(c, f, b)),
       a AS (SELECT k.c, k.f, k.bucket, x.* FROM k CROSS JOIN LATERAL (${source}) x)
       UPDATE reading_rollups r SET sum = a.s, count = a.n, min = a.mn, max = a.mx
       FROM a WHERE r.component_id = a.c AND r.field = a.f AND r.level = ${level} AND r.bucket = a.bucket AND a.n > 0`,
      [list(buckets.map((k) => k.component)), list(buckets.map((k) => k.field)), list(buckets.map((k) => k.bucket))],
    );
  }
  return marks.length;
}
