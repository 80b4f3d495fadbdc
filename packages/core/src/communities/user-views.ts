// The signed-in user's own membership (`/user...`): their member record,
// community, assets and delivery points, and nobody else's.
//
// A member is the user's membership when its `user_id` is the user's id and
// the community belongs to an organisation the user is in (any role). Every
// read here starts from that member and reaches only rows hanging from it
// (its own delivery points, its own assets), so no path, query or key can
// lead to another member's data. A user who is a member of several
// communities is served the first by community key (byte order).
//
// A user who is no member gets 404 on every route, `GET /user` included: the
// issue asks for it, where the published schema would answer
// `{profile, membership: null}`.
import { actingUserId, readableOrganisations } from '../auth/principal.js';
import type { ServiceContext } from '../context.js';
import { DomainError } from '../errors.js';
import { parseInput } from '../validation.js';
import { isRegistryKey, registryNotFound } from './access.js';
import { assetTypes } from './bundle/schema.js';
import { userAssetsQuery, type UserAssetsQuery } from './queries/filters.js';
import { liveDeliveryPointsOf } from './queries/fetch.js';
import { assetColumns, communityColumns, memberColumns, type AssetRow, type CommunityRow, type MemberRow } from './rows.js';
import type {
  UserAssetDetail,
  UserAssetsResponse,
  UserCommunityDetail,
  UserDeliveryPointsResponse,
  UserMeResponse,
  UserMemberDetail,
  UserProfile,
} from './shapes.js';
import {
  deliveryPointView,
  userAssetDetailView,
  userAssetView,
  userCommunityDetailView,
  userCommunitySummaryView,
  userMemberDetailView,
  userMemberSummaryView,
} from './views.js';

// The messages of the published service's 404 answers.
export const NOT_A_MEMBER = 'You are not a member of any community';
export const ASSET_NOT_OWNED = 'Asset not found or not owned by you';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Membership {
  userId: string;
  member: MemberRow;
  community: CommunityRow;
}

/** The signed-in user's id: FORBIDDEN for callers that act as no user (the system, an OAuth client, a bare API key). */
function signedInUser(ctx: ServiceContext): string {
  const userId = actingUserId(ctx.principal);
  if (!userId) throw new DomainError('FORBIDDEN', 'the /user routes serve a signed-in user');
  return userId;
}

/** The caller's membership: NOT_FOUND (`You are not a member of any community`) when there is none. */
async function myMembership(ctx: ServiceContext): Promise<Membership> {
  const userId = signedInUser(ctx);
  const organisations = readableOrganisations(ctx.principal) ?? [];
  const { rows } =
    organisations.length === 0
      ? { rows: [] }
      : await ctx.db.query<MemberRow>(
          `SELECT ${memberColumns('m')} FROM community_members m JOIN communities c ON c.id = m.community_id
            WHERE m.user_id = $1 AND m.deleted_at IS NULL AND c.deleted_at IS NULL AND m.organisation_id = ANY($2::uuid[])
            ORDER BY c.key COLLATE "C", m.key COLLATE "C" LIMIT 1`,
          [userId, organisations],
        );
  const member = rows[0];
  if (!member) throw registryNotFound(NOT_A_MEMBER);
  const { rows: communities } = await ctx.db.query<CommunityRow>(`SELECT ${communityColumns()} FROM communities WHERE id = $1`, [
    member.community_id,
  ]);
  if (!communities[0]) throw registryNotFound(NOT_A_MEMBER);
  return { userId, member, community: communities[0] };
}

/** The profile from the users table: `sub` is the user's id, `preferred_username` the email. */
async function profileOf(ctx: ServiceContext, userId: string): Promise<UserProfile> {
  const { rows } = UUID.test(userId)
    ? await ctx.db.query<{ email: string; name: string }>('SELECT email, name FROM users WHERE id = $1', [userId])
    : { rows: [] };
  const user = rows[0];
  return { sub: userId, email: user?.email ?? null, name: user?.name ?? null, preferred_username: user?.email ?? null };
}

