import type { FastifyInstance } from 'fastify';
import type { OperationDoc } from '../../openapi/describe.js';
import type { AppServices } from '../../services.js';
import { requireAuth } from '../context.js';
import { documentTransferOperations, documentTransferRoutes } from './document-transfer.js';
import { documentOperations, documentRoutes } from './documents.js';
import { portfolioOperations, portfolioRoutes } from './portfolios.js';
import { componentOperations, componentRoutes } from './components.js';
import { eventOperations, eventRoutes } from './events.js';
import { readingOperations, readingRoutes } from './readings.js';
import { siteOperations, siteRoutes } from './sites.js';

/** The Alentis API, mounted at /api. */
export function alentisApi(services: AppServices) {
  return async (app: FastifyInstance): Promise<void> => {
    requireAuth(app, services);
    siteRoutes(app);
    portfolioRoutes(app);
    documentRoutes(app, services);
    componentRoutes(app);
    readingRoutes(app, services);
    eventRoutes(app, services);
  };
}

/**
 * The Alentis routes whose credential is a signed token in the URL (document
 * upload and download), mounted at /api beside `alentisApi`, outside its key check.
 */
export function alentisSignedUrlApi(services: AppServices) {
  return documentTransferRoutes(services);
}

/**
 * The Alentis entries of the OpenAPI document. Document routes are listed in
 * the order a client uses them (request upload URLs, upload, read, download,
 * review), though two files serve them.
 */
export const alentisOperations: OperationDoc[] = [
  ...Object.values(siteOperations),
  ...Object.values(portfolioOperations),
  documentOperations.requestUploads,
  documentTransferOperations.upload,
  documentOperations.listForSite,
  documentOperations.get,
  documentOperations.issueDownload,
  documentTransferOperations.content,
  documentOperations.review,
  ...Object.values(componentOperations),
  ...Object.values(readingOperations),
  ...Object.values(eventOperations),
];
