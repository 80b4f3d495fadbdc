// The registry as the desktop reads it (from its own synced copy, offline):
// the communities of the caller's organisations, one community whole, one
// row by id. Any member of the organisation may read: these rows reach every
// member's devices through sync anyway. Changing them is for its owners and
// admins (checks.ts).
import { z } from 'zod';
import { authorize, readableOrganisations } from '../../auth/principal.js';
import type { ServiceContext } from '../../context.js';
import { notFound } from '../../errors.js';
import { parseId, parseInput } from '../../validation.js';
import {
  COLUMNS_OF,
  findCommunity,
  findRow,
  toAssetRecord,
  toDeliveryPointRecord,
  toMemberRecord,
  type AssetRow,
  type CommunityRow,
  type DeliveryPointRow,
  type MemberRow,
  type Table,
} from './rows.js';
import type {
  CommunityAssetRecord,
  CommunityMemberRecord,
  CommunityRegistry,
  DeliveryPointRecord,
  RegistryCommunity,
  RegistryCommunitySummary,
} from './schema.js';

async function liveRow<R extends { organisation_id: string; deleted_at: Date | null }>(
  ctx: ServiceContext,
  table: Table,
  entity: string,
  rawId: string,
): Promise<R> {
  const id = parseId(rawId);
  const row = await findRow<R>(ctx.db, table, id, false);
  if (!row || row.deleted_at) throw notFound(entity, id);
  authorize(ctx.principal, row.organisation_id, 'read', entity, id);
  return row;
}

export async function getCommunityMember(ctx: ServiceContext, id: string): Promise<CommunityMemberRecord> {
  return toMemberRecord(await liveRow<MemberRow>(ctx, 'community_members', 'member', id));
}

export async function getCommunityDeliveryPoint(ctx: ServiceContext, id: string): Promise<DeliveryPointRecord> {
  return toDeliveryPointRecord(await liveRow<DeliveryPointRow>(ctx, 'community_delivery_points', 'delivery point', id));
}

export async function getCommunityAsset(ctx: ServiceContext, id: string): Promise<CommunityAssetRecord> {
  return toAssetRecord(await liveRow<AssetRow>(ctx, 'community_assets', 'asset', id));
}

const listCommunitiesInput = z.strictObject({ organisation_id: z.uuid().optional() });

/** The live communities of the caller's organisations (or of one of them), by key in byte order, with how much each holds. */
export async function listRegistryCommunities(ctx: ServiceContext, filter: unknown = {}): Promise<RegistryCommunitySummary[]> {
  const f = parseInput(listCommunitiesInput, filter);
  if (f.organisation_id) authorize(ctx.principal, f.organisation_id, 'read', 'organisation', f.organisation_id);
  const live = (table: string) => `(SELECT count(*)::int FROM ${table} t WHERE t.community_id = c.id AND t.deleted_at IS NULL)`;
  const { rows } = await ctx.db.query<Omit<RegistryCommunitySummary, 'updated_at'> & { updated_at: Date }>(
    `SELECT c.id, c.organisation_id, c.key, c.name, c.description, c.updated_at,
       ${live('community_members')} AS members, ${live('community_delivery_points')} AS delivery_points, ${live('community_assets')} AS assets
     FROM communities c
     WHERE c.deleted_at IS NULL AND ($1::uuid[] IS NULL OR c.organisation_id = ANY($1::uuid[])) AND ($2::uuid IS NULL OR c.organisation_id = $2)
     ORDER BY c.key COLLATE "C", c.id`,
    [readableOrganisations(ctx.principal), f.organisation_id ?? null],
  );
  return rows.map((r) => ({ ...r, updated_at: r.updated_at.toISOString() }));
}

function toRegistryCommunity(c: CommunityRow): RegistryCommunity {
  const { id, organisation_id, key, name, description, areas, topology, operators } = c;
  return { id, organisation_id, key, name, description, areas, topology, operators, updated_at: c.updated_at.toISOString() };
}

/** One community with its live members, delivery points and assets: what the desktop shows and edits offline. */
export async function listCommunityRegistry(ctx: ServiceContext, rawId: string): Promise<CommunityRegistry> {
  const id = parseId(rawId);
  const community = await findCommunity(ctx.db, id);
  if (!community) throw notFound('community', id);
  authorize(ctx.principal, community.organisation_id, 'read', 'community', id);
  const rowsOf = async <R>(table: Table, order: string) =>
    (
      await ctx.db.query<R>(`SELECT ${COLUMNS_OF[table]} FROM ${table} WHERE community_id = $1 AND deleted_at IS NULL ORDER BY ${order}`, [
        id,
      ])
    ).rows;
  const [members, points, assets] = [
    await rowsOf<MemberRow>('community_members', 'key COLLATE "C"'),
    await rowsOf<DeliveryPointRow>('community_delivery_points', 'pod COLLATE "C"'),
    await rowsOf<AssetRow>('community_assets', 'key COLLATE "C"'),
  ];
  return {
    community: toRegistryCommunity(community),
    members: members.map(toMemberRecord),
    delivery_points: points.map(toDeliveryPointRecord),
    assets: assets.map(toAssetRecord),
  };
}
