// What a bundle asks the registry to hold, as rows: the community's own
// values, and one entry per member, delivery point and asset with the
// location of its source in the bundle (for problems).
//
// Values are stored as an export writes them back (bundle/serialize.ts):
// without nulls, empty maps and empty lists, so that an unchanged bundle
// compares equal to its stored rows however it was written. The community's
// own values go through the canonical form itself; members, delivery points
// and assets, tens of thousands in a large bundle, are flat enough to be
// compacted here at a fraction of its cost (the same rules: a null, an empty
// list or an empty object is left out). Links (a member's user_id, an
// asset's site_id, component_id and plant_id) are kept as given: there a
// null means "clear the link" while a missing link means "keep the stored one".
import { ASSET_COMMON_FIELDS, assetSchemas, assetTypes, type AssetType, type RegistryBundleIn } from '../bundle/schema.js';
import { canonicalBundle } from '../bundle/serialize.js';

/** A path inside the bundle, as problems name it. */
export type Loc = (string | number)[];

/** A link as the bundle gives it: a value, `null` (clear it) or `undefined` (left out: keep the stored one). */
export type Link = string | null | undefined;

export type JsonObject = Record<string, unknown>;

export interface CommunityValues {
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
  /** The bundle's header as an export writes it: version and schema_version (default "1.0"), metadata without nulls, when it holds anything. */
  bundle: JsonObject;
}

export interface MemberValues {
  key: string;
  user_id: Link;
  name: string;
  type: string | null;
  role: string;
  area: string;
  status: string;
  loc: Loc;
}

export interface DeliveryPointValues {
  pod: string;
  member_key: string;
  type: string;
  description: string | null;
  address: string | null;
  tariff: string | null;
  active: boolean;
  topology_node: string | null;
  loc: Loc;
}

export interface AssetValues {
  key: string;
  member_key: string;
  asset_type: AssetType;
  name: string;
  sensor_id: string | null;
  pod: string | null;
  properties: JsonObject;
  device: JsonObject;
  relationships: JsonObject;
  site_id: Link;
  component_id: Link;
  plant_id: Link;
  loc: Loc;
}

export interface DesiredRegistry {
  community: CommunityValues;
  members: MemberValues[];
  deliveryPoints: DeliveryPointValues[];
  assets: AssetValues[];
}

const commonFields: ReadonlySet<string> = new Set(ASSET_COMMON_FIELDS);

/** Each asset type's own fields, kept in `properties`: those of its schema that every asset does not share. */
export const assetOwnFields: Readonly<Record<AssetType, readonly string[]>> = Object.fromEntries(
  assetTypes.map((type) => [type, Object.keys(assetSchemas[type].shape).filter((field) => !commonFields.has(field))]),
) as unknown as Record<AssetType, readonly string[]>;

const orNull = <T>(v: T | null | undefined): T | null => v ?? null;

const isEmpty = (v: unknown): boolean =>
  v === null || v === undefined || (Array.isArray(v) ? v.length === 0 : typeof v === 'object' && Object.keys(v).length === 0);

/** The fields of a flat object that a bundle writes: none null, empty or absent. */
function compact(value: object | null | undefined, fields: readonly string[] = Object.keys(value ?? {})): JsonObject {
  const out: JsonObject = {};
  if (!value) return out;
  for (const field of fields) {
    const v = (value as JsonObject)[field];
    if (!isEmpty(v)) out[field] = v;
  }
  return out;
}

/** UUIDs are stored (and so read back) in lower case: a link given in upper case is the same link. */
const lowerLink = (v: string | null | undefined): Link => (typeof v === 'string' ? v.toLowerCase() : v);

/** The header of a canonical bundle: `version` and `schema_version` (defaults applied), `metadata` when it holds anything. */
function headerOf(canonical: RegistryBundleIn): JsonObject {
  const header: JsonObject = { version: canonical.version, schema_version: canonical.schema_version };
  if (canonical.metadata) header['metadata'] = canonical.metadata;
  return header;
}

/**
 * A stored header as an import stores it now (a community imported before
 * headers were stored canonical may hold one verbatim): compared in this
 * form, such a header is not rewritten for want of a default or for a null.
 */
export function canonicalHeader(stored: JsonObject): JsonObject {
  const { version, schema_version, metadata } = stored as Pick<RegistryBundleIn, 'version' | 'schema_version' | 'metadata'>;
  // Without a community, the canonical form is the header's alone.
  return headerOf(canonicalBundle({ version, schema_version, metadata } as RegistryBundleIn));
}

/** The rows a (valid, checked) bundle describes. */
export function desiredRegistry(raw: RegistryBundleIn): DesiredRegistry {
  const canonical = canonicalBundle({
    version: raw.version,
    schema_version: raw.schema_version,
    metadata: raw.metadata,
    community: raw.community,
  });
  const c = canonical.community;
  const community: CommunityValues = {
    key: c.id,
    name: c.name,
    description: orNull(c.description),
    legal: c.legal ?? {},
    links: c.links ?? {},
    contact: c.contact ?? {},
    settings: c.settings ?? {},
    operators: c.operators ?? {},
    areas: c.areas ?? {},
    topology: c.topology ?? [],
    bundle: headerOf(canonical),
  };
  const members: MemberValues[] = [];
  const deliveryPoints: DeliveryPointValues[] = [];
  const assets: AssetValues[] = [];
  for (const [memberKey, m] of Object.entries(raw.members ?? {})) {
    const memberLoc = ['members', memberKey];
    members.push({
      key: memberKey,
      user_id: m.user_id,
      name: m.name,
      type: orNull(m.type),
      role: m.role,
      area: m.area,
      status: m.status,
      loc: memberLoc,
    });
    (m.delivery_points ?? []).forEach((dp, i) => {
      deliveryPoints.push({
        pod: dp.id,
        member_key: memberKey,
        type: dp.type,
        description: orNull(dp.description),
        address: orNull(dp.address),
        tariff: orNull(dp.tariff),
        active: dp.active ?? true,
        topology_node: orNull(dp.topology_node),
        loc: [...memberLoc, 'delivery_points', i],
      });
    });
    for (const type of assetTypes) {
      for (const [assetKey, a] of Object.entries(m.assets?.[type] ?? {})) {
        assets.push({
          key: assetKey,
          member_key: memberKey,
          asset_type: type,
          name: a.name,
          sensor_id: orNull(a.sensor_id),
          pod: orNull(a.pod),
          properties: compact(a, assetOwnFields[type]),
          device: compact(a.device),
          relationships: compact(a.relationships),
          site_id: lowerLink(a.site_id),
          component_id: lowerLink(a.component_id),
          plant_id: lowerLink(a.plant_id),
          loc: [...memberLoc, 'assets', type, assetKey],
        });
      }
    }
  }
  return { community, members, deliveryPoints, assets };
}
