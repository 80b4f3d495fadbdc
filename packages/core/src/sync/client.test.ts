import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createSite, getSite, listSites, updateSite } from '../sites/service.js';
import { createMemoryBlobStore } from '../documents/blob-store.js';
import { getDocument, requestUploads } from '../documents/service.js';
import { createDocumentTokenSigner } from '../documents/upload-token.js';
import { createPortfolios, getPortfolio } from '../portfolios/service.js';
import { contextFor, seedOrganisation, type TestOrganisation } from '../testing.js';
import { addMember } from '../users/service.js';
import { SyncClient } from './client.js';
import { directTransport } from './testing.js';

type Db = TestDb;

const transportFor = (server: Db, userId: string, faults: { loseNextPushResponse?: boolean } = {}) =>
  directTransport(server, userId, { faults });

const userOf = (org: TestOrganisation, role: 'technician' | 'admin' | 'viewer' | 'owner') =>
  (org.as[role].principal as { userId: string }).userId;

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
    /** A client on its own fresh PGlite, signed in as `userId`, after its initial sync. */
    const openClient = async (server: Db, userId: string) => {
      const local = await fresh('pglite');
      const client = await SyncClient.open({
        db: local,
        clock: { now: () => new Date() },
        ids: contextFor(local).ids,
        userId,
        transport: transportFor(server, userId),
      });
      await client.sync();
      return { local, client };
    };

    it('keeps offline writes readable locally, then converges field by field with the server', async () => {
      const server = await fresh(engine);
      const org = await seedOrganisation(server, 'Field Co');
      const local = await fresh('pglite');
      const faults = { loseNextPushResponse: false };
      const client = await SyncClient.open({
        db: local,
        clock: { now: () => new Date() },
        ids: contextFor(local).ids,
        userId: userOf(org, 'technician'),
        transport: transportFor(server, userOf(org, 'technician'), faults),
      });
      await client.sync();

      // Offline: the write lands locally and reads show it.
      const { id } = await client.write({
        table: 'sites',
        op: 'create',
        organisationId: org.id,
        fields: { siteName: 'Barn roof', capacity: 12 },
      });
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
        const c = await SyncClient.open({
          db,
          clock,
          ids: contextFor(db).ids,
          userId: userOf(org, role),
          transport: transportFor(server, userOf(org, role)),
        });
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
      const client = await SyncClient.open({
        db: local,
        clock: { now: () => new Date() },
        ids: contextFor(local).ids,
        userId,
        transport: transportFor(server, userId),
      });
      await client.sync();
      await client.write({ table: 'sites', op: 'update', id: site.id, organisationId: org.id, fields: { siteName: 'Local rename' } });
      // Meanwhile the technician becomes a viewer on the server.
      await server.query("UPDATE memberships SET role = 'viewer' WHERE user_id = $1", [userId]);
      await client.sync();
      expect(await client.status()).toMatchObject({ pending: 0, rejected: 1 });
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
      const client = await SyncClient.open({
        db: local,
        clock: { now: () => new Date() },
        ids: contextFor(local).ids,
        userId,
        transport: transportFor(server, userId),
      });
      await client.sync();
      await client.write({ table: 'sites', op: 'create', organisationId: org.id, fields: { siteName: 'Unsent' } });
      await server.query('UPDATE memberships SET deleted_at = now() WHERE user_id = $1', [userId]);
      await client.pullOnce();
      const { rows } = await local.query<{ n: number }>('SELECT count(*)::int AS n FROM sites');
      expect(rows[0]!.n).toBe(0);
      expect(await client.status()).toMatchObject({ pending: 0, rejected: 1 });
      expect((await local.query<{ code: string }>('SELECT code FROM sync_rejected')).rows).toEqual([{ code: 'REVOKED' }]);
    });

    it("keeps syncing after a revoked organisation's unsent change: later changes are not stuck behind a gap", async () => {
      const server = await fresh(engine);
      const former = await seedOrganisation(server, 'Former');
      const current = await seedOrganisation(server, 'Current');
      const userId = userOf(former, 'technician');
      await addMember(contextFor(server), { organisationId: current.id, userId, role: 'technician' });
      const { client } = await openClient(server, userId);
      await client.write({ table: 'sites', op: 'create', organisationId: former.id, fields: { siteName: 'Never sent' } });
      await server.query('UPDATE memberships SET deleted_at = now() WHERE user_id = $1 AND organisation_id = $2', [userId, former.id]);
      await client.pullOnce();
      const { id } = await client.write({ table: 'sites', op: 'create', organisationId: current.id, fields: { siteName: 'Sent later' } });
      // Not sync(): before the fix, every push of seq 2 was answered 'gap' and sync() never returned.
      for (let i = 0; i < 3; i++) {
        await client.pushOnce();
        await client.pullOnce();
      }
      expect(await getSite(current.as.viewer, id)).toMatchObject({ siteName: 'Sent later' });
      expect(await client.status()).toMatchObject({ pending: 0, rejected: 1 });
      const { rows } = await server.query<{ last_seq: number }>('SELECT last_seq FROM sync_clients WHERE client_id = $1', [
        client.clientId,
      ]);
      expect(rows[0]!.last_seq).toBe(2);
    });

    it('does not list a change as could-not-sync when the server applied it before the revocation', async () => {
      const server = await fresh(engine);
      const org = await seedOrganisation(server, 'Former');
      const userId = userOf(org, 'technician');
      const { client } = await openClient(server, userId);
      await client.write({ table: 'sites', op: 'create', organisationId: org.id, fields: { siteName: 'Delivered' } });
      await client.pushOnce();
      await server.query('UPDATE memberships SET deleted_at = now() WHERE user_id = $1', [userId]);
      await client.pullOnce();
      expect(await client.status()).toMatchObject({ pending: 0, rejected: 0 });
    });

    it("keeps showing a confirmed write while the row's newer version is still a page away", async () => {
      const server = await fresh(engine);
      const org = await seedOrganisation(server, 'Paged');
      const site = await createSite(org.as.admin, { siteName: 'Original' });
      const userId = userOf(org, 'technician');
      const { client } = await openClient(server, userId);
      await client.write({ table: 'sites', op: 'update', id: site.id, organisationId: org.id, fields: { siteName: 'Mine' } });
      await client.pushOnce();
      // The site changes again after the push, so it sorts after an unrelated change.
      await createSite(org.as.admin, { siteName: 'Unrelated' });
      await updateSite(org.as.admin, site.id, { capacity: 7 });
      // This page holds only the unrelated site, yet its cursor passes the write's change sequence.
      expect(await client.pullOnce(1)).toBe(true);
      expect((await getSite(await client.context(), site.id)).siteName).toBe('Mine');
      await client.sync();
      expect(await getSite(await client.context(), site.id)).toMatchObject({ siteName: 'Mine', capacity: 7 });
    });

    it("puts a portfolio's sites back when the server rejects the portfolio's deletion", async () => {
      const server = await fresh(engine);
      const org = await seedOrganisation(server, 'Strict');
      const [portfolio] = await createPortfolios(org.as.admin, [{ name: 'Rooftops' }]);
      const site = await createSite(org.as.admin, { siteName: 'In it', portfolioId: portfolio!.id });
      const userId = userOf(org, 'technician');
      const { local, client } = await openClient(server, userId);
      await client.write({ table: 'portfolios', op: 'delete', id: portfolio!.id, organisationId: org.id });
      // Deleting the portfolio takes its sites out of it, locally as on the server.
      expect((await getSite(await client.context(), site.id)).portfolioId).toBeNull();
      await server.query("UPDATE memberships SET role = 'viewer' WHERE user_id = $1", [userId]);
      await client.sync();
      expect(await client.status()).toMatchObject({ pending: 0, rejected: 1 });
      const ctx = await client.context();
      expect((await getPortfolio(ctx, portfolio!.id)).name).toBe('Rooftops');
      expect((await getSite(ctx, site.id)).portfolioId).toBe(portfolio!.id);
      expect(await rowsOf(local, 'sites', org.id)).toEqual(await rowsOf(server, 'sites', org.id));
    });

    /** A copy of a synced device's data (a restored backup, a copied profile): the same data and the same sync identity. */
    const copyOf = async (server: Db, userId: string, original: Db) => {
      const { local } = await openClient(server, userId);
      const { rows } = await original.query<{ key: string; value: unknown }>(
        "SELECT key, value FROM sync_client_state WHERE key IN ('clientId', 'nextSeq', 'ackedSeq', 'hlc')",
      );
      for (const r of rows) {
        await local.query(
          'INSERT INTO sync_client_state (key, value) VALUES ($1, $2::jsonb) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value',
          [r.key, JSON.stringify(r.value)],
        );
      }
      const client = await SyncClient.open({
        db: local,
        clock: { now: () => new Date() },
        ids: contextFor(local).ids,
        userId,
        transport: transportFor(server, userId),
      });
      return { local, client };
    };

    for (const firstSeen of ['push', 'pull'] as const) {
      it(`sends every write of two copies of one device's data, the second copy under a new id (found by a ${firstSeen})`, async () => {
        const server = await fresh(engine);
        const org = await seedOrganisation(server, 'Copied');
        const userId = userOf(org, 'technician');
        const site = await createSite(org.as.admin, { siteName: 'Shared' });
        const original = await openClient(server, userId);
        await original.client.write({ table: 'sites', op: 'update', id: site.id, organisationId: org.id, fields: { capacity: 5 } });
        await original.client.sync();
        const copy = await copyOf(server, userId, original.local);
        expect(copy.client.clientId).toBe(original.client.clientId);

        // Both make changes under the same numbers; the original's reach the server first.
        const a = await original.client.write({
          table: 'sites',
          op: 'create',
          organisationId: org.id,
          fields: { siteName: 'From the original' },
        });
        const b = await copy.client.write({ table: 'sites', op: 'create', organisationId: org.id, fields: { siteName: 'From the copy' } });
        await copy.client.write({ table: 'sites', op: 'update', id: b.id, organisationId: org.id, fields: { capacity: 9 } });
        await copy.client.write({
          table: 'sites',
          op: 'update',
          id: site.id,
          organisationId: org.id,
          fields: { siteName: 'Renamed by the copy' },
        });
        expect(b.seq).toBe(a.seq);
        await original.client.sync();
        // The pull brings the answer to the original's change under the copy's number; the push is refused outright.
        if (firstSeen === 'pull') {
          await copy.client.pullOnce();
          expect(copy.client.clientId).not.toBe(original.client.clientId);
        }
        await copy.client.sync();
        expect(copy.client.clientId).not.toBe(original.client.clientId);
        await original.client.sync();

        expect(await getSite(org.as.viewer, a.id)).toMatchObject({ siteName: 'From the original' });
        expect(await getSite(org.as.viewer, b.id)).toMatchObject({ siteName: 'From the copy', capacity: 9 });
        expect(await getSite(org.as.viewer, site.id)).toMatchObject({ siteName: 'Renamed by the copy', capacity: 5 });
        for (const c of [original, copy]) {
          expect(await c.client.status()).toMatchObject({ pending: 0, rejected: 0 });
          expect(await rowsOf(c.local, 'sites', org.id)).toEqual(await rowsOf(server, 'sites', org.id));
        }
        // The copy goes on under its new id, numbering from 1.
        const next = await copy.client.write({ table: 'sites', op: 'update', id: b.id, organisationId: org.id, fields: { capacity: 10 } });
        await copy.client.sync();
        expect(next.seq).toBe(4);
        expect(await getSite(org.as.viewer, b.id)).toMatchObject({ capacity: 10 });
        const { rows } = await server.query<{ client_id: string; last_seq: string }>(
          'SELECT client_id, last_seq FROM sync_clients ORDER BY last_seq',
        );
        expect(rows.map((r) => [r.client_id, Number(r.last_seq)])).toEqual(
          expect.arrayContaining([
            [original.client.clientId, 2],
            [copy.client.clientId, 4],
          ]),
        );
      });
    }

    it('stores pulled documents, whose storage key stays on the server', async () => {
      const server = await fresh(engine);
      const org = await seedOrganisation(server, 'Papers');
      const site = await createSite(org.as.admin, { siteName: 'With a report' });
      const storage = {
        blobs: createMemoryBlobStore(),
        signer: createDocumentTokenSigner('a document token secret of 32+ bytes'),
        maxUploadBytes: 1_000_000,
      };
      const [issued] = await requestUploads(org.as.admin, storage, {
        siteId: site.id,
        fileType: 'documents',
        files: [{ filename: 'report.pdf', mimeType: 'application/pdf', fileSize: 10 }],
      });
      const userId = userOf(org, 'technician');
      const { local, client } = await openClient(server, userId);
      expect(await getDocument(await client.context(), issued!.document.id)).toMatchObject({ filename: 'report.pdf', siteId: site.id });
      const { rows } = await local.query<{ storage_key: string }>('SELECT storage_key FROM documents');
      expect(rows).toEqual([{ storage_key: '' }]);
    });
  });
}
