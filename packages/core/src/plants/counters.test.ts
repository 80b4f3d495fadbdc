import { describe, expect, it } from 'vitest';
import { advanceCounter, counterKey, parseCounterStates, type CounterSource, type CounterState } from './counters.js';

const SOURCE: CounterSource = { template: 'tpl-1', version: 1, signal: 'e_total', scale: 1000, provision: 'prov-1' };
const at = (t: number, v: number, source = SOURCE): CounterState => ({ t, v, ...source });

/** Feeds readings through the counter, collecting the interval energy. */
function run(readings: [t: number, v: number, source?: CounterSource][], start?: CounterState) {
  let state = start;
  const energy: [number, number][] = [];
  const notes: (string | undefined)[] = [];
  for (const [t, v, source = SOURCE] of readings) {
    const step = advanceCounter(state, t, v, source);
    if (step.energy) energy.push([step.energy.ts, step.energy.value]);
    notes.push(step.note);
    state = step.state;
  }
  return { energy, notes, state };
}

describe('lifetime counters', () => {
  it('turns counter readings into the energy of each interval, dated at its start', () => {
    const { energy, notes, state } = run([
      [1000, 5000],
      [2000, 5012.5],
      [3000, 5012.5],
      [5000, 5100],
    ]);
    expect(energy).toEqual([
      [1000, 12.5],
      [2000, 0],
      [3000, 87.5],
    ]);
    expect(notes).toEqual(['first', undefined, undefined, undefined]);
    expect(state).toEqual(at(5000, 5100));
  });

  it('gives no energy for the interval in which a counter went backwards, and restarts from there', () => {
    const { energy, notes } = run([
      [1000, 900],
      [2000, 950],
      [3000, 3],
      [4000, 10],
    ]);
    expect(energy).toEqual([
      [1000, 50],
      [3000, 7],
    ]);
    expect(notes[2]).toBe('reset');
  });

  it('ignores a redelivered reading and one older than the last, so the total is counted once', () => {
    const { energy, notes, state } = run(
      [
        [2000, 120],
        [2000, 120],
        [1500, 110],
        [3000, 150],
      ],
      at(1000, 100),
    );
    expect(energy).toEqual([
      [1000, 20],
      [2000, 30],
    ]);
    expect(notes).toEqual([undefined, 'repeat', 'late', undefined]);
    expect(energy.reduce((s, [, v]) => s + v, 0)).toBe(150 - 100);
    expect(state).toEqual(at(3000, 150));
  });

  it('leaves no float noise in the differences of large counters', () => {
    const { energy } = run([
      [0, 123456789.1],
      [1000, 123456789.3],
    ]);
    expect(energy).toEqual([[0, 0.2]]);
  });

  it('starts again, with no energy for the interval, when the value comes from another template, version, signal, scale or provisioning', () => {
    const changes: Partial<CounterSource>[] = [
      { scale: 1 },
      { version: 2 },
      { template: 'tpl-2' },
      { signal: 'energy' },
      { provision: 'prov-2' },
      { provision: null },
    ];
    for (const change of changes) {
      const other = { ...SOURCE, ...change };
      // A scale fixed from 1 to 1000 would otherwise book the whole counter as one interval's energy.
      const { energy, notes, state } = run([
        [1000, 5000],
        [2000, 5001],
        [3000, 5_002_000, other],
        [4000, 5_003_000, other],
      ]);
      expect(energy, JSON.stringify(change)).toEqual([
        [1000, 1],
        [3000, 1000],
      ]);
      expect(notes[2]).toBe('new-source');
      expect(state).toEqual(at(4000, 5_003_000, other));
    }
    // A late reading from another source changes nothing: the state only moves forwards.
    expect(run([[500, 1, { ...SOURCE, version: 0 }]], at(1000, 5000))).toMatchObject({
      energy: [],
      notes: ['late'],
      state: at(1000, 5000),
    });
  });

  it('keys states by sub-device and field, and reads back only well-formed ones, with their source', () => {
    expect(counterKey(null, 'Wh')).toBe('|Wh');
    expect(counterKey('inv-1', 'WhExp')).toBe('inv-1|WhExp');
    expect(
      parseCounterStates({
        '|Wh': at(1, 2),
        '|WhImp': { ...at(1, 2), template: null, version: null, provision: null },
        bad: { ...at(1, 2), t: 'x' },
        worse: null,
        nan: { ...at(1, 2), v: null },
        // Without its source (as written before sources were kept): starts again.
        old: { t: 1, v: 2 },
        noScale: { ...at(1, 2), scale: '1' },
      }),
    ).toEqual({
      '|Wh': at(1, 2),
      '|WhImp': { ...at(1, 2), template: null, version: null, provision: null },
    });
    expect(parseCounterStates(null)).toEqual({});
    expect(parseCounterStates([1])).toEqual({});
  });
});
