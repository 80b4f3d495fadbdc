// The query parameters of the registry's lists, as zod objects: strict (an
// unknown parameter is refused, not ignored), taking the strings a query
// string holds ("50", "true") as well as typed values (tRPC, tests).
//
// Filters are exact matches on the stored value, as the published service's
// are. A filter over a closed list (role, status, delivery point type, asset
// type) must name a value of that list: the bundle schema admits no other,
// so any other value could only be a mistake, answered as such rather than
// with an empty page. An empty filter (`?role=`) is no filter.
import { z } from 'zod';
import { assetTypes, deliveryPointTypes, memberRoles, memberStatuses } from '../bundle/schema.js';
import { pageQueryShape } from '../cursor.js';

// Each parameter's input side is plain JSON Schema (the OpenAPI document is
// built from these objects), and its output drops an empty value.
const emptyIsAbsent = <T>(v: T | '' | undefined): T | undefined => (v === '' ? undefined : v);

/** An exact-match filter on a free text column. */
const textFilter = (description: string) => z.string().max(200).optional().transform(emptyIsAbsent).describe(description);

/** An exact-match filter over a closed list of values. */
const enumFilter = <const T extends readonly [string, ...string[]]>(values: T, description: string) =>
  z
    .union([z.enum(values), z.literal('')], { error: `must be one of: ${values.join(', ')}` })
    .optional()
    .transform(emptyIsAbsent)
    .describe(description);

/** A boolean filter: true/false, or as a query string spells it (true/false, 1/0, yes/no, on/off, in any case). */
const booleanFilter = (description: string) =>
  z
    .union([z.boolean(), z.literal(''), z.stringbool()], { error: 'must be true or false (or 1/0, yes/no, on/off)' })
    .optional()
    .transform(emptyIsAbsent)
    .describe(description);

export const listCommunitiesQuery = z.strictObject({ key: textFilter('Filter by community key'), ...pageQueryShape });

export const listMembersQuery = z.strictObject({
  role: enumFilter(memberRoles, 'Filter by role'),
  status: enumFilter(memberStatuses, 'Filter by status'),
  area: textFilter('Filter by area'),
  ...pageQueryShape,
});

export const listDeliveryPointsQuery = z.strictObject({
  type: enumFilter(deliveryPointTypes, 'Filter by type'),
  active: booleanFilter('Filter by active status'),
  ...pageQueryShape,
});

export const listAssetsQuery = z.strictObject({
  asset_type: enumFilter(assetTypes, 'Filter by asset type'),
  owner: textFilter('Filter by owner member key'),
  ...pageQueryShape,
});

export const listMetersQuery = z.strictObject({ owner: textFilter('Filter by owner member key'), ...pageQueryShape });

/** `GET /user/assets`: not paginated (a member's own assets). */
export const userAssetsQuery = z.strictObject({ asset_type: enumFilter(assetTypes, 'Filter by asset type') });

// What callers pass: typed values, or the strings of a query string.
type Filter = string | null | undefined;
/** `limit` and `cursor`, as every list takes them. */
export interface PageParams {
  limit?: number | string | undefined;
  cursor?: string | null | undefined;
}
export interface ListCommunitiesQuery extends PageParams {
  key?: Filter;
}
export interface ListMembersQuery extends PageParams {
  role?: Filter;
  status?: Filter;
  area?: Filter;
}
export interface ListDeliveryPointsQuery extends PageParams {
  type?: Filter;
  active?: boolean | Filter;
}
export interface ListAssetsQuery extends PageParams {
  asset_type?: Filter;
  owner?: Filter;
}
export interface ListMetersQuery extends PageParams {
  owner?: Filter;
}
export interface UserAssetsQuery {
  asset_type?: Filter;
}
