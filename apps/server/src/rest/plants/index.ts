// The Plants API at /api/v1: plants, their lifecycle and credentials,
// commands, and Helio's templates and plant groups. Authentication is the
// Alentis API's (x-api-key or a bearer token); errors are the spec's codes in
// its body (see errors.ts), for this prefix only.
import type { FastifyInstance } from 'fastify';
import type { OperationDoc } from '../../openapi/describe.js';
import type { AppServices } from '../../services.js';
import { requireAuth } from '../context.js';
import { DomainError } from '../errors.js';
import { commandOperations, commandRoutes } from './commands.js';
import { credentialOperations, credentialRoutes } from './credentials.js';
import { plantsErrorHandler, sendPlantsError, toPlantsErrorBody } from './errors.js';
import { groupOperations, groupRoutes } from './groups.js';
import { plantOperations, plantRoutes } from './plants.js';
import { templateOperations, templateRoutes } from './templates.js';

/** The Plants API, mounted at /api/v1. */
export function plantsApi(services: AppServices) {
  return async (app: FastifyInstance): Promise<void> => {
    app.setErrorHandler(plantsErrorHandler);
    app.setNotFoundHandler((request, reply) =>
      sendPlantsError(
        reply,
        toPlantsErrorBody(new DomainError('NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0] ?? ''}`)),
      ),
    );
    // Action routes (suspend, provision...) take no body or an optional one: a client that labels an
    // empty body as JSON is answered as if it sent none, rather than refused.
    const defaultJson = app.getDefaultJsonParser('error', 'error');
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, text, done) => {
      const json = text as string;
      if (json.trim() === '') {
        done(null, undefined);
        return;
      }
      defaultJson(request, json, done);
    });
    requireAuth(app, services);
    plantRoutes(app);
    credentialRoutes(app, services);
    commandRoutes(app, services);
    templateRoutes(app);
    groupRoutes(app);
  };
}

/** The /api/v1 entries of the OpenAPI document, in the spec's order, then Helio's own routes. */
export const plantsOperations: OperationDoc[] = [
  plantOperations.list,
  plantOperations.create,
  plantOperations.certificateStats,
  plantOperations.get,
  plantOperations.update,
  plantOperations.remove,
  plantOperations.energyToday,
  credentialOperations.mqttToken,
  credentialOperations.provision,
  credentialOperations.download,
  credentialOperations.reactivate,
  credentialOperations.revoke,
  credentialOperations.rotateSecret,
  credentialOperations.suspend,
  commandOperations.list,
  commandOperations.send,
  plantOperations.transitions,
  ...Object.values(templateOperations),
  ...Object.values(groupOperations),
];
