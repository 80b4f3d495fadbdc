// Alerts on devices: received through sync, acknowledged offline, and the
// acknowledgement carried to the server and the other devices; nothing else
// a device writes on an alert is accepted.
import type { Db } from '@helio/db';
import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncClient, type SyncTransport } from '../../sync/client.js';
import { formatHlc } from '../../sync/hlc.js';
import { createLocalCallerFactory, localRouter, type LocalSync } from '../../sync/local.js';
import { SCHEMA_VERSION } from '../../sync/protocol.js';
import { push } from '../../sync/push.js';
import { directTransport } from '../../sync/testing.js';
import { contextFor, seedOrganisation, type TestOrganisation } from '../../testing.js';
import { membershipsOf } from '../../users/service.js';
import { recordEvents } from './events.js';
import { localAlertsRouter } from './router.js';
import { testClock, testComponent, testSite } from './testing.js';

const createCaller = createLocalCallerFactory(localRouter({ alerts: localAlertsRouter }));

const userOf = (org: TestOrganisation, role: 'technician' | 'admin' | 'viewer') => (org.as[role].principal as { userId: string }).userId;

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

async function serverAlert(db: Db, id: string) {
  const { rows } = await db.query<{ acknowledged_at: Date | null; acknowledged_by: string | null; ended_at: Date | null }>(
    'SELECT acknowledged_at, acknowledged_by, ended_at FROM alerts WHERE id = $1',
    [id],
  );
  return rows[0];
}

