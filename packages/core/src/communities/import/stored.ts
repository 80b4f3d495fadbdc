// The registry's live rows as an import compares against them and an export
// writes them out: a community by key, and the members, delivery points and
// assets of some communities, each read in one statement.
import type { Queryable } from '@helio/db';
import type { AssetType } from '../bundle/schema.js';
import type { JsonObject } from './desired.js';

export interface StoredCommunity {
  id: string;
  organisation_id: string;
  key: string;
  name: string;
  description: string | null;
  legal: JsonObject;
  links: JsonObject;
  contact: JsonObject;
  settings: JsonObject;
  operators: JsonObject;
  areas: JsonObject;
  topology: unknown[];
  bundle: JsonObject;
}

export interface StoredMember {
  id: string;
  community_id: string;
  key: string;
  user_id: string | null;
  name: string;
  type: string | null;
  role: string;
  area: string;
  status: string;
}

export interface StoredDeliveryPoint {
  id: string;
  community_id: string;
  member_id: string;
  pod: string;
  type: string;
  description: string | null;
  address: string | null;
  tariff: string | null;
  active: boolean;
  topology_node: string | null;
}

export interface StoredAsset {
  id: string;
  community_id: string;
  member_id: string;
  key: string;
  asset_type: AssetType;
  name: string;
  sensor_id: string | null;
  pod: string | null;
  properties: JsonObject;
  device: JsonObject;
  relationships: JsonObject;
  site_id: string | null;
  component_id: string | null;
  plant_id: string | null;
}

export interface StoredRegistry {
  members: StoredMember[];
  deliveryPoints: StoredDeliveryPoint[];
  assets: StoredAsset[];
}

const COMMUNITY_COLUMNS =
  'id, organisation_id, key, name, description, legal, links, contact, settings, operators, areas, topology, bundle';

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
    `SELECT id, community_id, key, user_id, name, type, role, area, status
     FROM community_members WHERE community_id = ANY($1::uuid[]) AND deleted_at IS NULL`,
    [communityIds],
  );
  const deliveryPoints = await q.query<StoredDeliveryPoint>(
    `SELECT id, community_id, member_id, pod, type, description, address, tariff, active, topology_node
     FROM community_delivery_points WHERE community_id = ANY($1::uuid[]) AND deleted_at IS NULL`,
    [communityIds],
  );
  const assets = await q.query<StoredAsset>(
    `SELECT id, community_id, member_id, key, asset_type, name, sensor_id, pod, properties, device, relationships,
       site_id, component_id, plant_id
     FROM community_assets WHERE community_id = ANY($1::uuid[]) AND deleted_at IS NULL`,
    [communityIds],
  );
  return { members: members.rows, deliveryPoints: deliveryPoints.rows, assets: assets.rows };
}
