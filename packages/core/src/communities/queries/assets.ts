// The admin's reads of a community's assets (and its meters, a list of their own).
import type { ServiceContext } from '../../context.js';
import { parseInput } from '../../validation.js';
import { ASSET_NOT_FOUND, communityForAdmin, isRegistryKey, isSensorId, registryNotFound } from '../access.js';
import type { AssetType } from '../bundle/schema.js';
import { keysetOf, keysetSql, listScope, pageOf } from '../cursor.js';
import type { CommunityRow } from '../rows.js';
import type { AssetDetail, AssetListItem, CursorPage, MeterListItem } from '../shapes.js';
import { assetDetailView, assetListItemView, meterListItemView, type AssetWithOwnerRow } from '../views.js';
import { ASSET_WITH_OWNER, liveMemberByKey } from './fetch.js';
import { listAssetsQuery, listMetersQuery, type ListAssetsQuery, type ListMetersQuery } from './filters.js';

interface AssetFilters {
  assetType: AssetType | undefined;
  owner: string | undefined;
  limit?: number | undefined;
  cursor?: string | null | undefined;
}

/** One page of a community's assets by key, of one type and one owner (by member key) when asked. */
async function assetPage<T>(
  ctx: ServiceContext,
  community: CommunityRow,
  list: string,
  f: AssetFilters,
  view: (row: AssetWithOwnerRow) => T,
): Promise<CursorPage<T>> {
  const ks = keysetOf(listScope(list, community.id, f.assetType, f.owner), f);
  const params: unknown[] = [community.id];
  let where = 'a.community_id = $1 AND a.deleted_at IS NULL';
  if (f.assetType !== undefined) {
    params.push(f.assetType);
    where += ` AND a.asset_type = $${params.length}`;
  }
  if (f.owner !== undefined) {
    // An owner filter names no member that does not exist: an empty page, as any filter matching nothing.
    const owner = isRegistryKey(f.owner) ? await liveMemberByKey(ctx.db, community.id, f.owner) : undefined;
    if (!owner) return { items: [], next_cursor: null };
    params.push(owner.id);
    where += ` AND a.member_id = $${params.length}`;
  }
  const page = keysetSql('a.key', ks, params);
  const { rows } = await ctx.db.query<AssetWithOwnerRow>(
    `SELECT ${ASSET_WITH_OWNER.columns} FROM ${ASSET_WITH_OWNER.from} WHERE ${where}${page.where}${page.tail}`,
    params,
  );
  return pageOf(rows, ks, (a) => a.key, view);
}

/** `GET /admin/communities/{community_key}/assets`: by key, filtered by type and owner (member key). */
export async function listAssets(ctx: ServiceContext, key: string, query: ListAssetsQuery = {}): Promise<CursorPage<AssetListItem>> {
  const q = parseInput(listAssetsQuery, query);
  const community = await communityForAdmin(ctx.db, ctx, key);
  return assetPage(
    ctx,
    community,
    'assets',
    { assetType: q.asset_type, owner: q.owner, limit: q.limit, cursor: q.cursor },
    assetListItemView,
  );
}

/** `GET /admin/communities/{community_key}/meters`: the meters by key, filtered by owner (member key). */
export async function listMeters(ctx: ServiceContext, key: string, query: ListMetersQuery = {}): Promise<CursorPage<MeterListItem>> {
  const q = parseInput(listMetersQuery, query);
  const community = await communityForAdmin(ctx.db, ctx, key);
  return assetPage(ctx, community, 'meters', { assetType: 'meter', owner: q.owner, limit: q.limit, cursor: q.cursor }, meterListItemView);
}

async function assetWhere(ctx: ServiceContext, condition: string, params: unknown[]): Promise<AssetDetail> {
  const { rows } = await ctx.db.query<AssetWithOwnerRow>(
    `SELECT ${ASSET_WITH_OWNER.columns} FROM ${ASSET_WITH_OWNER.from}
      WHERE ${condition} AND a.deleted_at IS NULL ORDER BY a.key COLLATE "C", a.id LIMIT 1`,
    params,
  );
  if (!rows[0]) throw registryNotFound(ASSET_NOT_FOUND);
  return assetDetailView(rows[0]);
}

/** `GET /admin/communities/{community_key}/assets/{asset_key}`. */
export async function getAsset(ctx: ServiceContext, key: string, assetKey: string): Promise<AssetDetail> {
  const community = await communityForAdmin(ctx.db, ctx, key);
  if (!isRegistryKey(assetKey)) throw registryNotFound(ASSET_NOT_FOUND);
  return assetWhere(ctx, 'a.community_id = $1 AND a.key COLLATE "C" = $2', [community.id, assetKey]);
}

/** `GET /admin/communities/{community_key}/assets/by-sensor-id/{sensor_id}`. */
export async function getAssetBySensorId(ctx: ServiceContext, key: string, sensorId: string): Promise<AssetDetail> {
  const community = await communityForAdmin(ctx.db, ctx, key);
  if (!isSensorId(sensorId)) throw registryNotFound(ASSET_NOT_FOUND);
  return assetWhere(ctx, 'a.community_id = $1 AND a.sensor_id = $2', [community.id, sensorId]);
}
