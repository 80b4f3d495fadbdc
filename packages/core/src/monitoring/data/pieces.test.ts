import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decompose, decomposeSigned, LEVEL_STEP, type Piece, type SignedPiece } from './pieces.js';

const at = (iso: string) => Date.parse(iso);
const show = (pieces: Piece[]) =>
  pieces.map((p) => [p.level, new Date(p.from).toISOString().slice(0, 16), new Date(p.to).toISOString().slice(0, 16)]);

describe('decompose', () => {
  it('reads a whole UTC day from one daily rollup', () => {
    expect(show(decompose(at('2024-03-10T00:00Z'), at('2024-03-11T00:00Z')))).toEqual([[3, '2024-03-10T00:00', '2024-03-11T00:00']]);
  });

  it('cuts a Europe/Berlin day (23:00Z to 23:00Z) into hours only', () => {
    expect(show(decompose(at('2024-03-09T23:00Z'), at('2024-03-10T23:00Z')))).toEqual([[2, '2024-03-09T23:00', '2024-03-10T23:00']]);
  });

  it('cuts an Asia/Kathmandu month into 5-minute edges, hours and whole days', () => {
    // March 2024 local = 02-29T18:15Z .. 03-31T18:15Z.
    expect(show(decompose(at('2024-02-29T18:15Z'), at('2024-03-31T18:15Z')))).toEqual([
      [1, '2024-02-29T18:15', '2024-02-29T19:00'],
      [2, '2024-02-29T19:00', '2024-03-01T00:00'],
      [3, '2024-03-01T00:00', '2024-03-31T00:00'],
      [2, '2024-03-31T00:00', '2024-03-31T18:00'],
      [1, '2024-03-31T18:00', '2024-03-31T18:15'],
    ]);
  });

  it('reads raw readings for what is shorter than a 5-minute step (historic offsets with seconds)', () => {
    // Los Angeles' local mean time was −07:52:58: its midnight fell at 07:52:58Z.
    const pieces = decompose(at('1880-01-01T07:52:58Z'), at('1880-01-02T07:52:58Z'));
    expect(pieces[0]).toEqual({ level: 0, from: at('1880-01-01T07:52:58Z'), to: at('1880-01-01T07:55:00Z') });
    expect(pieces.at(-1)).toEqual({ level: 0, from: at('1880-01-02T07:50:00Z'), to: at('1880-01-02T07:52:58Z') });
    expect(pieces.map((p) => p.level)).toEqual([0, 1, 2, 1, 0]);
  });

  it('covers the interval exactly, piece after piece, never above the level asked', () => {
    const from = at('2024-01-01T05:45Z');
    const to = at('2024-02-03T07:10Z');
    const pieces = decompose(from, to, 2);
    expect(pieces[0]!.from).toBe(from);
    expect(pieces.at(-1)!.to).toBe(to);
    pieces.forEach((p, i) => {
      if (i > 0) expect(p.from).toBe(pieces[i - 1]!.to);
      expect(p.level).toBeLessThanOrEqual(2);
    });
    expect(decompose(to, to)).toEqual([]);
  });
});

const signed = (pieces: SignedPiece[]) => pieces.map((p) => [p.sign, ...show([p])[0]!]);
const rowsRead = (pieces: Piece[]) => pieces.reduce((n, p) => n + (p.level === 0 ? 0 : (p.to - p.from) / LEVEL_STEP[p.level]), 0);
const STEP = LEVEL_STEP[1];

/** Σ sign over the pieces covering each 5-minute cell of [lo, hi) (raw pieces split into their part of a cell, in ms). */
function coverage(pieces: SignedPiece[], lo: number, hi: number): Map<number, number> {
  const cells = new Map<number, number>();
  for (const p of pieces) {
    expect(p.level === 0 || (p.from % LEVEL_STEP[p.level] === 0 && p.to % LEVEL_STEP[p.level] === 0)).toBe(true);
    if (p.level === 0) expect(p.sign).toBe(1);
    expect(p.from).toBeGreaterThanOrEqual(lo);
    expect(p.to).toBeLessThanOrEqual(hi);
    for (let t = Math.floor(p.from / STEP) * STEP; t < p.to; t += STEP) {
      const part = Math.min(p.to, t + STEP) - Math.max(p.from, t);
      cells.set(t, (cells.get(t) ?? 0) + p.sign * part);
    }
  }
  return cells;
}

