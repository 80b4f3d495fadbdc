// The admin's reads of a community's delivery points.
import type { ServiceContext } from '../../context.js';
import { parseInput } from '../../validation.js';
import { communityForAdmin, DELIVERY_POINT_NOT_FOUND, isPodCode, registryNotFound } from '../access.js';
import { keysetOf, keysetSql, listScope, pageOf } from '../cursor.js';
import { deliveryPointColumns, type DeliveryPointRow } from '../rows.js';
import type { CursorPage, DeliveryPointLookup, DeliveryPointWithOwner } from '../shapes.js';
import { deliveryPointView, deliveryPointWithOwnerView, memberRefView, type DeliveryPointWithOwnerRow } from '../views.js';
import { memberById } from './fetch.js';
import { listDeliveryPointsQuery, type ListDeliveryPointsQuery } from './filters.js';

/** `GET /admin/communities/{community_key}/delivery-points`: by POD, filtered by type and active flag; those of live members (as exported). */
export async function listDeliveryPoints(
  ctx: ServiceContext,
  key: string,
  query: ListDeliveryPointsQuery = {},
): Promise<CursorPage<DeliveryPointWithOwner>> {
  const q = parseInput(listDeliveryPointsQuery, query);
  const community = await communityForAdmin(ctx.db, ctx, key);
  const ks = keysetOf(listScope('delivery-points', community.id, q.type, q.active), q);
  const params: unknown[] = [community.id];
  let where = 'd.community_id = $1 AND d.deleted_at IS NULL';
  if (q.type !== undefined) {
    params.push(q.type);
    where += ` AND d.type = $${params.length}`;
  }
  if (q.active !== undefined) {
    params.push(q.active);
    where += ` AND d.active = $${params.length}`;
  }
  const page = keysetSql('d.pod', ks, params);
  const { rows } = await ctx.db.query<DeliveryPointWithOwnerRow>(
    `SELECT ${deliveryPointColumns('d')}, m.key AS member_key, m.name AS member_name
       FROM community_delivery_points d JOIN community_members m ON m.id = d.member_id AND m.deleted_at IS NULL
      WHERE ${where}${page.where}${page.tail}`,
    params,
  );
  return pageOf(rows, ks, (d) => d.pod, deliveryPointWithOwnerView);
}

/** `GET /admin/communities/{community_key}/delivery-points/by-id/{dp_id}`: the delivery point and its member. */
export async function getDeliveryPoint(ctx: ServiceContext, key: string, podId: string): Promise<DeliveryPointLookup> {
  const community = await communityForAdmin(ctx.db, ctx, key);
  if (!isPodCode(podId)) throw registryNotFound(DELIVERY_POINT_NOT_FOUND);
  const { rows } = await ctx.db.query<DeliveryPointRow>(
    `SELECT ${deliveryPointColumns()} FROM community_delivery_points
      WHERE community_id = $1 AND pod COLLATE "C" = $2 AND deleted_at IS NULL ORDER BY id LIMIT 1`,
    [community.id, podId],
  );
  const deliveryPoint = rows[0];
  const member = deliveryPoint && (await memberById(ctx.db, deliveryPoint.member_id));
  if (!deliveryPoint || !member) throw registryNotFound(DELIVERY_POINT_NOT_FOUND);
  return { delivery_point: deliveryPointView(deliveryPoint), member: memberRefView(member) };
}
