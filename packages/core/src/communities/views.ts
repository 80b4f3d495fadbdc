// Rows to the API's shapes (shapes.ts). Every field a shape declares is
// written, in the published order, Helio's additions last: free objects as
// `{}` when empty, lists as `[]`, nullable fields as null; a field that is
// not nullable is never null (a member without an identity has `user_id: ""`).
//
// jsonb keeps an object's keys ordered by length, not as written, so stored
// objects are put back in the bundle schema's field order (and maps in key
// order): the same row always gives the same bytes.
import {
  ASSET_COMMON_FIELDS,
  assetRelationshipsIn,
  assetSchemas,
  contactIn,
  deviceIn,
  legalInfoIn,
  linksIn,
  operatorIn,
  settingsIn,
} from './bundle/schema.js';
import type { AssetRow, CommunityRow, DeliveryPointRow, MemberRow, StoredArea, StoredOperator, StoredTopologyNode } from './rows.js';
import type {
  Area,
  AssetDetail,
  AssetListItem,
  AssetRef,
  CommunityDetail,
  CommunityListItem,
  CommunityRef,
  DeliveryPoint,
  DeliveryPointWithOwner,
  GlobalAssetLookup,
  GlobalMemberLookup,
  MemberDetail,
  MemberInCommunity,
  MemberListItem,
  MemberRef,
  MeterListItem,
  TopologyNode,
  UserAsset,
  UserAssetDetail,
  UserCommunityDetail,
  UserCommunitySummary,
  UserMemberDetail,
  UserMemberSummary,
} from './shapes.js';

/** An asset with its owner's key and identity (joined from community_members). */
export interface AssetWithOwnerRow extends AssetRow {
  owner_key: string;
  owner_user_id: string | null;
}

/** A delivery point with its member's key and name (joined from community_members). */
export interface DeliveryPointWithOwnerRow extends DeliveryPointRow {
  member_key: string;
  member_name: string;
}

/** The community a row found across communities belongs to (joined from communities). */
export interface InCommunity {
  community_key: string;
  community_name: string;
}

type Json = Record<string, unknown>;

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** Keys in JS string order (UTF-16 code units), the order bundles are exported in. */
const sortedKeys = (o: object): string[] => Object.keys(o).sort();

/** The object's non-null fields, those `order` names first in that order, then the others by key. */
function ordered(o: Json | null | undefined, order: readonly string[]): Json {
  if (!o) return {};
  const keys = [...order.filter((k) => Object.hasOwn(o, k)), ...sortedKeys(o).filter((k) => !order.includes(k))];
  return Object.fromEntries(keys.filter((k) => o[k] !== null && o[k] !== undefined).map((k) => [k, o[k]]));
}

const fieldsOf = (schema: { shape: object }): string[] => Object.keys(schema.shape);
const LEGAL_FIELDS = fieldsOf(legalInfoIn);
const LINKS_FIELDS = fieldsOf(linksIn);
const CONTACT_FIELDS = fieldsOf(contactIn);
const SETTINGS_FIELDS = fieldsOf(settingsIn);
const OPERATOR_FIELDS = fieldsOf(operatorIn);
const DEVICE_FIELDS = fieldsOf(deviceIn);
const RELATIONSHIP_FIELDS = fieldsOf(assetRelationshipsIn);

/**
 * Each type's own fields in the schema's order: what `properties` holds. A
 * meter's also holds its `pod` (after `meter_type`, as the published service
 * answers), though Helio keeps the pod of every asset in a column of its own.
 */
const PROPERTY_FIELDS = Object.fromEntries(
  Object.entries(assetSchemas).map(([type, schema]) => {
    const own = fieldsOf(schema).filter((f) => !(ASSET_COMMON_FIELDS as readonly string[]).includes(f));
    return [type, type === 'meter' ? [own[0]!, 'pod', ...own.slice(1)] : own];
  }),
) as Record<keyof typeof assetSchemas, string[]>;

// ------------------------------------------------------------ communities

export function areaView(a: StoredArea): Area {
  return {
    name: a.name,
    location: a.location ? { lat: a.location.lat, lon: a.location.lon } : null,
    geometry: a.geometry ?? null,
    topology: a.topology ?? [],
  };
}

