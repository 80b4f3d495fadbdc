// Invariant 5, with two real concurrent transactions (PostgreSQL): the
// first takes its change sequence and stays open, the second starts while
// it is open, and pulls run between their commits. Were sequences handed out
// without the counter's row lock, the second could commit first, a pull would
// move the cursor past the first's number, and the first change would never
// be delivered. With the lock the second waits, and each pull sees a prefix.
import { nestedDb, type Db } from '@helio/db';
import { createOrganisation } from '../../src/organisations/service.js';
import { createSite } from '../../src/sites/service.js';
import { lastChangeSeq } from '../../src/testing.js';
import { createUser } from '../../src/users/service.js';
import { PROTOCOL_VERSION, SCHEMA_VERSION } from '../../src/sync/protocol.js';
import { pull } from '../../src/sync/pull.js';
import { resetDatabase } from './databases.js';
import { Rng, seededIds, SimClock } from './determinism.js';
import { SimServer } from './world.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Waits (by polling, never by a deadline that decides the outcome) until PostgreSQL shows a session waiting on a lock. */
async function untilSomeoneWaitsOnALock(db: Db): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted');
    if (rows[0]!.n > 0) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error('the second transaction never waited for the first');
}

/** The site names each of three pulls delivered: before either commit, after the first, after the second. */
export async function noSkippedChangeScenario(db: Db): Promise<string[][]> {
  await resetDatabase(db);
  const clock = new SimClock(Date.UTC(2026, 0, 1));
  const server = new SimServer(db, clock, seededIds(new Rng(5), clock));
  const org = await createOrganisation(server.system(), { name: 'Concurrent' });
  const owner = await createUser(server.system(), { email: 'owner@example.com', name: 'Owner', organisationId: org.id, role: 'owner' });
  const ctx = await server.as(owner.id);
  let cursor = await lastChangeSeq(db, org.id);
  const pullNames = async () => {
    const res = await pull(ctx, {
      protocolVersion: PROTOCOL_VERSION,
      schemaVersion: SCHEMA_VERSION,
      clientId: server.ids.uuid(),
      cursors: { [org.id]: cursor },
    });
    const page = res.organisations[0]!;
    cursor = page.cursor;
    return page.changes.filter((c) => c.table === 'sites').map((c) => c.row['site_name'] as string);
  };
  const writer = (name: string, written: () => void, release: Promise<void>) =>
    db.transaction(async (tx) => {
      await createSite({ ...ctx, db: nestedDb(tx, db.engine) }, { siteName: name });
      written();
      await release;
    });

  const firstWritten = deferred();
  const firstRelease = deferred();
  const secondWritten = deferred();
  const secondRelease = deferred();
  const first = writer('first', firstWritten.resolve, firstRelease.promise);
  await firstWritten.promise;
  const second = writer('second', secondWritten.resolve, secondRelease.promise);
  await untilSomeoneWaitsOnALock(db);

  const pulls = [await pullNames()];
  firstRelease.resolve();
  await first;
  await secondWritten.promise;
  pulls.push(await pullNames());
  secondRelease.resolve();
  await second;
  pulls.push(await pullNames());
  return pulls;
}
