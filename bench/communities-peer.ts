// The peers bench/communities.ts measures Helio's community import, export
// and member list against: the least a program must do to put the same rows
// into tables of the same columns, to get them out again as one YAML
// document, and to page through the members by key. No checks, no diff, no
// authorisation, no change sequences allocated, no sync bookkeeping.
import type { communities } from '@helio/core';
import type { Db } from '@helio/db';
import { stringify } from 'yaml';

type Bundle = communities.RegistryBundleIn;

/** Rows a bare INSERT statement carries: large enough that the round trips do not count, as the service's chunks. */
const CHUNK = 5_000;

export interface PeerTables {
  communities: string;
  members: string;
  deliveryPoints: string;
  assets: string;
}

/**
 * Tables of exactly the columns (types, NOT NULL, defaults) of Helio's four,
 * `LIKE` them: with only a primary key on `id` (`plain`), with every index
 * Helio's tables have (`indexed`: their partial key, POD, sensor and sequence
 * indexes too), or with those and Helio's field-clock trigger (`stamped`: the
 * per-row trigger every synced table has, migration 0002). None has Helio's
 * foreign keys.
 */
export async function createPeerTables(db: Db, prefix: string, kind: 'plain' | 'indexed' | 'stamped'): Promise<PeerTables> {
  const t: PeerTables = {
    communities: `${prefix}_communities`,
    members: `${prefix}_members`,
    deliveryPoints: `${prefix}_delivery_points`,
    assets: `${prefix}_assets`,
  };
  const like = kind === 'plain' ? 'INCLUDING DEFAULTS' : 'INCLUDING DEFAULTS INCLUDING INDEXES';
  const pairs: [string, string][] = [
    [t.communities, 'communities'],
    [t.members, 'community_members'],
    [t.deliveryPoints, 'community_delivery_points'],
    [t.assets, 'community_assets'],
  ];
  for (const [name, of] of pairs) {
    await db.exec(`CREATE TABLE ${name} (LIKE ${of} ${like})`);
    if (kind === 'plain') await db.exec(`ALTER TABLE ${name} ADD PRIMARY KEY (id)`);
    if (kind === 'stamped')
      await db.exec(
        `CREATE TRIGGER ${name}_field_clocks BEFORE INSERT OR UPDATE ON ${name} FOR EACH ROW EXECUTE FUNCTION helio_stamp_field_clocks()`,
      );
  }
  return t;
}

/** Calls `insert` with each `CHUNK` rows of the columns. */
async function chunked(columns: unknown[][], insert: (cols: unknown[][], first: number) => Promise<unknown>): Promise<void> {
  const n = columns[0]!.length;
  for (let i = 0; i < n; i += CHUNK)
    await insert(
      columns.map((c) => c.slice(i, i + CHUNK)),
      i,
    );
}

const json = (v: unknown) => (v === undefined || v === null ? '{}' : JSON.stringify(v));

/**
 * The bare import: in one transaction, the community row, then the members,
 * delivery points and assets as batched `INSERT … SELECT … FROM unnest(…)`
 * of `CHUNK` rows, their ids made here (UUID v7, as Helio's). Timed from the
 * parsed bundle: walking it into columns is part of the work, as it is of
 * the service's. Each asset's own fields go to `properties` as one JSON
 * object, as Helio stores them. Returns the rows written.
 */
