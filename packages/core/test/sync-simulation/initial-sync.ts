// Invariant 9: an initial sync killed at any statement and restarted ends in
// the same state as one never killed, and each kill costs at most one page
// fetched again (a page and its cursor commit together).
import type { Db } from '@helio/db';
import type { TestDb } from '@helio/db/testing';
import {
  createCommunityAsset,
  createCommunityDeliveryPoint,
  createCommunityMember,
  removeCommunityMember,
} from '../../src/communities/entities.js';
import { seedCommunity } from '../../src/communities/entities/testing.js';
import { createDocumentTokenSigner } from '../../src/documents/upload-token.js';
import { createMemoryBlobStore } from '../../src/documents/blob-store.js';
import { requestUploads } from '../../src/documents/service.js';
import { createComponent, deleteComponent } from '../../src/monitoring/components/service.js';
import { createOrganisation } from '../../src/organisations/service.js';
import { createPortfolios } from '../../src/portfolios/service.js';
import { createSite, deleteSite, updateSite } from '../../src/sites/service.js';
import { addMember, createUser } from '../../src/users/service.js';
import { SyncClient, type SyncTransport } from '../../src/sync/client.js';
import { HybridClock } from '../../src/sync/hlc.js';
import { PROTOCOL_VERSION, SCHEMA_VERSION } from '../../src/sync/protocol.js';
import { syncSchema } from '../../src/sync/tables.js';
import { pull } from '../../src/sync/pull.js';
import { push } from '../../src/sync/push.js';
import { Crash, crashableDb, Fuse, resetDatabase } from './databases.js';
import { Rng, seededIds, SimClock } from './determinism.js';
import { canonical } from './server-watch.js';
import { SimServer } from './world.js';

export interface InitialSyncServer {
  server: SimServer;
  userId: string;
  organisations: number;
}

/** A server with two organisations of every synced kind of row (a conflict record, a document, a component tree and a community registry included), and a member of both. */
export async function seedInitialSyncServer(db: Db): Promise<InitialSyncServer> {
  await resetDatabase(db);
  const clock = new SimClock(Date.UTC(2026, 0, 1));
  const server = new SimServer(db, clock, seededIds(new Rng(9), clock));
  const system = server.system();
  const member = await createUser(system, { email: 'member@example.com', name: 'Member' });
  const storage = {
    blobs: createMemoryBlobStore(),
    signer: createDocumentTokenSigner('initial sync document token secret'),
    maxUploadBytes: 1_000_000,
  };
  for (const name of ['North', 'South']) {
    const org = await createOrganisation(system, { name });
    const owner = await createUser(system, {
      email: `owner@${name}.example.com`,
      name: `${name} owner`,
      organisationId: org.id,
      role: 'owner',
    });
    await addMember(system, { organisationId: org.id, userId: member.id, role: 'technician' });
    const ctx = await server.as(owner.id);
    const portfolios = await createPortfolios(
      ctx,
      [1, 2, 3].map((i) => ({ organisationId: org.id, name: `${name} portfolio ${i}` })),
    );
    const sites = [];
    for (let i = 0; i < 9; i++) {
      clock.advance(1);
      sites.push(
        await createSite(ctx, { organisationId: org.id, siteName: `${name} site ${i}`, portfolioId: portfolios[i % 3]!.id, capacity: i }),
      );
    }
    clock.advance(1);
    await updateSite(ctx, sites[0]!.id, { capacity: 99 });
    await deleteSite(ctx, sites[1]!.id);
    // A component tree: a meter over two inverters, one of which has a string; the meter removed (its inverters move up).
    const meter = await createComponent(ctx, { siteId: sites[0]!.id, nodeId: `${name}.M`, name: 'Meter', nodeType: 'METER' });
    const inverters = [];
    for (const i of [1, 2]) {
      const component = { siteId: sites[0]!.id, parentId: meter.id, nodeId: `${name}.I${i}`, name: `Inverter ${i}`, nodeType: 'INVERTER' };
      inverters.push(await createComponent(ctx, component));
    }
    await createComponent(ctx, {
      siteId: sites[0]!.id,
      parentId: inverters[0]!.id,
      nodeId: `${name}.S1`,
      name: 'String 1',
      nodeType: 'STRING',
    });
    await deleteComponent(ctx, meter.id);
    // A community: a member with a delivery point and a PV behind it, and a removed member (its delivery point and meter gone with it).
    const community = await seedCommunity(ctx, org.id, `${name.toLowerCase()}-commons`);
    for (const key of ['m-1', 'm-2']) {
      clock.advance(1);
      const member = await createCommunityMember(ctx, {
        community_id: community.id,
        key,
        name: key,
        role: 'prosumer',
        area: 'north',
        status: 'active',
      });
      const placed = { community_id: community.id, member_id: member.id };
      const dp = await createCommunityDeliveryPoint(ctx, { ...placed, pod: `${name}-${key}`, type: 'pod', topology_node: 'feeder-1' });
      const asset =
        key === 'm-1'
          ? { key: 'pv', asset_type: 'pv', name: 'Roof', pod: dp.pod, properties: { rated_power: 5 } }
          : { key: 'meter', asset_type: 'meter', name: 'Meter', sensor_id: `${name}-meter`, properties: { meter_type: 'production' } };
      await createCommunityAsset(ctx, { ...placed, ...asset });
      if (key === 'm-2') await removeCommunityMember(ctx, member.id);
    }
    await requestUploads(ctx, storage, {
      siteId: sites[2]!.id,
      fileType: 'documents',
      files: [{ filename: 'survey.pdf', mimeType: 'application/pdf', fileSize: 10 }],
    });
    // A conflict record: an edit based on a version of the name that is no longer current.
    const laptop = new HybridClock('laptop', clock);
    await push(ctx, {
      protocolVersion: PROTOCOL_VERSION,
      schemaVersion: SCHEMA_VERSION,
      clientId: server.ids.uuid(),
      mutations: [
        {
          seq: 1,
          table: 'sites',
          op: 'update',
          id: sites[3]!.id,
          organisationId: org.id,
          fields: { siteName: 'Renamed offline' },
          base: { siteName: null },
          hlc: laptop.now(),
        },
      ],
    });
  }
  return { server, userId: member.id, organisations: 2 };
}

