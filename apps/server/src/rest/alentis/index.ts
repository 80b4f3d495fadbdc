import type { FastifyInstance } from 'fastify';
import type { AppServices } from '../../services.js';
import { requireAuth } from '../context.js';
import { documentTransferRoutes } from './document-transfer.js';
import { documentRoutes } from './documents.js';
import { portfolioRoutes } from './portfolios.js';
import { siteRoutes } from './sites.js';

/** The Alentis API, mounted at /api. */
export function alentisApi(services: AppServices) {
  return async (app: FastifyInstance): Promise<void> => {
    requireAuth(app, services);
    siteRoutes(app);
    portfolioRoutes(app);
    documentRoutes(app, services);
  };
}

/**
 * The Alentis routes whose credential is a signed token in the URL (document
 * upload and download), mounted at /api beside `alentisApi`, outside its key check.
 */
export function alentisSignedUrlApi(services: AppServices) {
  return documentTransferRoutes(services);
}
