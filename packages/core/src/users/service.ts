import { DbError, type Queryable } from '@helio/db';
import { authorize, roleIn } from '../auth/principal.js';
import { roleAtMost, withArticle, type Role } from '../auth/roles.js';
import { hashPassword, verifyPassword } from '../auth/secrets.js';
import { allocateChangeSeqs } from '../changes.js';
import type { ServiceContext } from '../context.js';
import { assertOrganisationExists } from '../organisations/service.js';
import { conflict, DomainError, forbidden, notFound } from '../errors.js';
import { parseInput } from '../validation.js';
import { addMemberInput, createUserInput, removeMemberInput, type Membership, type RemovedMembership, type User } from './schema.js';

interface UserRow {
  id: string;
  email: string;
  name: string;
  created_at: Date;
}

const toUser = (r: UserRow): User => ({ id: r.id, email: r.email, name: r.name, createdAt: r.created_at.toISOString() });

/**
 * Creates a user account and, when `organisationId` and `role` are given, its
 * membership, in one transaction. Operators (system) and organisation managers may do this.
 */
export async function createUser(ctx: ServiceContext, input: unknown): Promise<User> {
  const data = parseInput(createUserInput, input);
  if (data.organisationId) {
    checkGrant(ctx, data.organisationId, data.role!);
  } else if (ctx.principal.kind !== 'system' && ![...ctx.principal.memberships.values()].some((r) => r === 'owner' || r === 'admin')) {
    throw forbidden('only owners and admins can create users');
  }
  const passwordHash = data.password ? await hashPassword(data.password) : null;
  const now = ctx.clock.now();
  try {
    return await ctx.db.transaction(async (tx) => {
      const { rows } = await tx.query<UserRow>(
        `INSERT INTO users (id, email, name, password_hash, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id, email, name, created_at`,
        [data.id ?? ctx.ids.uuid(), data.email, data.name, passwordHash, now],
      );
      const user = toUser(rows[0]!);
      if (data.organisationId) {
        await assertOrganisationExists(tx, data.organisationId);
        await upsertMembership(tx, ctx, data.organisationId, user.id, data.role!);
      }
      return user;
    });
  } catch (err) {
    if (err instanceof DbError && err.kind === 'unique_violation') {
      throw conflict(`a user with email ${data.email} already exists`, [{ path: 'email', message: 'already taken' }]);
    }
    throw err;
  }
}

export async function findUserByEmail(ctx: ServiceContext, emailAddress: string): Promise<User | undefined> {
  const { rows } = await ctx.db.query<UserRow>(
    'SELECT id, email, name, created_at FROM users WHERE lower(email) = lower($1) AND disabled_at IS NULL',
    [emailAddress],
  );
  return rows[0] ? toUser(rows[0]) : undefined;
}

/** Checks a user's password; undefined when the email or password is wrong (which one is not said). */
export async function verifyUserPassword(ctx: ServiceContext, emailAddress: string, pass: string): Promise<User | undefined> {
  const { rows } = await ctx.db.query<UserRow & { password_hash: string | null }>(
    'SELECT id, email, name, created_at, password_hash FROM users WHERE lower(email) = lower($1) AND disabled_at IS NULL',
    [emailAddress],
  );
  const row = rows[0];
  const ok = await verifyPassword(pass, row?.password_hash ?? null);
  return ok && row ? toUser(row) : undefined;
}

/** A user's live memberships, as the role map a principal carries. */
export async function membershipsOf(ctx: Pick<ServiceContext, 'db'>, userId: string): Promise<Map<string, Role>> {
  const { rows } = await ctx.db.query<{ organisation_id: string; role: Role }>(
    `SELECT m.organisation_id, m.role FROM memberships m
     JOIN organisations o ON o.id = m.organisation_id AND o.deleted_at IS NULL
     WHERE m.user_id = $1 AND m.deleted_at IS NULL`,
    [userId],
  );
  return new Map(rows.map((r) => [r.organisation_id, r.role]));
}

/** The caller may manage the organisation and hand out this role. */
function checkGrant(ctx: ServiceContext, organisationId: string, role: Role): void {
  authorize(ctx.principal, organisationId, 'manage', 'organisation', organisationId);
  const callerRole = roleIn(ctx.principal, organisationId)!;
  if (!roleAtMost(role, callerRole)) throw forbidden(`${withArticle(callerRole)} cannot grant the ${role} role`);
}

/**
 * Creates a membership or changes its role. `callerRole`, for a change made
 * by a member: nobody changes the role of a member above their own, and the
 * last owner stays an owner (checked under the organisation's change-counter
 * lock, like removeMember, so two demotions at once cannot leave none).
 */
