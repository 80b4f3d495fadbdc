// The server's community registries are whole, whatever the devices did:
// what an export of them writes, an import would take. Each live row's keys
// are its own (a member's key and user and an asset's key in the community,
// a POD and a sensor id in the installation), it belongs to a live member of
// its community, and everything it names is there: an area, a topology
// node, the delivery point an asset sits behind, the assets it names, and
// its type's bundle schema accepts it.
import { assetSchemas, type AssetType } from '../../src/communities/bundle/schema.js';
import type { World } from './world.js';

interface LiveRow {
  table: string;
  id: string;
  community_id: string;
  key: string | null;
  member_live: boolean | null;
  member_community: string | null;
  user_id: string | null;
  area: string | null;
  pod: string | null;
  topology_node: string | null;
  sensor_id: string | null;
  asset_type: AssetType | null;
  name: string | null;
  properties: Record<string, unknown> | null;
  device: Record<string, unknown> | null;
  relationships: { measures?: string[]; paired_with?: string } | null;
  site_id: string | null;
  component_id: string | null;
  plant_id: string | null;
  areas: Record<string, unknown>;
  topology: { id: string }[];
}

const LIVE_ROWS = `
SELECT 'member' AS table, m.id, m.community_id, m.key, true AS member_live, m.community_id AS member_community, m.user_id, m.area,
  NULL AS pod, NULL AS topology_node, NULL AS sensor_id, NULL AS asset_type, NULL AS name, NULL::jsonb AS properties, NULL::jsonb AS device,
  NULL::jsonb AS relationships, NULL::uuid AS site_id, NULL::uuid AS component_id, NULL::uuid AS plant_id, c.areas, c.topology
FROM community_members m JOIN communities c ON c.id = m.community_id WHERE m.deleted_at IS NULL
UNION ALL
SELECT 'delivery point', d.id, d.community_id, NULL, o.deleted_at IS NULL, o.community_id, NULL, NULL,
  d.pod, d.topology_node, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, c.areas, c.topology
FROM community_delivery_points d JOIN communities c ON c.id = d.community_id LEFT JOIN community_members o ON o.id = d.member_id
WHERE d.deleted_at IS NULL
UNION ALL
SELECT 'asset', a.id, a.community_id, a.key, o.deleted_at IS NULL, o.community_id, NULL, NULL,
  a.pod, NULL, a.sensor_id, a.asset_type, a.name, a.properties, a.device, a.relationships, a.site_id, a.component_id, a.plant_id, c.areas, c.topology
FROM community_assets a JOIN communities c ON c.id = a.community_id LEFT JOIN community_members o ON o.id = a.member_id
WHERE a.deleted_at IS NULL
ORDER BY 1, 2`;

export async function checkCommunityRegistries(world: World): Promise<void> {
  const { rows } = await world.dbs.server.query<LiveRow>(LIVE_ROWS);
  const v = (r: LiveRow, text: string) => world.violation(`live ${r.table} ${r.id}: ${text}`);
  const seen = new Map<string, string>();
  const once = (r: LiveRow, what: string, value: string | null, scope: string) => {
    if (value === null) return;
    const key = `${scope} ${what} ${value}`;
    const other = seen.get(key);
    if (other) v(r, `shares ${what} ${value} with ${other}`);
    seen.set(key, r.id);
  };
  const pods = new Set(rows.filter((r) => r.table === 'delivery point').map((r) => `${r.community_id} ${r.pod}`));
  const assetKeys = new Set(rows.filter((r) => r.table === 'asset').map((r) => `${r.community_id} ${r.key}`));
  for (const r of rows) {
    if (r.member_live !== true || r.member_community !== r.community_id) v(r, 'its member is not a live member of its community');
    if (r.table === 'member') {
      once(r, 'member key', r.key, r.community_id);
      once(r, 'user', r.user_id, r.community_id);
      if (!Object.hasOwn(r.areas, r.area!)) v(r, `area ${r.area} is not an area of its community`);
    } else if (r.table === 'delivery point') {
      once(r, 'POD', r.pod, 'installation');
      if (r.topology_node !== null && !r.topology.some((n) => n.id === r.topology_node))
        v(r, `topology node ${r.topology_node} is not in its community's topology`);
    } else {
      once(r, 'asset key', r.key, r.community_id);
      once(r, 'sensor id', r.sensor_id, 'installation');
      if (r.pod !== null && !pods.has(`${r.community_id} ${r.pod}`))
        v(r, `sits behind POD ${r.pod}, no live delivery point of its community`);
      const named = [...(r.relationships?.measures ?? []), ...(r.relationships?.paired_with ? [r.relationships.paired_with] : [])];
      for (const k of named) if (!assetKeys.has(`${r.community_id} ${k}`)) v(r, `names asset ${k}, no live asset of its community`);
      const { asset_type: type, properties, name, sensor_id, pod, device, relationships, site_id, component_id, plant_id } = r;
      const parsed = assetSchemas[type!].safeParse({
        ...properties,
        name,
        sensor_id,
        pod,
        device,
        relationships,
        site_id,
        component_id,
        plant_id,
      });
      if (!parsed.success) v(r, `its ${type} bundle schema refuses it: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    }
  }
}
