// GET /admin/communities, one community and its grid topology.
import { communities } from '@helio/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { OperationDoc } from '../../openapi/describe.js';
import { CommunityDetail, CommunityListItem, communityErrors, keyParam, pageQuery, paginated, TAGS, TopologyResponse } from './openapi.js';

export const communityKeyParams = z.object({ community_key: keyParam('The community key') });
export type CommunityParams = { Params: { community_key: string } };

export const COMMUNITY_NOT_FOUND = {
  404: 'A missing community, or one of an organisation the caller does not manage: "Community not found"',
};

/** The OpenAPI entries of the routes below. */
export const communityOperations = {
  list: {
    method: 'get',
    path: '/admin/communities',
    operationId: 'list_communities_admin_communities_get',
    tag: TAGS.admin,
    summary: 'List Communities',
    description:
      'The communities of the organisations where the caller is an owner or admin, by key (byte order). Cursor pagination: pass `next_cursor` back as `cursor` until it is null; no row is skipped or repeated while rows are added or removed between pages.',
    auth: 'credentials',
    query: z.object({ key: z.string().optional().describe('Filter by community key'), ...pageQuery }),
    responses: {
      200: { description: 'A page of communities', schema: paginated(CommunityListItem, 'CommunityListItem') },
      ...communityErrors({ 400: 'A tampered cursor, or one of another list (MALFORMED_REQUEST)', 422: true }),
    },
  },
  get: {
    method: 'get',
    path: '/admin/communities/{community_key}',
    operationId: 'get_community_admin_communities__community_key__get',
    tag: TAGS.admin,
    summary: 'Get Community',
    description: 'A community with its areas, topology, legal details, contact and settings; grid operators under `extra.operators`.',
    auth: 'credentials',
    params: communityKeyParams,
    responses: { 200: { description: 'The community', schema: CommunityDetail }, ...communityErrors(COMMUNITY_NOT_FOUND) },
  },
  topology: {
    method: 'get',
    path: '/admin/communities/{community_key}/topology',
    operationId: 'get_community_topology_admin_communities__community_key__topology_get',
    tag: TAGS.admin,
    summary: 'Get Community Topology',
    description: "The community's grid topology nodes, in the bundle's order.",
    auth: 'credentials',
    params: communityKeyParams,
    responses: { 200: { description: 'The topology', schema: TopologyResponse }, ...communityErrors(COMMUNITY_NOT_FOUND) },
  },
} satisfies Record<string, OperationDoc>;

export function communityRoutes(app: FastifyInstance): void {
  app.get('/communities', (req) => communities.listCommunities(req.ctx, req.query ?? {}));
  app.get<CommunityParams>('/communities/:community_key', (req) => communities.getCommunity(req.ctx, req.params.community_key));
  app.get<CommunityParams>('/communities/:community_key/topology', (req) => communities.getTopology(req.ctx, req.params.community_key));
}
