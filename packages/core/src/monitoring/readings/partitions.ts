// Monthly partitions of `readings`, named readings_yYYYYmMM and created on
// demand before a batch is inserted. Which exist is remembered per Db, so a
// steady stream of readings asks the catalog once per month per process.
import { DbError, type Db } from '@helio/db';

const known = new WeakMap<Db, Set<string>>();

/** The month (UTC) of an instant, as `year * 12 + month0`. */
export function monthIndex(ms: number): number {
  const d = new Date(ms);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}

function monthStart(index: number): string {
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-01 00:00:00+00`;
}

export function partitionName(index: number): string {
  return `readings_y${String(Math.floor(index / 12)).padStart(4, '0')}m${String((index % 12) + 1).padStart(2, '0')}`;
}

/** The months of the timestamps in `ts` (sorted within runs, so a month is looked up once per run). */
export function monthsOf(ts: Float64Array): Set<number> {
  const months = new Set<number>();
  let from = Infinity;
  let to = -Infinity;
  for (const t of ts) {
    if (t >= from && t < to) continue;
    const index = monthIndex(t);
    months.add(index);
    // The rest of the month needs no further lookup.
    from = Date.UTC(Math.floor(index / 12), index % 12, 1);
    to = Date.UTC(Math.floor(index / 12), (index % 12) + 1, 1);
  }
  return months;
}

async function existingPartitions(db: Db): Promise<Set<string>> {
  let set = known.get(db);
  if (!set) {
    const { rows } = await db.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'readings'::regclass`,
    );
    set = new Set(rows.map((r) => r.name));
    known.set(db, set);
  }
  return set;
}

/** Forgets what is known of `db`'s partitions (one was dropped under us). */
export function forgetPartitions(db: Db): void {
  known.delete(db);
}

/**
 * Creates the partitions of these months that do not exist yet, each in a
 * short transaction of its own, outside the readings' transaction: creating
 * a partition locks the parent table, which must not be held for a whole
 * batch. Another server may create the same partition at the same moment;
 * its "already exists" is success here.
 */
export async function ensurePartitions(db: Db, months: Iterable<number>): Promise<void> {
  const existing = await existingPartitions(db);
  for (const index of [...months].sort((a, b) => a - b)) {
    const name = partitionName(index);
    if (existing.has(name)) continue;
    try {
      await db.transaction((tx) =>
        tx.query(
          `CREATE TABLE IF NOT EXISTS ${name} PARTITION OF readings FOR VALUES FROM ('${monthStart(index)}') TO ('${monthStart(index + 1)}')`,
        ),
      );
    } catch (err) {
      // 42P07 duplicate_table; a racing CREATE can also trip the catalog's unique index on the row type's name.
      const raced =
        err instanceof DbError && (err.sqlState === '42P07' || err.kind === 'unique_violation' || /already exists/.test(err.message));
      if (!raced) throw err;
    }
    existing.add(name);
  }
}

/** True for the error an insert gets when no partition holds a row's time. */
export function isMissingPartition(err: unknown): boolean {
  return err instanceof DbError && /no partition of relation/.test(err.message);
}
