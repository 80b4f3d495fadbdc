// GET /user and below: the signed-in user's own membership. The caller is
// the user behind the bearer token (or behind an API key created for a
// user); who they are decides everything, so no route takes a member key.
import { communities } from '@helio/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { OperationDoc } from '../../openapi/describe.js';
import {
  communityErrors,
  keyParam,
  TAGS,
  UserAssetDetail,
  UserAssetsResponse,
  UserCommunityDetail,
  UserDeliveryPointsResponse,
  UserMeResponse,
  UserMemberDetail,
} from './openapi.js';

const NOT_MEMBER = 'You are not a member of any community';
const notMember = { 404: `The caller is a member of no community: "${NOT_MEMBER}"` } as const;
const signedIn =
  'The caller must be a signed-in user (a bearer token from /oauth/token, or an API key created for a user); a user who is a member of several communities is served the first by community key.';

/** The OpenAPI entries of the routes below. */
export const userOperations = {
  me: {
    method: 'get',
    path: '/user',
    operationId: 'get_me_user_get',
    tag: TAGS.user,
    summary: 'Get Me',
    description: `The caller's profile and membership summary, with asset counts by type. ${signedIn} Unlike the published service, which answers \`membership: null\`, a user who is no member gets 404.`,
    auth: 'credentials',
    responses: { 200: { description: 'Profile and membership', schema: UserMeResponse }, ...communityErrors(notMember) },
  },
  member: {
    method: 'get',
    path: '/user/member',
    operationId: 'get_my_member_user_member_get',
    tag: TAGS.user,
    summary: 'Get My Member',
    description: `The caller's member record with its delivery points (without user_id: the caller knows it). ${signedIn}`,
    auth: 'credentials',
    responses: { 200: { description: 'The member', schema: UserMemberDetail }, ...communityErrors(notMember) },
  },
  community: {
    method: 'get',
    path: '/user/community',
    operationId: 'get_my_community_user_community_get',
    tag: TAGS.user,
    summary: 'Get My Community',
    description: `The community the caller belongs to, with the caller's area and role. ${signedIn}`,
    auth: 'credentials',
    responses: { 200: { description: 'The community', schema: UserCommunityDetail }, ...communityErrors(notMember) },
  },
  assets: {
    method: 'get',
    path: '/user/assets',
    operationId: 'get_my_assets_user_assets_get',
    tag: TAGS.user,
    summary: 'Get My Assets',
    description: `The caller's assets, by key (without owner fields: they are the caller's). ${signedIn}`,
    auth: 'credentials',
    query: z.object({
      asset_type: z.string().optional().describe('Filter by asset type (pv, storage, meter, ev_charger, heat_pump, load)'),
    }),
    responses: {
      200: { description: 'The assets and their number', schema: UserAssetsResponse },
      ...communityErrors({ ...notMember, 422: 'An unknown filter or asset type (VALIDATION_ERROR)' }),
    },
  },
  asset: {
    method: 'get',
    path: '/user/assets/{asset_key}',
    operationId: 'get_my_asset_user_assets__asset_key__get',
    tag: TAGS.user,
    summary: 'Get My Asset',
    description: `One of the caller's assets. Another member's asset is not found, as a missing one. ${signedIn}`,
    auth: 'credentials',
    params: z.object({ asset_key: keyParam('The asset key') }),
    responses: {
      200: { description: 'The asset', schema: UserAssetDetail },
      ...communityErrors({ 404: `"${NOT_MEMBER}", or "Asset not found or not owned by you"` }),
    },
  },
  deliveryPoints: {
    method: 'get',
    path: '/user/delivery-points',
    operationId: 'get_my_delivery_points_user_delivery_points_get',
    tag: TAGS.user,
    summary: 'Get My Delivery Points',
    description: `The caller's delivery points. ${signedIn}`,
    auth: 'credentials',
    responses: {
      200: { description: 'The delivery points and their number', schema: UserDeliveryPointsResponse },
      ...communityErrors(notMember),
    },
  },
} satisfies Record<string, OperationDoc>;

/** The routes, in a plugin mounted at /user. */
export function userRoutes(app: FastifyInstance): void {
  app.get('/', (req) => communities.getMe(req.ctx));
  app.get('/member', (req) => communities.getMyMember(req.ctx));
  app.get('/community', (req) => communities.getMyCommunity(req.ctx));
  app.get('/assets', (req) => communities.getMyAssets(req.ctx, req.query ?? {}));
  app.get<{ Params: { asset_key: string } }>('/assets/:asset_key', (req) => communities.getMyAsset(req.ctx, req.params.asset_key));
  app.get('/delivery-points', (req) => communities.getMyDeliveryPoints(req.ctx));
}
