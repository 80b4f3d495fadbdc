// Path parameters that may hold "/": user ids, sensor ids and POD codes come
// from outside Helio, and the published service declares them `{…:path}`,
// so `/admin/lookup/asset-by-sensor-id/meters/01` names the sensor
// "meters/01". Each such route is registered twice: with a `:param` (what
// the OpenAPI document describes; an encoded %2F arrives there) and with a
// `*` tail, which takes raw slashes and values longer than the router's
// parameter limit (100 characters; sensor ids may have 200).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { UndocumentedRoute } from '../../openapi/operations.js';

/** The routes of the /admin plugin whose last parameter may hold "/", as registered under /admin. */
export const SLASH_PARAM_PATHS = [
  '/communities/:community_key/members/by-user-id/:user_id',
  '/communities/:community_key/delivery-points/by-id/:dp_id',
  '/communities/:community_key/assets/by-sensor-id/:sensor_id',
  '/lookup/community-by-user-id/:user_id',
  '/lookup/community-by-sensor-id/:sensor_id',
  '/lookup/community-by-delivery-point/:dp_id',
  '/lookup/member-by-user-id/:user_id',
  '/lookup/asset-by-sensor-id/:sensor_id',
] as const;

export type SlashParamPath = (typeof SLASH_PARAM_PATHS)[number];

const tail = (path: string) => path.replace(/:\w+$/, '*');

/** The `*` twins, for the OpenAPI coverage check: the document describes each once, by its `:param` route. */
export const slashParamTwins: UndocumentedRoute[] = SLASH_PARAM_PATHS.map((path) => ({
  method: 'GET',
  url: `/admin${tail(path)}`,
  reason: `the same route as GET /admin${path.replace(/:(\w+)/g, '{$1}')}, for a last parameter holding "/" or longer than 100 characters`,
}));

type Params = Record<string, string | undefined>;

/**
 * Registers GET `path` and its `*` twin; `handler` gets the path's named
 * parameters, the last one whichever route matched.
 */
export function getWithSlashParam(
  app: FastifyInstance,
  path: SlashParamPath,
  handler: (request: FastifyRequest, params: Record<string, string>) => unknown,
): void {
  const last = /:(\w+)$/.exec(path)![1]!;
  app.get(path, (req) => handler(req, req.params as Record<string, string>));
  app.get(tail(path), (req) => {
    const { '*': value, ...rest } = req.params as Params;
    return handler(req, { ...(rest as Record<string, string>), [last]: value ?? '' });
  });
}