export function areasView(areas: Record<string, StoredArea>): Record<string, Area> {
  return Object.fromEntries(sortedKeys(areas).map((k) => [k, areaView(areas[k]!)]));
}

export function topologyNodeView(n: StoredTopologyNode): TopologyNode {
  return {
    id: n.id,
    type: n.type,
    name: n.name ?? null,
    operator: n.operator_id ?? null,
    parent: n.parent ?? null,
    area: n.area ?? {},
    operator_id: n.operator_id ?? null,
  };
}

export const topologyView = (nodes: StoredTopologyNode[]): TopologyNode[] => nodes.map(topologyNodeView);

function operatorsView(operators: Record<string, StoredOperator>): Json {
  return Object.fromEntries(sortedKeys(operators).map((k) => [k, ordered(operators[k] as unknown as Json, OPERATOR_FIELDS)]));
}

export function communityListItemView(c: CommunityRow): CommunityListItem {
  return { id: c.id, key: c.key, name: c.name, description: c.description, areas: areasView(c.areas) };
}

/** The community's descriptive objects, shared by the admin's and the member's view. */
function communityBody(c: CommunityRow) {
  return {
    description: c.description,
    legal: ordered(c.legal, LEGAL_FIELDS),
    links: ordered(c.links, LINKS_FIELDS),
    contact: ordered(c.contact, CONTACT_FIELDS),
    settings: ordered(c.settings, SETTINGS_FIELDS),
    areas: areasView(c.areas),
    topology: topologyView(c.topology),
  };
}

export function communityDetailView(c: CommunityRow): CommunityDetail {
  return {
    id: c.id,
    key: c.key,
    name: c.name,
    ...communityBody(c),
    extra: Object.keys(c.operators).length > 0 ? { operators: operatorsView(c.operators) } : {},
    created_at: iso(c.created_at),
    updated_at: iso(c.updated_at),
  };
}

export const communityRefView = (c: Pick<CommunityRow, 'id' | 'key' | 'name'>): CommunityRef => ({ id: c.id, key: c.key, name: c.name });

// ---------------------------------------------------- members, delivery points

export function deliveryPointView(d: DeliveryPointRow): DeliveryPoint {
  return {
    id: d.pod,
    type: d.type,
    description: d.description,
    address: d.address,
    tariff: d.tariff,
    active: d.active,
    topology_node: d.topology_node,
  };
}

export function deliveryPointWithOwnerView(d: DeliveryPointWithOwnerRow): DeliveryPointWithOwner {
  return { ...deliveryPointView(d), key: d.pod, member_key: d.member_key, member_name: d.member_name };
}

const memberExtra = (m: MemberRow): Json => (m.type ? { type: m.type } : {});

export const memberRefView = (m: MemberRow): MemberRef => ({ key: m.key, user_id: m.user_id ?? '', name: m.name, role: m.role });

export function memberInCommunityView(m: MemberRow): MemberInCommunity {
  return { id: m.id, key: m.key, user_id: m.user_id ?? '', name: m.name, role: m.role, status: m.status };
}

export function memberListItemView(m: MemberRow & { delivery_points_count: number }): MemberListItem {
  return {
    id: m.id,
    ...memberRefView(m),
    area: m.area,
    status: m.status,
    delivery_points_count: m.delivery_points_count,
  };
}

export function memberDetailView(m: MemberRow, deliveryPoints: DeliveryPointRow[]): MemberDetail {
  return {
    id: m.id,
    ...memberRefView(m),
    area: m.area,
    status: m.status,
    delivery_points: deliveryPoints.map(deliveryPointView),
    extra: memberExtra(m),
    created_at: iso(m.created_at),
    updated_at: iso(m.updated_at),
  };
}

export function globalMemberLookupView(m: MemberRow & InCommunity, deliveryPoints: DeliveryPointRow[]): GlobalMemberLookup {
  return {
    id: m.id,
    ...memberRefView(m),
    area: m.area,
    status: m.status,
    community_key: m.community_key,
    community_name: m.community_name,
    delivery_points: deliveryPoints.map(deliveryPointView),
  };
}

// ------------------------------------------------------------------ assets

