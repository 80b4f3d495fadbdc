// The simulated world: a server core on its database, the organisations and
// users of a schedule, and 3-8 clients, each a SyncClient on its own PGlite
// reaching the server through the simulated network. The world runs one
// thing at a time: a client's sync call runs until it finishes or waits on
// the network, so every seed replays identically.
import type { Db } from '@helio/db';
import type { TestDb } from '@helio/db/testing';
import { systemPrincipal } from '../../src/auth/principal.js';
import { createCommunityAsset, createCommunityDeliveryPoint, createCommunityMember } from '../../src/communities/entities.js';
import { seedCommunity } from '../../src/communities/entities/testing.js';
import type { ServiceContext } from '../../src/context.js';
import type { Clock, IdGenerator } from '../../src/ids.js';
import { createComponent } from '../../src/monitoring/components/service.js';
import { createOrganisation } from '../../src/organisations/service.js';
import { createPortfolios } from '../../src/portfolios/service.js';
import { createSite } from '../../src/sites/service.js';
import { addMember, createUser, membershipsOf } from '../../src/users/service.js';
import { SyncClient } from '../../src/sync/client.js';
import type { ParsedMutation, PullResponse } from '../../src/sync/protocol.js';
import { pull } from '../../src/sync/pull.js';
import { push } from '../../src/sync/push.js';
import { Crash, crashableDb, Fuse, resetDatabase, serverDb, type SimDatabases } from './databases.js';
import { Rng, seededIds, SimClock, skewedClock } from './determinism.js';
import { Network, NetworkError, type Message } from './network.js';
import type { RowOp, Schedule, Table } from './schedule.js';
import { ServerWatch } from './server-watch.js';

/** 2026-01-01: the simulation's epoch. */
const EPOCH = Date.UTC(2026, 0, 1);

export interface SimOrganisation {
  id: string;
  /** An owner who makes the server-side (REST) writes. */
  ownerId: string;
}

/** An organisation's energy community (communities change by import only: the schedule writes its registry). */
export interface SimCommunity {
  id: string;
  organisationId: string;
  /** The PODs of its first delivery points. */
  pods: string[];
}

export interface SimUser {
  id: string;
}

/** A row someone created, so that later operations can name it. */
export interface KnownRow {
  table: Table;
  id: string;
  organisationId: string;
  /** A component's site. */
  siteId?: string;
}

/** A local write that committed: it must end applied, applied with a conflict, or visibly rejected. */
export interface CommittedWrite {
  client: number;
  seq: number;
  table: Table;
  op: RowOp;
  id: string;
  organisationId: string;
  /** The mutation as queued, with its base clocks and its own clock. */
  mutation: ParsedMutation;
}

type Outcome = { ok: true } | { ok: false; error: unknown };

interface Task {
  kind: 'push' | 'pull';
  done: Promise<Outcome>;
}

/** One installation of the desktop app. */
export class SimClient {
  fuse = new Fuse();
  sync!: SyncClient;
  clientId = '';
  task: Task | undefined;
  /** The message its task waits on, if it waits on the network. */
  waitingOn: number | undefined;
  /** Pull responses this client received (and so processed, unless it crashed). */
  readonly received: PullResponse[] = [];
  crashes = 0;
  /** The answer of a pull this client just finished processing, for the checks that follow. */
  justPulled: PullResponse | undefined;

  constructor(
    readonly index: number,
    readonly user: SimUser,
    readonly db: TestDb,
    readonly clock: Clock,
    readonly ids: IdGenerator,
  ) {}
}

/** The server: its database and the contexts its requests run in. Restarting makes a new one over the same data. */
export class SimServer {
  readonly db: Db;

  constructor(
    raw: Db,
    readonly clock: SimClock,
    readonly ids: IdGenerator,
  ) {
    this.db = serverDb(raw, clock);
  }

  system(): ServiceContext {
    return { db: this.db, clock: this.clock, ids: this.ids, principal: systemPrincipal };
  }

  /** A request of a signed-in user: their memberships as they are now. */
  async as(userId: string): Promise<ServiceContext> {
    return { ...this.system(), principal: { kind: 'user', userId, memberships: await membershipsOf({ db: this.db }, userId) } };
  }
}

export class World {
  readonly clock = new SimClock(EPOCH);
  readonly rng: Rng;
  readonly network: Network;
  readonly organisations: SimOrganisation[] = [];
  readonly users: SimUser[] = [];
  readonly clients: SimClient[] = [];
  readonly rows: KnownRow[] = [];
  readonly communities: SimCommunity[] = [];
  readonly writes: CommittedWrite[] = [];
  readonly violations: string[] = [];
  /** Sites someone deleted (and may have restored): their components' nodeIds may have been reused meanwhile. */
  readonly removedSites = new Set<string>();
  /** Writes the services refused, by where and error code: the invalid ones a schedule tries. */
  readonly refused: Record<string, number> = {};
  readonly watch: ServerWatch;
  server: SimServer;
  /** Set while running an operation, so violations say where they happened. */
  step = 'setup';
  private readonly wake = new Map<number, () => void>();

