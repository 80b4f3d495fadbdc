import { describe, expect, it } from 'vitest';
import { batchLoader } from './batch-loader.js';

/** A load that records each batch and answers only when told to. */
function controlledLoad() {
  const batches: string[][] = [];
  const answers: ((fail?: Error) => void)[] = [];
  const load = (keys: string[]) => {
    batches.push([...keys]);
    return new Promise<string[]>((resolve, reject) => {
      answers.push((fail) => (fail ? reject(fail) : resolve(keys.map((k) => `value of ${k}`))));
    });
  };
  return { load, batches, answer: (i: number, fail?: Error) => answers[i]!(fail) };
}

/** Lets a few event-loop turns pass: calls gather and loads start. */
async function turns(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

describe('batchLoader', () => {
  it('answers the calls of one turn with one load, each with its own value', async () => {
    const { load, batches, answer } = controlledLoad();
    const get = batchLoader(load);
    const calls = [get('a'), get('b'), get('a')];
    await turns();
    answer(0);
    expect(await Promise.all(calls)).toEqual(['value of a', 'value of b', 'value of a']);
    expect(batches).toEqual([['a', 'b', 'a']]);
  });

  it('never adds a call to a load already started: it waits for the next, which takes all that waited', async () => {
    const { load, batches, answer } = controlledLoad();
    const get = batchLoader(load);
    const first = get('a');
    await turns();
    const later = [get('b'), get('c')];
    await turns();
    // The first load is still out: the later calls wait rather than join it.
    expect(batches).toEqual([['a']]);
    answer(0);
    expect(await first).toBe('value of a');
    await turns();
    expect(batches).toEqual([['a'], ['b', 'c']]);
    answer(1);
    expect(await Promise.all(later)).toEqual(['value of b', 'value of c']);
  });

  it('splits what waited into loads of at most maxBatch keys', async () => {
    const { load, batches, answer } = controlledLoad();
    const get = batchLoader(load, 2);
    const calls = [get('a'), get('b'), get('c')];
    await turns();
    expect(batches).toEqual([['a', 'b']]);
    answer(0);
    await turns();
    expect(batches).toEqual([['a', 'b'], ['c']]);
    answer(1);
    expect(await Promise.all(calls)).toEqual(['value of a', 'value of b', 'value of c']);
  });

  it('fails every call of a load that fails, and serves the next calls', async () => {
    const { load, answer } = controlledLoad();
    const get = batchLoader(load);
    const failed = [get('a'), get('b')];
    await turns();
    answer(0, new Error('database gone'));
    for (const call of failed) await expect(call).rejects.toThrow('database gone');
    const next = get('c');
    await turns();
    answer(1);
    expect(await next).toBe('value of c');
  });

  it('fails the calls when a load throws or answers the wrong number of values', async () => {
    const throwing = batchLoader((): Promise<string[]> => {
      throw new Error('bad query');
    });
    await expect(throwing('a')).rejects.toThrow('bad query');
    const short = batchLoader(async (keys: string[]) => keys.slice(1));
    await expect(Promise.all([short('a'), short('b')])).rejects.toThrow('batch load answered 1 values for 2 keys');
  });
});
