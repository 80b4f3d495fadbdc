// A device's copy of the schema: integer (Locus) ids are the server's to hand
// out, and an app update that brings new columns pulls every row again.
import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSite } from '../sites/service.js';
import { contextFor, seedOrganisation, type TestOrganisation } from '../testing.js';
import { SyncClient } from './client.js';
import { writeState } from './client-store.js';
import { SCHEMA_VERSION } from './protocol.js';
import { directTransport } from './testing.js';

const userOf = (org: TestOrganisation) => (org.as.technician.principal as { userId: string }).userId;

async function locusIdOf(db: TestDb, table: string, id: string): Promise<number> {
  const { rows } = await db.query<{ locus_id: number }>(`SELECT locus_id FROM ${table} WHERE id = $1`, [id]);
  return rows[0]!.locus_id;
}

for (const engine of testEngines) {
  describe(`a device's replica of the schema, against a server on ${engine}`, () => {
    let server: TestDb;
    let org: TestOrganisation;
    const locals: TestDb[] = [];
    beforeAll(async () => {
      server = await freshTestDb(engine);
      org = await seedOrganisation(server, 'Replica Co');
    });
    afterAll(async () => {
      for (const db of locals.splice(0)) await db.dispose();
      await server.dispose();
    });

    const openDevice = async (local?: TestDb) => {
      const db = local ?? (await freshTestDb('pglite'));
      if (!local) locals.push(db);
      const client = await SyncClient.open({
        db,
        clock: { now: () => new Date() },
        ids: contextFor(db).ids,
        userId: userOf(org),
        transport: directTransport(server, userOf(org)),
      });
      return { db, client };
    };

    it('holds a placeholder no server id can equal for a row created offline, then the server id once synced', async () => {
      const { db, client } = await openDevice();
      await client.sync();
      const { id } = await client.write({ table: 'sites', op: 'create', organisationId: org.id, fields: { siteName: 'Offline roof' } });
      expect(await locusIdOf(db, 'sites', id)).toBeLessThanOrEqual(0);

      await client.sync();
      const onServer = await locusIdOf(server, 'sites', id);
      expect(onServer).toBeGreaterThan(0);
      expect(await locusIdOf(db, 'sites', id)).toBe(onServer);
      // The device's sequence stays negative: its next offline row cannot take a server number.
      const { rows } = await db.query<{ n: number }>("SELECT nextval('helio_locus_ids') AS n");
      expect(rows[0]!.n).toBeLessThan(0);
    });

    it('pulls every row again after an update of the app changed the schema, so columns it did not store arrive', async () => {
      const system = contextFor(server);
      const site = await createSite(system, { organisationId: org.id, siteName: 'Before the update', siteManager: 'Ada' });
      const { db, client } = await openDevice();
      await client.sync();
      // The row as an older version of the app stored it, without the columns it did not know;
      // nothing changes on the server afterwards, so only pulling everything again restores them.
      await db.query('UPDATE sites SET site_manager = NULL, locus_id = 0 WHERE id = $1', [site.id]);
      await writeState(db, 'schemaVersion', SCHEMA_VERSION - 1);
      const reopened = await openDevice(db);
      await reopened.client.sync();
      expect(await locusIdOf(db, 'sites', site.id)).toBe(await locusIdOf(server, 'sites', site.id));
      const { rows } = await db.query<{ site_manager: string }>('SELECT site_manager FROM sites WHERE id = $1', [site.id]);
      expect(rows[0]!.site_manager).toBe('Ada');
    });

    it('does not pull everything again when the schema is the one it already holds', async () => {
      const system = contextFor(server);
      const site = await createSite(system, { organisationId: org.id, siteName: 'Steady' });
      const { db, client } = await openDevice();
      await client.sync();
      await db.query('UPDATE sites SET locus_id = 0 WHERE id = $1', [site.id]);
      const reopened = await openDevice(db);
      await reopened.client.sync();
      // Nothing changed on the server, and the cursors were kept: the local value stays as it was.
      expect(await locusIdOf(db, 'sites', site.id)).toBe(0);
    });
  });
}