async function upsertMembership(
  tx: Queryable,
  ctx: ServiceContext,
  organisationId: string,
  userId: string,
  role: Role,
  callerRole?: Role,
): Promise<Membership> {
  const now = ctx.clock.now();
  const seq = await allocateChangeSeqs(tx, organisationId);
  const current = (
    await tx.query<{ id: string; role: Role }>(
      'SELECT id, role FROM memberships WHERE organisation_id = $1 AND user_id = $2 AND deleted_at IS NULL',
      [organisationId, userId],
    )
  ).rows[0];
  if (current && callerRole && !roleAtMost(current.role, callerRole)) {
    throw forbidden(`${withArticle(callerRole)} cannot change the role of ${withArticle(current.role)}`);
  }
  if (current?.role === 'owner' && role !== 'owner') await assertAnotherOwner(tx, organisationId, current.id, userId);
  const updated = await tx.query<{ id: string; created_at: Date }>(
    `UPDATE memberships SET role = $3, updated_at = $4, change_seq = $5
     WHERE organisation_id = $1 AND user_id = $2 AND deleted_at IS NULL RETURNING id, created_at`,
    [organisationId, userId, role, now, seq],
  );
  let row = updated.rows[0];
  if (!row) {
    const inserted = await tx.query<{ id: string; created_at: Date }>(
      `INSERT INTO memberships (id, organisation_id, user_id, role, created_at, updated_at, change_seq)
       VALUES ($1, $2, $3, $4, $5, $5, $6) RETURNING id, created_at`,
      [ctx.ids.uuid(), organisationId, userId, role, now, seq],
    );
    row = inserted.rows[0]!;
  }
  return { id: row.id, organisationId, userId, role, createdAt: row.created_at.toISOString() };
}

/** The organisation keeps an owner besides the membership `membershipId`, or CONFLICT. */
async function assertAnotherOwner(tx: Queryable, organisationId: string, membershipId: string, userId: string): Promise<void> {
  const others = await tx.query(
    "SELECT 1 FROM memberships WHERE organisation_id = $1 AND role = 'owner' AND deleted_at IS NULL AND id <> $2 LIMIT 1",
    [organisationId, membershipId],
  );
  if (!others.rowCount) {
    throw conflict(`user ${userId} is the last owner of organisation ${organisationId}: make another member an owner first`, [
      { path: 'userId', message: 'last owner' },
    ]);
  }
}

/** Adds a user to an organisation, or changes the role of an existing member. */
export async function addMember(ctx: ServiceContext, input: unknown): Promise<Membership> {
  const data = parseInput(addMemberInput, input);
  checkGrant(ctx, data.organisationId, data.role);
  return ctx.db.transaction(async (tx) => {
    await assertOrganisationExists(tx, data.organisationId);
    const userExists = await tx.query('SELECT 1 FROM users WHERE id = $1', [data.userId]);
    if (!userExists.rowCount) throw notFound('user', data.userId);
    return upsertMembership(tx, ctx, data.organisationId, data.userId, data.role, roleIn(ctx.principal, data.organisationId));
  });
}

/**
 * Takes a user out of an organisation. The membership is tombstoned under a
 * new change sequence: the other members' clients receive the tombstone, and
 * the removed user's next pull reports the organisation revoked (principals
 * are built from live memberships on every request, so their tokens stop
 * reaching it at once). Nobody removes a member above their own role, and an
 * organisation always keeps an owner.
 */
export async function removeMember(ctx: ServiceContext, input: unknown): Promise<RemovedMembership> {
  const data = parseInput(removeMemberInput, input);
  authorize(ctx.principal, data.organisationId, 'manage', 'organisation', data.organisationId);
  const callerRole = roleIn(ctx.principal, data.organisationId)!;
  return ctx.db.transaction(async (tx) => {
    await assertOrganisationExists(tx, data.organisationId);
    // First, so that it locks the organisation's change counter: every other
    // membership write of the organisation waits, and the owner count below
    // cannot change before this transaction ends (two owners removing each
    // other at once would otherwise leave none). A refusal rolls it back.
    const seq = await allocateChangeSeqs(tx, data.organisationId);
    const { rows } = await tx.query<{ id: string; role: Role; created_at: Date }>(
      'SELECT id, role, created_at FROM memberships WHERE organisation_id = $1 AND user_id = $2 AND deleted_at IS NULL',
      [data.organisationId, data.userId],
    );
    const member = rows[0];
    if (!member) throw new DomainError('NOT_FOUND', `user ${data.userId} is not a member of organisation ${data.organisationId}`);
    if (!roleAtMost(member.role, callerRole)) throw forbidden(`${withArticle(callerRole)} cannot remove ${withArticle(member.role)}`);
    if (member.role === 'owner') await assertAnotherOwner(tx, data.organisationId, member.id, data.userId);
    const now = ctx.clock.now();
    await tx.query('UPDATE memberships SET deleted_at = $2, updated_at = $2, change_seq = $3 WHERE id = $1', [member.id, now, seq]);
    return {
      id: member.id,
      organisationId: data.organisationId,
      userId: data.userId,
      role: member.role,
      createdAt: member.created_at.toISOString(),
      removedAt: now.toISOString(),
    };
  });
}
