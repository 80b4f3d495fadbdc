import { sites } from '@helio/core';
import type { FastifyInstance } from 'fastify';
import { organisationHeader } from '../context.js';
import { SiteListCache } from './site-list-cache.js';

export function siteRoutes(app: FastifyInstance): void {
  const listCache = new SiteListCache();
  // The whole query goes to the schema, so a misspelt filter is a 400 rather than every site.
  app.get('/sites', async (req, reply) => reply.type('application/json; charset=utf-8').send(await listCache.list(req.ctx, req.query)));

  app.post<{ Body: Record<string, unknown> }>('/sites', async (req, reply) => {
    const organisationId = organisationHeader(req);
    const body =
      req.body && typeof req.body === 'object' && !Array.isArray(req.body) && organisationId ? { organisationId, ...req.body } : req.body;
    return reply.code(201).send(await sites.createSite(req.ctx, body));
  });

  app.put<{ Params: { id: string } }>('/sites/:id', (req) => sites.updateSite(req.ctx, req.params.id, req.body));

  app.delete<{ Params: { id: string } }>('/sites/:id', async (req) => {
    const deleted = await sites.deleteSite(req.ctx, req.params.id);
    return { id: deleted.id, deleted: true };
  });
}
