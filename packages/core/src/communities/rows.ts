// The community tables' rows as the database returns them (snake_case,
// jsonb already parsed, timestamps as Date), the column lists to select them
// with, and (re-exported) the API's output shapes and the conversions from
// rows to those shapes.
import type { AssetType } from './bundle/schema.js';

export * from './shapes.js';
export * from './views.js';

/** An area as `communities.areas` stores it, under its key. */
export interface StoredArea {
  name: string;
  topology?: string[] | null;
  location?: { lat: number; lon: number } | null;
  geometry?: Record<string, unknown> | null;
}

/** A grid operator as `communities.operators` stores it, under its key. */
export interface StoredOperator {
  name: string;
  country?: string | null;
  contact?: string | null;
}

/** A topology node as `communities.topology` stores it (a list, in the bundle's order). */
export interface StoredTopologyNode {
  id: string;
  type: string;
  name?: string | null;
  operator_id?: string | null;
  parent?: string | null;
  area?: Record<string, unknown> | null;
}

/** A row of `communities`. */
export interface CommunityRow {
  id: string;
  organisation_id: string;
  key: string;
  name: string;
  description: string | null;
  legal: Record<string, unknown>;
  links: Record<string, unknown>;
  contact: Record<string, unknown>;
  settings: Record<string, unknown>;
  operators: Record<string, StoredOperator>;
  areas: Record<string, StoredArea>;
  topology: StoredTopologyNode[];
  /** The bundle's header as last imported: `{version, schema_version, metadata}`. */
  bundle: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
  change_seq: number;
}

/** A row of `community_members`. */
export interface MemberRow {
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
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
  change_seq: number;
}

/** A row of `community_delivery_points`. */
export interface DeliveryPointRow {
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
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
  change_seq: number;
}

/** A row of `community_assets`. */
export interface AssetRow {
  id: string;
  organisation_id: string;
  community_id: string;
  member_id: string;
  key: string;
  asset_type: AssetType;
  name: string;
  sensor_id: string | null;
  pod: string | null;
  /** The type's own fields, without nulls. */
  properties: Record<string, unknown>;
  device: Record<string, unknown>;
  relationships: Record<string, unknown>;
  site_id: string | null;
  component_id: string | null;
  plant_id: string | null;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
  change_seq: number;
}

// Column lists without the sync bookkeeping (field_clocks): reads never need it.
export const COMMUNITY_COLUMN_NAMES = [
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
  'created_at',
  'updated_at',
  'deleted_at',
  'change_seq',
] as const satisfies readonly (keyof CommunityRow)[];

export const MEMBER_COLUMN_NAMES = [
  'id',
  'organisation_id',
  'community_id',
  'key',
  'user_id',
  'name',
  'type',
  'role',
  'area',
  'status',
  'created_at',
  'updated_at',
  'deleted_at',
  'change_seq',
] as const satisfies readonly (keyof MemberRow)[];

export const DELIVERY_POINT_COLUMN_NAMES = [
  'id',
  'organisation_id',
  'community_id',
  'member_id',
  'pod',
  'type',
  'description',
  'address',
  'tariff',
  'active',
  'topology_node',
  'created_at',
  'updated_at',
  'deleted_at',
  'change_seq',
] as const satisfies readonly (keyof DeliveryPointRow)[];

export const ASSET_COLUMN_NAMES = [
  'id',
  'organisation_id',
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
  'created_at',
  'updated_at',
  'deleted_at',
  'change_seq',
] as const satisfies readonly (keyof AssetRow)[];

const columns = (names: readonly string[], alias?: string) => names.map((n) => (alias ? `${alias}.${n}` : n)).join(', ');

/** `SELECT ${communityColumns('c')} FROM communities c`: every column a `CommunityRow` has. */
export const communityColumns = (alias?: string): string => columns(COMMUNITY_COLUMN_NAMES, alias);
/** Every column a `MemberRow` has, optionally prefixed with a table alias. */
export const memberColumns = (alias?: string): string => columns(MEMBER_COLUMN_NAMES, alias);
/** Every column a `DeliveryPointRow` has, optionally prefixed with a table alias. */
export const deliveryPointColumns = (alias?: string): string => columns(DELIVERY_POINT_COLUMN_NAMES, alias);
/** Every column an `AssetRow` has, optionally prefixed with a table alias. */
export const assetColumns = (alias?: string): string => columns(ASSET_COLUMN_NAMES, alias);