for (const engine of testEngines) {
  describe(`alerts on devices [${engine}]`, () => {
    // One server and three devices (technician, admin, viewer) for the file: databases are the slow part.
    const dbs: TestDb[] = [];
    let server: TestDb;
    let org: TestOrganisation;
    let site: string;
    let inverter: string;
    let alertId: string;
    let tech: Awaited<ReturnType<typeof device>>;
    let admin: Awaited<ReturnType<typeof device>>;
    let viewer: Awaited<ReturnType<typeof device>>;

    async function device(userId: string) {
      const local = await freshTestDb('pglite');
      dbs.push(local);
      const network = { online: true };
      const direct = directTransport(server, userId);
      const offline = () => Promise.reject(new Error('offline'));
      const transport: SyncTransport = {
        push: (req) => (network.online ? direct.push(req) : offline()),
        pull: (req) => (network.online ? direct.pull(req) : offline()),
      };
      const clock = testClock('2024-05-01T12:00:00Z');
      const client = await SyncClient.open({ db: local, clock, ids: contextFor(local).ids, userId, transport });
      const caller = createCaller({ authenticate: () => client.context(), localSync: localSyncOf(client) });
      return { local, client, caller, network, clock };
    }

    beforeAll(async () => {
      server = await freshTestDb(engine);
      dbs.push(server);
      org = await seedOrganisation(server, 'Field Co');
      site = await testSite(server, org, 'Roof');
      inverter = await testComponent(org, site, 'INVERTER', { name: 'Inverter 7' });
      const raised = await recordEvents(org.as.technician, inverter, {
        ts: '2024-05-01T09:00:00Z',
        code: 'ISO',
        state: 'active',
        descriptionShort: 'Insulation fault',
      });
      alertId = raised.alerts[0]!.id;
      tech = await device(userOf(org, 'technician'));
      admin = await device(userOf(org, 'admin'));
      viewer = await device(userOf(org, 'viewer'));
      for (const d of [tech, admin, viewer]) await d.client.sync();
    });
    afterAll(async () => {
      for (const db of dbs.splice(0)) await db.dispose();
    });

    it('acknowledges an alert offline, and the acknowledgement reaches the server and the other devices', async () => {
      const a = tech;
      const b = admin;
      const techId = userOf(org, 'technician');

      // Received: the site's open alert, named, on both devices.
      expect(await a.caller.alerts.list({ siteId: site })).toMatchObject([
        { id: alertId, alertType: 'Device Fault', componentName: 'Inverter 7', descriptionShort: 'Insulation fault', acknowledgedAt: null },
      ]);

      a.network.online = false;
      const acknowledged = await a.caller.alerts.acknowledge({ id: alertId });
      expect(acknowledged).toMatchObject({ acknowledgedAt: '2024-05-01T12:00:00.000Z', acknowledgedBy: techId });
      expect((await a.caller.alerts.list({ siteId: site }))[0]).toMatchObject({ acknowledgedBy: techId });
      expect((await a.client.status()).pending).toBe(1);
      await expect(a.client.sync()).rejects.toThrow(/offline/);
      expect(await serverAlert(server, alertId)).toMatchObject({ acknowledged_at: null });

      // Meanwhile the device clears the fault on the server: both changes survive, field by field.
      await recordEvents(org.as.technician, inverter, { ts: '2024-05-01T12:30:00Z', code: 'ISO', state: 'cleared' });

      a.network.online = true;
      await a.client.sync();
      await b.client.sync();
      const expected = {
        acknowledged_at: new Date('2024-05-01T12:00:00Z'),
        acknowledged_by: techId,
        ended_at: new Date('2024-05-01T12:30:00Z'),
      };
      expect(await serverAlert(server, alertId)).toEqual(expected);
      expect(await serverAlert(a.local, alertId)).toEqual(expected);
      expect(await serverAlert(b.local, alertId)).toEqual(expected);
      // The other device names who acknowledged: the user came with the pulled row, into its directory.
      expect((await b.caller.alerts.list({ siteId: site }))[0]).toMatchObject({
        acknowledgedBy: techId,
        acknowledgedByName: 'Field Co technician',
      });
      expect((await a.client.status()).pending).toBe(0);
      expect(await a.client.rejectedChanges()).toEqual([]);

      // Withdrawn the same way.
      await b.caller.alerts.acknowledge({ id: alertId, acknowledged: false });
      await b.client.sync();
      expect(await serverAlert(server, alertId)).toMatchObject({ acknowledged_at: null, acknowledged_by: null });
    });

    it('refuses on the device whatever is not acknowledging, and queues nothing', async () => {
      const a = tech;

      await expect(a.client.write({ table: 'alerts', op: 'create', organisationId: org.id, fields: {} })).rejects.toMatchObject({
        code: 'FORBIDDEN',
        message: expect.stringMatching(/raised and closed by the server's rules: they cannot be created here, only acknowledged/),
      });
      await expect(a.client.write({ table: 'alerts', op: 'delete', id: alertId, organisationId: org.id })).rejects.toMatchObject({
        code: 'FORBIDDEN',
        message: expect.stringMatching(/cannot be deleted/),
      });
      await expect(
        a.client.write({
          table: 'alerts',
          op: 'update',
          id: alertId,
          organisationId: org.id,
          fields: { acknowledgedAt: '2024-05-01T12:00:00Z', acknowledgedBy: userOf(org, 'admin') },
        }),
      ).rejects.toMatchObject({ code: 'VALIDATION_ERROR', message: expect.stringMatching(/acknowledgedBy must be your own user id/) });
      // Who without when would erase or take over an acknowledgement.
      for (const acknowledgedBy of [null, userOf(org, 'technician')]) {
        await expect(
          a.client.write({ table: 'alerts', op: 'update', id: alertId, organisationId: org.id, fields: { acknowledgedBy } }),
        ).rejects.toMatchObject({
          code: 'VALIDATION_ERROR',
          message: expect.stringMatching(/acknowledgedBy is written only with acknowledgedAt/),
        });
      }
      await expect(viewer.caller.alerts.acknowledge({ id: alertId })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      expect((await a.client.status()).pending).toBe(0);
      expect((await viewer.client.status()).pending).toBe(0);
    });

    it('rejects, on the server, a pushed create, a delete, or a write of any other field of an alert', async () => {
      const userId = userOf(org, 'technician');
      const ctx = contextFor(server, { kind: 'user', userId, memberships: await membershipsOf({ db: server }, userId) });
      const hlc = formatHlc({ millis: Date.now(), counter: 0, node: 'b'.repeat(32) });
      const mutation = (seq: number, fields: Record<string, unknown>, op: string, id: string) => ({
        seq,
        table: 'alerts',
        op,
        id,
        organisationId: org.id,
        fields,
        base: {},
        hlc,
      });
      const response = await push(ctx, {
        protocolVersion: 1,
        schemaVersion: SCHEMA_VERSION,
        clientId: contextFor(server).ids.uuid(),
        mutations: [
          mutation(1, { acknowledgedAt: '2024-05-01T12:00:00Z' }, 'create', contextFor(server).ids.uuid()),
          mutation(2, {}, 'delete', alertId),
          mutation(3, { priority: 'Low' }, 'update', alertId),
        ],
      });
      expect(response.results.map((r) => [r.status, r.code])).toEqual([
        ['rejected', 'FORBIDDEN'],
        ['rejected', 'FORBIDDEN'],
        ['rejected', 'VALIDATION_ERROR'],
      ]);
      expect(response.results[2]!.message).toMatch(/unknown alert fields: priority/);
      const { rows } = await server.query<{ n: number; priority: string; deleted: boolean }>(
        'SELECT count(*) OVER () AS n, priority, deleted_at IS NOT NULL AS deleted FROM alerts',
      );
      expect(rows).toEqual([{ n: 1, priority: 'Medium', deleted: false }]);
    });
  });
}
