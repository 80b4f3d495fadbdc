// Test fixtures for core services: contexts over a test database, and an
// organisation with one member per role to act as.
import type { Db } from '@helio/db';
import { systemPrincipal, type Principal } from './auth/principal.js';
import { roles, type Role } from './auth/roles.js';
import type { ServiceContext } from './context.js';
import { createUuidV7Generator, systemClock, type Clock } from './ids.js';
import { createOrganisation } from './organisations/service.js';
import { addMember, createUser, membershipsOf } from './users/service.js';

export function contextFor(db: Db, principal: Principal = systemPrincipal, clock: Clock = systemClock): ServiceContext {
  return { db, clock, ids: createUuidV7Generator(clock), principal };
}

export interface TestOrganisation {
  id: string;
  /** A context acting as this organisation's member with the role. */
  as: Record<Role, ServiceContext>;
}

/** An organisation with one user per role (no passwords: nothing slow to hash). */
export async function seedOrganisation(db: Db, name = 'Org', clock: Clock = systemClock): Promise<TestOrganisation> {
  const system = contextFor(db, systemPrincipal, clock);
  const org = await createOrganisation(system, { name });
  const as = {} as Record<Role, ServiceContext>;
  for (const role of roles) {
    const user = await createUser(system, { email: `${role}-${org.id}@example.com`, name: `${name} ${role}` });
    await addMember(system, { organisationId: org.id, userId: user.id, role });
    as[role] = contextFor(db, { kind: 'user', userId: user.id, memberships: await membershipsOf(system, user.id) }, clock);
  }
  return { id: org.id, as };
}

/** The organisation's last handed-out change sequence. */
export async function lastChangeSeq(db: Db, organisationId: string): Promise<number> {
  const { rows } = await db.query<{ last_seq: number }>('SELECT last_seq FROM organisation_change_counters WHERE organisation_id = $1', [
    organisationId,
  ]);
  return rows[0]!.last_seq;
}