  private constructor(
    readonly dbs: SimDatabases,
    readonly schedule: Schedule,
  ) {
    this.rng = new Rng(schedule.seed);
    this.server = new SimServer(dbs.server, this.clock, seededIds(this.rng.fork(), this.clock));
    this.watch = new ServerWatch(this);
    this.network = new Network((m) => this.handle(m));
    this.network.onSend = (client, id) => {
      this.clients[client]!.waitingOn = id;
      this.wake.get(client)?.();
    };
  }

  /** Counts a write the services refused (by where and why), for the run's statistics. */
  refuse(what: string): void {
    this.refused[what] = (this.refused[what] ?? 0) + 1;
  }

  violation(text: string): void {
    this.violations.push(`[${this.step}] ${text}`);
  }

  /** Empties the databases and builds the schedule's world: organisations, users, memberships, rows, clients. */
  static async create(dbs: SimDatabases, schedule: Schedule): Promise<World> {
    for (const db of [dbs.server, ...dbs.clients.slice(0, schedule.clients.length)]) await resetDatabase(db);
    const world = new World(dbs, schedule);
    await world.watch.install();
    const system = world.server.system();
    for (const name of ['Sunrise Energy', 'Meadow Solar']) {
      const org = await createOrganisation(system, { name });
      const owner = await createUser(system, {
        email: `owner@${org.id}.example.com`,
        name: `${name} owner`,
        organisationId: org.id,
        role: 'owner',
      });
      world.organisations.push({ id: org.id, ownerId: owner.id });
    }
    for (const [i, memberships] of schedule.users.entries()) {
      const user = await createUser(system, { email: `tech${i}@example.com`, name: `Technician ${i}` });
      for (const m of memberships)
        await addMember(system, { organisationId: world.organisations[m.org]!.id, userId: user.id, role: m.role });
      world.users.push({ id: user.id });
    }
    for (const org of world.organisations) {
      const owner = await world.server.as(org.ownerId);
      let portfolioId: string | undefined;
      for (let i = 0; i < schedule.initialRows; i++) {
        if (i % 3 === 0) {
          const [p] = await createPortfolios(owner, [{ organisationId: org.id, name: `Portfolio ${i}` }]);
          world.rows.push({ table: 'portfolios', id: p!.id, organisationId: org.id });
          portfolioId = p!.id;
        } else {
          const s = await createSite(owner, {
            organisationId: org.id,
            siteName: `Site ${i}`,
            capacity: i,
            ...(i % 3 === 1 ? { portfolioId } : {}),
          });
          world.rows.push({ table: 'sites', id: s.id, organisationId: org.id });
          // A meter with an inverter under it on the organisation's first sites.
          if (i < 3) {
            const meter = await createComponent(owner, { siteId: s.id, nodeId: `M.${i}`, name: `Meter ${i}`, nodeType: 'METER' });
            const inverter = await createComponent(owner, {
              siteId: s.id,
              parentId: meter.id,
              nodeId: `I.${i}`,
              name: `Inverter ${i}`,
              nodeType: 'INVERTER',
            });
            for (const c of [meter, inverter]) world.rows.push({ table: 'components', id: c.id, organisationId: org.id, siteId: s.id });
          }
        }
        world.clock.advance(7);
      }
      await seedRegistry(world, owner, org.id);
    }
    for (const [i, spec] of schedule.clients.entries()) {
      const clock = skewedClock(world.clock, spec.skewMs);
      const client = new SimClient(i, world.users[spec.user]!, dbs.clients[i]!, clock, seededIds(world.rng.fork(), clock));
      world.clients.push(client);
      await world.open(client);
    }
    world.network.direct = true;
    for (const [i, spec] of schedule.clients.entries()) if (spec.synced) await world.clients[i]!.sync.sync();
    world.network.direct = false;
    return world;
  }

  /** Opens (or, after a crash, re-opens) the client's SyncClient from what its database holds. */
  async open(client: SimClient): Promise<void> {
    client.fuse = new Fuse();
    const network = this.network.transport(client.index);
    client.sync = await SyncClient.open({
      db: crashableDb(client.db, client.fuse),
      clock: client.clock,
      ids: client.ids,
      userId: client.user.id,
      transport: {
        push: (req) => network.push(req),
        pull: async (req) => {
          const res = await network.pull(req);
          client.received.push(res);
          return res;
        },
      },
    });
    client.clientId = client.sync.clientId;
  }