describe('decomposeSigned', () => {
  it('reads a Europe/Berlin winter day as hour + day − hour', () => {
    expect(signed(decomposeSigned(at('2024-01-09T23:00Z'), at('2024-01-10T23:00Z')))).toEqual([
      [1, 2, '2024-01-09T23:00', '2024-01-10T00:00'],
      [1, 3, '2024-01-10T00:00', '2024-01-11T00:00'],
      [-1, 2, '2024-01-10T23:00', '2024-01-11T00:00'],
    ]);
  });

  it('reads a Europe/Berlin summer day (22:00Z) from 3 pieces instead of 24 hours', () => {
    const pieces = decomposeSigned(at('2024-07-09T22:00Z'), at('2024-07-10T22:00Z'));
    expect(signed(pieces)).toEqual([
      [1, 2, '2024-07-09T22:00', '2024-07-10T00:00'],
      [1, 3, '2024-07-10T00:00', '2024-07-11T00:00'],
      [-1, 2, '2024-07-10T22:00', '2024-07-11T00:00'],
    ]);
    expect(rowsRead(pieces)).toBe(5);
    expect(rowsRead(decompose(at('2024-07-09T22:00Z'), at('2024-07-10T22:00Z')))).toBe(24);
  });

  it('reads Asia/Kolkata (+05:30) and Asia/Kathmandu (+05:45) days with fewer rows than unsigned', () => {
    // Kolkata: 18:30Z to 18:30Z.
    const kolkata = decomposeSigned(at('2024-03-09T18:30Z'), at('2024-03-10T18:30Z'));
    expect(rowsRead(kolkata)).toBe(23);
    expect(rowsRead(decompose(at('2024-03-09T18:30Z'), at('2024-03-10T18:30Z')))).toBe(35);
    // Kathmandu: 18:15Z to 18:15Z.
    const kathmandu = decomposeSigned(at('2024-03-09T18:15Z'), at('2024-03-10T18:15Z'));
    expect(signed(kathmandu)).toEqual([
      [-1, 1, '2024-03-09T18:00', '2024-03-09T18:15'],
      [1, 2, '2024-03-09T18:00', '2024-03-10T00:00'],
      [1, 3, '2024-03-10T00:00', '2024-03-11T00:00'],
      [1, 1, '2024-03-10T18:00', '2024-03-10T18:15'],
      [-1, 2, '2024-03-10T18:00', '2024-03-11T00:00'],
    ]);
    expect(rowsRead(kathmandu)).toBe(19);
    expect(rowsRead(decompose(at('2024-03-09T18:15Z'), at('2024-03-10T18:15Z')))).toBe(35);
  });

  it('reads a 5-minute bucket as its one rollup, and nothing for an empty interval', () => {
    expect(signed(decomposeSigned(at('2024-03-09T18:15Z'), at('2024-03-09T18:20Z')))).toEqual([
      [1, 1, '2024-03-09T18:15', '2024-03-09T18:20'],
    ]);
    expect(decomposeSigned(at('2024-03-09T18:15Z'), at('2024-03-09T18:15Z'))).toEqual([]);
  });

  it('never subtracts raw readings (historic offsets with seconds)', () => {
    const pieces = decomposeSigned(at('1880-01-01T07:52:58Z'), at('1880-01-02T07:52:58Z'));
    expect(pieces.filter((p) => p.level === 0).map((p) => p.sign)).toEqual([1, 1]);
    const cells = coverage(pieces, at('1880-01-01T00:00Z'), at('1880-01-03T00:00Z'));
    expect([...cells.values()].reduce((a, b) => a + b, 0)).toBe(86_400_000);
  });

  it('covers exactly [from, to), never reads more rows than unsigned, and never goes above the level asked', () => {
    const origin = at('2024-03-01T00:00Z');
    const DAYS = 4;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: DAYS * 86_400_000 }),
        fc.integer({ min: 0, max: DAYS * 86_400_000 }),
        fc.constantFrom(1, 60_000, STEP, 15 * 60_000),
        fc.constantFrom(0, 1, 2, 3),
        (a, b, grain, maxLevel) => {
          const [from, to] = [origin + Math.floor(Math.min(a, b) / grain) * grain, origin + Math.floor(Math.max(a, b) / grain) * grain];
          const level = maxLevel as 0 | 1 | 2 | 3;
          const pieces = decomposeSigned(from, to, level);
          for (const p of pieces) expect(p.level).toBeLessThanOrEqual(level);
          if (level > 0) expect(rowsRead(pieces)).toBeLessThanOrEqual(rowsRead(decompose(from, to, level)));
          const lo = origin - 86_400_000;
          const cells = coverage(pieces, lo, origin + (DAYS + 1) * 86_400_000);
          for (const [t, v] of cells) {
            const inside = Math.max(0, Math.min(to, t + STEP) - Math.max(from, t));
            expect(v, new Date(t).toISOString()).toBe(inside);
          }
          if (from < to) for (let t = Math.floor(from / STEP) * STEP; t < to; t += STEP) expect(cells.has(t)).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
