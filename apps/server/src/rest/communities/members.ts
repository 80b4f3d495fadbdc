// A community's members: the list, one member (by key or by user id) and a
// member's delivery points.
import { communities } from '@helio/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { OperationDoc } from '../../openapi/describe.js';
import { COMMUNITY_NOT_FOUND, communityKeyParams, type CommunityParams } from './communities.js';
import { communityErrors, DeliveryPointsResponse, keyParam, MemberDetail, MemberListItem, pageQuery, paginated, TAGS } from './openapi.js';
import { getWithSlashParam } from './slash-params.js';

const MEMBER_NOT_FOUND = { 404: '"Community not found", or "Member not found" (missing, or another community\'s)' };
type MemberParams = { Params: { community_key: string; member_key: string } };
const memberParams = communityKeyParams.extend({ member_key: keyParam('The member key') });

/** The OpenAPI entries of the routes below. */
export const memberOperations = {
  list: {
    method: 'get',
    path: '/admin/communities/{community_key}/members',
    operationId: 'list_members_admin_communities__community_key__members_get',
    tag: TAGS.admin,
    summary: 'List Members',
    description: "The community's members by key (byte order), with cursor pagination; the filters match exactly.",
    auth: 'credentials',
    params: communityKeyParams,
    query: z.object({
      role: z.string().optional().describe('Filter by role (consumer, prosumer, producer, operator, admin)'),
      status: z.string().optional().describe('Filter by status (pending, active, suspended, inactive)'),
      area: z.string().optional().describe('Filter by area key'),
      ...pageQuery,
    }),
    responses: {
      200: { description: 'A page of members', schema: paginated(MemberListItem, 'MemberListItem') },
      ...communityErrors({
        ...COMMUNITY_NOT_FOUND,
        400: 'A tampered cursor, or one of another list or filter (MALFORMED_REQUEST)',
        422: true,
      }),
    },
  },
  get: {
    method: 'get',
    path: '/admin/communities/{community_key}/members/{member_key}',
    operationId: 'get_member_admin_communities__community_key__members__member_key__get',
    tag: TAGS.admin,
    summary: 'Get Member',
    description: 'A member with its delivery points; its schema.org type under `extra.type`.',
    auth: 'credentials',
    params: memberParams,
    responses: { 200: { description: 'The member', schema: MemberDetail }, ...communityErrors(MEMBER_NOT_FOUND) },
  },
  byUserId: {
    method: 'get',
    path: '/admin/communities/{community_key}/members/by-user-id/{user_id}',
    operationId: 'get_member_by_user_id_admin_communities__community_key__members_by_user_id__user_id__get',
    tag: TAGS.admin,
    summary: 'Get Member By User Id',
    description: 'The member of the community whose `user_id` this is. The user id may hold "/".',
    auth: 'credentials',
    params: communityKeyParams.extend({ user_id: keyParam("The member's user id") }),
    responses: { 200: { description: 'The member', schema: MemberDetail }, ...communityErrors(MEMBER_NOT_FOUND) },
  },
  deliveryPoints: {
    method: 'get',
    path: '/admin/communities/{community_key}/members/{member_key}/delivery-points',
    operationId: 'get_member_delivery_points_admin_communities__community_key__members__member_key__delivery_points_get',
    tag: TAGS.admin,
    summary: 'Get Member Delivery Points',
    description: "The member's delivery points, by POD code.",
    auth: 'credentials',
    params: memberParams,
    responses: { 200: { description: 'The delivery points', schema: DeliveryPointsResponse }, ...communityErrors(MEMBER_NOT_FOUND) },
  },
} satisfies Record<string, OperationDoc>;

export function memberRoutes(app: FastifyInstance): void {
  app.get<CommunityParams>('/communities/:community_key/members', (req) =>
    communities.listMembers(req.ctx, req.params.community_key, req.query ?? {}),
  );
  app.get<MemberParams>('/communities/:community_key/members/:member_key', (req) =>
    communities.getMember(req.ctx, req.params.community_key, req.params.member_key),
  );
  getWithSlashParam(app, '/communities/:community_key/members/by-user-id/:user_id', (req, p) =>
    communities.getMemberByUserId(req.ctx, p['community_key']!, p['user_id']!),
  );
  app.get<MemberParams>('/communities/:community_key/members/:member_key/delivery-points', (req) =>
    communities.getMemberDeliveryPoints(req.ctx, req.params.community_key, req.params.member_key),
  );
}