export interface InitialSyncOutcome {
  /** Pull answers received. */
  responses: number;
  /** Row changes received, repeats included. */
  changes: number;
  crashes: number;
  /** Statements the client ran (for choosing where to kill it). */
  statements: number;
  /** Everything synced, as the client holds it. */
  state: string[];
}

/**
 * A fresh client's initial sync, in pages of `limit`, killed after each of
 * `killAfter` statements (counted from the start, or from the previous
 * kill) and started again from its database each time.
 */
export async function initialSync(
  local: TestDb,
  seeded: InitialSyncServer,
  limit: number,
  killAfter: readonly number[],
): Promise<InitialSyncOutcome> {
  await resetDatabase(local);
  const outcome: InitialSyncOutcome = { responses: 0, changes: 0, crashes: 0, statements: 0, state: [] };
  const transport: SyncTransport = {
    push: async (req) => push(await seeded.server.as(seeded.userId), req),
    pull: async (req) => {
      const res = await pull(await seeded.server.as(seeded.userId), req);
      outcome.responses++;
      outcome.changes += res.organisations.reduce((n, o) => n + o.changes.length, 0);
      return JSON.parse(JSON.stringify(res)) as typeof res;
    },
  };
  const clock = seeded.server.clock;
  const ids = seededIds(new Rng(17), clock);
  let fuse = new Fuse();
  const arm = () => {
    fuse = new Fuse();
    const next = killAfter[outcome.crashes];
    if (next !== undefined) fuse.arm(next);
  };
  arm();
  for (;;) {
    try {
      const client = await SyncClient.open({ db: crashableDb(local, fuse), clock, ids, userId: seeded.userId, transport });
      while (await client.pullOnce(limit));
      break;
    } catch (err) {
      if (!(err instanceof Crash)) throw err;
      outcome.statements += fuse.statements;
      outcome.crashes++;
      arm();
    }
  }
  outcome.statements += fuse.statements;
  const dumps = [
    ...syncSchema.names.map((t) => [t, `SELECT to_jsonb(x) AS row FROM ${t} x ORDER BY id`]),
    // The user directory as pulled (its timestamps are local bookkeeping).
    ['users', 'SELECT jsonb_build_object($$id$$, id, $$email$$, email, $$name$$, name) AS row FROM users ORDER BY id'],
    ['sync_cursors', 'SELECT to_jsonb(x) AS row FROM sync_cursors x ORDER BY organisation_id'],
  ];
  for (const [table, sql] of dumps) {
    const { rows } = await local.query<{ row: unknown }>(sql!);
    outcome.state.push(...rows.map((r) => `${table} ${canonical(r.row)}`));
  }
  return outcome;
}
