// What the community registry API answers with: the published schema's
// output shapes (CommunityDetail, MemberListItem, AssetDetail, ...), field
// for field, required and nullable as published, so that a client generated
// from that document reads Helio's answers unchanged. Helio adds fields and
// never changes one; every addition is marked "Helio:". The REST layer names
// them for the OpenAPI document (`.meta({ id })`) with the published names.
//
// The published schema lists many fields as optional; Helio always sends
// them all the same (an empty object, an empty list or null, whichever the
// field allows), so a client never has to tell "absent" from "empty". A
// field that is not nullable is never null.
import { z } from 'zod';
import { assetTypes } from './bundle/schema.js';

/** A JSON object without declared properties ("free object"): never null, `{}` when empty. */
const freeObject = z.record(z.string(), z.unknown());
/** An ISO 8601 instant (`2026-04-10T09:15:02.123Z`). */
const timestamp = z.string().nullable().optional();
const nullableText = z.string().nullable().optional();

export const locationOut = z.object({ lat: z.number(), lon: z.number() });

export const areaOut = z.object({
  name: z.string(),
  location: locationOut.nullable().optional(),
  geometry: freeObject.nullable().optional(),
  topology: z.array(z.string()).optional().describe('Helio: the topology node ids of the area, as the bundle gives them'),
});

export const topologyNodeOut = z.object({
  id: z.string(),
  type: z.string(),
  name: nullableText,
  operator: nullableText.describe("the grid operator's key (the bundle's operator_id)"),
  parent: nullableText,
  area: freeObject.optional().describe('GeoJSON geometry of the area the node serves; {} when none'),
  operator_id: nullableText.describe("Helio: the grid operator's key, as the bundle names it"),
});

export const topologyResponse = z.object({ topology: z.array(topologyNodeOut).optional() });

const areasOut = z.record(z.string(), areaOut);

export const communityListItem = z.object({
  id: z.string(),
  key: z.string(),
  name: z.string(),
  description: nullableText,
  areas: areasOut.optional(),
});

export const communityDetail = z.object({
  id: z.string(),
  key: z.string(),
  name: z.string(),
  description: nullableText,
  legal: freeObject.optional(),
  links: freeObject.optional(),
  contact: freeObject.optional(),
  settings: freeObject.optional(),
  areas: areasOut.optional(),
  topology: z.array(topologyNodeOut).optional(),
  extra: freeObject.optional().describe('`operators` (grid operators by key) when the community has any'),
  created_at: timestamp,
  updated_at: timestamp,
});

export const communityRef = z.object({ id: z.string(), key: z.string(), name: z.string() });

export const deliveryPointOut = z.object({
  id: z.string().describe('the POD (CUPS, PRM, ...) code'),
  type: z.string(),
  description: nullableText,
  address: nullableText,
  tariff: nullableText,
  active: z.boolean().optional(),
  topology_node: nullableText.describe('Helio: the topology node the delivery point hangs from'),
});

/** The member fields every member shape shares. */
const memberCore = {
  key: z.string(),
  user_id: z.string().describe('the member\'s identity ("" when the member has none)'),
  name: z.string(),
  role: z.string(),
};

export const memberListItem = z.object({
  id: z.string(),
  ...memberCore,
  area: z.string(),
  status: z.string(),
  delivery_points_count: z.number().int().optional(),
});

export const memberDetail = z.object({
  id: z.string(),
  ...memberCore,
  area: z.string(),
  status: z.string(),
  delivery_points: z.array(deliveryPointOut).optional(),
  extra: freeObject.optional().describe('`type` (the schema.org type of the member) when set'),
  created_at: timestamp,
  updated_at: timestamp,
});

export const memberRef = z.object(memberCore);

export const memberInCommunity = z.object({ id: z.string(), ...memberCore, status: z.string() });

export const globalMemberLookup = z.object({
  id: z.string(),
  ...memberCore,
  area: z.string(),
  status: z.string(),
  community_key: z.string(),
  community_name: z.string(),
  delivery_points: z.array(deliveryPointOut).optional(),
});

export const deliveryPointWithOwner = deliveryPointOut.extend({
  key: z.string().describe('the delivery point id (its POD code)'),
  member_key: z.string(),
  member_name: z.string(),
});

export const deliveryPointsResponse = z.object({ delivery_points: z.array(deliveryPointOut).optional() });

export const deliveryPointLookup = z.object({ delivery_point: deliveryPointOut, member: memberRef });

/** Helio's links of an asset, added to every asset shape. */
const assetLinks = {
  pod: nullableText.describe('Helio: the delivery point (its POD code) the asset sits behind'),
  site_id: nullableText.describe('Helio: the Helio site the asset is'),
  component_id: nullableText.describe('Helio: the Helio component the asset is'),
  plant_id: nullableText.describe('Helio: the Helio plant (device) the asset is'),
};

const assetOwner = { owner_key: z.string(), owner_user_id: z.string() };
const assetType = z.enum(assetTypes);
const assetBody = {
  sensor_id: nullableText,
  properties: freeObject.optional().describe("the type's own fields (a meter's also holds its pod)"),
  device: freeObject.optional(),
  relationships: freeObject.optional(),
};

export const assetListItem = z.object({
  id: z.string(),
  key: z.string(),
  asset_type: assetType,
  name: z.string(),
  ...assetOwner,
  sensor_id: nullableText,
  device_type: nullableText,
  ...assetLinks,
});

export const assetDetail = z.object({
  id: z.string(),
  key: z.string(),
  asset_type: assetType,
  name: z.string(),
  ...assetOwner,
  ...assetBody,
  extra: freeObject.optional(),
  created_at: timestamp,
  updated_at: timestamp,
  ...assetLinks,
});

