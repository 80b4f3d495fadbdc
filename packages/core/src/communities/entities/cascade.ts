// A member's removal takes its delivery points and assets with it, and its
// restoration brings back those that went with it (removed at the same
// instant), as far as the registry lets them come back.
import type { Queryable } from '@helio/db';
import { liveAssetKeys, namedKeys, topologyProblem } from './checks.js';
import { COLUMNS_OF, type CommunityRow, type Table } from './rows.js';

/**
 * Sets `deleted_at` (a removal) or clears it (a restoration) on rows, each
 * under its own change number, from `firstSeq` on in the order given.
 */
export async function stampRows<R = Record<string, unknown>>(
  tx: Queryable,
  table: Table,
  ids: readonly string[],
  deletedAt: Date | null,
  firstSeq: number,
  now: Date,
): Promise<R[]> {
  if (ids.length === 0) return [];
  const { rows } = await tx.query<R & Record<string, unknown>>(
    `UPDATE ${table} SET deleted_at = $2::timestamptz, updated_at = $3, change_seq = $4 + array_position($1::uuid[], id) - 1
     WHERE id = ANY($1::uuid[]) RETURNING ${COLUMNS_OF[table]}`,
    [ids, deletedAt, now, firstSeq],
  );
  return rows;
}

/** Values held by live rows of `table` (within the community, when given) among these. */
async function heldValues(
  tx: Queryable,
  table: 'community_delivery_points' | 'community_assets',
  column: 'pod' | 'sensor_id',
  values: readonly string[],
  communityId?: string,
): Promise<Set<string>> {
  if (values.length === 0) return new Set();
  const { rows } = await tx.query<{ value: string }>(
    `SELECT ${column} AS value FROM ${table} WHERE ${column} = ANY($1::text[]) AND deleted_at IS NULL AND ($2::uuid IS NULL OR community_id = $2)`,
    [values, communityId ?? null],
  );
  return new Set(rows.map((r) => r.value));
}

/** The member's delivery points removed with it that may come back: POD still free, topology node still there. */
export async function restorableDeliveryPoints(
  tx: Queryable,
  community: CommunityRow,
  memberId: string,
  deletedAt: Date,
): Promise<{ ids: string[]; pods: Set<string> }> {
  const { rows } = await tx.query<{ id: string; pod: string; topology_node: string | null }>(
    'SELECT id, pod, topology_node FROM community_delivery_points WHERE member_id = $1 AND deleted_at = $2 ORDER BY id FOR UPDATE',
    [memberId, deletedAt],
  );
  const taken = await heldValues(
    tx,
    'community_delivery_points',
    'pod',
    rows.map((r) => r.pod),
  );
  const ids: string[] = [];
  for (const r of rows) {
    if (taken.has(r.pod) || topologyProblem(community, r.topology_node)) continue;
    taken.add(r.pod);
    ids.push(r.id);
  }
  return { ids, pods: new Set(rows.filter((r) => ids.includes(r.id)).map((r) => r.pod)) };
}

interface AssetCandidate {
  id: string;
  key: string;
  sensor_id: string | null;
  pod: string | null;
  relationships: { measures?: string[]; paired_with?: string };
}

/**
 * The member's assets removed with it that may come back: key and sensor id
 * still free, pod a delivery point of the community (live, or coming back
 * with them), relationships naming assets that are live or coming back too.
 */
export async function restorableAssets(
  tx: Queryable,
  community: CommunityRow,
  memberId: string,
  deletedAt: Date,
  podsBack: ReadonlySet<string>,
): Promise<string[]> {
  const { rows } = await tx.query<AssetCandidate>(
    'SELECT id, key, sensor_id, pod, relationships FROM community_assets WHERE member_id = $1 AND deleted_at = $2 ORDER BY id FOR UPDATE',
    [memberId, deletedAt],
  );
  const keysTaken = await liveAssetKeys(
    tx,
    community.id,
    rows.map((r) => r.key),
  );
  const sensorsTaken = await heldValues(
    tx,
    'community_assets',
    'sensor_id',
    rows.flatMap((r) => (r.sensor_id ? [r.sensor_id] : [])),
  );
  const livePods = await heldValues(
    tx,
    'community_delivery_points',
    'pod',
    rows.flatMap((r) => (r.pod ? [r.pod] : [])),
    community.id,
  );
  let back: AssetCandidate[] = [];
  for (const r of rows) {
    if (keysTaken.has(r.key) || (r.sensor_id && sensorsTaken.has(r.sensor_id))) continue;
    if (r.pod && !livePods.has(r.pod) && !podsBack.has(r.pod)) continue;
    keysTaken.add(r.key);
    if (r.sensor_id) sensorsTaken.add(r.sensor_id);
    back.push(r);
  }
  // An asset naming one that stays removed stays removed too, which may keep out another: until nothing changes.
  const liveNamed = await liveAssetKeys(
    tx,
    community.id,
    back.flatMap((r) => namedKeys(r.relationships)),
  );
  for (;;) {
    const keys = new Set(back.map((r) => r.key));
    const kept = back.filter((r) => namedKeys(r.relationships).every((k) => keys.has(k) || liveNamed.has(k)));
    if (kept.length === back.length) break;
    back = kept;
  }
  return back.map((r) => r.id);
}
