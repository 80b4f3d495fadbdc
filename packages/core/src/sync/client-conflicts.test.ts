// What the desktop shows and does with sync trouble: open conflicts and their
// resolution, changes the server refused, a server that lost this device's
// history, and the counter that tells the UI a pull brought something.
import { randomUUID } from 'node:crypto';
import { describeEachEngine, freshTestDb, type TestDb } from '@helio/db/testing';
import type { Db } from '@helio/db';
import { afterEach, expect, it } from 'vitest';
import type { Role } from '../auth/roles.js';
import { DomainError } from '../errors.js';
import type { Clock } from '../ids.js';
import { createSite, getSite } from '../sites/service.js';
import { contextFor, seedOrganisation, type TestOrganisation } from '../testing.js';
import { SyncClient, SyncGapError } from './index.js';
import { directTransport } from './testing.js';

const transportFor = (server: Db, userId: string) => directTransport(server, userId);

const userOf = (org: TestOrganisation, role: Role) => (org.as[role].principal as { userId: string }).userId;

/** The DomainError code `promise` rejects with (failing the test on anything else). */
async function domainCodeOf(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  return (err as DomainError).code;
}

async function outboxSeqs(db: Db): Promise<number[]> {
  return (await db.query<{ seq: number }>('SELECT seq FROM sync_outbox ORDER BY seq')).rows.map((r) => Number(r.seq));
}

async function serverConflict(server: Db, id: string) {
  const { rows } = await server.query<{ resolution: string | null; resolved_by: string | null; resolved_at: Date | null }>(
    'SELECT resolution, resolved_by, resolved_at FROM sync_conflicts WHERE id = $1',
    [id],
  );
  return rows[0];
}

