// Row fetches the registry's reads share (admin queries, lookups, /user).
// Every one reads live rows only, and a row whose owning member is not live
// is not live either (as an export leaves it out); keys are compared in byte
// order (`COLLATE "C"`) so that the key indexes, built in that order, serve them.
import type { Queryable } from '@helio/db';
import { assetColumns, deliveryPointColumns, memberColumns, type DeliveryPointRow, type MemberRow } from '../rows.js';

/** `FROM` an asset joined to its live owner, with the columns of an `AssetWithOwnerRow`. */
export const ASSET_WITH_OWNER = {
  columns: `${assetColumns('a')}, m.key AS owner_key, m.user_id AS owner_user_id`,
  from: 'community_assets a JOIN community_members m ON m.id = a.member_id AND m.deleted_at IS NULL',
};

/** The community's live member with the key. */
export async function liveMemberByKey(q: Queryable, communityId: string, key: string): Promise<MemberRow | undefined> {
  const { rows } = await q.query<MemberRow>(
    `SELECT ${memberColumns()} FROM community_members
      WHERE community_id = $1 AND key COLLATE "C" = $2 AND deleted_at IS NULL ORDER BY id LIMIT 1`,
    [communityId, key],
  );
  return rows[0];
}

/** A live member by id (the owner of a delivery point or asset that is live): none when it was removed. */
export async function memberById(q: Queryable, id: string): Promise<MemberRow | undefined> {
  const { rows } = await q.query<MemberRow>(`SELECT ${memberColumns()} FROM community_members WHERE id = $1 AND deleted_at IS NULL`, [id]);
  return rows[0];
}

/** The member's live delivery points, by POD in byte order. */
export async function liveDeliveryPointsOf(q: Queryable, memberId: string): Promise<DeliveryPointRow[]> {
  const { rows } = await q.query<DeliveryPointRow>(
    `SELECT ${deliveryPointColumns()} FROM community_delivery_points
      WHERE member_id = $1 AND deleted_at IS NULL ORDER BY pod COLLATE "C"`,
    [memberId],
  );
  return rows;
}
