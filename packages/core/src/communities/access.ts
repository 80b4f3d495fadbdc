// Who may read the registry, and how a read finds the community it is about.
//
// Communities are managed by the owners and admins of the organisation that
// owns them: every /admin read (lists, details, lookups) searches only the
// organisations where the caller has one of those roles. Another
// organisation's community, member, delivery point, asset or sensor is "not
// found", with the very message a missing one gets, so its existence never
// leaks. A member of the owning organisation whose role is too small
// (technician, viewer) is told FORBIDDEN, as everywhere in Helio.
import type { Queryable } from '@helio/db';
import type { Principal } from '../auth/principal.js';
import { roleAllows } from '../auth/roles.js';
import type { ServiceContext } from '../context.js';
import { DomainError } from '../errors.js';
import { KEY_PATTERN, podCode, sensorId, userId } from './bundle/schema.js';
import { communityColumns, type CommunityRow } from './rows.js';

// The messages of the community registry API's 404 answers, as published.
export const COMMUNITY_NOT_FOUND = 'Community not found';
export const MEMBER_NOT_FOUND = 'Member not found';
export const DELIVERY_POINT_NOT_FOUND = 'Delivery point not found';
export const ASSET_NOT_FOUND = 'Asset not found';

export function registryNotFound(message: string): DomainError {
  return new DomainError('NOT_FOUND', message);
}

/** The organisations whose communities the principal manages (owner or admin); `null` = every one (system). */
export function manageableOrganisations(p: Principal): string[] | null {
  if (p.kind === 'system') return null;
  return [...p.memberships].filter(([, role]) => roleAllows(role, 'manage')).map(([id]) => id);
}

/**
 * SQL restricting `column` to the organisations (pushing the list onto
 * `params`); `TRUE` for `null`, the system principal's "every organisation".
 */
export function inOrganisations(column: string, organisations: string[] | null, params: unknown[]): string {
  if (organisations === null) return 'TRUE';
  params.push(organisations);
  return `${column} = ANY($${params.length}::uuid[])`;
}

// Values from a path. One the bundle schema refuses was never stored, so it
// names no row: it is "not found" without a query (and never reaches the
// database, which would refuse a NUL character with an error of its own).
export const isRegistryKey = (value: unknown): value is string => typeof value === 'string' && KEY_PATTERN.test(value);
export const isPodCode = (value: unknown): value is string => podCode.safeParse(value).success;
export const isSensorId = (value: unknown): value is string => sensorId.safeParse(value).success;
export const isMemberUserId = (value: unknown): value is string => userId.safeParse(value).success;

/**
 * The live community with the key, for an /admin read: NOT_FOUND
 * (`Community not found`) when there is none or it belongs to an
 * organisation the caller is not in, FORBIDDEN when the caller's role there
 * may not manage it.
 */
export async function communityForAdmin(q: Queryable, ctx: ServiceContext, key: string): Promise<CommunityRow> {
  if (!isRegistryKey(key)) throw registryNotFound(COMMUNITY_NOT_FOUND);
  // Keys are unique among live communities (checked under the registry's
  // lock); should two ever share one, the caller's own is the one meant.
  const { rows } = await q.query<CommunityRow>(
    `SELECT ${communityColumns()} FROM communities WHERE key COLLATE "C" = $1 AND deleted_at IS NULL ORDER BY id LIMIT 10`,
    [key],
  );
  const p = ctx.principal;
  if (p.kind === 'system') {
    if (rows[0]) return rows[0];
    throw registryNotFound(COMMUNITY_NOT_FOUND);
  }
  const roleIn = (c: CommunityRow) => p.memberships.get(c.organisation_id);
  const managed = rows.find((c) => {
    const role = roleIn(c);
    return role !== undefined && roleAllows(role, 'manage');
  });
  if (managed) return managed;
  const seen = rows.find((c) => roleIn(c) !== undefined);
  if (seen) throw new DomainError('FORBIDDEN', `role ${roleIn(seen)} may not manage communities in this organisation`);
  throw registryNotFound(COMMUNITY_NOT_FOUND);
}
