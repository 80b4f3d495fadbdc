import type { FastifyInstance } from 'fastify';
import type { OperationDoc } from '../../openapi/describe.js';
import type { AppServices } from '../../services.js';
import { ConcurrencyLimiter, locusAccessHook } from './access.js';
import { alertOperations, alertRoutes } from './alerts.js';
import { dataOperations, dataRoutes } from './data.js';
import { entityOperations, entityRoutes } from './entities.js';

/** The Locus Energy v3 API, mounted at /v3. */
export function locusApi(services: AppServices) {
  const limiter = new ConcurrencyLimiter();
  return async (app: FastifyInstance): Promise<void> => {
    app.decorateRequest('ctx', null as never);
    app.addHook('onRequest', locusAccessHook(services, limiter));
    entityRoutes(app);
    dataRoutes(app);
    alertRoutes(app);
  };
}

/** The /v3 entries of the OpenAPI document, in the spec's order. */
export const locusOperations: OperationDoc[] = [
  ...Object.values(entityOperations),
  ...Object.values(dataOperations),
  ...Object.values(alertOperations),
];
