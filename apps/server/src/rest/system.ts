import type { FastifyInstance } from 'fastify';
import { version } from '../version.js';

export async function systemRoutes(app: FastifyInstance): Promise<void> {
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/version', async () => ({ name: 'helio', version }));
}
