// Which routes the public OpenAPI document covers. Each entry is declared in
// the file that registers its route; this file only puts them in document
// order and names, with a reason, the routes left out on purpose.
// openapi.test.ts checks both lists against the routes the app registers.
import { alentisOperations } from '../rest/alentis/index.js';
import { communityApiOperations, communityUndocumentedRoutes } from '../rest/communities/index.js';
import { locusOperations } from '../rest/locus/index.js';
import { oauthOperations } from '../rest/oauth.js';
import { plantsOperations } from '../rest/plants/index.js';
import { syncEventOperations } from '../rest/sync-events.js';
import { systemOperations } from '../rest/system.js';
import type { OperationDoc } from './describe.js';

export const operations: OperationDoc[] = [
  ...alentisOperations,
  ...Object.values(oauthOperations),
  ...locusOperations,
  ...plantsOperations,
  ...communityApiOperations,
  ...Object.values(syncEventOperations),
  ...Object.values(systemOperations),
];

export interface UndocumentedRoute {
  /** As fastify registers it (`GET`, `POST`, ...), or `*` for every method. */
  method: string;
  /** The route's fastify URL (`:param`); with `andBelow`, every route under it too. */
  url: string;
  andBelow?: true;
  reason: string;
}

export const undocumentedRoutes: readonly UndocumentedRoute[] = [
  { method: 'GET', url: '/openapi.json', reason: 'the OpenAPI document itself' },
  {
    method: 'GET',
    url: '/docs',
    andBelow: true,
    reason: 'the interactive docs page, its assets and its copies of the document (@fastify/swagger-ui)',
  },
  {
    method: '*',
    url: '/trpc/:path',
    reason: 'the tRPC router for the desktop app and sync; its clients are typed from the router in @helio/core, not from OpenAPI',
  },
  {
    method: 'POST',
    url: '/api/docs/:id/upload',
    reason: 'the same upload as PUT /api/docs/{id}/upload, for clients that cannot PUT; that entry says POST is accepted',
  },
  ...communityUndocumentedRoutes,
];