export const assetRef = z.object({ id: z.string(), key: z.string(), asset_type: assetType, name: z.string(), sensor_id: nullableText });

export const meterListItem = z.object({
  id: z.string(),
  key: z.string(),
  name: z.string(),
  ...assetOwner,
  sensor_id: nullableText,
  meter_type: nullableText,
  pod: nullableText,
  device: freeObject.optional(),
  site_id: assetLinks.site_id,
  component_id: assetLinks.component_id,
  plant_id: assetLinks.plant_id,
});

export const globalAssetLookup = z.object({
  id: z.string(),
  key: z.string(),
  asset_type: assetType,
  name: z.string(),
  ...assetOwner,
  community_key: z.string(),
  community_name: z.string(),
  ...assetBody,
  ...assetLinks,
});

export const lookupByUserIdResponse = z.object({ community: communityRef, member: memberInCommunity });
export const lookupBySensorIdResponse = z.object({ community: communityRef, member: memberInCommunity, asset: assetRef });
export const lookupByDeliveryPointResponse = z.object({ community: communityRef, member: memberRef, delivery_point: deliveryPointOut });

// ------------------------------------------------------------------ /user

export const userProfile = z.object({ sub: z.string(), email: nullableText, name: nullableText, preferred_username: nullableText });

export const userMemberSummary = z.object({ key: z.string(), name: z.string(), role: z.string(), area: z.string(), status: z.string() });

export const userCommunitySummary = z.object({ key: z.string(), name: z.string(), description: nullableText });

export const userMembership = z.object({
  member: userMemberSummary,
  community: userCommunitySummary,
  delivery_points_count: z.number().int().optional(),
  assets_count: z.record(z.string(), z.number().int()).optional().describe('assets by type, only the types the member has'),
});

export const userMeResponse = z.object({ profile: userProfile, membership: userMembership.nullable().optional() });

export const userMemberDetail = userMemberSummary.extend({
  delivery_points: z.array(deliveryPointOut).optional(),
  extra: freeObject.optional(),
  created_at: timestamp,
  updated_at: timestamp,
});

export const userCommunityDetail = z.object({
  key: z.string(),
  name: z.string(),
  description: nullableText,
  legal: freeObject.optional(),
  links: freeObject.optional(),
  contact: freeObject.optional(),
  settings: freeObject.optional(),
  areas: areasOut.optional(),
  topology: z.array(topologyNodeOut).optional(),
  your_area: z.string(),
  your_role: z.string(),
});

export const userAsset = z.object({ key: z.string(), asset_type: assetType, name: z.string(), ...assetBody, ...assetLinks });

export const userAssetDetail = userAsset.extend({ extra: freeObject.optional(), created_at: timestamp, updated_at: timestamp });

export const userAssetsResponse = z.object({ items: z.array(userAsset), total: z.number().int() });

export const userDeliveryPointsResponse = z.object({ items: z.array(deliveryPointOut), total: z.number().int() });

/** The envelope of every paginated list (`PaginatedResponse[X]`): `next_cursor` is null on the last page. */
export function paginatedResponse<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    next_cursor: z.string().nullable().optional().describe('pass as `cursor` for the next page; null on the last page'),
  });
}

export type Location = z.infer<typeof locationOut>;
export type Area = z.infer<typeof areaOut>;
export type TopologyNode = z.infer<typeof topologyNodeOut>;
export type TopologyResponse = z.infer<typeof topologyResponse>;
export type CommunityListItem = z.infer<typeof communityListItem>;
export type CommunityDetail = z.infer<typeof communityDetail>;
export type CommunityRef = z.infer<typeof communityRef>;
export type DeliveryPoint = z.infer<typeof deliveryPointOut>;
export type MemberListItem = z.infer<typeof memberListItem>;
export type MemberDetail = z.infer<typeof memberDetail>;
export type MemberRef = z.infer<typeof memberRef>;
export type MemberInCommunity = z.infer<typeof memberInCommunity>;
export type GlobalMemberLookup = z.infer<typeof globalMemberLookup>;
export type DeliveryPointWithOwner = z.infer<typeof deliveryPointWithOwner>;
export type DeliveryPointsResponse = z.infer<typeof deliveryPointsResponse>;
export type DeliveryPointLookup = z.infer<typeof deliveryPointLookup>;
export type AssetListItem = z.infer<typeof assetListItem>;
export type AssetDetail = z.infer<typeof assetDetail>;
export type AssetRef = z.infer<typeof assetRef>;
export type MeterListItem = z.infer<typeof meterListItem>;
export type GlobalAssetLookup = z.infer<typeof globalAssetLookup>;
export type LookupByUserIdResponse = z.infer<typeof lookupByUserIdResponse>;
export type LookupBySensorIdResponse = z.infer<typeof lookupBySensorIdResponse>;
export type LookupByDeliveryPointResponse = z.infer<typeof lookupByDeliveryPointResponse>;
export type UserProfile = z.infer<typeof userProfile>;
export type UserMemberSummary = z.infer<typeof userMemberSummary>;
export type UserCommunitySummary = z.infer<typeof userCommunitySummary>;
export type UserMembership = z.infer<typeof userMembership>;
export type UserMeResponse = z.infer<typeof userMeResponse>;
export type UserMemberDetail = z.infer<typeof userMemberDetail>;
export type UserCommunityDetail = z.infer<typeof userCommunityDetail>;
export type UserAsset = z.infer<typeof userAsset>;
export type UserAssetDetail = z.infer<typeof userAssetDetail>;
export type UserAssetsResponse = z.infer<typeof userAssetsResponse>;
export type UserDeliveryPointsResponse = z.infer<typeof userDeliveryPointsResponse>;
/** One page of a paginated list. */
export interface CursorPage<T> {
  items: T[];
  next_cursor: string | null;
}
