// The registry's rows (their shapes and columns are rows.ts's, shared with
// the read side) as the entity services load and return them.
import type { Queryable } from '@helio/db';
import {
  assetColumns,
  communityColumns,
  deliveryPointColumns,
  memberColumns,
  type AssetRow,
  type CommunityRow,
  type DeliveryPointRow,
  type MemberRow,
} from '../rows.js';
import type { CommunityAssetRecord, CommunityMemberRecord, DeliveryPointRecord } from './schema.js';

export type { AssetRow, CommunityRow, DeliveryPointRow, MemberRow };

export type Table = 'community_members' | 'community_delivery_points' | 'community_assets';

/** Each table's columns as the services read them. */
export const COLUMNS_OF: Record<Table, string> = {
  community_members: memberColumns(),
  community_delivery_points: deliveryPointColumns(),
  community_assets: assetColumns(),
};

interface Bookkeeping {
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
  change_seq: number;
}

function record<R extends Bookkeeping>(row: R): Omit<R, keyof Bookkeeping> & { created_at: string; updated_at: string } {
  const { created_at, updated_at, deleted_at: _deleted, change_seq: _seq, ...rest } = row;
  return { ...rest, created_at: created_at.toISOString(), updated_at: updated_at.toISOString() };
}

export const toMemberRecord = (row: MemberRow): CommunityMemberRecord => record(row);
export const toDeliveryPointRecord = (row: DeliveryPointRow): DeliveryPointRecord => record(row);
export const toAssetRecord = (row: AssetRow): CommunityAssetRecord =>
  record(row) as Omit<CommunityAssetRecord, 'relationships'> & Pick<CommunityAssetRecord, 'relationships'>;

/** A row of one of the registry's tables by id, live or not, locked for update when asked. */
export async function findRow<R>(q: Queryable, table: Table, id: string, forUpdate: boolean): Promise<R | undefined> {
  const { rows } = await q.query<R & Record<string, unknown>>(
    `SELECT ${COLUMNS_OF[table]} FROM ${table} WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0];
}

/** A live community by id. */
export async function findCommunity(q: Queryable, id: string): Promise<CommunityRow | undefined> {
  const { rows } = await q.query<CommunityRow>(`SELECT ${communityColumns()} FROM communities WHERE id = $1 AND deleted_at IS NULL`, [id]);
  return rows[0];
}

/** The values of an object without its null (and undefined) ones: how the object columns are stored. */
export function withoutNulls<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined)) as Partial<T>;
}
