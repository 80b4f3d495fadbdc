// A full-replace import as a plan: what the bundle wants against what is
// stored. Members and assets are matched by key, delivery points by POD
// (within the community). A matched row keeps its id and is updated only when
// a value differs (an unchanged row is not written at all, so its change_seq
// stays and devices pull nothing); an unmatched bundle row is created; a
// stored row the bundle no longer has is removed (softly, by the writer).
// Links the bundle leaves out keep their stored value; an explicit null
// clears them.
import type { BundleProblem } from '../bundle/parse.js';
import {
  canonicalHeader,
  type AssetValues,
  type CommunityValues,
  type DeliveryPointValues,
  type DesiredRegistry,
  type JsonObject,
  type Link,
  type Loc,
  type MemberValues,
} from './desired.js';
import type { StoredAsset, StoredCommunity, StoredDeliveryPoint, StoredMember, StoredRegistry } from './stored.js';

export interface MemberRow {
  id: string;
  key: string;
  user_id: string | null;
  name: string;
  type: string | null;
  role: string;
  area: string;
  status: string;
}

export interface DeliveryPointRow {
  id: string;
  member_id: string;
  pod: string;
  type: string;
  description: string | null;
  address: string | null;
  tariff: string | null;
  active: boolean;
  topology_node: string | null;
}