/** `GET /user`: the profile and a summary of the membership, with asset counts by type. */
export async function getMe(ctx: ServiceContext): Promise<UserMeResponse> {
  const { userId, member, community } = await myMembership(ctx);
  const [{ rows: deliveryPoints }, { rows: assets }] = await Promise.all([
    ctx.db.query<{ n: number }>('SELECT count(*) AS n FROM community_delivery_points WHERE member_id = $1 AND deleted_at IS NULL', [
      member.id,
    ]),
    ctx.db.query<{ asset_type: string; n: number }>(
      'SELECT asset_type, count(*) AS n FROM community_assets WHERE member_id = $1 AND deleted_at IS NULL GROUP BY asset_type',
      [member.id],
    ),
  ]);
  // Only the types the member has, in the bundle's type order.
  const counts = new Map(assets.map((a) => [a.asset_type, Number(a.n)]));
  const assetsCount = Object.fromEntries(assetTypes.filter((t) => counts.has(t)).map((t) => [t, counts.get(t)!]));
  return {
    profile: await profileOf(ctx, userId),
    membership: {
      member: userMemberSummaryView(member),
      community: userCommunitySummaryView(community),
      delivery_points_count: Number(deliveryPoints[0]?.n ?? 0),
      assets_count: assetsCount,
    },
  };
}

/** `GET /user/member`: the member record with its delivery points (no id, no user_id, as published). */
export async function getMyMember(ctx: ServiceContext): Promise<UserMemberDetail> {
  const { member } = await myMembership(ctx);
  return userMemberDetailView(member, await liveDeliveryPointsOf(ctx.db, member.id));
}

/** `GET /user/community`: the community, with the member's own area and role. */
export async function getMyCommunity(ctx: ServiceContext): Promise<UserCommunityDetail> {
  const { member, community } = await myMembership(ctx);
  return userCommunityDetailView(community, member);
}

/** `GET /user/assets`: the member's assets by key, of one type when asked (not paginated: `{items, total}`). */
export async function getMyAssets(ctx: ServiceContext, query: UserAssetsQuery = {}): Promise<UserAssetsResponse> {
  const q = parseInput(userAssetsQuery, query);
  const { member } = await myMembership(ctx);
  const params: unknown[] = [member.id];
  let where = 'member_id = $1 AND deleted_at IS NULL';
  if (q.asset_type !== undefined) {
    params.push(q.asset_type);
    where += ' AND asset_type = $2';
  }
  const { rows } = await ctx.db.query<AssetRow>(
    `SELECT ${assetColumns()} FROM community_assets WHERE ${where} ORDER BY key COLLATE "C"`,
    params,
  );
  return { items: rows.map(userAssetView), total: rows.length };
}

/** `GET /user/assets/{asset_key}`: one of the member's own assets; any other is `Asset not found or not owned by you`. */
export async function getMyAsset(ctx: ServiceContext, assetKey: string): Promise<UserAssetDetail> {
  const { member } = await myMembership(ctx);
  const { rows } = isRegistryKey(assetKey)
    ? await ctx.db.query<AssetRow>(
        `SELECT ${assetColumns()} FROM community_assets
          WHERE member_id = $1 AND key COLLATE "C" = $2 AND deleted_at IS NULL ORDER BY id LIMIT 1`,
        [member.id, assetKey],
      )
    : { rows: [] };
  if (!rows[0]) throw registryNotFound(ASSET_NOT_OWNED);
  return userAssetDetailView(rows[0]);
}

/** `GET /user/delivery-points`: the member's delivery points by POD (`{items, total}`). */
export async function getMyDeliveryPoints(ctx: ServiceContext): Promise<UserDeliveryPointsResponse> {
  const { member } = await myMembership(ctx);
  const items = (await liveDeliveryPointsOf(ctx.db, member.id)).map(deliveryPointView);
  return { items, total: items.length };
}