export function assetPropertiesView(a: AssetRow): Json {
  const stored = a.asset_type === 'meter' && a.pod !== null ? { ...a.properties, pod: a.pod } : a.properties;
  return ordered(stored, PROPERTY_FIELDS[a.asset_type] ?? []);
}

const assetLinks = (a: AssetRow) => ({ pod: a.pod, site_id: a.site_id, component_id: a.component_id, plant_id: a.plant_id });
const assetOwner = (a: AssetWithOwnerRow) => ({ owner_key: a.owner_key, owner_user_id: a.owner_user_id ?? '' });
const deviceView = (a: AssetRow): Json => ordered(a.device, DEVICE_FIELDS);

/** sensor_id, properties, device, relationships: what every detailed asset shape holds. */
function assetBody(a: AssetRow) {
  return {
    sensor_id: a.sensor_id,
    properties: assetPropertiesView(a),
    device: deviceView(a),
    relationships: ordered(a.relationships, RELATIONSHIP_FIELDS),
  };
}

export function assetListItemView(a: AssetWithOwnerRow): AssetListItem {
  const deviceType = a.device['type'];
  return {
    id: a.id,
    key: a.key,
    asset_type: a.asset_type,
    name: a.name,
    ...assetOwner(a),
    sensor_id: a.sensor_id,
    device_type: typeof deviceType === 'string' ? deviceType : null,
    ...assetLinks(a),
  };
}

export function assetDetailView(a: AssetWithOwnerRow): AssetDetail {
  return {
    id: a.id,
    key: a.key,
    asset_type: a.asset_type,
    name: a.name,
    ...assetOwner(a),
    ...assetBody(a),
    extra: {},
    created_at: iso(a.created_at),
    updated_at: iso(a.updated_at),
    ...assetLinks(a),
  };
}

export const assetRefView = (a: AssetRow): AssetRef => ({
  id: a.id,
  key: a.key,
  asset_type: a.asset_type,
  name: a.name,
  sensor_id: a.sensor_id,
});

export function meterListItemView(a: AssetWithOwnerRow): MeterListItem {
  const meterType = a.properties['meter_type'];
  return {
    id: a.id,
    key: a.key,
    name: a.name,
    ...assetOwner(a),
    sensor_id: a.sensor_id,
    meter_type: typeof meterType === 'string' ? meterType : null,
    pod: a.pod,
    device: deviceView(a),
    site_id: a.site_id,
    component_id: a.component_id,
    plant_id: a.plant_id,
  };
}

export function globalAssetLookupView(a: AssetWithOwnerRow & InCommunity): GlobalAssetLookup {
  return {
    id: a.id,
    key: a.key,
    asset_type: a.asset_type,
    name: a.name,
    ...assetOwner(a),
    community_key: a.community_key,
    community_name: a.community_name,
    ...assetBody(a),
    ...assetLinks(a),
  };
}

// ------------------------------------------------------------------- /user

export function userMemberSummaryView(m: MemberRow): UserMemberSummary {
  return { key: m.key, name: m.name, role: m.role, area: m.area, status: m.status };
}

export function userCommunitySummaryView(c: CommunityRow): UserCommunitySummary {
  return { key: c.key, name: c.name, description: c.description };
}

export function userMemberDetailView(m: MemberRow, deliveryPoints: DeliveryPointRow[]): UserMemberDetail {
  return {
    ...userMemberSummaryView(m),
    delivery_points: deliveryPoints.map(deliveryPointView),
    extra: memberExtra(m),
    created_at: iso(m.created_at),
    updated_at: iso(m.updated_at),
  };
}

export function userCommunityDetailView(c: CommunityRow, m: MemberRow): UserCommunityDetail {
  return { key: c.key, name: c.name, ...communityBody(c), your_area: m.area, your_role: m.role };
}

export function userAssetView(a: AssetRow): UserAsset {
  return { key: a.key, asset_type: a.asset_type, name: a.name, ...assetBody(a), ...assetLinks(a) };
}

export function userAssetDetailView(a: AssetRow): UserAssetDetail {
  return {
    key: a.key,
    asset_type: a.asset_type,
    name: a.name,
    ...assetBody(a),
    extra: {},
    created_at: iso(a.created_at),
    updated_at: iso(a.updated_at),
    ...assetLinks(a),
  };
}
