// The registry's live rows as an import compares against them and an export
// writes them out: a community by key, and the members, delivery points and
// assets of some communities, each read in one statement.
import type { Queryable } from '@helio/db';
import {
  ASSET_COLUMN_NAMES,
  COMMUNITY_COLUMN_NAMES,
  DELIVERY_POINT_COLUMN_NAMES,
  MEMBER_COLUMN_NAMES,
  type AssetRow,
  type CommunityRow,
  type DeliveryPointRow,
  type MemberRow,
} from '../rows.js';

// What an import compares and an export writes: the rows' columns without the bookkeeping (timestamps,
// change_seq; and the organisation of the rows under a community), each read as listed here.
const BOOKKEEPING = ['created_at', 'updated_at', 'deleted_at', 'change_seq'] as const;
const UNDER_A_COMMUNITY = [...BOOKKEEPING, 'organisation_id'] as const;

function fieldsOf<C extends string, D extends string>(columns: readonly C[], dropped: readonly D[]): Exclude<C, D>[] {
  return columns.filter((c): c is Exclude<C, D> => !(dropped as readonly string[]).includes(c));
}

const COMMUNITY_FIELDS = fieldsOf(COMMUNITY_COLUMN_NAMES, BOOKKEEPING);
const MEMBER_FIELDS = fieldsOf(MEMBER_COLUMN_NAMES, UNDER_A_COMMUNITY);
const DELIVERY_POINT_FIELDS = fieldsOf(DELIVERY_POINT_COLUMN_NAMES, UNDER_A_COMMUNITY);
const ASSET_FIELDS = fieldsOf(ASSET_COLUMN_NAMES, UNDER_A_COMMUNITY);

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
