// Exporting communities as bundles: the stored rows read back into the
// bundle's shape, in the canonical form (bundle/serialize.ts), so that an
// export imported again and exported once more gives the same bytes. Each
// export reads from one snapshot: an import committing meanwhile is either
// wholly in it or not at all.
import type { ServiceContext } from '../context.js';
import { DomainError } from '../errors.js';
import { manageableOrganisations } from './access.js';
import type { RegistryBundleIn } from './bundle/schema.js';
import { bundlesToYaml, canonicalBundle } from './bundle/serialize.js';
import type { JsonObject } from './import/desired.js';
import { loadCommunities, loadRegistryRows, type StoredCommunity, type StoredRegistry } from './import/stored.js';

export interface ExportOptions {
  /** The communities to export, by key; all the caller may manage when left out or empty. */
  keys?: string[];
}

// The bundles built here keep nulls and empty objects: the canonical form
// (bundle/serialize.ts), which every export goes through, leaves them out and
// gives a header without a version the published default.

/** One community's bundle from its rows, not yet canonical. */
function bundleOf(c: StoredCommunity, rows: StoredRegistry): RegistryBundleIn {
  const members = new Map<string, JsonObject & { delivery_points: JsonObject[]; assets: Record<string, JsonObject> }>();
  const bundleMembers: JsonObject = {};
  for (const m of rows.members) {
    const member = {
      user_id: m.user_id,
      name: m.name,
      type: m.type,
      role: m.role,
      area: m.area,
      status: m.status,
      delivery_points: [],
      assets: {},
    };
    members.set(m.id, member);
    bundleMembers[m.key] = member;
  }
  // A row whose member is not live has no place in a bundle (a member's removal takes its rows along in practice).
  for (const dp of rows.deliveryPoints) {
    members.get(dp.member_id)?.delivery_points.push({
      id: dp.pod,
      type: dp.type,
      description: dp.description,
      address: dp.address,
      tariff: dp.tariff,
      active: dp.active,
      topology_node: dp.topology_node,
    });
  }
  for (const a of rows.assets) {
    const member = members.get(a.member_id);
    if (!member) continue;
    (member.assets[a.asset_type] ??= {})[a.key] = {
      name: a.name,
      sensor_id: a.sensor_id,
      pod: a.pod,
      site_id: a.site_id,
      component_id: a.component_id,
      plant_id: a.plant_id,
      ...a.properties,
      device: a.device,
      relationships: a.relationships,
    };
  }
  const header = c.bundle;
  return {
    version: header['version'],
    schema_version: header['schema_version'],
    metadata: header['metadata'],
    community: {
      id: c.key,
      name: c.name,
      description: c.description,
      legal: c.legal,
      links: c.links,
      contact: c.contact,
      settings: c.settings,
      operators: c.operators,
      areas: c.areas,
      topology: c.topology,
    },
    members: bundleMembers,
  } as RegistryBundleIn;
}

/** The bundles of exportBundles before their canonical form (which the YAML writer gives them itself). */
async function readBundles(ctx: ServiceContext, opts: ExportOptions): Promise<RegistryBundleIn[]> {
  const keys = opts.keys && opts.keys.length > 0 ? [...new Set(opts.keys)] : null;
  return ctx.db.transaction(async (tx) => {
    // One snapshot for the four reads: rows of one import are all in it or none.
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const found = await loadCommunities(tx, manageableOrganisations(ctx.principal), keys);
    // Keys are unique among live communities; should two share one, the first (oldest) is the one exported.
    const communities = found.filter((c, i) => i === 0 || found[i - 1]!.key !== c.key);
    if (keys) {
      const exported = new Set(communities.map((c) => c.key));
      const missing = keys.find((k) => !exported.has(k));
      if (missing !== undefined) throw new DomainError('NOT_FOUND', `Community not found: ${missing}`);
    }
    const rows = await loadRegistryRows(
      tx,
      communities.map((c) => c.id),
    );
    const byCommunity = new Map<string, StoredRegistry>(communities.map((c) => [c.id, { members: [], deliveryPoints: [], assets: [] }]));
    for (const m of rows.members) byCommunity.get(m.community_id)!.members.push(m);
    for (const dp of rows.deliveryPoints) byCommunity.get(dp.community_id)!.deliveryPoints.push(dp);
    for (const a of rows.assets) byCommunity.get(a.community_id)!.assets.push(a);
    return communities.map((c) => bundleOf(c, byCommunity.get(c.id)!));
  });
}

/**
 * The caller's manageable communities as bundles, canonical, in key order
 * (bytes): all of them, or exactly those asked for; a key that names none of
 * them (missing, or another organisation's) is NOT_FOUND, the first such in
 * the order asked.
 */
export async function exportBundles(ctx: ServiceContext, opts: ExportOptions = {}): Promise<RegistryBundleIn[]> {
  return (await readBundles(ctx, opts)).map((b) => canonicalBundle(b));
}

/** The caller's communities as a multi-document YAML text (bundle/serialize.ts): what `GET /admin/export` answers. */
export async function exportYaml(ctx: ServiceContext, opts: ExportOptions = {}): Promise<string> {
  return bundlesToYaml(await readBundles(ctx, opts));
}
