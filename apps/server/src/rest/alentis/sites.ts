import { sites, siteSchemas } from '@helio/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { commonErrors, deletedSchema, objectIdParams, organisationHeaderSchema, type OperationDoc } from '../../openapi/describe.js';
import { organisationHeader } from '../context.js';
import { SiteListCache } from './site-list-cache.js';

const Site = siteSchemas.site.meta({ id: 'Site' });

/** The OpenAPI entries of the routes below. */
export const siteOperations = {
  list: {
    method: 'get',
    path: '/api/sites',
    tag: 'Alentis',
    summary: 'List sites',
    description: "Every live site of the caller's organisation(s), oldest first. Filter by `siteId` or `portfolioId`.",
    auth: 'credentials',
    query: siteSchemas.listSitesInput,
    responses: { 200: { description: 'The sites', schema: z.array(Site) }, ...commonErrors() },
  },
  create: {
    method: 'post',
    path: '/api/sites',
    tag: 'Alentis',
    summary: 'Create a site',
    description:
      'Only `siteName` is required. `timezone` (IANA name) defaults to UTC. `portfolioId` must be a portfolio of the same organisation.',
    auth: 'credentials',
    headers: organisationHeaderSchema,
    body: siteSchemas.createSiteInput,
    responses: { 201: { description: 'The created site', schema: Site }, ...commonErrors([409]) },
  },
  update: {
    method: 'put',
    path: '/api/sites/{id}',
    tag: 'Alentis',
    summary: 'Update a site',
    description:
      'A partial update: fields left out stay as they are; `null` clears a field (`portfolioId: null` removes the site from its portfolio).',
    auth: 'credentials',
    params: objectIdParams,
    body: siteSchemas.updateSiteInput,
    responses: { 200: { description: 'The updated site', schema: Site }, ...commonErrors() },
  },
  remove: {
    method: 'delete',
    path: '/api/sites/{id}',
    tag: 'Alentis',
    summary: 'Delete a site',
    auth: 'credentials',
    params: objectIdParams,
    responses: { 200: { description: 'The site was deleted', schema: deletedSchema }, ...commonErrors() },
  },
} satisfies Record<string, OperationDoc>;

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