export async function bareImport(
  db: Db,
  t: PeerTables,
  organisationId: string,
  bundle: Bundle,
  uuid: () => string,
  commonFields: readonly string[],
): Promise<number> {
  const common = new Set(commonFields);
  return db.transaction(async (tx) => {
    const c = bundle.community;
    const communityId = uuid();
    const { id: key, name, description, legal, links, contact, settings, operators, areas, topology } = c;
    await tx.query(
      `INSERT INTO ${t.communities} (id, organisation_id, key, name, description, legal, links, contact, settings, operators, areas, topology, bundle, change_seq)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1)`,
      [
        communityId,
        organisationId,
        key,
        name,
        description ?? null,
        json(legal),
        json(links),
        json(contact),
        json(settings),
        json(operators),
        json(areas),
        JSON.stringify(topology ?? []),
        JSON.stringify({ version: bundle.version, schema_version: bundle.schema_version, metadata: bundle.metadata }),
      ],
    );
    const m: unknown[][] = [[], [], [], [], [], [], [], []];
    const d: unknown[][] = [[], [], [], [], [], [], [], [], []];
    const a: unknown[][] = [[], [], [], [], [], [], [], [], [], [], [], [], []];
    for (const [memberKey, member] of Object.entries(bundle.members ?? {})) {
      const memberId = uuid();
      [memberId, memberKey, member.user_id ?? null, member.name, member.type ?? null, member.role, member.area, member.status].forEach(
        (v, i) => m[i]!.push(v),
      );
      for (const dp of member.delivery_points ?? []) {
        const row = [
          uuid(),
          memberId,
          dp.id,
          dp.type,
          dp.description ?? null,
          dp.address ?? null,
          dp.tariff ?? null,
          dp.active ?? true,
          dp.topology_node ?? null,
        ];
        row.forEach((v, i) => d[i]!.push(v));
      }
      for (const [assetType, byKey] of Object.entries(member.assets ?? {})) {
        for (const [assetKey, asset] of Object.entries(byKey ?? {})) {
          const fields = asset as Record<string, unknown>;
          const properties: Record<string, unknown> = {};
          for (const [f, v] of Object.entries(fields)) if (!common.has(f) && v !== null && v !== undefined) properties[f] = v;
          const row = [
            uuid(),
            memberId,
            assetKey,
            assetType,
            fields['name'],
            fields['sensor_id'] ?? null,
            fields['pod'] ?? null,
            JSON.stringify(properties),
            json(fields['device']),
            json(fields['relationships']),
            fields['site_id'] ?? null,
            fields['component_id'] ?? null,
            fields['plant_id'] ?? null,
          ];
          row.forEach((v, i) => a[i]!.push(v));
        }
      }
    }
    // Every row gets a change sequence, as Helio's do (here simply its position).
    await chunked(m, (cols, first) =>
      tx.query(
        `INSERT INTO ${t.members} (id, organisation_id, community_id, key, user_id, name, type, role, area, status, change_seq)
         SELECT id, $1, $2, key, user_id, name, type, role, area, status, $3 + n
         FROM unnest($4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
           WITH ORDINALITY AS u(id, key, user_id, name, type, role, area, status, n)`,
        [organisationId, communityId, first, ...cols],
      ),
    );
    await chunked(d, (cols, first) =>
      tx.query(
        `INSERT INTO ${t.deliveryPoints} (id, organisation_id, community_id, member_id, pod, type, description, address, tariff, active, topology_node, change_seq)
         SELECT id, $1, $2, member_id, pod, type, description, address, tariff, active, topology_node, $3 + n
         FROM unnest($4::uuid[], $5::uuid[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::bool[], $12::text[])
           WITH ORDINALITY AS u(id, member_id, pod, type, description, address, tariff, active, topology_node, n)`,
        [organisationId, communityId, first, ...cols],
      ),
    );
    await chunked(a, (cols, first) =>
      tx.query(
        `INSERT INTO ${t.assets} (id, organisation_id, community_id, member_id, key, asset_type, name, sensor_id, pod, properties, device, relationships,
           site_id, component_id, plant_id, change_seq)
         SELECT id, $1, $2, member_id, key, asset_type, name, sensor_id, pod, properties::jsonb, device::jsonb, relationships::jsonb,
           site_id, component_id, plant_id, $3 + n
         FROM unnest($4::uuid[], $5::uuid[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
           $14::uuid[], $15::uuid[], $16::uuid[])
           WITH ORDINALITY AS u(id, member_id, key, asset_type, name, sensor_id, pod, properties, device, relationships, site_id, component_id, plant_id, n)`,
        [organisationId, communityId, first, ...cols],
      ),
    );
    return 1 + m[0]!.length + d[0]!.length + a[0]!.length;
  });
}

/** Drops what is null or an empty object, as an export leaves them out. */
function present(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === null || v === undefined) continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[k] = v;
  }
  return out;
}

interface MemberRow {
  id: string;
  key: string;
  user_id: string | null;
  name: string;
  type: string | null;
  role: string;
  area: string;
  status: string;
}

