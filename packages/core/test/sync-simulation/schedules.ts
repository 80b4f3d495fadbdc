// The 100 random schedules of the simulation, declared in blocks of ten. They
// take most of the simulation's time, so they are spread over several test
// files, which the runner can give to different workers.
import type { Engine } from '@helio/db';
import { testEngines } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabases, openDatabases, type SimDatabases } from './databases.js';
import { runSeed } from './run.js';

export const SCHEDULES = 100;
const BLOCK = 10;

/** A describe per engine whose tests share one set of simulation databases (`dbs()`), opened once. */
export function describeOnEachEngine(fn: (dbs: () => SimDatabases, engine: Engine) => void): void {
  for (const engine of testEngines) {
    describe(`sync simulation, server on ${engine}`, () => {
      let dbs: SimDatabases;
      beforeAll(async () => {
        dbs = await openDatabases(engine);
      });
      afterAll(async () => {
        await closeDatabases(dbs);
      });
      fn(() => dbs, engine);
    });
  }
}

/** Declares the blocks of schedules `first`..`last` (whole blocks) on each engine. */
export function describeSchedules(first: number, last: number): void {
  describeOnEachEngine((dbs) => {
    for (let from = first; from <= last; from += BLOCK) {
      const to = from + BLOCK - 1;
      it(`keeps every invariant in schedules ${from}-${to}: no lost or doubled write, order, convergence, isolation, read-your-writes, one conflict record per conflict`, async () => {
        const failures: string[] = [];
        for (let seed = from; seed <= to; seed++) {
          const result = await runSeed(dbs(), seed);
          for (const v of result.violations) failures.push(`seed ${seed}: ${v}`);
        }
        expect(failures).toEqual([]);
      }, 120_000);
    }
  });
}
