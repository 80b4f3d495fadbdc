// Test fixture: a community written straight into the tables, without the
// import (so read-side tests do not depend on it, and can build shapes the
// import would refuse). It checks nothing: keys, PODs and sensor ids are
// taken as given. Rows get ids (UUID v7) and change sequences as a service
// would give them, all in one transaction.
//
//   const c = await seedCommunity(db, org.id, {
//     key: 'solar-commons',
//     members: [{ key: 'm-1', user_id: user.id, delivery_points: [{ pod: 'IT001E1' }],
//                 assets: [{ key: 'mt-1', asset_type: 'meter', sensor_id: 'S-1', pod: 'IT001E1',
//                            properties: { meter_type: 'bidirectional' } }] }],
//   });
//   c.members['m-1'].assets['mt-1'] // the asset's id
//
// `seedMembers(db, c, [...])` adds members to a seeded community later (a
// test inserting rows between two pages, say). Inserts go in bulk (one
// statement per table), so 10,000 members are quick.
import type { Db, Queryable } from '@helio/db';
import { allocateChangeSeqs } from '../changes.js';
import { createUuidV7Generator } from '../ids.js';
import type { AssetType } from './bundle/schema.js';
import type { StoredArea, StoredOperator, StoredTopologyNode } from './rows.js';

export interface SeedDeliveryPoint {
  pod: string;
  /** Default `pod`. */
  type?: string;
  description?: string | null;
  address?: string | null;
  tariff?: string | null;
  /** Default true. */
  active?: boolean;
  topology_node?: string | null;
}

export interface SeedAsset {
  key: string;
  asset_type: AssetType;
  /** Default: the key. */
  name?: string;
  sensor_id?: string | null;
  pod?: string | null;
  properties?: Record<string, unknown>;
  device?: Record<string, unknown>;
  relationships?: Record<string, unknown>;
  site_id?: string | null;
  component_id?: string | null;
  plant_id?: string | null;
}

export interface SeedMember {
  key: string;
  /** Default: `Member <key>`. */
  name?: string;
  user_id?: string | null;
  type?: string | null;
  /** Default `consumer`. */
  role?: string;
  /** Default: the community's first area key (`main` when it has none given). */
  area?: string;
  /** Default `active`. */
  status?: string;
  delivery_points?: SeedDeliveryPoint[];
  assets?: SeedAsset[];
}

export interface SeedCommunitySpec {
  key: string;
  /** Default: `Community <key>`. */
  name?: string;
  description?: string | null;
  legal?: Record<string, unknown>;
  links?: Record<string, unknown>;
  contact?: Record<string, unknown>;
  settings?: Record<string, unknown>;
  operators?: Record<string, StoredOperator>;
  /** Default `{ main: { name: 'Main' } }`. */
  areas?: Record<string, StoredArea>;
  topology?: StoredTopologyNode[];
  bundle?: Record<string, unknown>;
  members?: SeedMember[];
}

export interface SeededMember {
  id: string;
  /** Delivery point ids by POD. */
  deliveryPoints: Record<string, string>;
  /** Asset ids by key. */
  assets: Record<string, string>;
}

export interface SeededCommunity {
  id: string;
  key: string;
  organisationId: string;
  /** By member key. */
  members: Record<string, SeededMember>;
}

const json = (v: unknown) => JSON.stringify(v);
const ids = createUuidV7Generator();

/** Inserts `rows` (objects of the same columns) in one statement, through unnest of one array per column. */
async function insertRows(q: Queryable, table: string, types: Record<string, string>, rows: Record<string, unknown>[]): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(types);
  const arrays = columns.map((c) => rows.map((r) => r[c] ?? null));
  const unnest = columns.map((c, i) => `$${i + 1}::${types[c]}[]`).join(', ');
  await q.query(`INSERT INTO ${table} (${columns.join(', ')}) SELECT * FROM unnest(${unnest})`, arrays);
}

