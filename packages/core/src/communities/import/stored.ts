// The registry's live rows as an import compares against them and an export
// writes them out: a community by key, and the members, delivery points and
// assets of some communities, each read in one statement.
import type { Queryable } from '@helio/db';
import type { AssetRow, CommunityRow, DeliveryPointRow, MemberRow } from '../rows.js';

// What an import compares and an export writes: the rows' own fields, without the bookkeeping (timestamps,
// change_seq, organisation of the child rows), each list read as it is named here.
const COMMUNITY_FIELDS = [
  'id',
  'organisation_id',
  'key',
  'name',
  'description',
  'legal',
  'links',
  'contact',
  'settings',
  'operators',
  'areas',
  'topology',
  'bundle',
] as const satisfies readonly (keyof CommunityRow)[];
const MEMBER_FIELDS = [
  'id',
  'community_id',
  'key',
  'user_id',
  'name',
  'type',
  'role',
  'area',
  'status',
] as const satisfies readonly (keyof MemberRow)[];
const DELIVERY_POINT_FIELDS = [
  'id',
  'community_id',
  'member_id',
  'pod',
  'type',
  'description',
  'address',
  'tariff',
  'active',
  'topology_node',
] as const satisfies readonly (keyof DeliveryPointRow)[];
const ASSET_FIELDS = [
  'id',
  'community_id',
  'member_id',
  'key',
  'asset_type',
  'name',
  'sensor_id',
  'pod',
  'properties',
  'device',
  'relationships',
  'site_id',
  'component_id',
  'plant_id',
] as const satisfies readonly (keyof AssetRow)[];

export type StoredCommunity = Pick<CommunityRow, (typeof COMMUNITY_FIELDS)[number]>;
export type StoredMember = Pick<MemberRow, (typeof MEMBER_FIELDS)[number]>;
export type StoredDeliveryPoint = Pick<DeliveryPointRow, (typeof DELIVERY_POINT_FIELDS)[number]>;
export type StoredAsset = Pick<AssetRow, (typeof ASSET_FIELDS)[number]>;

export interface StoredRegistry {
  members: StoredMember[];
  deliveryPoints: StoredDeliveryPoint[];
  assets: StoredAsset[];
}

const COMMUNITY_COLUMNS = COMMUNITY_FIELDS.join(', ');

/**
 * The live community with this key, locked for update when asked (an import
 * holds it so that rows added under it by anyone else wait for the import).
 * Keys are unique among live communities; should two ever share one, the
 * oldest is the one meant.
 */
export async function loadCommunityByKey(q: Queryable, key: string, forUpdate = false): Promise<StoredCommunity | undefined> {
  const { rows } = await q.query<StoredCommunity>(
    `SELECT ${COMMUNITY_COLUMNS} FROM communities WHERE key = $1 AND deleted_at IS NULL
     ORDER BY created_at, id LIMIT 1${forUpdate ? ' FOR UPDATE' : ''}`,
    [key],
  );
  return rows[0];
}

/** Live communities by key among some organisations (`null`: every one), in key order (bytes, as every list pages). */
export async function loadCommunities(q: Queryable, organisations: string[] | null, keys: string[] | null): Promise<StoredCommunity[]> {
  const { rows } = await q.query<StoredCommunity>(
    `SELECT ${COMMUNITY_COLUMNS} FROM communities
     WHERE deleted_at IS NULL AND ($1::uuid[] IS NULL OR organisation_id = ANY($1::uuid[])) AND ($2::text[] IS NULL OR key = ANY($2::text[]))
     ORDER BY key COLLATE "C", created_at, id`,
    [organisations, keys],
  );
  return rows;
}

/** The live members, delivery points and assets of the communities. */
export async function loadRegistryRows(q: Queryable, communityIds: string[]): Promise<StoredRegistry> {
  if (communityIds.length === 0) return { members: [], deliveryPoints: [], assets: [] };
  const members = await q.query<StoredMember>(
    `SELECT ${MEMBER_FIELDS.join(', ')}
     FROM community_members WHERE community_id = ANY($1::uuid[]) AND deleted_at IS NULL`,
    [communityIds],
  );
  const deliveryPoints = await q.query<StoredDeliveryPoint>(
    `SELECT ${DELIVERY_POINT_FIELDS.join(', ')}
     FROM community_delivery_points WHERE community_id = ANY($1::uuid[]) AND deleted_at IS NULL`,
    [communityIds],
  );
  const assets = await q.query<StoredAsset>(
    `SELECT ${ASSET_FIELDS.join(', ')}
     FROM community_assets WHERE community_id = ANY($1::uuid[]) AND deleted_at IS NULL`,
    [communityIds],
  );
  return { members: members.rows, deliveryPoints: deliveryPoints.rows, assets: assets.rows };
}
