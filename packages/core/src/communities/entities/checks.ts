// What a single-row write of the registry must check against the stored
// rows, so that the registry stays what an import would accept: keys, PODs,
// sensor ids and user ids free (see locks.ts: plain indexes, checked under the
// registry's lock), and every reference resolving (a member's area, a
// delivery point's topology node and member, an asset's pod, relationships
// and links). Each check returns its problems; the services throw them all
// at once (throwProblems).
import type { Queryable } from '@helio/db';
import { roleIn, type Principal } from '../../auth/principal.js';
import { roleAllows } from '../../auth/roles.js';
import { conflict, forbidden, notFound, validationError, type ErrorDetail } from '../../errors.js';
import { findCommunity, type CommunityRow, type MemberRow } from './rows.js';
import type { ServiceContext } from '../../context.js';

/** A problem of a write: `type` as a bundle's problems have it ("taken", "dangling_reference", "in_use", ...). */
export interface Problem extends ErrorDetail {
  path: string;
  type: 'taken' | 'in_use' | 'dangling_reference' | 'invalid_value' | 'unrecognized_keys';
}

/** Problems that make the write invalid (VALIDATION_ERROR), else those where it meets other rows (CONFLICT); nothing when there are none. */
export function throwProblems(entity: string, problems: readonly (Problem | undefined)[]): void {
  const found = problems.filter((p): p is Problem => p !== undefined);
  const invalid = found.filter((p) => p.type !== 'taken' && p.type !== 'in_use');
  const summary = (list: readonly Problem[]) => list.map((p) => `${p.path}: ${p.message}`).join('; ');
  if (invalid.length > 0) throw validationError(`invalid ${entity}: ${summary(invalid)}`, invalid);
  if (found.length > 0) throw conflict(`${entity} meets the registry's other rows: ${summary(found)}`, found);
}

/**
 * The registry is managed by the organisation's owners and admins. Not a
 * member: not found (another tenant's rows do not exist for the caller).
 */
export function authorizeManage(principal: Principal, organisationId: string, entity: string, id?: string): void {
  const role = roleIn(principal, organisationId);
  if (!role) throw notFound(entity, id);
  if (!roleAllows(role, 'manage')) throw forbidden(`role ${role} may not change a community's registry: its owners and admins do`);
}

/** The live community a write goes to, managed by the caller; of the organisation named, when one is (a device's mutation names it). */
export async function communityForWrite(
  q: Queryable,
  ctx: ServiceContext,
  communityId: string,
  organisationId?: string,
): Promise<CommunityRow> {
  const community = await findCommunity(q, communityId);
  if (!community || (organisationId !== undefined && organisationId !== community.organisation_id))
    throw notFound('community', communityId);
  authorizeManage(ctx.principal, community.organisation_id, 'community', communityId);
  return community;
}

/** A live member of the community, share-locked (a removal waits for the write that names it), or not found. */
export async function liveMember(q: Queryable, communityId: string, memberId: string): Promise<Pick<MemberRow, 'id' | 'key'>> {
  const { rows } = await q.query<Pick<MemberRow, 'id' | 'key'>>(
    'SELECT id, key FROM community_members WHERE id = $1 AND community_id = $2 AND deleted_at IS NULL FOR SHARE',
    [memberId, communityId],
  );
  if (!rows[0]) throw notFound('member', memberId);
  return rows[0];
}

/** `sql` selects the live rows holding a value, other than row $2; the first one's key names it in the problem. */
async function holder(q: Queryable, sql: string, params: unknown[]): Promise<{ key: string; same: boolean } | undefined> {
  const { rows } = await q.query<{ key: string; same: boolean }>(`${sql} LIMIT 1`, params);
  return rows[0];
}

export async function memberKeyProblem(q: Queryable, communityId: string, key: string, id: string): Promise<Problem | undefined> {
  const other = await holder(
    q,
    'SELECT key, true AS same FROM community_members WHERE community_id = $1 AND key = $3 AND id <> $2 AND deleted_at IS NULL',
    [communityId, id, key],
  );
  return other ? { path: 'key', message: `member key ${key} is already used in this community`, type: 'taken' } : undefined;
}

