// A community's delivery points: the list and one by its POD code.
import { communities } from '@helio/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { OperationDoc } from '../../openapi/describe.js';
import { COMMUNITY_NOT_FOUND, communityKeyParams, type CommunityParams } from './communities.js';
import { communityErrors, DeliveryPointLookup, DeliveryPointWithOwner, keyParam, pageQuery, paginated, TAGS } from './openapi.js';
import { getWithSlashParam } from './slash-params.js';

/** The OpenAPI entries of the routes below. */
export const deliveryPointOperations = {
  list: {
    method: 'get',
    path: '/admin/communities/{community_key}/delivery-points',
    operationId: 'list_delivery_points_admin_communities__community_key__delivery_points_get',
    tag: TAGS.admin,
    summary: 'List Delivery Points',
    description: "The community's delivery points by POD code (byte order), each with its member, with cursor pagination.",
    auth: 'credentials',
    params: communityKeyParams,
    query: z.object({
      type: z.string().optional().describe('Filter by type (pod, cups, prm, malo, ean, mpan, other)'),
      active: z.boolean().optional().describe('Filter by active status (true/false, 1/0)'),
      ...pageQuery,
    }),
    responses: {
      200: { description: 'A page of delivery points', schema: paginated(DeliveryPointWithOwner, 'DeliveryPointWithOwner') },
      ...communityErrors({
        ...COMMUNITY_NOT_FOUND,
        400: 'A tampered cursor, or one of another list or filter (MALFORMED_REQUEST)',
        422: true,
      }),
    },
  },
  byId: {
    method: 'get',
    path: '/admin/communities/{community_key}/delivery-points/by-id/{dp_id}',
    operationId: 'get_delivery_point_by_id_admin_communities__community_key__delivery_points_by_id__dp_id__get',
    tag: TAGS.admin,
    summary: 'Get Delivery Point By Id',
    description: 'A delivery point of the community by its POD code (which may hold "/"), with its member.',
    auth: 'credentials',
    params: communityKeyParams.extend({ dp_id: keyParam('The POD (CUPS, PRM, ...) code') }),
    responses: {
      200: { description: 'The delivery point', schema: DeliveryPointLookup },
      ...communityErrors({ 404: '"Community not found", or "Delivery point not found" (missing, or another community\'s)' }),
    },
  },
} satisfies Record<string, OperationDoc>;

export function deliveryPointRoutes(app: FastifyInstance): void {
  app.get<CommunityParams>('/communities/:community_key/delivery-points', (req) =>
    communities.listDeliveryPoints(req.ctx, req.params.community_key, req.query ?? {}),
  );
  getWithSlashParam(app, '/communities/:community_key/delivery-points/by-id/:dp_id', (req, p) =>
    communities.getDeliveryPoint(req.ctx, p['community_key']!, p['dp_id']!),
  );
}
