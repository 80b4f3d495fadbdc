// The shapes of single-row writes of a community's registry: one member, one
// delivery point, one asset at a time, as sync pushes and the tRPC router
// send them. Every field is a bundle field (bundle/schema.ts), named as there
// and as its column is: a device edits the same `role`, `pod` or `sensor_id`
// that a bundle carries. Rows name their community and member by id.
//
// What a device writes is stored as written (a device shows its own write
// before the server answers, and rebuilds rows from the fields it sent): so
// the object columns (`properties`, `device`, `relationships`) take objects,
// never null (their columns are NOT NULL), and `{}` clears them.
import { z } from 'zod';
import {
  assetRelationshipsIn,
  assetTypes,
  bundleKey,
  deliveryPointIn,
  deviceIn,
  memberIn,
  podCode,
  pvAssetIn,
  sensorId,
  userId,
} from '../bundle/schema.js';
import type { StoredArea, StoredOperator, StoredTopologyNode } from '../rows.js';

const member = memberIn.shape;
const deliveryPoint = deliveryPointIn.shape;
const uuid = z.uuid();
const link = uuid.nullable().optional();

/** Where a new row goes: its id (a device makes it) and its organisation (a device's mutation names it). */
const placement = { id: uuid.optional(), organisation_id: uuid.optional() };

const memberFields = {
  community_id: uuid,
  key: bundleKey,
  user_id: userId.nullable().optional(),
  name: member.name,
  type: member.type,
  role: member.role,
  area: member.area,
  status: member.status,
};
export const createMemberInput = z.strictObject({ ...placement, ...memberFields });
export const updateMemberInput = z.strictObject(memberFields).partial();

const deliveryPointFields = {
  community_id: uuid,
  member_id: uuid,
  pod: deliveryPoint.id,
  type: deliveryPoint.type,
  description: deliveryPoint.description,
  address: deliveryPoint.address,
  tariff: deliveryPoint.tariff,
  active: z.boolean(),
  topology_node: deliveryPoint.topology_node,
};
export const createDeliveryPointInput = z.strictObject({
  ...placement,
  ...deliveryPointFields,
  active: deliveryPointFields.active.optional(),
});
export const updateDeliveryPointInput = z.strictObject(deliveryPointFields).partial();

const assetFields = {
  community_id: uuid,
  member_id: uuid,
  key: bundleKey,
  asset_type: z.enum(assetTypes),
  name: pvAssetIn.shape.name,
  sensor_id: sensorId.nullable().optional(),
  pod: podCode.nullable().optional(),
  /** The type's own fields (rated_power, meter_type, ...), checked against the type's bundle schema. */
  properties: z.record(z.string(), z.unknown()),
  device: deviceIn,
  relationships: assetRelationshipsIn,
  site_id: link,
  component_id: link,
  plant_id: link,
};
export const createAssetInput = z.strictObject({
  ...placement,
  ...assetFields,
  properties: assetFields.properties.optional(),
  device: assetFields.device.optional(),
  relationships: assetFields.relationships.optional(),
});
export const updateAssetInput = z.strictObject(assetFields).partial();

export type CreateMemberInput = z.input<typeof createMemberInput>;
export type UpdateMemberInput = z.input<typeof updateMemberInput>;
export type CreateDeliveryPointInput = z.input<typeof createDeliveryPointInput>;
export type UpdateDeliveryPointInput = z.input<typeof updateDeliveryPointInput>;
export type CreateAssetInput = z.input<typeof createAssetInput>;
export type UpdateAssetInput = z.input<typeof updateAssetInput>;

/** The fields clients write, by table: API field → column (the same names). */
export const memberSyncColumns = columnsOf(memberFields);
export const deliveryPointSyncColumns = columnsOf(deliveryPointFields);
export const assetSyncColumns = columnsOf(assetFields);

function columnsOf<F extends Record<string, unknown>>(fields: F): { readonly [K in keyof F]: K } {
  return Object.freeze(Object.fromEntries(Object.keys(fields).map((f) => [f, f]))) as { readonly [K in keyof F]: K };
}

/** A member of a community, as the registry's services return it. */
export interface CommunityMemberRecord {
  id: string;
  organisation_id: string;
  community_id: string;
  key: string;
  user_id: string | null;
  name: string;
  type: string | null;
  role: string;
  area: string;
  status: string;
  created_at: string;
  updated_at: string;
}

/** A delivery point (a grid connection, by its POD code) of a member. */
export interface DeliveryPointRecord {
  id: string;
  organisation_id: string;
  community_id: string;
  member_id: string;
  pod: string;
  type: string;
  description: string | null;
  address: string | null;
  tariff: string | null;
  active: boolean;
  topology_node: string | null;
  created_at: string;
  updated_at: string;
}

/** An asset of a member: `properties` holds its type's own fields, without nulls. */
export interface CommunityAssetRecord {
  id: string;
  organisation_id: string;
  community_id: string;
  member_id: string;
  key: string;
  asset_type: string;
  name: string;
  sensor_id: string | null;
  pod: string | null;
  properties: Record<string, unknown>;
  device: Record<string, unknown>;
  relationships: { measures?: string[]; paired_with?: string };
  site_id: string | null;
  component_id: string | null;
  plant_id: string | null;
  created_at: string;
  updated_at: string;
}

/** A community as the desktop lists it. */
export interface RegistryCommunitySummary {
  id: string;
  organisation_id: string;
  key: string;
  name: string;
  description: string | null;
  members: number;
  delivery_points: number;
  assets: number;
  updated_at: string;
}

/** A community with what its members' edits choose from: its areas and grid topology. */
export interface RegistryCommunity {
  id: string;
  organisation_id: string;
  key: string;
  name: string;
  description: string | null;
  /** Areas by key: a member's `area` is one of these keys. */
  areas: Record<string, StoredArea>;
  /** Grid nodes in their bundle order: a delivery point's `topology_node` is one of their ids. */
  topology: StoredTopologyNode[];
  /** Grid operators by key. */
  operators: Record<string, StoredOperator>;
  updated_at: string;
}

/** Everything the desktop shows of one community: live rows only, members and assets by key, delivery points by POD (byte order). */
export interface CommunityRegistry {
  community: RegistryCommunity;
  members: CommunityMemberRecord[];
  delivery_points: DeliveryPointRecord[];
  assets: CommunityAssetRecord[];
}
