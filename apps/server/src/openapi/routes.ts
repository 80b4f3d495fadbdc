import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { buildOpenApiDocument } from './document.js';
import type { OperationDoc } from './describe.js';

/** GET /openapi.json and the interactive docs at /docs (assets served locally, no CDN). */
export function openApiRoutes(operations: readonly OperationDoc[]) {
  const document = buildOpenApiDocument(operations);
  return async (app: FastifyInstance): Promise<void> => {
    await app.register(swagger, { mode: 'static', specification: { document: document as never } });
    await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
    app.get('/openapi.json', { schema: { hide: true } }, async () => document);
  };
}
