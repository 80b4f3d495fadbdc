// What the community registry API's OpenAPI entries share: tags, the shapes
// named as the published document names them, the error bodies and the
// query parameters of the lists.
import { communities } from '@helio/core';
import { z } from 'zod';
import type { OperationDoc } from '../../openapi/describe.js';

export const TAGS = {
  user: 'Communities: user',
  admin: 'Communities: admin',
  lookup: 'Communities: lookups',
  management: 'Communities: import and export',
} as const;

/** The tags' entries of the OpenAPI document. */
export const communityTags = [
  {
    name: TAGS.user,
    description:
      "The community registry API's self-service routes, at /user: the signed-in user's own membership (404 for a user who is no member)",
  },
  {
    name: TAGS.admin,
    description:
      "The community registry API's browsing routes, at /admin: communities, members, delivery points, assets and meters, for owners and admins of the community's organisation. Errors are FastAPI's body with Helio's code: `{detail, code}`",
  },
  { name: TAGS.lookup, description: 'Lookups across the communities the caller manages, at /admin/lookup' },
  {
    name: TAGS.management,
    description: 'Bundles in and out: the JSON and YAML imports (full replace, atomic per community) and the YAML export',
  },
];

// Core's shapes, named as the published document names them.
const s = communities;
export const Location = s.locationOut.meta({ id: 'Location' });
export const Area = s.areaOut.extend({ location: Location.nullable().optional() }).meta({ id: 'Area' });
export const TopologyNode = s.topologyNodeOut.meta({ id: 'TopologyNode' });
export const DeliveryPoint = s.deliveryPointOut.meta({ id: 'DeliveryPoint' });
export const CommunityRef = s.communityRef.meta({ id: 'CommunityRef' });
export const MemberRef = s.memberRef.meta({ id: 'MemberRef' });
export const MemberInCommunity = s.memberInCommunity.meta({ id: 'MemberInCommunity' });
export const AssetRef = s.assetRef.meta({ id: 'AssetRef' });
const areas = z.record(z.string(), Area);
const topology = z.array(TopologyNode);
const deliveryPoints = z.array(DeliveryPoint);

export const CommunityListItem = s.communityListItem.extend({ areas: areas.optional() }).meta({ id: 'CommunityListItem' });
export const CommunityDetail = s.communityDetail
  .extend({ areas: areas.optional(), topology: topology.optional() })
  .meta({ id: 'CommunityDetail' });
export const TopologyResponse = s.topologyResponse.extend({ topology: topology.optional() }).meta({ id: 'TopologyResponse' });
export const MemberListItem = s.memberListItem.meta({ id: 'MemberListItem' });
export const MemberDetail = s.memberDetail.extend({ delivery_points: deliveryPoints.optional() }).meta({ id: 'MemberDetail' });
export const GlobalMemberLookup = s.globalMemberLookup
  .extend({ delivery_points: deliveryPoints.optional() })
  .meta({ id: 'GlobalMemberLookup' });
export const DeliveryPointWithOwner = s.deliveryPointWithOwner.meta({ id: 'DeliveryPointWithOwner' });
export const DeliveryPointsResponse = s.deliveryPointsResponse
  .extend({ delivery_points: deliveryPoints.optional() })
  .meta({ id: 'DeliveryPointsResponse' });
export const DeliveryPointLookup = s.deliveryPointLookup
  .extend({ delivery_point: DeliveryPoint, member: MemberRef })
  .meta({ id: 'DeliveryPointLookup' });
export const AssetListItem = s.assetListItem.meta({ id: 'AssetListItem' });
export const AssetDetail = s.assetDetail.meta({ id: 'AssetDetail' });
export const MeterListItem = s.meterListItem.meta({ id: 'MeterListItem' });
export const GlobalAssetLookup = s.globalAssetLookup.meta({ id: 'GlobalAssetLookup' });
export const LookupByUserIdResponse = s.lookupByUserIdResponse
  .extend({ community: CommunityRef, member: MemberInCommunity })
  .meta({ id: 'LookupByUserIdResponse' });
export const LookupBySensorIdResponse = s.lookupBySensorIdResponse
  .extend({ community: CommunityRef, member: MemberInCommunity, asset: AssetRef })
  .meta({ id: 'LookupBySensorIdResponse' });
export const LookupByDeliveryPointResponse = s.lookupByDeliveryPointResponse
  .extend({ community: CommunityRef, member: MemberRef, delivery_point: DeliveryPoint })
  .meta({ id: 'LookupByDeliveryPointResponse' });