/**
 * The bare export of one community from Helio's own tables: four SELECTs of
 * its live rows (the community; members, delivery points and assets, each
 * in key order), nested into one bundle document (members by key, their
 * delivery points, their assets by type then key with the stored properties
 * spread in, nulls and empty objects left out), written by `JSON.stringify`
 * (native: the least a program can spend on writing the document) or by the
 * `yaml` package (`stringify`, no line folding, as a script writing YAML
 * would). Not done here: the canonical order of fields and asset types,
 * the access check.
 */
export async function bareExport(db: Db, communityKey: string, format: 'yaml' | 'json'): Promise<string> {
  const { rows: cs } = await db.query<Record<string, unknown> & { id: string }>(
    `SELECT id, key, name, description, legal, links, contact, settings, operators, areas, topology, bundle
     FROM communities WHERE key = $1 AND deleted_at IS NULL`,
    [communityKey],
  );
  const c = cs[0];
  if (!c) throw new Error(`no community ${communityKey}`);
  // One after the other, on one connection, as a plain script would.
  const members = await db.query<MemberRow>(
    `SELECT id, key, user_id, name, type, role, area, status FROM community_members
       WHERE community_id = $1 AND deleted_at IS NULL ORDER BY key COLLATE "C"`,
    [c.id],
  );
  const dps = await db.query<Record<string, unknown> & { member_id: string }>(
    `SELECT member_id, pod AS id, type, description, address, tariff, active, topology_node FROM community_delivery_points
       WHERE community_id = $1 AND deleted_at IS NULL ORDER BY pod COLLATE "C"`,
    [c.id],
  );
  const assets = await db.query<
    { member_id: string; key: string; asset_type: string; properties: Record<string, unknown> } & Record<string, unknown>
  >(
    `SELECT member_id, key, asset_type, name, device, relationships, sensor_id, pod, site_id, component_id, plant_id, properties
       FROM community_assets WHERE community_id = $1 AND deleted_at IS NULL ORDER BY key COLLATE "C"`,
    [c.id],
  );
  const byId = new Map<
    string,
    Record<string, unknown> & { delivery_points?: unknown[]; assets?: Record<string, Record<string, unknown>> }
  >();
  const out: Record<string, unknown> = {};
  for (const m of members.rows) {
    const doc = present({ user_id: m.user_id, name: m.name, type: m.type, role: m.role, area: m.area, status: m.status });
    byId.set(m.id, doc);
    out[m.key] = doc;
  }
  for (const { member_id, ...dp } of dps.rows) (byId.get(member_id)!.delivery_points ??= []).push(present(dp));
  for (const { member_id, key, asset_type, properties, ...common } of assets.rows) {
    const doc = byId.get(member_id)!;
    ((doc.assets ??= {})[asset_type] ??= {})[key] = { ...present(common), ...properties };
  }
  const { id, key, bundle, ...community } = c;
  void id;
  const document = { ...present(bundle as Record<string, unknown>), community: present({ id: key, ...community }), members: out };
  return format === 'yaml' ? `---\n${stringify(document, { lineWidth: 0, aliasDuplicateObjects: false })}` : JSON.stringify(document);
}

/**
 * One page of the bare member walk: the keyset query a list by key needs
 * (`key > last ORDER BY key LIMIT limit + 1` on the partial key index), the
 * same columns as Helio's list item and each member's count of delivery points.
 */
export async function barePage(db: Db, communityId: string, after: string, limit: number): Promise<{ keys: string[]; more: boolean }> {
  const { rows } = await db.query<{ key: string }>(
    `SELECT m.id, m.key, m.user_id, m.name, m.role, m.area, m.status,
       (SELECT count(*)::int FROM community_delivery_points d WHERE d.member_id = m.id AND d.deleted_at IS NULL) AS delivery_points_count
     FROM community_members m
     WHERE m.community_id = $1 AND m.deleted_at IS NULL AND m.key COLLATE "C" > $2
     ORDER BY m.key COLLATE "C" LIMIT $3`,
    [communityId, after, limit + 1],
  );
  return { keys: rows.slice(0, limit).map((r) => r.key), more: rows.length > limit };
}
