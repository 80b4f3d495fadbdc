// A device's procedures (localProcedures, localSyncProcedures): the rules they
// apply live in core and hold on the device as on the server.
import { freshTestDb, type TestDb } from '@helio/db/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServiceContext } from '../context.js';
import { createPortfolios } from '../portfolios/service.js';
import { createSite, getSite } from '../sites/service.js';
import { SyncClient } from '../sync/client.js';
import { createLocalCallerFactory, localRouter, type LocalSync } from '../sync/local.js';
import { contextFor, seedOrganisation } from '../testing.js';
import { localProcedures, localSyncProcedures } from './local-router.js';

const deviceRouter = localRouter({ ...localProcedures, syncClient: localRouter(localSyncProcedures) });
const createCaller = createLocalCallerFactory(deviceRouter);

/** A device's sync client, offline: writes are applied locally and queued. */
function localSyncOf(client: SyncClient): LocalSync {
  return {
    write: (input) => client.write(input),
    conflicts: (principal, organisationId) => client.conflictsFor(principal, organisationId),
    resolveConflict: async (id, resolution) => {
      await client.resolveConflict(id, resolution);
    },
    rejectedChanges: () => client.rejectedChanges(),
    dismissRejected: (seq) => client.dismissRejected(seq),
    status: () => client.status(),
  };
}

async function queued(db: TestDb): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM sync_outbox');
  return rows[0]!.n;
}

describe('a device’s procedures', () => {
  const dbs: TestDb[] = [];
  afterEach(async () => {
    for (const db of dbs.splice(0)) await db.dispose();
  });

  /** A device's database holding two organisations (as synced), signed in as the technician of the first. */
  async function device() {
    const db = await freshTestDb('pglite');
    dbs.push(db);
    const mine = await seedOrganisation(db, 'Mine');
    const theirs = await seedOrganisation(db, 'Theirs');
    const service: ServiceContext = mine.as.technician;
    const userId = (service.principal as { userId: string }).userId;
    const offline = () => Promise.reject(new Error('offline'));
    const client = await SyncClient.open({
      db,
      clock: { now: () => new Date() },
      ids: contextFor(db).ids,
      userId,
      transport: { push: offline, pull: offline },
    });
    const caller = createCaller({ authenticate: async () => service, localSync: localSyncOf(client) });
    return { db, mine, theirs, caller, client };
  }

  it('queues a site created in the user’s only organisation without naming it', async () => {
    const { db, mine, caller } = await device();
    const site = await caller.sites.create({ siteName: 'Barn roof' });
    expect(site).toMatchObject({ siteName: 'Barn roof', organisationId: mine.id, timezone: 'UTC' });
    expect(await queued(db)).toBe(1);
  });

  it('refuses a create in an organisation the user does not belong to as not found, and queues nothing', async () => {
    const { db, theirs, caller } = await device();
    await expect(caller.sites.create({ siteName: 'Elsewhere', organisationId: theirs.id })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(caller.portfolios.create([{ name: 'Elsewhere', organisationId: theirs.id }])).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(await queued(db)).toBe(0);
  });

  it('takes a site out of a portfolio only if it is in it, and queues nothing otherwise', async () => {
    const { db, mine, caller } = await device();
    const [north, south] = await createPortfolios(mine.as.owner, [{ name: 'North' }, { name: 'South' }]);
    const site = await createSite(mine.as.owner, { siteName: 'Mill', portfolioId: north!.id });
    await expect(caller.portfolios.removeSite({ id: south!.id, siteId: site.id })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: `site ${site.id} is not in portfolio ${south!.id}`,
    });
    expect(await queued(db)).toBe(0);
    await caller.portfolios.removeSite({ id: north!.id, siteId: site.id });
    expect((await getSite(mine.as.owner, site.id)).portfolioId).toBeNull();
    expect(await queued(db)).toBe(1);
  });

  it('answers that server-only actions need the server', async () => {
    const { caller } = await device();
    await expect(caller.apiKeys.create({})).rejects.toMatchObject({ code: 'METHOD_NOT_SUPPORTED' });
    await expect(caller.documents.review({})).rejects.toMatchObject({ code: 'METHOD_NOT_SUPPORTED' });
  });

  it('lists only the conflicts of the user’s organisations', async () => {
    const { db, mine, theirs, caller } = await device();
    const insertConflict = (organisationId: string, id: string) =>
      db.query(
        `INSERT INTO sync_conflicts (id, organisation_id, table_name, row_id, field, kind, kept, lost, change_seq)
         VALUES ($1, $2, 'sites', $3, 'siteName', 'field', '"kept"', '"lost"', 1)`,
        [id, organisationId, contextFor(db).ids.uuid()],
      );
    const ids = contextFor(db).ids;
    const own = ids.uuid();
    await insertConflict(mine.id, own);
    await insertConflict(theirs.id, ids.uuid());
    expect((await caller.syncClient.conflicts()).map((c) => c.id)).toEqual([own]);
    expect(await caller.syncClient.conflicts({ organisationId: theirs.id })).toEqual([]);
  });
});
