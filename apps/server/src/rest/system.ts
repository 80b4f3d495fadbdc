import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { OperationDoc } from '../openapi/describe.js';
import { version } from '../version.js';

/** The OpenAPI entries of the routes below. */
export const systemOperations = {
  health: {
    method: 'get',
    path: '/health',
    tag: 'System',
    summary: 'Liveness',
    auth: 'none',
    responses: { 200: { description: 'The server is up', schema: z.object({ status: z.literal('ok') }) } },
  },
  version: {
    method: 'get',
    path: '/version',
    tag: 'System',
    summary: 'Version',
    auth: 'none',
    responses: { 200: { description: 'Name and version', schema: z.object({ name: z.string(), version: z.string() }) } },
  },
} satisfies Record<string, OperationDoc>;

export async function systemRoutes(app: FastifyInstance): Promise<void> {
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/version', async () => ({ name: 'helio', version }));
}
