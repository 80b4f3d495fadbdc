// Every writer of the registry takes its lock first (locks.ts). Only
// PostgreSQL runs writers side by side (PGlite has one connection), so these
// tests run there: a holder plays an import, which holds the lock, then the
// organisation's change counter, then the rows it writes.
import { randomUUID } from 'node:crypto';
import type { Queryable } from '@helio/db';
import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../ids.js';
import { HybridClock } from '../sync/hlc.js';
import { PROTOCOL_VERSION, SCHEMA_VERSION, type Mutation } from '../sync/protocol.js';
import { push } from '../sync/push.js';
import { SyncSchema } from '../sync/synced-table.js';
import { syncSchema } from '../sync/tables.js';
import { contextFor, seedOrganisation, type TestOrganisation } from '../testing.js';
import { createCommunityMember, getCommunityMember, updateCommunityMember } from './entities.js';
import { seedCommunity, type SeededCommunity } from './entities/testing.js';
import { lockRegistry } from './locks.js';

/** Resolves once another session waits for a lock (within 10 s), or fails. */
async function someoneWaits(db: TestDb): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())',
    );
    if (rows[0]!.n > 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no session came to wait for a lock');
}

/** As an import would at this point: the registry's lock and the change counter, held until `then` is done. */
async function asImport(db: TestDb, organisationId: string, then: (tx: Queryable) => Promise<void>): Promise<void> {
  await db.transaction(async (tx) => {
    await lockRegistry(tx);
    // A deadlock would be found after deadlock_timeout (1 s); a plain wait ends here, with a clear error.
    await tx.query("SET LOCAL lock_timeout = '5s'");
    await then(tx);
    await tx.query('SELECT last_seq FROM organisation_change_counters WHERE organisation_id = $1 FOR UPDATE', [organisationId]);
  });
}

describe.runIf(testEngines.includes('postgres'))('the registry lock comes first for every writer (postgres)', () => {
  let db: TestDb;
  let org: TestOrganisation;
  let community: SeededCommunity;
  beforeAll(async () => {
    db = await freshTestDb('postgres');
    org = await seedOrganisation(db, 'Lock Order');
    community = await seedCommunity(contextFor(db), org.id, 'lock-order');
  });
  afterAll(async () => {
    await db?.dispose();
  });

  /** A device's batch: a site created (which takes the change counter), then a member created (which takes the registry's lock). */
  function siteThenMember(key: string, name: string, schema: SyncSchema = syncSchema) {
    const clientId = randomUUID();
    const clock = new HybridClock(clientId.replaceAll('-', ''), systemClock);
    const member = randomUUID();
    const mutations: Mutation[] = [
      { seq: 1, table: 'sites', op: 'create', id: randomUUID(), organisationId: org.id, fields: { siteName: name }, hlc: clock.now() },
      {
        seq: 2,
        table: 'community_members',
        op: 'create',
        id: member,
        organisationId: org.id,
        fields: { community_id: community.id, key, name, role: 'consumer', area: 'north', status: 'active' },
        hlc: clock.now(),
      },
    ];
    return {
      member,
      push: () => push(org.as.admin, { protocolVersion: PROTOCOL_VERSION, schemaVersion: SCHEMA_VERSION, clientId, mutations }, schema),
    };
  }

  /** The batch's results, and the member it created. */
  async function bothApplied(pushing: ReturnType<typeof push> | undefined, member: string, name: string): Promise<void> {
    const { results } = await pushing!;
    expect(results.map((r) => [r.seq, r.status, r.code])).toEqual([
      [1, 'applied', null],
      [2, 'applied', null],
    ]);
    expect((await getCommunityMember(org.as.admin, member)).name).toBe(name);
  }

  it('an edit that checks nothing against other rows (a rename) waits for the lock before it locks its row', async () => {
    const member = await createCommunityMember(org.as.admin, {
      community_id: community.id,
      organisation_id: org.id,
      key: 'm-rename',
      name: 'Before',
      role: 'consumer',
      area: 'north',
      status: 'active',
    });
    let renaming: Promise<unknown> | undefined;
    await asImport(db, org.id, async (tx) => {
      renaming = updateCommunityMember(org.as.admin, member.id, { name: 'By the desk' });
      await someoneWaits(db);
      // The import writes the member row under the lock: had the rename locked the row first, this would deadlock.
      await tx.query("UPDATE community_members SET name = 'By the import' WHERE id = $1", [member.id]);
    });
    await renaming;
    expect((await getCommunityMember(org.as.admin, member.id)).name).toBe('By the desk');
  });

  it('a push batch that creates a site and then writes the registry takes the lock before its first mutation', async () => {
    const batch = siteThenMember('m-pushed', 'Pushed');
    let pushing: ReturnType<typeof push> | undefined;
    // Had the batch taken the change counter for the site first, the import's counter lock below would deadlock with it.
    await asImport(db, org.id, async () => {
      pushing = batch.push();
      await someoneWaits(db);
      // The batch waits before its first mutation: it has not touched the change counters.
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
         WHERE c.relname = 'organisation_change_counters' AND l.pid <> pg_backend_pid() AND l.granted`,
      );
      expect(rows[0]!.n).toBe(0);
    });
    await bothApplied(pushing, batch.member, 'Pushed');
  });

  it('a batch PostgreSQL aborts for a deadlock runs again, rather than refusing the mutation', async () => {
    // A schema whose registry tables declare no lock to take first: the batch takes the counter, then waits for the lock.
    const unordered = new SyncSchema(
      syncSchema.tables.map((t) => (t.writes?.lockFirst ? { ...t, writes: { ...t.writes, lockFirst: undefined } } : t)),
    );
    const batch = siteThenMember('m-retried', 'Retried', unordered);
    let pushing: ReturnType<typeof push> | undefined;
    await asImport(db, org.id, async () => {
      pushing = batch.push();
      await someoneWaits(db);
    });
    await bothApplied(pushing, batch.member, 'Retried');
  });
});
