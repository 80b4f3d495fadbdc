// A schedule: the world to build and the operations to run in it, drawn by
// fast-check from a seed. Operations name clients, rows and messages by
// small numbers that are resolved (modulo what exists) when they run, so
// every drawn schedule is runnable whatever happened before each step.
import fc from 'fast-check';
import { fates, type Fate } from './network.js';

export type Table = 'sites' | 'portfolios' | 'components' | 'community_members' | 'community_delivery_points' | 'community_assets';
export type RowOp = 'create' | 'update' | 'delete' | 'restore';
export type MemberRole = 'technician' | 'admin' | 'viewer';

/** Which fields to set, as (field, value) indexes into the pools of fields.ts. */
export type FieldPicks = readonly (readonly [number, number])[];

export type Op =
  | { kind: 'write'; client: number; table: Table; op: RowOp; target: number; org: number; fields: FieldPicks; invalid: number | null }
  | { kind: 'server-write'; org: number; table: Table; op: RowOp; target: number; fields: FieldPicks }
  | { kind: 'document'; org: number; target: number }
  | { kind: 'push'; client: number }
  | { kind: 'pull'; client: number }
  | { kind: 'deliver'; message: number; fate: Fate }
  | { kind: 'online' | 'offline'; client: number }
  | { kind: 'tick'; ms: number }
  | { kind: 'role'; user: number; org: number; role: MemberRole }
  | { kind: 'revoke'; user: number; org: number }
  | { kind: 'kill'; client: number; after: number }
  | { kind: 'restart' };

export interface ClientSpec {
  user: number;
  /** How far this machine's clock is off: some beyond the server's 5-minute clamp. */
  skewMs: number;
  /** Whether it completes an initial sync before the schedule starts. */
  synced: boolean;
}

export interface Schedule {
  seed: number;
  /** Per user, the organisations (0 or 1) and roles they start with. */
  users: { org: number; role: MemberRole }[][];
  clients: ClientSpec[];
  /** Rows each organisation starts with. */
  initialRows: number;
  pageLimit: number;
  pushLimit: number;
  ops: Op[];
}

// Mostly the first fields of a table (a site's name, portfolio, capacity; a component's parent, name, nodeId), so that writers collide.
const field = fc.oneof({ weight: 3, arbitrary: fc.nat(2) }, { weight: 1, arbitrary: fc.nat(31) });
const fieldPicks = fc.array(fc.tuple(field, fc.nat(31)), { minLength: 1, maxLength: 3 });
const table = fc.constantFrom<Table>(
  'sites',
  'sites',
  'portfolios',
  'components',
  'components',
  'community_members',
  'community_delivery_points',
  'community_assets',
);
const rowOp = fc.constantFrom<RowOp>('create', 'create', 'update', 'update', 'update', 'delete', 'restore');
// Admins write what technicians write, and a community's registry too (technicians are refused it).
const role = fc.constantFrom<MemberRole>('technician', 'technician', 'technician', 'admin', 'admin', 'admin', 'viewer');
const client = fc.nat(7);
// Mostly a few hot rows, so that writers meet on them.
const target = fc.oneof({ weight: 3, arbitrary: fc.nat(2) }, { weight: 2, arbitrary: fc.nat() });

/**
 * Each kind of operation with the weights a schedule may give it. Every
 * schedule draws its own mix ("swarm testing"): one is all writes and small
 * pulls, another all lost messages and crashes, and each reaches corners an
 * even mix would rarely visit.
 */
const kinds: readonly { weights: readonly number[]; arbitrary: fc.Arbitrary<Op> }[] = [
  {
    weights: [4, 10, 20],
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      client,
      table,
      op: rowOp,
      target,
      org: fc.nat(1),
      fields: fieldPicks,
      invalid: fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat(7) }),
    }),
  },
  {
    weights: [0, 2, 6],
    arbitrary: fc.record({ kind: fc.constant('server-write' as const), org: fc.nat(1), table, op: rowOp, target, fields: fieldPicks }),
  },
  { weights: [0, 1], arbitrary: fc.record({ kind: fc.constant('document' as const), org: fc.nat(1), target: fc.nat() }) },
  { weights: [3, 7, 12], arbitrary: fc.record({ kind: fc.constant('push' as const), client }) },
  { weights: [3, 7, 12], arbitrary: fc.record({ kind: fc.constant('pull' as const), client }) },
  {
    weights: [6, 12, 20],
    arbitrary: fc.record({
      kind: fc.constant('deliver' as const),
      message: fc.nat(),
      fate: fc.constantFrom<Fate>(...fates, 'deliver', 'deliver', 'deliver', 'deliver'),
    }),
  },
  { weights: [0, 2, 5], arbitrary: fc.record({ kind: fc.constantFrom('online' as const, 'offline' as const), client }) },
  { weights: [0, 2], arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.constantFrom(1, 40, 1_000, 60_000, 400_000) }) },
  {
    weights: [0, 1, 3],
    arbitrary: fc.record({
      kind: fc.constant('role' as const),
      user: fc.nat(7),
      org: fc.nat(1),
      role: fc.constantFrom<MemberRole>('viewer', 'technician', 'admin'),
    }),
  },
  { weights: [0, 1, 2], arbitrary: fc.record({ kind: fc.constant('revoke' as const), user: fc.nat(7), org: fc.nat(1) }) },
  { weights: [0, 2, 5], arbitrary: fc.record({ kind: fc.constant('kill' as const), client, after: fc.nat(30) }) },
  { weights: [0, 1], arbitrary: fc.record({ kind: fc.constant('restart' as const) }) },
];

function opsArbitrary(count: { min: number; max: number }): fc.Arbitrary<Op[]> {
  return fc.tuple(...kinds.map((k) => fc.constantFrom(...k.weights))).chain((weights) =>
    fc.array(fc.oneof(...kinds.map((k, i) => ({ weight: weights[i]!, arbitrary: k.arbitrary })).filter((k) => k.weight > 0)), {
      minLength: count.min,
      maxLength: count.max,
    }),
  );
}

const memberships = fc.uniqueArray(fc.record({ org: fc.nat(1), role }), { minLength: 1, maxLength: 2, selector: (m) => m.org });

export function scheduleArbitrary(opCount: { min: number; max: number }): fc.Arbitrary<Schedule> {
  return fc
    .record({
      seed: fc.nat(),
      users: fc.array(memberships, { minLength: 2, maxLength: 5 }),
      clients: fc.array(
        fc.record({
          user: fc.nat(7),
          skewMs: fc.constantFrom(0, 0, 0, 25, -2_000, 90_000, 420_000),
          synced: fc.constantFrom(true, true, true, false),
        }),
        { minLength: 3, maxLength: 8 },
      ),
      initialRows: fc.integer({ min: 2, max: 6 }),
      pageLimit: fc.integer({ min: 1, max: 4 }),
      pushLimit: fc.integer({ min: 1, max: 5 }),
      ops: opsArbitrary(opCount),
    })
    .map((s) => ({ ...s, clients: s.clients.map((c) => ({ ...c, user: c.user % s.users.length })) }));
}

export const defaultOpCount = { min: 30, max: 80 };

/** The schedule a seed stands for: the same seed gives the same schedule on every machine. */
export function scheduleFor(seed: number, opCount = defaultOpCount): Schedule {
  // Unbiased: a biased first sample favours the smallest worlds and the shortest schedules.
  return fc.sample(scheduleArbitrary(opCount), { seed, numRuns: 1, unbiased: true })[0]!;
}

export function describeOp(o: Op): string {
  const { kind, ...rest } = o;
  return `${kind} ${JSON.stringify(rest)}`;
}
