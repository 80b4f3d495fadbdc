// The admin's lookups across communities (`/admin/lookup/...`): which
// community a user, a sensor or a delivery point belongs to, a member by user
// id, assets by sensor id. They search only the communities of the
// organisations the caller manages (access.ts): anything else, another
// tenant's sensor included, is "not found" exactly as an unknown one is.
// Should a user id be a member of several of those communities, the first
// by community key (byte order) answers, then the first member by key.
import type { ServiceContext } from '../context.js';
import { parseInput } from '../validation.js';
import {
  ASSET_NOT_FOUND,
  inOrganisations,
  isMemberUserId,
  isPodCode,
  isSensorId,
  manageableOrganisations,
  MEMBER_NOT_FOUND,
  registryNotFound,
} from './access.js';
import { sensorIdsBatchRequest } from './bundle/schema.js';
import { ASSET_WITH_OWNER, liveDeliveryPointsOf, memberById } from './queries/fetch.js';
import { deliveryPointColumns, memberColumns, type DeliveryPointRow, type MemberRow } from './rows.js';
import type {
  GlobalAssetLookup,
  GlobalMemberLookup,
  LookupByDeliveryPointResponse,
  LookupBySensorIdResponse,
  LookupByUserIdResponse,
} from './shapes.js';
import {
  assetRefView,
  deliveryPointView,
  globalAssetLookupView,
  globalMemberLookupView,
  memberInCommunityView,
  memberRefView,
  type AssetWithOwnerRow,
  type InCommunity,
} from './views.js';

// The messages of the published service's 404 answers.
export const USER_NOT_IN_ANY_COMMUNITY = 'User not found in any community';
export const SENSOR_NOT_IN_ANY_COMMUNITY = 'Sensor not found in any community';
export const DELIVERY_POINT_NOT_IN_ANY_COMMUNITY = 'Delivery point not found in any community';

type WithCommunity<R> = R & InCommunity;

/** The community a found row belongs to, as a `CommunityRef`. */
const communityRefOf = (row: { community_id: string } & InCommunity) => ({
  id: row.community_id,
  key: row.community_key,
  name: row.community_name,
});

/** `FROM ... JOIN communities c` for rows aliased `alias`: live communities of the caller's manageable organisations. */
function inCallersCommunities(ctx: ServiceContext, alias: string, params: unknown[]): string | null {
  const organisations = manageableOrganisations(ctx.principal);
  if (organisations?.length === 0) return null;
  return `JOIN communities c ON c.id = ${alias}.community_id
    WHERE c.deleted_at IS NULL AND ${alias}.deleted_at IS NULL AND ${inOrganisations(`${alias}.organisation_id`, organisations, params)}`;
}

async function memberWithUserId(ctx: ServiceContext, userId: string): Promise<WithCommunity<MemberRow> | undefined> {
  if (!isMemberUserId(userId)) return undefined;
  const params: unknown[] = [userId];
  const scope = inCallersCommunities(ctx, 'm', params);
  if (!scope) return undefined;
  const { rows } = await ctx.db.query<WithCommunity<MemberRow>>(
    `SELECT ${memberColumns('m')}, c.key AS community_key, c.name AS community_name
       FROM community_members m ${scope} AND m.user_id = $1
      ORDER BY c.key COLLATE "C", m.key COLLATE "C" LIMIT 1`,
    params,
  );
  return rows[0];
}

/** The live assets with these sensor ids, one per id (the first by community key, should there be several). */
async function assetsWithSensorIds(ctx: ServiceContext, sensorIds: string[]): Promise<WithCommunity<AssetWithOwnerRow>[]> {
  const wanted = sensorIds.filter(isSensorId);
  if (wanted.length === 0) return [];
  const params: unknown[] = [wanted];
  const scope = inCallersCommunities(ctx, 'a', params);
  if (!scope) return [];
  const { rows } = await ctx.db.query<WithCommunity<AssetWithOwnerRow>>(
    `SELECT DISTINCT ON (a.sensor_id) ${ASSET_WITH_OWNER.columns}, c.key AS community_key, c.name AS community_name
       FROM ${ASSET_WITH_OWNER.from} ${scope} AND a.sensor_id = ANY($1::text[])
      ORDER BY a.sensor_id, c.key COLLATE "C", a.key COLLATE "C"`,
    params,
  );
  return rows;
}