describeEachEngine('sync client conflicts and refused changes', (getServer) => {
  const locals: TestDb[] = [];
  afterEach(async () => {
    for (const db of locals.splice(0)) await db.dispose();
  });

  /** A settable wall clock shared by the clients, so tests choose whose write is later. */
  function wallClock() {
    let now = Date.now();
    const clock: Clock = { now: () => new Date(now) };
    return { clock, advance: (ms: number) => void (now += ms) };
  }

  /** A client on its own fresh PGlite, signed in as `userId`, after its first sync. */
  async function openClient(userId: string, clock: Clock = { now: () => new Date() }) {
    const db = await freshTestDb('pglite');
    locals.push(db);
    const client = await SyncClient.open({ db, clock, ids: contextFor(db).ids, userId, transport: transportFor(getServer(), userId) });
    await client.sync();
    return { db, client, userId };
  }

  /**
   * The technician renames a site offline; a second later the admin renames
   * it too. The admin syncs first, so the technician's push conflicts and
   * (with the earlier clock) loses; then both have pulled.
   */
  async function renamedConcurrently() {
    const server = getServer();
    const org = await seedOrganisation(server, 'Conflicts');
    const site = await createSite(org.as.admin, { siteName: 'Shared roof', capacity: 10 });
    const { clock, advance } = wallClock();
    const loser = await openClient(userOf(org, 'technician'), clock);
    const winner = await openClient(userOf(org, 'admin'), clock);
    await loser.client.write({ table: 'sites', op: 'update', id: site.id, organisationId: org.id, fields: { siteName: 'Named by tech' } });
    advance(1000);
    await winner.client.write({
      table: 'sites',
      op: 'update',
      id: site.id,
      organisationId: org.id,
      fields: { siteName: 'Named by admin' },
    });
    await winner.client.sync();
    await loser.client.sync();
    await winner.client.sync();
    return { server, org, site, loser, winner };
  }

  it('lists the conflict on both clients with what was kept, what was lost and who lost it', async () => {
    const { server, org, site, loser, winner } = await renamedConcurrently();
    const { rows } = await server.query<{ id: string }>('SELECT id FROM sync_conflicts');
    expect(rows).toHaveLength(1);
    for (const { client } of [loser, winner]) {
      expect(await client.openConflicts()).toEqual([
        {
          id: rows[0]!.id,
          organisationId: org.id,
          table: 'sites',
          rowId: site.id,
          rowLabel: 'Named by admin',
          field: 'siteName',
          kind: 'field',
          kept: 'Named by admin',
          lost: 'Named by tech',
          keptClock: expect.any(String),
          lostClock: expect.any(String),
          lostBy: { id: loser.userId, name: 'Conflicts technician' },
          createdAt: expect.any(String),
        },
      ]);
      expect((await getSite(await client.context(), site.id)).siteName).toBe('Named by admin');
    }
  });

  for (const resolverRole of ['loser', 'winner'] as const) {
    it(`restores the lost value when the ${resolverRole === 'loser' ? 'losing' : 'other'} client chooses it: at once locally, everywhere after sync`, async () => {
      const setup = await renamedConcurrently();
      const { server, org, site } = setup;
      const resolver = setup[resolverRole];
      const other = resolverRole === 'loser' ? setup.winner : setup.loser;
      const [open] = await resolver.client.openConflicts();

      await resolver.client.resolveConflict(open!.id, 'restored');
      expect((await getSite(await resolver.client.context(), site.id)).siteName).toBe('Named by tech');
      expect(await resolver.client.openConflicts()).toEqual([]);
      // Not synced yet: the server still has the kept value and the conflict open.
      expect((await getSite(org.as.viewer, site.id)).siteName).toBe('Named by admin');
      expect(await serverConflict(server, open!.id)).toMatchObject({ resolution: null, resolved_by: null });

      await resolver.client.sync();
      await other.client.sync();
      expect((await getSite(org.as.viewer, site.id)).siteName).toBe('Named by tech');
      expect(await serverConflict(server, open!.id)).toMatchObject({
        resolution: 'restored',
        resolved_by: resolver.userId,
        resolved_at: expect.any(Date),
      });
      expect(await other.client.openConflicts()).toEqual([]);
      expect((await getSite(await other.client.context(), site.id)).siteName).toBe('Named by tech');
      expect((await getSite(await resolver.client.context(), site.id)).siteName).toBe('Named by tech');
      expect(await outboxSeqs(resolver.db)).toEqual([]);
    });
  }

  it('keeps the value the server kept and records the resolution for everyone', async () => {
    const { server, org, site, loser, winner } = await renamedConcurrently();
    const [open] = await loser.client.openConflicts();
    const before = await server.query<{ change_seq: number }>('SELECT change_seq FROM sites WHERE id = $1', [site.id]);

    await loser.client.resolveConflict(open!.id, 'kept');
    expect(await loser.client.openConflicts()).toEqual([]);
    expect((await getSite(await loser.client.context(), site.id)).siteName).toBe('Named by admin');

    await loser.client.sync();
    await winner.client.sync();
    expect(await serverConflict(server, open!.id)).toMatchObject({ resolution: 'kept', resolved_by: loser.userId });
    // Keeping rewrites nothing: the site is as the conflict left it.
    const after = await server.query<{ change_seq: number; site_name: string }>('SELECT change_seq, site_name FROM sites WHERE id = $1', [
      site.id,
    ]);
    expect(after.rows[0]).toEqual({ change_seq: before.rows[0]!.change_seq, site_name: 'Named by admin' });
    expect((await getSite(org.as.viewer, site.id)).siteName).toBe('Named by admin');
    expect(await winner.client.openConflicts()).toEqual([]);
    expect((await getSite(await winner.client.context(), site.id)).siteName).toBe('Named by admin');
  });

  it('brings back a site deleted while another client updated it, with the update, when the update reached the server second', async () => {
    const server = getServer();
    const org = await seedOrganisation(server, 'Deletes');
    const site = await createSite(org.as.admin, { siteName: 'Old barn', capacity: 10 });
    const updater = await openClient(userOf(org, 'technician'));
    const deleter = await openClient(userOf(org, 'admin'));
    await updater.client.write({
      table: 'sites',
      op: 'update',
      id: site.id,
      organisationId: org.id,
      fields: { siteName: 'Kept alive', capacity: 14 },
    });
    await deleter.client.write({ table: 'sites', op: 'delete', id: site.id, organisationId: org.id });
    await deleter.client.sync();
    await updater.client.sync();
    await deleter.client.sync();
    expect(await domainCodeOf(getSite(org.as.viewer, site.id))).toBe('NOT_FOUND');
    const [open] = await updater.client.openConflicts();
    expect(open).toMatchObject({
      table: 'sites',
      rowId: site.id,
      kind: 'delete',
      field: null,
      lost: { siteName: 'Kept alive', capacity: 14 },
      lostBy: { id: updater.userId },
    });
    expect((await deleter.client.openConflicts()).map((c) => c.id)).toEqual([open!.id]);

    await updater.client.resolveConflict(open!.id, 'restored');
    expect(await getSite(await updater.client.context(), site.id)).toMatchObject({ siteName: 'Kept alive', capacity: 14 });
    await updater.client.sync();
    await deleter.client.sync();
    expect(await getSite(org.as.viewer, site.id)).toMatchObject({ siteName: 'Kept alive', capacity: 14 });
    const { rows } = await server.query<{ deleted_at: Date | null }>('SELECT deleted_at FROM sites WHERE id = $1', [site.id]);
    expect(rows).toEqual([{ deleted_at: null }]);
    expect(await serverConflict(server, open!.id)).toMatchObject({ resolution: 'restored', resolved_by: updater.userId });
    expect(await getSite(await deleter.client.context(), site.id)).toMatchObject({ siteName: 'Kept alive', capacity: 14 });
    expect(await deleter.client.openConflicts()).toEqual([]);
  });

  it('brings back a site deleted by a client that had not seen an update, with the update, when the delete reached the server second', async () => {
    const server = getServer();
    const org = await seedOrganisation(server, 'Deletes');
    const site = await createSite(org.as.admin, { siteName: 'Old barn', capacity: 10 });
    const updater = await openClient(userOf(org, 'technician'));
    const deleter = await openClient(userOf(org, 'admin'));
    await updater.client.write({ table: 'sites', op: 'update', id: site.id, organisationId: org.id, fields: { capacity: 14 } });
    await deleter.client.write({ table: 'sites', op: 'delete', id: site.id, organisationId: org.id });
    await updater.client.sync();
    await deleter.client.sync();
    await updater.client.sync();
    expect(await domainCodeOf(getSite(org.as.viewer, site.id))).toBe('NOT_FOUND');
    const [open] = await deleter.client.openConflicts();
    expect(open).toMatchObject({
      rowId: site.id,
      kind: 'delete',
      field: null,
      rowLabel: 'Old barn',
      lost: expect.objectContaining({ siteName: 'Old barn', capacity: 14 }),
    });

    await deleter.client.resolveConflict(open!.id, 'restored');
    expect(await getSite(await deleter.client.context(), site.id)).toMatchObject({ siteName: 'Old barn', capacity: 14 });
    await deleter.client.sync();
    await updater.client.sync();
    expect(await getSite(org.as.viewer, site.id)).toMatchObject({ siteName: 'Old barn', capacity: 14 });
    expect(await serverConflict(server, open!.id)).toMatchObject({ resolution: 'restored', resolved_by: deleter.userId });
    expect(await getSite(await updater.client.context(), site.id)).toMatchObject({ siteName: 'Old barn', capacity: 14 });
    expect(await updater.client.openConflicts()).toEqual([]);
  });

  it('answers not found for an unknown conflict and for one already resolved, queueing nothing', async () => {
    const { loser } = await renamedConcurrently();
    const [open] = await loser.client.openConflicts();
    expect(await outboxSeqs(loser.db)).toEqual([]);

    expect(await domainCodeOf(loser.client.resolveConflict(randomUUID(), 'kept'))).toBe('NOT_FOUND');
    expect(await outboxSeqs(loser.db)).toEqual([]);

    await loser.client.resolveConflict(open!.id, 'restored');
    const queued = await outboxSeqs(loser.db);
    expect(queued).toHaveLength(2); // the restoring write, then the resolution
    expect(await domainCodeOf(loser.client.resolveConflict(open!.id, 'kept'))).toBe('NOT_FOUND');
    expect(await domainCodeOf(loser.client.resolveConflict(open!.id, 'restored'))).toBe('NOT_FOUND');
    expect(await outboxSeqs(loser.db)).toEqual(queued);

    // Once the server has recorded the resolution it is no longer open either.
    await loser.client.sync();
    expect(await domainCodeOf(loser.client.resolveConflict(open!.id, 'kept'))).toBe('NOT_FOUND');
    expect(await outboxSeqs(loser.db)).toEqual([]);
  });

  it('lists a change the server refused with its reason, and dismisses it once read', async () => {
    const server = getServer();
    const org = await seedOrganisation(server, 'Strict');
    const site = await createSite(org.as.admin, { siteName: 'Original' });
    const tech = await openClient(userOf(org, 'technician'));
    const { seq } = await tech.client.write({
      table: 'sites',
      op: 'update',
      id: site.id,
      organisationId: org.id,
      fields: { siteName: 'Local rename' },
    });
    // The server demotes the technician before the change arrives; the client still thinks it may write.
    await server.query("UPDATE memberships SET role = 'viewer' WHERE user_id = $1", [tech.userId]);
    await tech.client.sync();

    expect(await tech.client.rejectedChanges()).toEqual([
      {
        seq,
        organisationId: org.id,
        table: 'sites',
        op: 'update',
        rowId: site.id,
        fields: { siteName: 'Local rename' },
        code: 'FORBIDDEN',
        message: expect.stringMatching(/\S/),
        stillQueued: false,
      },
    ]);
    expect((await getSite(await tech.client.context(), site.id)).siteName).toBe('Original');
    expect((await getSite(org.as.viewer, site.id)).siteName).toBe('Original');

    await tech.client.dismissRejected(seq);
    expect(await tech.client.rejectedChanges()).toEqual([]);
    expect(await tech.client.status()).toMatchObject({ pending: 0, rejected: 0 });
  });

  it('refuses to dismiss a change that is still queued for the server', async () => {
    const server = getServer();
    const org = await seedOrganisation(server, 'Former');
    const tech = await openClient(userOf(org, 'technician'));
    const { id, seq } = await tech.client.write({
      table: 'sites',
      op: 'create',
      organisationId: org.id,
      fields: { siteName: 'Never arrives' },
    });
    // Revoked before the change was sent: listed as could-not-sync, but its seq must still reach the server.
    await server.query('UPDATE memberships SET deleted_at = now() WHERE user_id = $1', [tech.userId]);
    await tech.client.pullOnce();
    expect(await tech.client.rejectedChanges()).toEqual([expect.objectContaining({ seq, rowId: id, code: 'REVOKED', stillQueued: true })]);

    expect(await domainCodeOf(tech.client.dismissRejected(seq))).toBe('CONFLICT');
    expect(await outboxSeqs(tech.db)).toEqual([seq]);
    expect((await tech.client.rejectedChanges()).map((r) => r.seq)).toEqual([seq]);

    // Once the server has answered (refused), it can go.
    await tech.client.pushOnce();
    expect(await tech.client.rejectedChanges()).toEqual([expect.objectContaining({ seq, stillQueued: false })]);
    await tech.client.dismissRejected(seq);
    expect(await tech.client.rejectedChanges()).toEqual([]);
    const { rows } = await server.query('SELECT 1 FROM sites WHERE id = $1', [id]);
    expect(rows).toEqual([]);
  });

  it('stops with a SyncGapError when the server has lost the changes it acknowledged from this device', async () => {
    const server = getServer();
    const org = await seedOrganisation(server, 'Restored');
    const site = await createSite(org.as.admin, { siteName: 'Roof', capacity: 1 });
    const tech = await openClient(userOf(org, 'technician'));
    await tech.client.write({ table: 'sites', op: 'update', id: site.id, organisationId: org.id, fields: { capacity: 2 } });
    await tech.client.sync();
    // The server is restored from a backup taken before this device first pushed.
    await server.query('DELETE FROM sync_mutations WHERE client_id = $1', [tech.client.clientId]);
    await server.query('DELETE FROM sync_clients WHERE client_id = $1', [tech.client.clientId]);

    const { seq } = await tech.client.write({ table: 'sites', op: 'update', id: site.id, organisationId: org.id, fields: { capacity: 3 } });
    expect(seq).toBe(2);
    const err = await tech.client.pushOnce().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SyncGapError);
    expect(err).toMatchObject({ firstSent: 2, serverLastApplied: 0 });
    // sync() stops too, instead of pushing the same gap forever.
    await expect(tech.client.sync()).rejects.toBeInstanceOf(SyncGapError);

    // Nothing was applied or recorded as answered: the change waits, still shown locally.
    expect((await getSite(org.as.viewer, site.id)).capacity).toBe(2);
    const { rows } = await tech.db.query<{ seq: number; result: unknown }>('SELECT seq, result FROM sync_outbox');
    expect(rows.map((r) => [Number(r.seq), r.result])).toEqual([[2, null]]);
    expect((await getSite(await tech.client.context(), site.id)).capacity).toBe(3);
    const mutations = await server.query('SELECT 1 FROM sync_mutations WHERE client_id = $1', [tech.client.clientId]);
    expect(mutations.rows).toEqual([]);
  });

  it('counts what pulls bring, and nothing for a pull that brings nothing', async () => {
    const server = getServer();
    const org = await seedOrganisation(server, 'Counted');
    const tech = await openClient(userOf(org, 'technician'));
    const afterFirstSync = tech.client.receivedChanges;
    // The first sync brought the organisation, its memberships and users.
    expect(afterFirstSync).toBeGreaterThan(0);

    await tech.client.pullOnce();
    expect(tech.client.receivedChanges).toBe(afterFirstSync);

    const a = await createSite(org.as.admin, { siteName: 'New on the server' });
    await createSite(org.as.admin, { siteName: 'Another' });
    await tech.client.pullOnce();
    expect(tech.client.receivedChanges).toBe(afterFirstSync + 2);
    expect((await getSite(await tech.client.context(), a.id)).siteName).toBe('New on the server');

    await tech.client.pullOnce();
    expect(tech.client.receivedChanges).toBe(afterFirstSync + 2);
  });
});
