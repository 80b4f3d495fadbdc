// The admin's reads of communities: the list, one community, its topology.
import type { ServiceContext } from '../../context.js';
import { parseInput } from '../../validation.js';
import { communityForAdmin, inOrganisations, manageableOrganisations } from '../access.js';
import { keysetOf, keysetSql, listScope, pageOf } from '../cursor.js';
import { communityColumns, type CommunityRow } from '../rows.js';
import type { CommunityDetail, CommunityListItem, CursorPage, TopologyResponse } from '../shapes.js';
import { communityDetailView, communityListItemView, topologyView } from '../views.js';
import { listCommunitiesQuery, type ListCommunitiesQuery } from './filters.js';

/** `GET /admin/communities`: the communities the caller manages, by key; `key` filters to one. */
export async function listCommunities(ctx: ServiceContext, query: ListCommunitiesQuery = {}): Promise<CursorPage<CommunityListItem>> {
  const q = parseInput(listCommunitiesQuery, query);
  const organisations = manageableOrganisations(ctx.principal);
  // The list is that of the caller's organisations: a cursor from another tenant's list is foreign.
  const ks = keysetOf(listScope('communities', organisations && [...organisations].sort(), q.key), q);
  if (organisations?.length === 0) return { items: [], next_cursor: null };
  const params: unknown[] = [];
  let where = `c.deleted_at IS NULL AND ${inOrganisations('c.organisation_id', organisations, params)}`;
  if (q.key !== undefined) {
    params.push(q.key);
    where += ` AND c.key COLLATE "C" = $${params.length}`;
  }
  const page = keysetSql('c.key', ks, params);
  const { rows } = await ctx.db.query<CommunityRow>(
    `SELECT ${communityColumns('c')} FROM communities c WHERE ${where}${page.where}${page.tail}`,
    params,
  );
  return pageOf(rows, ks, (c) => c.key, communityListItemView);
}

/** `GET /admin/communities/{community_key}`. */
export async function getCommunity(ctx: ServiceContext, key: string): Promise<CommunityDetail> {
  return communityDetailView(await communityForAdmin(ctx.db, ctx, key));
}

/** `GET /admin/communities/{community_key}/topology`: the grid nodes in the bundle's order. */
export async function getTopology(ctx: ServiceContext, key: string): Promise<TopologyResponse> {
  const community = await communityForAdmin(ctx.db, ctx, key);
  return { topology: topologyView(community.topology) };
}