export async function memberUserProblem(q: Queryable, communityId: string, userId: string, id: string): Promise<Problem | undefined> {
  const other = await holder(
    q,
    'SELECT key, true AS same FROM community_members WHERE community_id = $1 AND user_id = $3 AND id <> $2 AND deleted_at IS NULL',
    [communityId, id, userId],
  );
  return other ? { path: 'user_id', message: `user ${userId} is already member ${other.key} of this community`, type: 'taken' } : undefined;
}

/** A POD is unique in the installation; one held elsewhere is only said to be taken (another tenant's row is never named). */
export async function podProblem(q: Queryable, communityId: string, pod: string, id: string): Promise<Problem | undefined> {
  const other = await holder(
    q,
    `SELECT m.key, d.community_id = $1 AS same FROM community_delivery_points d JOIN community_members m ON m.id = d.member_id
     WHERE d.pod = $3 AND d.id <> $2 AND d.deleted_at IS NULL`,
    [communityId, id, pod],
  );
  if (!other) return undefined;
  const where = other.same ? `a delivery point of member ${other.key}` : 'already in use';
  return { path: 'pod', message: `POD ${pod} is ${where}`, type: 'taken' };
}

export async function assetKeyProblem(q: Queryable, communityId: string, key: string, id: string): Promise<Problem | undefined> {
  const other = await holder(
    q,
    'SELECT key, true AS same FROM community_assets WHERE community_id = $1 AND key = $3 AND id <> $2 AND deleted_at IS NULL',
    [communityId, id, key],
  );
  return other ? { path: 'key', message: `asset key ${key} is already used in this community`, type: 'taken' } : undefined;
}

/** A sensor id is unique in the installation; one held elsewhere is only said to be taken. */
export async function sensorProblem(q: Queryable, communityId: string, sensorId: string, id: string): Promise<Problem | undefined> {
  const other = await holder(
    q,
    'SELECT key, community_id = $1 AS same FROM community_assets WHERE sensor_id = $3 AND id <> $2 AND deleted_at IS NULL',
    [communityId, id, sensorId],
  );
  if (!other) return undefined;
  const where = other.same ? `the sensor of asset ${other.key}` : 'already in use';
  return { path: 'sensor_id', message: `sensor ${sensorId} is ${where}`, type: 'taken' };
}

export function areaProblem(community: CommunityRow, area: string): Problem | undefined {
  if (Object.hasOwn(community.areas, area)) return undefined;
  return { path: 'area', message: `${area} is not an area of community ${community.key}`, type: 'dangling_reference' };
}

export function topologyProblem(community: CommunityRow, node: string | null | undefined): Problem | undefined {
  if (node === null || node === undefined || community.topology.some((n) => n.id === node)) return undefined;
  return { path: 'topology_node', message: `${node} is not a node of community ${community.key}'s topology`, type: 'dangling_reference' };
}

/** An asset's pod names a live delivery point of its community (any member's). */
export async function assetPodProblem(q: Queryable, communityId: string, pod: string): Promise<Problem | undefined> {
  const { rows } = await q.query('SELECT 1 FROM community_delivery_points WHERE community_id = $1 AND pod = $2 AND deleted_at IS NULL', [
    communityId,
    pod,
  ]);
  if (rows.length > 0) return undefined;
  return { path: 'pod', message: `no delivery point of this community has POD ${pod}`, type: 'dangling_reference' };
}

/** The keys of the community's live assets among `keys` (other than asset `exceptId`). */
export async function liveAssetKeys(q: Queryable, communityId: string, keys: readonly string[], exceptId?: string): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const { rows } = await q.query<{ key: string }>(
    'SELECT key FROM community_assets WHERE community_id = $1 AND key = ANY($2::text[]) AND deleted_at IS NULL AND ($3::uuid IS NULL OR id <> $3)',
    [communityId, keys, exceptId ?? null],
  );
  return new Set(rows.map((r) => r.key));
}

