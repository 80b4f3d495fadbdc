// The community registry API: /user (the signed-in user's own membership)
// and /admin (communities, members, delivery points, assets, lookups,
// imports and exports), as the published registry serves them, over
// Helio's communities domain. Authentication is Helio's (x-api-key or a
// bearer token); errors are FastAPI's body with Helio's code (errors.ts),
// for these two prefixes only. Every answer is 200, as published.
import type { FastifyInstance } from 'fastify';
import type { OperationDoc } from '../../openapi/describe.js';
import type { AppServices } from '../../services.js';
import { requireAuth } from '../context.js';
import { assetOperations, assetRoutes } from './assets.js';
import { communityJsonParser } from './bodies.js';
import { communityOperations, communityRoutes } from './communities.js';
import { deliveryPointOperations, deliveryPointRoutes } from './delivery-points.js';
import { communityErrorHandler, communityNotFoundHandler } from './errors.js';
import { lookupOperations, lookupRoutes } from './lookups.js';
import { managementRoutes } from './management.js';
import { managementOperations } from './management-docs.js';
import { memberOperations, memberRoutes } from './members.js';
import { userOperations, userRoutes } from './user.js';

export { communityTags } from './openapi.js';
export { slashParamTwins as communityUndocumentedRoutes } from './slash-params.js';

/** What both prefixes share: errors, authentication, JSON bodies. */
function setUp(app: FastifyInstance, services: AppServices): void {
  app.setErrorHandler(communityErrorHandler);
  app.setNotFoundHandler(communityNotFoundHandler);
  communityJsonParser(app);
  requireAuth(app, services);
}

/** The community registry API, mounted at the root: it registers /user and /admin. */
export function communitiesApi(services: AppServices) {
  return async (app: FastifyInstance): Promise<void> => {
    await app.register(
      async (user) => {
        setUp(user, services);
        userRoutes(user);
      },
      { prefix: '/user' },
    );
    await app.register(
      async (admin) => {
        setUp(admin, services);
        communityRoutes(admin);
        memberRoutes(admin);
        deliveryPointRoutes(admin);
        assetRoutes(admin);
        lookupRoutes(admin);
        managementRoutes(admin, services);
      },
      { prefix: '/admin' },
    );
  };
}

/** The entries of the OpenAPI document, in the published document's order, then Helio's addition. */
export const communityApiOperations: OperationDoc[] = [
  ...Object.values(userOperations),
  ...Object.values(communityOperations),
  memberOperations.list,
  memberOperations.get,
  memberOperations.byUserId,
  memberOperations.deliveryPoints,
  ...Object.values(deliveryPointOperations),
  ...Object.values(assetOperations),
  ...Object.values(lookupOperations),
  managementOperations.importJson,
  managementOperations.importYaml,
  managementOperations.export,
  managementOperations.bundleSchema,
];
