// The admin's reads of a community's members.
import type { ServiceContext } from '../../context.js';
import { parseInput } from '../../validation.js';
import { communityForAdmin, isMemberUserId, isRegistryKey, MEMBER_NOT_FOUND, registryNotFound } from '../access.js';
import { keysetOf, keysetSql, listScope, pageOf } from '../cursor.js';
import { memberColumns, type CommunityRow, type MemberRow } from '../rows.js';
import type { CursorPage, DeliveryPointsResponse, MemberDetail, MemberListItem } from '../shapes.js';
import { deliveryPointView, memberDetailView, memberListItemView } from '../views.js';
import { liveDeliveryPointsOf, liveMemberByKey } from './fetch.js';
import { listMembersQuery, type ListMembersQuery } from './filters.js';

/** `GET /admin/communities/{community_key}/members`: by key, filtered by role, status and area. */
export async function listMembers(ctx: ServiceContext, key: string, query: ListMembersQuery = {}): Promise<CursorPage<MemberListItem>> {
  const q = parseInput(listMembersQuery, query);
  const community = await communityForAdmin(ctx.db, ctx, key);
  const ks = keysetOf(listScope('members', community.id, q.role, q.status, q.area), q);
  const params: unknown[] = [community.id];
  let where = 'm.community_id = $1 AND m.deleted_at IS NULL';
  for (const [column, value] of [
    ['role', q.role],
    ['status', q.status],
    ['area', q.area],
  ] as const) {
    if (value === undefined) continue;
    params.push(value);
    where += ` AND m.${column} = $${params.length}`;
  }
  const page = keysetSql('m.key', ks, params);
  // The count runs once per row of the page, on the delivery points' member index.
  const { rows } = await ctx.db.query<MemberRow & { delivery_points_count: number }>(
    `SELECT ${memberColumns('m')},
            (SELECT count(*) FROM community_delivery_points d WHERE d.member_id = m.id AND d.deleted_at IS NULL) AS delivery_points_count
       FROM community_members m WHERE ${where}${page.where}${page.tail}`,
    params,
  );
  return pageOf(rows, ks, (m) => m.key, memberListItemView);
}

async function memberOf(ctx: ServiceContext, community: CommunityRow, memberKey: string): Promise<MemberRow> {
  const member = isRegistryKey(memberKey) ? await liveMemberByKey(ctx.db, community.id, memberKey) : undefined;
  if (!member) throw registryNotFound(MEMBER_NOT_FOUND);
  return member;
}

/** `GET /admin/communities/{community_key}/members/{member_key}`: with its delivery points. */
export async function getMember(ctx: ServiceContext, key: string, memberKey: string): Promise<MemberDetail> {
  const member = await memberOf(ctx, await communityForAdmin(ctx.db, ctx, key), memberKey);
  return memberDetailView(member, await liveDeliveryPointsOf(ctx.db, member.id));
}

/** `GET /admin/communities/{community_key}/members/by-user-id/{user_id}`. */
export async function getMemberByUserId(ctx: ServiceContext, key: string, userId: string): Promise<MemberDetail> {
  const community = await communityForAdmin(ctx.db, ctx, key);
  if (!isMemberUserId(userId)) throw registryNotFound(MEMBER_NOT_FOUND);
  // A user id is on one live member of a community at most (checked on write); the first by key otherwise.
  const { rows } = await ctx.db.query<MemberRow>(
    `SELECT ${memberColumns()} FROM community_members
      WHERE community_id = $1 AND user_id = $2 AND deleted_at IS NULL ORDER BY key COLLATE "C" LIMIT 1`,
    [community.id, userId],
  );
  const member = rows[0];
  if (!member) throw registryNotFound(MEMBER_NOT_FOUND);
  return memberDetailView(member, await liveDeliveryPointsOf(ctx.db, member.id));
}

/** `GET /admin/communities/{community_key}/members/{member_key}/delivery-points`. */
export async function getMemberDeliveryPoints(ctx: ServiceContext, key: string, memberKey: string): Promise<DeliveryPointsResponse> {
  const member = await memberOf(ctx, await communityForAdmin(ctx.db, ctx, key), memberKey);
  return { delivery_points: (await liveDeliveryPointsOf(ctx.db, member.id)).map(deliveryPointView) };
}
