// The sync invariants of issue 3, proved by seeded, deterministic
// simulation: 1-4, 6-8 over 100 random schedules (in schedules-*.test.ts; a
// schedule that breaks one names its seed: `npm run soak:sync -- --seed S`
// replays it exactly), 9 over kills at random statements of an initial sync,
// 5 with two real concurrent transactions on PostgreSQL.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { initialSync, seedInitialSyncServer, type InitialSyncOutcome, type InitialSyncServer } from './initial-sync.js';
import { runSeed } from './run.js';
import { describeOnEachEngine } from './schedules.js';
import { noSkippedChangeScenario } from './skipped-change.js';

describeOnEachEngine((dbs, engine) => {
  it('replays a seed identically', async () => {
    const [a, b] = [await runSeed(dbs(), 7), await runSeed(dbs(), 7)];
    expect(b.stats).toEqual(a.stats);
    expect(b.fingerprint).toBe(a.fingerprint);
  });

  describe('an initial sync killed at any statement', () => {
    const limit = 4;
    let seeded: InitialSyncServer;
    let reference: InitialSyncOutcome;
    beforeAll(async () => {
      seeded = await seedInitialSyncServer(dbs().server);
      reference = await initialSync(dbs().clients[0]!, seeded, limit, []);
    });

    it('ends in the same state as one never killed, re-fetching at most one page per kill', async () => {
      expect(reference.responses).toBeGreaterThan(3);
      await fc.assert(
        fc.asyncProperty(fc.array(fc.nat(reference.statements), { minLength: 1, maxLength: 3 }), async (killAfter) => {
          const killed = await initialSync(dbs().clients[0]!, seeded, limit, killAfter);
          // Each kill counts from the previous one: a late one may come after the sync is done.
          expect(killed.crashes).toBeGreaterThanOrEqual(killAfter[0]! < reference.statements ? 1 : 0);
          expect(killed.state).toEqual(reference.state);
          expect(killed.responses).toBeLessThanOrEqual(reference.responses + killed.crashes);
          expect(killed.changes).toBeLessThanOrEqual(reference.changes + killed.crashes * limit * seeded.organisations);
        }),
        { seed: 9, numRuns: 25 },
      );
    }, 120_000);
  });

  it.skipIf(engine !== 'postgres')('delivers both of two transactions that commit around a pull, in order, skipping neither', async () => {
    const pulls = await noSkippedChangeScenario(dbs().server);
    expect(pulls).toEqual([[], ['first'], ['second']]);
  });
});
