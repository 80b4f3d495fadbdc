// The plant lifecycle: one explicit state machine. Every change of state goes
// through `transition`, which refuses what the table does not allow (with the
// Plants API's message for that action) and records who did it and when.
//
// | action        | from                                          | to                                   |
// | ------------- | --------------------------------------------- | ------------------------------------ |
// | create        | (none)                                        | PENDING                              |
// | provision     | PENDING, PROVISIONED, REVOKED                 | PROVISIONED                          |
// | provision     | ACTIVE (a renewal: the old certificate retires) | ACTIVE                             |
// | connect       | PROVISIONED                                   | ACTIVE (first accepted connection)   |
// | suspend       | PROVISIONED, ACTIVE                           | SUSPENDED                            |
// | reactivate    | SUSPENDED                                     | ACTIVE if it connected with its current credentials, else PROVISIONED |
// | revoke        | PENDING, PROVISIONED, ACTIVE, SUSPENDED, REVOKED | REVOKED                           |
// | rotate-secret | PROVISIONED, ACTIVE, SUSPENDED                | (unchanged)                          |
// | mqtt-token    | PROVISIONED, ACTIVE (TOKEN plants only)       | (unchanged)                          |
// | decommission  | every state but DECOMMISSIONED                | DECOMMISSIONED                       |
//
// Only PROVISIONED and ACTIVE plants may connect to the gateway.
import type { Queryable } from '@helio/db';
import type { Principal } from '../auth/principal.js';
import { DomainError } from '../errors.js';

export const lifecycleStatuses = ['PENDING', 'PROVISIONED', 'ACTIVE', 'SUSPENDED', 'REVOKED', 'DECOMMISSIONED'] as const;
export type LifecycleStatus = (typeof lifecycleStatuses)[number];

export const lifecycleActions = [
  'create',
  'provision',
  'connect',
  'suspend',
  'reactivate',
  'revoke',
  'rotate-secret',
  'mqtt-token',
  'decommission',
] as const;
export type LifecycleAction = (typeof lifecycleActions)[number];

/** States a plant may connect to the gateway from. */
export const CONNECTABLE: ReadonlySet<LifecycleStatus> = new Set(['PROVISIONED', 'ACTIVE']);

const FROM: Record<Exclude<LifecycleAction, 'create'>, readonly LifecycleStatus[]> = {
  provision: ['PENDING', 'PROVISIONED', 'REVOKED', 'ACTIVE'],
  connect: ['PROVISIONED', 'ACTIVE'],
  suspend: ['PROVISIONED', 'ACTIVE'],
  reactivate: ['SUSPENDED'],
  revoke: ['PENDING', 'PROVISIONED', 'ACTIVE', 'SUSPENDED', 'REVOKED'],
  'rotate-secret': ['PROVISIONED', 'ACTIVE', 'SUSPENDED'],
  'mqtt-token': ['PROVISIONED', 'ACTIVE'],
  decommission: ['PENDING', 'PROVISIONED', 'ACTIVE', 'SUSPENDED', 'REVOKED'],
};

/** The Plants API's message for an action refused in the plant's state. */
export const REFUSAL: Record<Exclude<LifecycleAction, 'create' | 'connect'>, string> = {
  provision: 'Invalid UUID or plant cannot be provisioned in its current state',
  suspend: 'Invalid UUID or plant cannot be suspended in its current state',
  reactivate: 'Invalid UUID or plant cannot be reactivated in its current state',
  revoke: 'Invalid UUID or plant is already decommissioned',
  'rotate-secret': 'Invalid UUID or plant cannot rotate secret in its current state',
  'mqtt-token': 'Invalid UUID or plant is not eligible for MQTT token issuance',
  decommission: 'Plant not found',
};

/** The state an action leads to from `from`, or null when the table does not allow it. */
export function nextStatus(
  from: LifecycleStatus,
  action: Exclude<LifecycleAction, 'create'>,
  everActivated: boolean,
): LifecycleStatus | null {
  if (!FROM[action].includes(from)) return null;
  switch (action) {
    case 'provision':
      return from === 'ACTIVE' ? 'ACTIVE' : 'PROVISIONED';
    case 'connect':
      return 'ACTIVE';
    case 'suspend':
      return 'SUSPENDED';
    case 'reactivate':
      return everActivated ? 'ACTIVE' : 'PROVISIONED';
    case 'revoke':
      return 'REVOKED';
    case 'decommission':
      return 'DECOMMISSIONED';
    case 'rotate-secret':
    case 'mqtt-token':
      return from;
  }
}

/** The error for an action the table refuses: VALIDATION_ERROR (the Plants API answers BAD_REQUEST with the message). */
export function illegalTransition(from: LifecycleStatus, action: Exclude<LifecycleAction, 'create'>): DomainError {
  const message = action === 'connect' ? `a ${from} plant may not connect` : REFUSAL[action];
  return new DomainError('VALIDATION_ERROR', message, [
    { path: 'lifecycleStatus', message: `${action} is not allowed from ${from}`, issue: 'illegal_transition', from, action },
  ]);
}

export interface Actor {
  kind: string;
  id: string | null;
}

export function actorOf(p: Principal): Actor {
  switch (p.kind) {
    case 'user':
      return { kind: 'user', id: p.userId };
    case 'apiKey':
      return { kind: 'apiKey', id: p.keyId };
    case 'client':
      return { kind: 'client', id: p.clientId };
    case 'system':
      return { kind: 'system', id: null };
  }
}

/**
 * Checks an action against the table and records it (every action, also
 * those that keep the state: a rotation or a token is worth its line in the
 * history). Call inside the transaction that changes the plant, after
 * locking its row (`SELECT ... FOR UPDATE`). Resolves to the new state; the
 * caller writes it to the plant with its other changes.
 */
export async function transition(
  tx: Queryable,
  plant: { id: string; lifecycle_status: LifecycleStatus; activated_at: Date | string | null },
  action: Exclude<LifecycleAction, 'create'>,
  actor: Actor,
  opts: { id: string; at: Date; reason?: string },
): Promise<LifecycleStatus> {
  const to = nextStatus(plant.lifecycle_status, action, plant.activated_at !== null);
  if (to === null) throw illegalTransition(plant.lifecycle_status, action);
  await tx.query(
    `INSERT INTO plant_transitions (id, plant_id, from_status, to_status, action, actor_kind, actor_id, at, reason)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [opts.id, plant.id, plant.lifecycle_status, to, action, actor.kind, actor.id, opts.at, opts.reason ?? null],
  );
  return to;
}

/** Records a plant's creation (from nothing to PENDING). */
export async function recordCreation(tx: Queryable, plantId: string, actor: Actor, opts: { id: string; at: Date }): Promise<void> {
  await tx.query(
    `INSERT INTO plant_transitions (id, plant_id, from_status, to_status, action, actor_kind, actor_id, at)
     VALUES ($1, $2, NULL, 'PENDING', 'create', $3, $4, $5)`,
    [opts.id, plantId, actor.kind, actor.id, opts.at],
  );
}
