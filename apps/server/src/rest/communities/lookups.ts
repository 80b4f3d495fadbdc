// /admin/lookup: which community (and member, asset, delivery point) a user
// id, sensor id or POD code belongs to, across the communities the caller
// manages. An id of another organisation's community is not found, exactly
// as an unknown one.
import { communities } from '@helio/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { OperationDoc } from '../../openapi/describe.js';
import {
  communityErrors,
  GlobalAssetLookup,
  GlobalMemberLookup,
  keyParam,
  LookupByDeliveryPointResponse,
  LookupBySensorIdResponse,
  LookupByUserIdResponse,
  TAGS,
} from './openapi.js';
import { getWithSlashParam } from './slash-params.js';

/** The header of the batch lookup's answer counting the ids that matched nothing (the array holds only matches). */
export const NOT_FOUND_COUNT_HEADER = 'x-not-found-count';

const scope = 'Searches only the communities of organisations where the caller is an owner or admin.';
const userIdParams = z.object({ user_id: keyParam('The user id (may hold "/")') });
const sensorIdParams = z.object({ sensor_id: keyParam('The sensor id (may hold "/")') });
const notFound = (message: string) => communityErrors({ 404: `Unknown, or in a community the caller does not manage: "${message}"` });

/** The OpenAPI entries of the routes below. */
export const lookupOperations = {
  communityByUserId: {
    method: 'get',
    path: '/admin/lookup/community-by-user-id/{user_id}',
    operationId: 'lookup_community_by_user_id',
    tag: TAGS.lookup,
    summary: 'Lookup Community By User Id',
    description: `Which community a user belongs to (the first by community key when several). ${scope}`,
    auth: 'credentials',
    params: userIdParams,
    responses: {
      200: { description: 'The community and member', schema: LookupByUserIdResponse },
      ...notFound('User not found in any community'),
    },
  },
  communityBySensorId: {
    method: 'get',
    path: '/admin/lookup/community-by-sensor-id/{sensor_id}',
    operationId: 'lookup_community_by_sensor_id',
    tag: TAGS.lookup,
    summary: 'Lookup Community By Sensor Id',
    description: `Which community, member and asset a sensor belongs to. ${scope}`,
    auth: 'credentials',
    params: sensorIdParams,
    responses: {
      200: { description: 'The community, member and asset', schema: LookupBySensorIdResponse },
      ...notFound('Sensor not found in any community'),
    },
  },
  communityByDeliveryPoint: {
    method: 'get',
    path: '/admin/lookup/community-by-delivery-point/{dp_id}',
    operationId: 'lookup_community_by_delivery_point',
    tag: TAGS.lookup,
    summary: 'Lookup Community By Delivery Point',
    description: `Which community and member a delivery point (by POD code) belongs to. ${scope}`,
    auth: 'credentials',
    params: z.object({ dp_id: keyParam('The POD (CUPS, PRM, ...) code (may hold "/")') }),
    responses: {
      200: { description: 'The community, member and delivery point', schema: LookupByDeliveryPointResponse },
      ...notFound('Delivery point not found in any community'),
    },
  },
  memberByUserId: {
    method: 'get',
    path: '/admin/lookup/member-by-user-id/{user_id}',
    operationId: 'lookup_member_by_user_id',
    tag: TAGS.lookup,
    summary: 'Lookup Member By User Id',
    description: `A member by user id across communities (the first by community key when several), with its delivery points. ${scope}`,
    auth: 'credentials',
    params: userIdParams,
    responses: { 200: { description: 'The member', schema: GlobalMemberLookup }, ...notFound('Member not found') },
  },
  assetBySensorId: {
    method: 'get',
    path: '/admin/lookup/asset-by-sensor-id/{sensor_id}',
    operationId: 'lookup_asset_by_sensor_id',
    tag: TAGS.lookup,
    summary: 'Lookup Asset By Sensor Id',
    description: `An asset by sensor id across communities. ${scope}`,
    auth: 'credentials',
    params: sensorIdParams,
    responses: { 200: { description: 'The asset', schema: GlobalAssetLookup }, ...notFound('Asset not found') },
  },
  assetsBySensorIds: {
    method: 'post',
    path: '/admin/lookup/assets-by-sensor-ids',
    operationId: 'lookup_assets_by_sensor_ids',
    tag: TAGS.lookup,
    summary: 'Lookup Assets By Sensor Ids',
    description: `The assets of up to ${communities.MAX_SENSOR_IDS} sensor ids, as \`{"sensor_ids": [...]}\` or a bare JSON array. The answer holds the ids that matched, once each, in no set order; an id that matches nothing (unknown, or another organisation's) adds nothing, and the header \`${NOT_FOUND_COUNT_HEADER}\` counts them. ${scope}`,
    auth: 'credentials',
    body: z.union([
      communities.sensorIdsBatchRequest.meta({ id: 'SensorIdsBatchRequest' }),
      z.array(z.string()).max(communities.MAX_SENSOR_IDS).describe('the sensor ids, bare'),
    ]),
    responses: {
      200: { description: 'The assets found', schema: z.array(GlobalAssetLookup) },
      ...communityErrors({
        400: 'Malformed JSON (MALFORMED_REQUEST)',
        413: 'The body is larger than the server-wide limit (PAYLOAD_TOO_LARGE)',
        415: true,
        422: `Not a list of sensor ids, or more than ${communities.MAX_SENSOR_IDS} (VALIDATION_ERROR)`,
      }),
    },
  },
} satisfies Record<string, OperationDoc>;

export function lookupRoutes(app: FastifyInstance): void {
  getWithSlashParam(app, '/lookup/community-by-user-id/:user_id', (req, p) => communities.lookupCommunityByUserId(req.ctx, p['user_id']!));
  getWithSlashParam(app, '/lookup/community-by-sensor-id/:sensor_id', (req, p) =>
    communities.lookupCommunityBySensorId(req.ctx, p['sensor_id']!),
  );
  getWithSlashParam(app, '/lookup/community-by-delivery-point/:dp_id', (req, p) =>
    communities.lookupCommunityByDeliveryPoint(req.ctx, p['dp_id']!),
  );
  getWithSlashParam(app, '/lookup/member-by-user-id/:user_id', (req, p) => communities.lookupMemberByUserId(req.ctx, p['user_id']!));
  getWithSlashParam(app, '/lookup/asset-by-sensor-id/:sensor_id', (req, p) => communities.lookupAssetBySensorId(req.ctx, p['sensor_id']!));
  app.post('/lookup/assets-by-sensor-ids', { config: { communityLoc: 'body' } }, async (req, reply) => {
    const { items, notFound: missing } = await communities.lookupAssetsBySensorIds(req.ctx, req.body);
    return reply.header(NOT_FOUND_COUNT_HEADER, String(missing.length)).send(items);
  });
}
