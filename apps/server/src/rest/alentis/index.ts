import type { FastifyInstance } from 'fastify';
import type { AppServices } from '../../services.js';
import { requireAuth } from '../context.js';
import { portfolioRoutes } from './portfolios.js';
import { siteRoutes } from './sites.js';

/** The Alentis API, mounted at /api. */
export function alentisApi(services: AppServices) {
  return async (app: FastifyInstance): Promise<void> => {
    requireAuth(app, services);
    siteRoutes(app);
    portfolioRoutes(app);
  };
}