/** `GET /admin/lookup/community-by-user-id/{user_id}`. */
export async function lookupCommunityByUserId(ctx: ServiceContext, userId: string): Promise<LookupByUserIdResponse> {
  const member = await memberWithUserId(ctx, userId);
  if (!member) throw registryNotFound(USER_NOT_IN_ANY_COMMUNITY);
  return { community: communityRefOf(member), member: memberInCommunityView(member) };
}

/** `GET /admin/lookup/member-by-user-id/{user_id}`: with its delivery points. */
export async function lookupMemberByUserId(ctx: ServiceContext, userId: string): Promise<GlobalMemberLookup> {
  const member = await memberWithUserId(ctx, userId);
  if (!member) throw registryNotFound(MEMBER_NOT_FOUND);
  return globalMemberLookupView(member, await liveDeliveryPointsOf(ctx.db, member.id));
}

/** `GET /admin/lookup/community-by-sensor-id/{sensor_id}`: the community, the owner and the asset. */
export async function lookupCommunityBySensorId(ctx: ServiceContext, sensorId: string): Promise<LookupBySensorIdResponse> {
  const [asset] = await assetsWithSensorIds(ctx, [sensorId]);
  const owner = asset && (await memberById(ctx.db, asset.member_id));
  if (!asset || !owner) throw registryNotFound(SENSOR_NOT_IN_ANY_COMMUNITY);
  return { community: communityRefOf(asset), member: memberInCommunityView(owner), asset: assetRefView(asset) };
}

/** `GET /admin/lookup/asset-by-sensor-id/{sensor_id}`. */
export async function lookupAssetBySensorId(ctx: ServiceContext, sensorId: string): Promise<GlobalAssetLookup> {
  const [asset] = await assetsWithSensorIds(ctx, [sensorId]);
  if (!asset) throw registryNotFound(ASSET_NOT_FOUND);
  return globalAssetLookupView(asset);
}

export interface SensorIdsLookup {
  /** The assets found, in the order their sensor ids were first asked for. */
  items: GlobalAssetLookup[];
  /** The sensor ids that name no asset the caller may see (unknown or another tenant's), in the order asked, once each. */
  notFound: string[];
}

/**
 * `POST /admin/lookup/assets-by-sensor-ids`: `{"sensor_ids": [...]}` or a
 * bare array of up to 1,000 sensor ids (VALIDATION_ERROR otherwise). An id
 * asked twice answers once. The published answer is the array of found
 * assets; the ids that found nothing are returned beside it, for the
 * transport to report without adding anything to the array.
 */
export async function lookupAssetsBySensorIds(ctx: ServiceContext, body: unknown): Promise<SensorIdsLookup> {
  const sensorIds = Array.isArray(body)
    ? parseInput(sensorIdsBatchRequest.shape.sensor_ids, body)
    : parseInput(sensorIdsBatchRequest, body).sensor_ids;
  const asked = [...new Set(sensorIds)];
  const found = new Map((await assetsWithSensorIds(ctx, asked)).map((a) => [a.sensor_id!, a]));
  return {
    items: asked.flatMap((id) => {
      const asset = found.get(id);
      return asset ? [globalAssetLookupView(asset)] : [];
    }),
    notFound: asked.filter((id) => !found.has(id)),
  };
}

/** `GET /admin/lookup/community-by-delivery-point/{dp_id}`: the community, the member and the delivery point. */
export async function lookupCommunityByDeliveryPoint(ctx: ServiceContext, podId: string): Promise<LookupByDeliveryPointResponse> {
  const params: unknown[] = [podId];
  const scope = isPodCode(podId) ? inCallersCommunities(ctx, 'd', params) : null;
  const { rows } = scope
    ? await ctx.db.query<WithCommunity<DeliveryPointRow>>(
        `SELECT ${deliveryPointColumns('d')}, c.key AS community_key, c.name AS community_name
           FROM community_delivery_points d ${scope} AND d.pod = $1
          ORDER BY c.key COLLATE "C" LIMIT 1`,
        params,
      )
    : { rows: [] };
  const deliveryPoint = rows[0];
  const member = deliveryPoint && (await memberById(ctx.db, deliveryPoint.member_id));
  if (!deliveryPoint || !member) throw registryNotFound(DELIVERY_POINT_NOT_IN_ANY_COMMUNITY);
  return { community: communityRefOf(deliveryPoint), member: memberRefView(member), delivery_point: deliveryPointView(deliveryPoint) };
}