/** Writes a community with its members, their delivery points and assets; returns the ids given. */
export async function seedCommunity(db: Db, organisationId: string, spec: SeedCommunitySpec): Promise<SeededCommunity> {
  const areas = spec.areas ?? { main: { name: 'Main' } };
  const community: SeededCommunity = { id: ids.uuid(), key: spec.key, organisationId, members: {} };
  await db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO communities (id, organisation_id, key, name, description, legal, links, contact, settings, operators, areas, topology, bundle, change_seq)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [
        community.id,
        organisationId,
        spec.key,
        spec.name ?? `Community ${spec.key}`,
        spec.description ?? null,
        json(spec.legal ?? {}),
        json(spec.links ?? {}),
        json(spec.contact ?? {}),
        json(spec.settings ?? {}),
        json(spec.operators ?? {}),
        json(areas),
        json(spec.topology ?? []),
        json(spec.bundle ?? {}),
        await allocateChangeSeqs(tx, organisationId, 1),
      ],
    );
    await insertMembers(tx, community, spec.members ?? [], Object.keys(areas)[0] ?? 'main');
  });
  return community;
}

/**
 * Adds members (with their delivery points and assets) to a seeded
 * community; their ids are added to `community.members` and returned.
 * A member's area defaults to `main`.
 */
export async function seedMembers(db: Db, community: SeededCommunity, members: SeedMember[]): Promise<Record<string, SeededMember>> {
  return db.transaction((tx) => insertMembers(tx, community, members, 'main'));
}

async function insertMembers(
  tx: Queryable,
  community: SeededCommunity,
  spec: SeedMember[],
  defaultArea: string,
): Promise<Record<string, SeededMember>> {
  const organisationId = community.organisationId;
  const added: Record<string, SeededMember> = {};
  const members: Record<string, unknown>[] = [];
  const deliveryPoints: Record<string, unknown>[] = [];
  const assets: Record<string, unknown>[] = [];
  for (const m of spec) {
    const seeded: SeededMember = { id: ids.uuid(), deliveryPoints: {}, assets: {} };
    added[m.key] = seeded;
    const owner = { organisation_id: organisationId, community_id: community.id, member_id: seeded.id };
    members.push({
      id: seeded.id,
      organisation_id: organisationId,
      community_id: community.id,
      key: m.key,
      user_id: m.user_id,
      name: m.name ?? `Member ${m.key}`,
      type: m.type,
      role: m.role ?? 'consumer',
      area: m.area ?? defaultArea,
      status: m.status ?? 'active',
    });
    for (const d of m.delivery_points ?? []) {
      seeded.deliveryPoints[d.pod] = ids.uuid();
      deliveryPoints.push({ ...d, ...owner, id: seeded.deliveryPoints[d.pod], type: d.type ?? 'pod', active: d.active ?? true });
    }
    for (const a of m.assets ?? []) {
      seeded.assets[a.key] = ids.uuid();
      assets.push({
        ...a,
        ...owner,
        id: seeded.assets[a.key],
        name: a.name ?? a.key,
        properties: json(a.properties ?? {}),
        device: json(a.device ?? {}),
        relationships: json(a.relationships ?? {}),
      });
    }
  }
  const rows = [...members, ...deliveryPoints, ...assets];
  if (rows.length === 0) return added;
  let seq = await allocateChangeSeqs(tx, organisationId, rows.length);
  for (const row of rows) row['change_seq'] = seq++;
  await insertRows(tx, 'community_members', MEMBER_TYPES, members);
  await insertRows(tx, 'community_delivery_points', DELIVERY_POINT_TYPES, deliveryPoints);
  await insertRows(tx, 'community_assets', ASSET_TYPES, assets);
  Object.assign(community.members, added);
  return added;
}

const MEMBER_TYPES = {
  id: 'uuid',
  organisation_id: 'uuid',
  community_id: 'uuid',
  key: 'text',
  user_id: 'text',
  name: 'text',
  type: 'text',
  role: 'text',
  area: 'text',
  status: 'text',
  change_seq: 'bigint',
};

const DELIVERY_POINT_TYPES = {
  id: 'uuid',
  organisation_id: 'uuid',
  community_id: 'uuid',
  member_id: 'uuid',
  pod: 'text',
  type: 'text',
  description: 'text',
  address: 'text',
  tariff: 'text',
  active: 'boolean',
  topology_node: 'text',
  change_seq: 'bigint',
};

const ASSET_TYPES = {
  id: 'uuid',
  organisation_id: 'uuid',
  community_id: 'uuid',
  member_id: 'uuid',
  key: 'text',
  asset_type: 'text',
  name: 'text',
  sensor_id: 'text',
  pod: 'text',
  properties: 'jsonb',
  device: 'jsonb',
  relationships: 'jsonb',
  site_id: 'uuid',
  component_id: 'uuid',
  plant_id: 'uuid',
  change_seq: 'bigint',
};
