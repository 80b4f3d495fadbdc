import type { ServiceContext } from '@helio/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { serviceContext, type AppServices } from '../services.js';
import { authenticate } from './auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The acting principal's service context, set by `requireAuth`. */
    ctx: ServiceContext;
  }
}

/** Adds authentication to every route of the plugin it is called in. */
export function requireAuth(app: FastifyInstance, services: AppServices): void {
  app.decorateRequest('ctx', null as unknown as ServiceContext);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    request.ctx = serviceContext(services, await authenticate(request, services));
  });
}

/** `x-organisation-id` picks the organisation a new object goes to, for callers in several. */
export function organisationHeader(request: FastifyRequest): string | undefined {
  const value = request.headers['x-organisation-id'];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