/** The asset keys a relationships object names. */
export function namedKeys(relationships: { measures?: readonly string[]; paired_with?: string | null }): string[] {
  return [...(relationships.measures ?? []), ...(relationships.paired_with ? [relationships.paired_with] : [])];
}

/**
 * An asset's relationships name assets of its community: other live ones, or
 * itself by the key it is given (never by a key it gives up: a renamed asset
 * naming its old key would name nothing).
 */
export async function relationshipProblems(
  q: Queryable,
  communityId: string,
  relationships: { measures?: readonly string[]; paired_with?: string | null },
  self: { id: string; key: string },
): Promise<Problem[]> {
  const named = namedKeys(relationships).filter((k) => k !== self.key);
  const live = await liveAssetKeys(q, communityId, named, self.id);
  const missing = [...new Set(named.filter((k) => !live.has(k)))];
  return missing.map((k) => ({
    path: 'relationships',
    message: `no asset of this community has key ${k}`,
    type: 'dangling_reference' as const,
  }));
}

/** Live assets of the community, other than `exceptMember`'s, that sit behind one of these PODs: by key. */
export async function assetsBehind(q: Queryable, communityId: string, pods: readonly string[], exceptMember?: string): Promise<string[]> {
  if (pods.length === 0) return [];
  const { rows } = await q.query<{ key: string }>(
    `SELECT key FROM community_assets WHERE community_id = $1 AND pod = ANY($2::text[]) AND deleted_at IS NULL
       AND ($3::uuid IS NULL OR member_id <> $3) ORDER BY key COLLATE "C"`,
    [communityId, pods, exceptMember ?? null],
  );
  return rows.map((r) => r.key);
}

/** Live assets of the community, other than `exceptMember`'s and `exceptAsset`, whose relationships name one of these keys. */
export async function assetsNaming(
  q: Queryable,
  communityId: string,
  keys: readonly string[],
  except: { member?: string; asset?: string },
): Promise<string[]> {
  if (keys.length === 0) return [];
  const { rows } = await q.query<{ key: string }>(
    `SELECT key FROM community_assets WHERE community_id = $1 AND deleted_at IS NULL
       AND ((relationships -> 'measures') ?| $2::text[] OR relationships ->> 'paired_with' = ANY($2::text[]))
       AND ($3::uuid IS NULL OR member_id <> $3) AND ($4::uuid IS NULL OR id <> $4) ORDER BY key COLLATE "C"`,
    [communityId, keys, except.member ?? null, except.asset ?? null],
  );
  return rows.map((r) => r.key);
}

/** An asset's links name a live site, component (of a live site) and plant of the organisation. */
export async function linkProblems(
  q: Queryable,
  organisationId: string,
  links: { site_id?: string | null; component_id?: string | null; plant_id?: string | null },
): Promise<Problem[]> {
  const checks = [
    ['site_id', 'site', 'SELECT 1 FROM sites WHERE id = $1 AND organisation_id = $2 AND deleted_at IS NULL'],
    [
      'component_id',
      'component',
      `SELECT 1 FROM components c JOIN sites s ON s.id = c.site_id
       WHERE c.id = $1 AND c.organisation_id = $2 AND c.deleted_at IS NULL AND s.deleted_at IS NULL`,
    ],
    ['plant_id', 'plant', 'SELECT 1 FROM plants WHERE id = $1 AND organisation_id = $2 AND deleted_at IS NULL'],
  ] as const;
  const problems: Problem[] = [];
  for (const [field, entity, sql] of checks) {
    const id = links[field];
    if (!id) continue;
    const { rows } = await q.query(sql, [id, organisationId]);
    if (rows.length === 0) problems.push({ path: field, message: `no ${entity} ${id} in this organisation`, type: 'dangling_reference' });
  }
  return problems;
}
