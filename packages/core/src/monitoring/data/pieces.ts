// A bucket of any zone as a union of stored rollups. Rollups are aligned to
// UTC at three levels (1 = 5 minutes, 2 = 1 hour, 3 = 1 day); a bucket
// [a, b) is cut into ranges of whole rollups of each level, largest in the
// middle: whole UTC days, whole UTC hours at the day edges, whole 5-minute
// steps at the hour edges, and raw readings for what is left at the very
// edges. Every zone offset in use today is a multiple of 15 minutes, so the
// raw remainder is empty except for historic local mean times (LA was
// −07:52:58 until 1883).

/** 0 = raw readings, 1 = 5-minute rollups, 2 = hourly rollups, 3 = daily rollups. */
export type PieceLevel = 0 | 1 | 2 | 3;

/** The rollups (or raw readings) of one level whose start lies in [from, to). */
export interface Piece {
  level: PieceLevel;
  from: number;
  to: number;
}

/** Each level's rollup length in milliseconds. */
export const LEVEL_STEP: Record<1 | 2 | 3, number> = { 1: 300_000, 2: 3_600_000, 3: 86_400_000 };

/**
 * The pieces of [from, to), in time order, using levels up to `maxLevel`:
 * at most two ranges of each level below the largest that fits, so a bucket
 * costs a handful of index ranges whatever its length.
 */
export function decompose(from: number, to: number, maxLevel: 0 | 1 | 2 | 3 = 3): Piece[] {
  if (from >= to) return [];
  for (let level = maxLevel; level >= 1; level--) {
    const step = LEVEL_STEP[level as 1 | 2 | 3];
    const first = Math.ceil(from / step) * step;
    const last = Math.floor(to / step) * step;
    if (first < last) {
      const below = (level - 1) as 0 | 1 | 2;
      return [...decompose(from, first, below), { level: level as PieceLevel, from: first, to: last }, ...decompose(last, to, below)];
    }
  }
  return [{ level: 0, from, to }];
}

/** A piece whose rollups are added (1) or subtracted (−1). */
export interface SignedPiece extends Piece {
  sign: 1 | -1;
}

interface Plan {
  pieces: SignedPiece[];
  /** Rollup rows (raw readings counted as one a minute) read. */
  rows: number;
}

const STEP5 = LEVEL_STEP[1];
const rowsOf = (p: Piece) => (p.to - p.from) / (p.level === 0 ? 60_000 : LEVEL_STEP[p.level]);
const negate = (pieces: readonly SignedPiece[]) => pieces.map((p) => ({ ...p, sign: -p.sign as 1 | -1 }));
/** Fewer rows, then fewer pieces (index ranges), then fewer subtractions. */
const better = (a: Plan, b: Plan) =>
  a.rows !== b.rows
    ? a.rows < b.rows
    : a.pieces.length !== b.pieces.length
      ? a.pieces.length < b.pieces.length
      : a.pieces.filter((p) => p.sign < 0).length < b.pieces.filter((p) => p.sign < 0).length;

function plan(from: number, to: number, maxLevel: PieceLevel): Plan {
  if (from >= to) return { pieces: [], rows: 0 };
  if (maxLevel === 0) return { pieces: [{ level: 0, from, to, sign: 1 }], rows: (to - from) / 60_000 };
  const below = (maxLevel - 1) as PieceLevel;
  let best = plan(from, to, below);
  if (best.rows <= 1) return best;
  const step = LEVEL_STEP[maxLevel];
  const lo = Math.floor(from / step) * step;
  const hi = Math.ceil(to / step) * step;
  // An edge is covered from inside (its remainder added with smaller
  // pieces) or from outside (one more piece of this level, its excess
  // subtracted): only 5-minute-aligned excess, never raw readings.
  const lefts: { at: number; plan: Plan }[] = [];
  const ceilFrom = Math.ceil(from / step) * step;
  lefts.push({ at: ceilFrom, plan: plan(from, ceilFrom, below) });
  if (lo < from && from % STEP5 === 0) {
    const excess = plan(lo, from, below);
    lefts.push({ at: lo, plan: { pieces: negate(excess.pieces), rows: excess.rows } });
  }
  const rights: { at: number; plan: Plan }[] = [];
  const floorTo = Math.floor(to / step) * step;
  rights.push({ at: floorTo, plan: plan(floorTo, to, below) });
  if (hi > to && to % STEP5 === 0) {
    const excess = plan(to, hi, below);
    rights.push({ at: hi, plan: { pieces: negate(excess.pieces), rows: excess.rows } });
  }
  for (const l of lefts) {
    for (const r of rights) {
      if (l.at >= r.at) continue;
      const middle: SignedPiece = { level: maxLevel, from: l.at, to: r.at, sign: 1 };
      const candidate = { pieces: [...l.plan.pieces, middle, ...r.plan.pieces], rows: l.plan.rows + rowsOf(middle) + r.plan.rows };
      if (better(candidate, best)) best = candidate;
    }
  }
  return best;
}

/**
 * Signed pieces of [from, to) for sums and counts (never min or max): a
 * bucket may be covered from outside and the excess subtracted, e.g. the
 * Europe/Berlin day [d−1 23:00Z, d 23:00Z) = hour[d−1 23:00Z] + day[d] −
 * hour[d 23:00Z], 3 rows instead of 24. Chooses, per level and per edge,
 * the fewest rollup rows read. Only 5-minute-aligned ranges are
 * subtracted (raw readings are only ever added), and a subtracted range
 * whose rows are missing subtracts nothing, which is exact: ingest keeps
 * every level, so a coarser rollup holds exactly the finer rows it spans.
 * Σ sign × (indicator of each piece) is the indicator of [from, to).
 */
export function decomposeSigned(from: number, to: number, maxLevel: 0 | 1 | 2 | 3 = 3): SignedPiece[] {
  if (from >= to) return [];
  // Every step divides a day, so a decomposition moves with whole UTC days:
  // a year of daily or a month of 5-minute buckets plans a few shapes only.
  const day = LEVEL_STEP[3];
  const shift = Math.floor(from / day) * day;
  const key = `${maxLevel}:${from - shift}:${to - from}`;
  let shape = shapes.get(key);
  if (!shape) {
    if (shapes.size >= 10_000) shapes.clear();
    shape = plan(from - shift, to - shift, maxLevel).pieces;
    shapes.set(key, shape);
  }
  return shape.map((p) => ({ ...p, from: p.from + shift, to: p.to + shift }));
}

const shapes = new Map<string, SignedPiece[]>();
