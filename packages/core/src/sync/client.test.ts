import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createSite, getSite, listSites } from '../sites/service.js';
import { contextFor, seedOrganisation, type TestOrganisation } from '../testing.js';
import { membershipsOf } from '../users/service.js';
import { SyncClient, type SyncTransport } from './client.js';
import { pull } from './pull.js';
import { push } from './push.js';

type Db = TestDb;

/** A transport straight into the server's services, acting as `userId` with their current memberships. */
function transportFor(server: Db, userId: string, faults: { loseNextPushResponse?: boolean } = {}): SyncTransport {
  const ctx = async () => contextFor(server, { kind: 'user', userId, memberships: await membershipsOf({ db: server }, userId) });
  return {
    push: async (req) => {
      const res = await push(await ctx(), req);
      if (faults.loseNextPushResponse) {
        faults.loseNextPushResponse = false;
        throw new Error('connection reset after the server applied the push');
      }
      return res;
    },
    pull: async (req) => pull(await ctx(), req),
  };
}

const userOf = (org: TestOrganisation, role: 'technician' | 'admin' | 'viewer' | 'owner') => (org.as[role].principal as { userId: string }).userId;

async function rowsOf(db: Db, table: string, organisationId: string) {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT to_jsonb(x) - 'change_seq' - 'created_at' - 'updated_at' - 'field_clocks' AS row FROM ${table} x WHERE organisation_id = $1 ORDER BY id`,
    [organisationId],
  );
  return rows.map((r) => r['row']);
}

for (const engine of testEngines) {
  describe(`sync client against a server on ${engine}`, () => {
    const dbs: Db[] = [];
    afterEach(async () => {
      for (const db of dbs.splice(0)) await db.dispose();
    });
    const fresh = async (e: typeof engine) => {
      const db = await freshTestDb(e);
      dbs.push(db);
      return db;
    };

    it('keeps offline writes readable locally, then converges field by field with the server', async () => {
      const server = await fresh(engine);
      const org = await seedOrganisation(server, 'Field Co');
      const local = await fresh('pglite');
      const faults = { loseNextPushResponse: false };
      const client = await SyncClient.open({ db: local, clock: { now: () => new Date() }, ids: contextFor(local).ids, userId: userOf(org, 'technician'), transport: transportFor(server, userOf(org, 'technician'), faults) });
      await client.sync();

      // Offline: the write lands locally and reads show it.
      const { id } = await client.write({ table: 'sites', op: 'create', organisationId: org.id, fields: { siteName: 'Barn roof', capacity: 12 } });
      await client.write({ table: 'sites', op: 'update', id, organisationId: org.id, fields: { capacity: 14 } });
      expect((await listSites(await client.context(), {})).map((s) => [s.siteName, s.capacity])).toEqual([['Barn roof', 14]]);
      expect((await client.status()).pending).toBe(2);

      // The response to the push is lost after the server applied it; the retry applies nothing twice.
      faults.loseNextPushResponse = true;
      await expect(client.pushOnce()).rejects.toThrow(/connection reset/);
      await client.sync();
      expect((await client.status()).pending).toBe(0);
      expect(await getSite(org.as.viewer, id)).toMatchObject({ siteName: 'Barn roof', capacity: 14 });
      const { rows } = await server.query<{ n: number }>('SELECT count(*)::int AS n FROM sites WHERE id = $1', [id]);
      expect(rows[0]!.n).toBe(1);
      for (const table of ['organisations', 'memberships', 'portfolios', 'sites']) {
        expect(await rowsOf(local, table, org.id), table).toEqual(await rowsOf(server, table, org.id));
      }
    });

    it('resolves a concurrent offline edit by the later clock and shows the conflict on both clients', async () => {
      const server = await fresh(engine);
      const org = await seedOrganisation(server, 'Two Techs');
      const site = await createSite(org.as.admin, { siteName: 'Shared roof' });
      let now = Date.now();
      const clock = { now: () => new Date(now) };
      const open = async (role: 'technician' | 'admin') => {
        const db = await fresh('pglite');
        const c = await SyncClient.open({ db, clock, ids: contextFor(db).ids, userId: userOf(org, role), transport: transportFor(server, userOf(org, role)) });
        await c.sync();
        return { db, c };
      };
      const one = await open('technician');
      const two = await open('admin');
      await one.c.write({ table: 'sites', op: 'update', id: site.id, organisationId: org.id, fields: { siteName: 'Named by one' } });
      now += 1000;
      await two.c.write({ table: 'sites', op: 'update', id: site.id, organisationId: org.id, fields: { siteName: 'Named by two' } });
      await one.c.sync();
      await two.c.sync();
      await one.c.sync();
      for (const { db } of [one, two]) {
        expect(await rowsOf(db, 'sites', org.id)).toEqual(await rowsOf(server, 'sites', org.id));
        const conflicts = await db.query<{ kept: unknown; lost: unknown }>('SELECT kept, lost FROM sync_conflicts');
        expect(conflicts.rows).toEqual([{ kept: 'Named by two', lost: 'Named by one' }]);
      }
      expect((await getSite(org.as.viewer, site.id)).siteName).toBe('Named by two');
    });

    it('takes back a write the server rejects and lists it as could not sync', async () => {
      const server = await fresh(engine);
      const org = await seedOrganisation(server, 'Strict');
      const site = await createSite(org.as.admin, { siteName: 'Original' });
      const local = await fresh('pglite');
      const userId = userOf(org, 'technician');
      const client = await SyncClient.open({ db: local, clock: { now: () => new Date() }, ids: contextFor(local).ids, userId, transport: transportFor(server, userId) });
      await client.sync();
      await client.write({ table: 'sites', op: 'update', id: site.id, organisationId: org.id, fields: { siteName: 'Local rename' } });
      // Meanwhile the technician becomes a viewer on the server.
      await server.query("UPDATE memberships SET role = 'viewer' WHERE user_id = $1", [userId]);
      await client.sync();
      expect((await client.status())).toMatchObject({ pending: 0, rejected: 1 });
      const { rows } = await local.query<{ code: string }>('SELECT code FROM sync_rejected');
      expect(rows).toEqual([{ code: 'FORBIDDEN' }]);
      expect((await getSite(await client.context(), site.id)).siteName).toBe('Original');
    });

    it('purges an organisation whose membership was revoked and keeps its unsent changes visible', async () => {
      const server = await fresh(engine);
      const org = await seedOrganisation(server, 'Former');
      await createSite(org.as.admin, { siteName: 'Theirs' });
      const local = await fresh('pglite');
      const userId = userOf(org, 'technician');
      const client = await SyncClient.open({ db: local, clock: { now: () => new Date() }, ids: contextFor(local).ids, userId, transport: transportFor(server, userId) });
      await client.sync();
      await client.write({ table: 'sites', op: 'create', organisationId: org.id, fields: { siteName: 'Unsent' } });
      await server.query('UPDATE memberships SET deleted_at = now() WHERE user_id = $1', [userId]);
      await client.pullOnce();
      const { rows } = await local.query<{ n: number }>('SELECT count(*)::int AS n FROM sites');
      expect(rows[0]!.n).toBe(0);
      expect(await client.status()).toMatchObject({ pending: 0, rejected: 1 });
      expect((await local.query<{ code: string }>('SELECT code FROM sync_rejected')).rows).toEqual([{ code: 'REVOKED' }]);
    });
  });
}