const UserMembership = s.userMembership.meta({ id: 'UserMembership' });
export const UserMeResponse = s.userMeResponse
  .extend({ profile: s.userProfile.meta({ id: 'UserProfile' }), membership: UserMembership.nullable().optional() })
  .meta({ id: 'UserMeResponse' });
export const UserMemberDetail = s.userMemberDetail.extend({ delivery_points: deliveryPoints.optional() }).meta({ id: 'UserMemberDetail' });
export const UserCommunityDetail = s.userCommunityDetail
  .extend({ areas: areas.optional(), topology: topology.optional() })
  .meta({ id: 'UserCommunityDetail' });
const UserAsset = s.userAsset.meta({ id: 'UserAsset' });
export const UserAssetDetail = s.userAssetDetail.meta({ id: 'UserAssetDetail' });
export const UserAssetsResponse = s.userAssetsResponse.extend({ items: z.array(UserAsset) }).meta({ id: 'UserAssetsResponse' });
export const UserDeliveryPointsResponse = s.userDeliveryPointsResponse
  .extend({ items: deliveryPoints })
  .meta({ id: 'UserDeliveryPointsResponse' });

/** `PaginatedResponse[X]`, under the published name `PaginatedResponse_X_`. */
export function paginated<T extends z.ZodType>(item: T, itemName: string) {
  return s.paginatedResponse(item).meta({ id: `PaginatedResponse_${itemName}_` });
}

// ------------------------------------------------------------------ errors

export const ValidationError = z
  .object({
    loc: z.array(z.union([z.string(), z.number().int()])).describe('where: "query", "path" or "body", then the path inside it'),
    msg: z.string(),
    type: z
      .string()
      .describe('e.g. missing, invalid_value, unrecognized_keys, duplicate_key, dangling_reference, taken, yaml_syntax, json_invalid'),
    doc: z.number().int().optional().describe('Helio: the YAML document (0-based, empty documents counted)'),
    line: z.number().int().optional().describe('Helio: 1-based line in the body (YAML; JSON syntax errors)'),
    column: z.number().int().optional().describe('Helio: 1-based column'),
  })
  .meta({ id: 'ValidationError' });

export const HTTPValidationError = z
  .object({
    detail: z.array(ValidationError).describe('every problem found, not the first only'),
    code: z.enum(['VALIDATION_ERROR', 'MALFORMED_REQUEST']).describe("Helio's stable error code"),
  })
  .meta({ id: 'HTTPValidationError' });

export const CommunityError = z
  .object({
    detail: z.string().describe('what went wrong, e.g. "Community not found"'),
    code: z.string().describe("Helio's stable error code, e.g. NOT_FOUND, FORBIDDEN, UNAUTHORIZED"),
  })
  .meta({ id: 'CommunityError' });

const errorDescriptions = {
  400: 'Input that cannot be read (MALFORMED_REQUEST): a tampered or foreign cursor, malformed JSON or YAML, a body that is not UTF-8',
  401: 'Missing, wrong, expired or revoked credentials (UNAUTHORIZED)',
  403: "The caller may not do this (FORBIDDEN): a role below admin in the community's organisation; on /user, a caller that is no user",
  404: "Not found, or another organisation's (NOT_FOUND): the two look the same",
  413: 'The body is larger than the route takes (PAYLOAD_TOO_LARGE); refused from its Content-Length before it is read',
  415: 'A content type the route does not take (UNSUPPORTED_MEDIA_TYPE)',
  422: 'Invalid input (VALIDATION_ERROR): every problem, each with its `loc`',
  429: 'Rate limit exceeded (RATE_LIMITED); see Retry-After',
} as const;

type ErrorStatus = keyof typeof errorDescriptions;

/** The error responses of a route: 401, 403 and 429 always, the others as listed (a string replaces the description). */
export function communityErrors(specific: Partial<Record<ErrorStatus, string | true>> = {}): OperationDoc['responses'] {
  const statuses = new Set<ErrorStatus>([401, 403, 429, ...(Object.keys(specific).map(Number) as ErrorStatus[])]);
  return Object.fromEntries(
    [...statuses]
      .sort((a, b) => a - b)
      .map((status) => {
        const given = specific[status];
        const description = typeof given === 'string' ? given : errorDescriptions[status];
        const schema = status === 400 || status === 422 ? HTTPValidationError : CommunityError;
        return [status, { description, schema }];
      }),
  );
}

// ------------------------------------------------------------------ parameters

export const pageQuery = {
  limit: z.number().int().min(1).max(500).default(50).describe('Page size, 1 to 500'),
  cursor: z.string().optional().describe('Pagination cursor: the `next_cursor` of the previous page, as given'),
};

/** A path parameter of the published routes. */
export const keyParam = (description: string) => z.string().describe(description);