  /** The process dies: whatever it was waiting for is abandoned, and it starts again from its database. */
  async crash(client: SimClient): Promise<void> {
    client.fuse.blow();
    this.network.abandon(client.index);
    client.task = undefined;
    client.waitingOn = undefined;
    client.crashes++;
    await this.open(client);
  }

  /** Starts a sync call on a client and runs it until it finishes or waits on the network. */
  async start(client: SimClient, kind: 'push' | 'pull', call: () => Promise<unknown>): Promise<void> {
    const done = call().then(
      (): Outcome => ({ ok: true }),
      (error: unknown): Outcome => ({ ok: false, error }),
    );
    client.task = { kind, done };
    await this.settle(client);
  }

  /** Lets the client's task run until it finishes or waits on the network again. */
  async settle(client: SimClient): Promise<void> {
    const task = client.task;
    if (!task) return;
    if (client.waitingOn !== undefined && this.network.inFlight.some((m) => m.id === client.waitingOn && m.waiter)) return;
    client.waitingOn = undefined;
    const blocked = new Promise<'blocked'>((resolve) => this.wake.set(client.index, () => resolve('blocked')));
    const result = await Promise.race([task.done, blocked]);
    this.wake.delete(client.index);
    if (result === 'blocked') return;
    client.task = undefined;
    client.waitingOn = undefined;
    await this.finished(client, task.kind, result);
  }

  private async finished(client: SimClient, kind: string, outcome: Outcome): Promise<void> {
    if (outcome.ok) {
      if (kind === 'pull') client.justPulled = client.received.at(-1);
      return;
    }
    if (outcome.error instanceof Crash) return this.crash(client);
    if (outcome.error instanceof NetworkError) return;
    this.violation(`client ${client.index} ${kind} failed: ${describeError(outcome.error)}`);
  }

  /** After a message's fate is decided, the client that waited for it (if any) carries on. */
  async resume(message: Message | undefined): Promise<void> {
    if (!message) return;
    const client = this.clients[message.client]!;
    if (client.task && client.waitingOn === message.id) await this.settle(client);
  }

  private async handle(m: Message): Promise<unknown> {
    // Each request takes time, as on a real server. Clocks the server makes (the
    // trigger's for writes without a client clock, and clamped ones) have
    // millisecond resolution: two writes of one field within a millisecond would
    // share a clock. A known limit, which this keeps the simulation from hitting.
    this.clock.advance(1);
    const client = this.clients[m.client]!;
    const ctx = await this.server.as(client.user.id);
    try {
      if (m.kind === 'pull') {
        const response = await pull(ctx, m.request);
        this.watch.pulled(client, ctx, response);
        return response;
      }
      const before = await this.watch.beforePush(m.request);
      const response = await push(ctx, m.request);
      await this.watch.pushed(m.request, response, before);
      return response;
    } catch (err) {
      this.violation(`the server failed a ${m.kind} from client ${client.index}: ${describeError(err)}`);
      throw err;
    }
  }

  /** The organisations a user belongs to on the server now. */
  async membershipsOf(user: SimUser): Promise<Map<string, string>> {
    return membershipsOf({ db: this.server.db }, user.id);
  }
}

/** The organisation's community: two members, the first with a delivery point and an asset behind it. */
async function seedRegistry(world: World, owner: ServiceContext, organisationId: string): Promise<void> {
  const n = world.communities.length;
  const community = await seedCommunity(owner, organisationId, `community-${n}`);
  const known = (table: Table, id: string) => world.rows.push({ table, id, organisationId });
  const members: string[] = [];
  for (const key of ['m-1', 'm-2']) {
    world.clock.advance(1);
    const m = await createCommunityMember(owner, {
      community_id: community.id,
      key,
      name: `Member ${key}`,
      role: 'prosumer',
      area: 'north',
      status: 'active',
    });
    known('community_members', m.id);
    members.push(m.id);
  }
  world.clock.advance(1);
  const dp = await createCommunityDeliveryPoint(owner, { community_id: community.id, member_id: members[0], pod: `P-${n}-1`, type: 'pod' });
  known('community_delivery_points', dp.id);
  world.clock.advance(1);
  const asset = { community_id: community.id, member_id: members[0], key: 'a-1', asset_type: 'pv', name: 'Roof PV', pod: dp.pod };
  known('community_assets', (await createCommunityAsset(owner, asset)).id);
  world.communities.push({ id: community.id, organisationId, pods: [dp.pod] });
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}${'code' in err ? ` (${String(err.code)})` : ''}`;
  return String(err);
}
