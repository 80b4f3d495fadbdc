// A community's assets: the list, one by key or by sensor id, and the meters.
import { communities } from '@helio/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { OperationDoc } from '../../openapi/describe.js';
import { COMMUNITY_NOT_FOUND, communityKeyParams, type CommunityParams } from './communities.js';
import { AssetDetail, AssetListItem, communityErrors, keyParam, MeterListItem, pageQuery, paginated, TAGS } from './openapi.js';
import { getWithSlashParam } from './slash-params.js';

const ASSET_NOT_FOUND = { 404: '"Community not found", or "Asset not found" (missing, or another community\'s)' };
const owner = z.string().optional().describe('Filter by owner member key');
const listErrors = communityErrors({
  ...COMMUNITY_NOT_FOUND,
  400: 'A tampered cursor, or one of another list or filter (MALFORMED_REQUEST)',
  422: true,
});

/** The OpenAPI entries of the routes below. */
export const assetOperations = {
  list: {
    method: 'get',
    path: '/admin/communities/{community_key}/assets',
    operationId: 'list_assets_admin_communities__community_key__assets_get',
    tag: TAGS.admin,
    summary: 'List Assets',
    description: "The community's assets by key (byte order), with cursor pagination, and Helio's links to sites, components and plants.",
    auth: 'credentials',
    params: communityKeyParams,
    query: z.object({
      asset_type: z.string().optional().describe('Filter by asset type (pv, storage, meter, ev_charger, heat_pump, load)'),
      owner,
      ...pageQuery,
    }),
    responses: { 200: { description: 'A page of assets', schema: paginated(AssetListItem, 'AssetListItem') }, ...listErrors },
  },
  get: {
    method: 'get',
    path: '/admin/communities/{community_key}/assets/{asset_key}',
    operationId: 'get_asset_admin_communities__community_key__assets__asset_key__get',
    tag: TAGS.admin,
    summary: 'Get Asset',
    description: "An asset with its type's own fields under `properties`.",
    auth: 'credentials',
    params: communityKeyParams.extend({ asset_key: keyParam('The asset key') }),
    responses: { 200: { description: 'The asset', schema: AssetDetail }, ...communityErrors(ASSET_NOT_FOUND) },
  },
  bySensorId: {
    method: 'get',
    path: '/admin/communities/{community_key}/assets/by-sensor-id/{sensor_id}',
    operationId: 'get_asset_by_sensor_id_admin_communities__community_key__assets_by_sensor_id__sensor_id__get',
    tag: TAGS.admin,
    summary: 'Get Asset By Sensor Id',
    description: 'The asset of the community reported by this sensor (the sensor id may hold "/").',
    auth: 'credentials',
    params: communityKeyParams.extend({ sensor_id: keyParam('The sensor id') }),
    responses: { 200: { description: 'The asset', schema: AssetDetail }, ...communityErrors(ASSET_NOT_FOUND) },
  },
  meters: {
    method: 'get',
    path: '/admin/communities/{community_key}/meters',
    operationId: 'list_meters_admin_communities__community_key__meters_get',
    tag: TAGS.admin,
    summary: 'List Meters',
    description: "The community's meters by key, with their POD and meter type, with cursor pagination.",
    auth: 'credentials',
    params: communityKeyParams,
    query: z.object({ owner, ...pageQuery }),
    responses: { 200: { description: 'A page of meters', schema: paginated(MeterListItem, 'MeterListItem') }, ...listErrors },
  },
} satisfies Record<string, OperationDoc>;

type AssetParams = { Params: { community_key: string; asset_key: string } };

export function assetRoutes(app: FastifyInstance): void {
  app.get<CommunityParams>('/communities/:community_key/assets', (req) =>
    communities.listAssets(req.ctx, req.params.community_key, req.query ?? {}),
  );
  app.get<AssetParams>('/communities/:community_key/assets/:asset_key', (req) =>
    communities.getAsset(req.ctx, req.params.community_key, req.params.asset_key),
  );
  getWithSlashParam(app, '/communities/:community_key/assets/by-sensor-id/:sensor_id', (req, p) =>
    communities.getAssetBySensorId(req.ctx, p['community_key']!, p['sensor_id']!),
  );
  app.get<CommunityParams>('/communities/:community_key/meters', (req) =>
    communities.listMeters(req.ctx, req.params.community_key, req.query ?? {}),
  );
}