export interface AssetRow {
  id: string;
  member_id: string;
  key: string;
  asset_type: string;
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

/** One kind's rows: created and updated (whole, as they will be), how many stay as they are, and the ids removed. */
export interface KindPlan<R> {
  create: R[];
  update: R[];
  unchanged: number;
  remove: string[];
}

export type LinkField = 'site_id' | 'component_id' | 'plant_id';
export const LINK_FIELDS: readonly LinkField[] = ['site_id', 'component_id', 'plant_id'];

export interface ImportPlan {
  communityId: string;
  community: 'create' | 'update' | 'unchanged';
  communityValues: CommunityValues;
  members: KindPlan<MemberRow>;
  deliveryPoints: KindPlan<DeliveryPointRow>;
  assets: KindPlan<AssetRow>;
  /**
   * Links the import points somewhere new (a created asset's, or one whose
   * value changes), by value, with where the bundle names them: each must
   * name a live object of the community's organisation. A link that stays as
   * stored is not checked again, so a community exported while its links
   * pointed somewhere still imports back after that place is gone.
   */
  newLinks: Record<LinkField, Map<string, Loc[]>>;
  /** Problems only the merge reveals: a user_id kept from a stored member that another member of the bundle now takes. */
  problems: BundleProblem[];
}

/** Deep equality of JSON values, whatever the order of object keys (jsonb keeps its own). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((v, i) => jsonEqual(v, other[i]));
  }
  const ao = a as JsonObject;
  const bo = b as JsonObject;
  const keys = Object.keys(ao).filter((k) => ao[k] !== undefined);
  if (keys.length !== Object.keys(bo).filter((k) => bo[k] !== undefined).length) return false;
  return keys.every((k) => Object.hasOwn(bo, k) && jsonEqual(ao[k], bo[k]));
}

const merge = (given: Link, stored: string | null | undefined): string | null => (given === undefined ? (stored ?? null) : given);

/** Stored rows by their match key; rows sharing a key after the first are left unmatched (and so removed). */
function byKey<S extends { id: string }>(rows: S[], keyOf: (row: S) => string): Map<string, S> {
  const map = new Map<string, S>();
  for (const row of rows) if (!map.has(keyOf(row))) map.set(keyOf(row), row);
  return map;
}

/** Sorts each wanted row into created, updated or unchanged, and the stored rows nobody wants into removed. */
function planKind<W, S extends { id: string }, R>(
  wanted: W[],
  stored: Map<string, S>,
  allStored: S[],
  keyOf: (w: W) => string,
  build: (w: W, old: S | undefined) => R,
  same: (row: R, old: S) => boolean,
): KindPlan<R> {
  const plan: KindPlan<R> = { create: [], update: [], unchanged: 0, remove: [] };
  const kept = new Set<string>();
  for (const w of wanted) {
    const old = stored.get(keyOf(w));
    const row = build(w, old);
    if (!old) plan.create.push(row);
    else {
      kept.add(old.id);
      if (same(row, old)) plan.unchanged++;
      else plan.update.push(row);
    }
  }
  for (const s of allStored) if (!kept.has(s.id)) plan.remove.push(s.id);
  return plan;
}

function communityChanged(want: CommunityValues, old: StoredCommunity): boolean {
  return (
    want.name !== old.name ||
    want.description !== old.description ||
    !jsonEqual(want.legal, old.legal) ||
    !jsonEqual(want.links, old.links) ||
    !jsonEqual(want.contact, old.contact) ||
    !jsonEqual(want.settings, old.settings) ||
    !jsonEqual(want.operators, old.operators) ||
    !jsonEqual(want.areas, old.areas) ||
    !jsonEqual(want.topology, old.topology) ||
    !jsonEqual(want.bundle, canonicalHeader(old.bundle))
  );
}

/** user_ids are unique among a community's live members: a kept one may meet the same value set on another member. */
function userIdProblems(members: MemberValues[], rows: Map<string, MemberRow>): BundleProblem[] {
  const holder = new Map<string, MemberValues>();
  const problems: BundleProblem[] = [];
  for (const m of members) {
    const userId = rows.get(m.key)?.user_id;
    if (!userId) continue;
    const first = holder.get(userId);
    if (!first) {
      holder.set(userId, m);
      continue;
    }
    // Point at the member whose user_id the bundle sets; the other one keeps its stored value.
    const [kept, set] = first.user_id === undefined ? [first, m] : [m, first];
    problems.push({
      loc: [...set.loc, 'user_id'],
      msg: `user_id ${userId} is kept by member ${kept.key}, which the bundle leaves without a user_id; give member ${kept.key} another user_id or null`,
      type: 'duplicate_key',
    });
  }
  return problems;
}

/** The plan turning the stored community (if any) and its rows into what the bundle describes. */
export function planImport(
  desired: DesiredRegistry,
  community: StoredCommunity | undefined,
  stored: StoredRegistry,
  newId: () => string,
): ImportPlan {
  const communityId = community?.id ?? newId();
  const storedMemberByKey = byKey(stored.members, (s) => s.key);
  const members = planKind<MemberValues, StoredMember, MemberRow>(
    desired.members,
    storedMemberByKey,
    stored.members,
    (w) => w.key,
    (w, old) => ({
      id: old?.id ?? newId(),
      key: w.key,
      user_id: merge(w.user_id, old?.user_id),
      name: w.name,
      type: w.type,
      role: w.role,
      area: w.area,
      status: w.status,
    }),
    (r, old) =>
      r.user_id === old.user_id &&
      r.name === old.name &&
      r.type === old.type &&
      r.role === old.role &&
      r.area === old.area &&
      r.status === old.status,
  );
  // Every member as it will be: created, updated, or (in neither list) unchanged as stored.
  const memberRows = new Map<string, MemberRow>();
  for (const r of [...members.create, ...members.update]) memberRows.set(r.key, r);
  for (const m of desired.members) if (!memberRows.has(m.key)) memberRows.set(m.key, storedMemberByKey.get(m.key)!);
  const memberId = (key: string): string => memberRows.get(key)!.id;

  const deliveryPoints = planKind<DeliveryPointValues, StoredDeliveryPoint, DeliveryPointRow>(
    desired.deliveryPoints,
    byKey(stored.deliveryPoints, (s) => s.pod),
    stored.deliveryPoints,
    (w) => w.pod,
    (w, old) => ({
      id: old?.id ?? newId(),
      member_id: memberId(w.member_key),
      pod: w.pod,
      type: w.type,
      description: w.description,
      address: w.address,
      tariff: w.tariff,
      active: w.active,
      topology_node: w.topology_node,
    }),
    (r, old) =>
      r.member_id === old.member_id &&
      r.type === old.type &&
      r.description === old.description &&
      r.address === old.address &&
      r.tariff === old.tariff &&
      r.active === old.active &&
      r.topology_node === old.topology_node,
  );

  const newLinks: Record<LinkField, Map<string, Loc[]>> = { site_id: new Map(), component_id: new Map(), plant_id: new Map() };
  const assets = planKind<AssetValues, StoredAsset, AssetRow>(
    desired.assets,
    byKey(stored.assets, (s) => s.key),
    stored.assets,
    (w) => w.key,
    (w, old) => {
      const row: AssetRow = {
        id: old?.id ?? newId(),
        member_id: memberId(w.member_key),
        key: w.key,
        asset_type: w.asset_type,
        name: w.name,
        sensor_id: w.sensor_id,
        pod: w.pod,
        properties: w.properties,
        device: w.device,
        relationships: w.relationships,
        site_id: merge(w.site_id, old?.site_id),
        component_id: merge(w.component_id, old?.component_id),
        plant_id: merge(w.plant_id, old?.plant_id),
      };
      for (const field of LINK_FIELDS) {
        const value = row[field];
        if (value !== null && value !== old?.[field]) {
          const locs = newLinks[field].get(value);
          if (locs) locs.push([...w.loc, field]);
          else newLinks[field].set(value, [[...w.loc, field]]);
        }
      }
      return row;
    },
    (r, old) =>
      r.member_id === old.member_id &&
      r.asset_type === old.asset_type &&
      r.name === old.name &&
      r.sensor_id === old.sensor_id &&
      r.pod === old.pod &&
      r.site_id === old.site_id &&
      r.component_id === old.component_id &&
      r.plant_id === old.plant_id &&
      jsonEqual(r.properties, old.properties) &&
      jsonEqual(r.device, old.device) &&
      jsonEqual(r.relationships, old.relationships),
  );

  return {
    communityId,
    community: !community ? 'create' : communityChanged(desired.community, community) ? 'update' : 'unchanged',
    communityValues: desired.community,
    members,
    deliveryPoints,
    assets,
    newLinks,
    problems: userIdProblems(desired.members, memberRows),
  };
}
