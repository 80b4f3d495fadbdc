// The server of bench/sync.ts, in a child process as it would be on another
// machine: its work (PGlite queries, gzip, JSON) does not land on the event
// loop whose stalls the bench measures, nor in the client's CPU time.
//
// Protocol: the parent sends `{ id, call }`; this process answers
// `{ id, ok, result }` or `{ id, ok: false, error }`, and sends
// `{ progress }` lines while seeding. It cleans up and exits when the parent
// sends `stop` or disconnects.
import { oauth, organisations, sites, systemPrincipal, users, type ServiceContext } from '@helio/core';
import type { Engine } from '@helio/db';
import { serviceContext } from '@helio/server';
import { startHelio, type BenchedHelio } from './helio.js';
import { seedDocuments, seedSites } from './sync-seed.js';

export interface SeedPlan {
  engine: Engine;
  /** With engine postgres: a database to create the bench's temporary database from. */
  adminUrl: string;
  sites: number;
  documents: number;
  /** Sites of a second organisation, for the peer of the offline drain (the server applying the same mutations). */
  twinSites: number;
}

export interface Seeded {
  url: string;
  organisationId: string;
  twinOrganisationId: string;
  user: { id: string; email: string; password: string };
  /** The first sites of the organisation, in change-sequence order. */
  siteIds: string[];
  oauthClient: { clientId: string; clientSecret: string };
}

/**
 * A write, as the bench's client makes it and the peer applies it through core
 * services: a new site (the peer gives it an id of its own: the client's goes
 * to the server later), or an update of site number `index` of the organisation.
 */
export type DirectWrite =
  { op: 'create'; id: string; fields: Record<string, unknown> } | { op: 'update'; index: number; fields: Record<string, unknown> };

export type ServerCall =
  | { kind: 'start'; plan: SeedPlan }
  | { kind: 'applyDirect'; writes: DirectWrite[] }
  | { kind: 'updateSite'; id: string; fields: Record<string, unknown> }
  | { kind: 'stop' };

export type ServerMessage = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string } | { progress: string };

let helio: BenchedHelio | undefined;
let twin: { organisationId: string; siteIds: string[]; ctx: ServiceContext } | undefined;

const send = (message: ServerMessage) => process.send?.(message);
const progress = (text: string) => send({ progress: text });

async function start(plan: SeedPlan): Promise<Seeded | string> {
  const started = await startHelio(plan.engine, plan.adminUrl);
  if (typeof started === 'string') return started;
  helio = started;
  const { server } = started;
  const { db } = server.services;
  const system = serviceContext(server.services, systemPrincipal);
  const org = await organisations.createOrganisation(system, { name: 'Bench Energy' });
  const password = 'bench password, long enough';
  const user = await users.createUser(system, { email: 'technician@bench.example.com', name: 'Bench technician', password });
  await users.addMember(system, { organisationId: org.id, userId: user.id, role: 'technician' });
  const client = await oauth.createOAuthClient(system, { name: 'bench', grants: ['password', 'refresh_token'] });

  const every = (label: string, total: number) => (done: number) => progress(`${label} ${done}/${total}`);
  const siteIds = await seedSites(db, org.id, 'Bench', plan.sites, every('sites', plan.sites));
  await seedDocuments(db, org.id, siteIds, user.id, plan.documents, every('documents', plan.documents));

  // The twin's member is another user, so the bench's client never pulls it.
  const twinOrg = await organisations.createOrganisation(system, { name: 'Bench Twin' });
  const twinUser = await users.createUser(system, { email: 'twin@bench.example.com', name: 'Twin technician' });
  await users.addMember(system, { organisationId: twinOrg.id, userId: twinUser.id, role: 'technician' });
  const twinSiteIds = await seedSites(db, twinOrg.id, 'Twin', plan.twinSites, every('twin sites', plan.twinSites));
  const memberships = await users.membershipsOf({ db }, twinUser.id);
  twin = {
    organisationId: twinOrg.id,
    siteIds: twinSiteIds,
    ctx: serviceContext(server.services, { kind: 'user', userId: twinUser.id, memberships }),
  };

  // Planner statistics for the freshly loaded tables, as autovacuum would gather them on a live server.
  await db.query('ANALYZE');
  return {
    url: server.url,
    organisationId: org.id,
    twinOrganisationId: twinOrg.id,
    user: { id: user.id, email: user.email, password },
    siteIds: siteIds.slice(0, 100),
    oauthClient: { clientId: client.clientId, clientSecret: client.clientSecret },
  };
}

/** The peer of the offline drain: each write through the core service, one transaction each, no network. */
async function applyDirect(writes: DirectWrite[]): Promise<{ ms: number }> {
  if (!twin) throw new Error('not started');
  const { ctx, organisationId, siteIds } = twin;
  const began = performance.now();
  for (const w of writes) {
    if (w.op === 'create') await sites.createSite(ctx, { ...w.fields, organisationId });
    else await sites.updateSite(ctx, siteIds[w.index]!, w.fields);
  }
  return { ms: performance.now() - began };
}

async function handle(call: ServerCall): Promise<unknown> {
  switch (call.kind) {
    case 'start':
      return start(call.plan);
    case 'applyDirect':
      return applyDirect(call.writes);
    case 'updateSite': {
      if (!helio) throw new Error('not started');
      const updated = await sites.updateSite(serviceContext(helio.server.services, systemPrincipal), call.id, call.fields);
      return { updatedAt: updated.updatedAt };
    }
    case 'stop':
      await stop();
      return null;
  }
}

let stopping: Promise<void> | undefined;
function stop(): Promise<void> {
  stopping ??= (async () => {
    await helio?.cleanup();
    helio = undefined;
  })();
  return stopping;
}

process.on('message', (message: { id: number; call: ServerCall }) => {
  handle(message.call).then(
    (result) => send({ id: message.id, ok: true, result }),
    (err: unknown) => send({ id: message.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
});
process.on('disconnect', () => {
  void stop().finally(() => process.exit(0));
});
