import { portfolios, portfolioSchemas } from '@helio/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { commonErrors, deletedSchema, objectIdParams, organisationHeaderSchema, type OperationDoc } from '../../openapi/describe.js';
import { organisationHeader } from '../context.js';
import { alentisSite, toAlentisSite } from './sites.js';

type Params = { id: string };

/** Accepts `[{name}]`, `{portfolios: [{name}]}` or a single `{name}`; the organisation header fills `organisationId`. */
function bulkPortfolioBody(req: FastifyRequest): unknown {
  const body = req.body as unknown;
  const list = Array.isArray(body)
    ? body
    : body && typeof body === 'object' && 'portfolios' in body && Object.keys(body).length === 1
      ? (body as { portfolios: unknown }).portfolios
      : body && typeof body === 'object'
        ? [body]
        : body;
  const organisationId = organisationHeader(req);
  if (!organisationId || !Array.isArray(list)) return list;
  return list.map((item: unknown) => (item && typeof item === 'object' ? { organisationId, ...item } : item));
}

/** `{siteIds: [...]}`, or `{siteId}` for a single site. */
function siteIdsBody(body: unknown): unknown {
  if (body && typeof body === 'object' && 'siteId' in body && Object.keys(body).length === 1) {
    return { siteIds: [(body as { siteId: unknown }).siteId] };
  }
  return body;
}

const Portfolio = portfolioSchemas.portfolio.meta({ id: 'Portfolio' });
const PortfolioWithSites = portfolioSchemas.portfolio.extend({ sites: z.array(alentisSite) }).meta({ id: 'PortfolioWithSites' });

/** A portfolio with its sites, each as the sites API answers it. */
function withAlentisSites(p: portfolioSchemas.PortfolioWithSites) {
  return { ...p, sites: p.sites.map(toAlentisSite) };
}

/** The OpenAPI entries of the routes below. */
export const portfolioOperations = {
  list: {
    method: 'get',
    path: '/api/portfolios',
    tag: 'Alentis',
    summary: 'List portfolios',
    auth: 'credentials',
    responses: { 200: { description: 'The portfolios', schema: z.array(Portfolio) }, ...commonErrors() },
  },
  listWithSites: {
    method: 'get',
    path: '/api/portfolios/with-sites',
    tag: 'Alentis',
    summary: 'List portfolios with their sites',
    auth: 'credentials',
    responses: { 200: { description: 'The portfolios, each with `sites`', schema: z.array(PortfolioWithSites) }, ...commonErrors() },
  },
  create: {
    method: 'post',
    path: '/api/portfolios',
    tag: 'Alentis',
    summary: 'Create portfolios (bulk)',
    description:
      'The body is an array of `{name}` (also accepted: `{"portfolios": [...]}` or a single `{name}`), each with the optional Locus client fields `tz` (IANA zone, default UTC), `firstName`, `lastName` and `email`. All are created or none.',
    auth: 'credentials',
    headers: organisationHeaderSchema,
    body: portfolioSchemas.createPortfoliosInput,
    responses: { 201: { description: 'The created portfolios', schema: z.array(Portfolio) }, ...commonErrors([409]) },
  },
  update: {
    method: 'put',
    path: '/api/portfolios/{id}',
    tag: 'Alentis',
    summary: 'Update a portfolio',
    description:
      'A partial update of `name`, `tz`, `firstName`, `lastName`, `email`: fields left out stay; `null` clears the contact fields. At least one field.',
    auth: 'credentials',
    params: objectIdParams,
    body: portfolioSchemas.updatePortfolioInput,
    responses: { 200: { description: 'The updated portfolio', schema: Portfolio }, ...commonErrors() },
  },
  remove: {
    method: 'delete',
    path: '/api/portfolios/{id}',
    tag: 'Alentis',
    summary: 'Delete a portfolio',
    description: 'Its sites are kept and become unassigned.',
    auth: 'credentials',
    params: objectIdParams,
    responses: { 200: { description: 'The portfolio was deleted', schema: deletedSchema }, ...commonErrors() },
  },
  addSites: {
    method: 'post',
    path: '/api/portfolios/{id}/sites',
    tag: 'Alentis',
    summary: 'Add sites to a portfolio',
    description:
      'Moves the sites (of the same organisation) into this portfolio, out of any other. `{"siteId": "..."}` is accepted for one site.',
    auth: 'credentials',
    params: objectIdParams,
    body: portfolioSchemas.addSitesInput,
    responses: { 200: { description: 'The portfolio with its sites', schema: PortfolioWithSites }, ...commonErrors() },
  },
  removeSite: {
    method: 'delete',
    path: '/api/portfolios/{id}/sites',
    tag: 'Alentis',
    summary: 'Remove a site from a portfolio',
    description: 'Names the site in the body (`{"siteId": "..."}`) or in the query (`?siteId=`). The site itself is kept.',
    auth: 'credentials',
    params: objectIdParams,
    query: z.object({ siteId: z.uuid().optional() }),
    body: z.object({ siteId: z.uuid() }).optional(),
    responses: { 200: { description: 'The portfolio with its remaining sites', schema: PortfolioWithSites }, ...commonErrors() },
  },
} satisfies Record<string, OperationDoc>;

export function portfolioRoutes(app: FastifyInstance): void {
  app.get('/portfolios', (req) => portfolios.listPortfolios(req.ctx));

  app.get('/portfolios/with-sites', async (req) => (await portfolios.listPortfoliosWithSites(req.ctx)).map(withAlentisSites));

  app.post('/portfolios', async (req, reply) => reply.code(201).send(await portfolios.createPortfolios(req.ctx, bulkPortfolioBody(req))));

  app.put<{ Params: Params }>('/portfolios/:id', (req) => portfolios.updatePortfolio(req.ctx, req.params.id, req.body));

  app.delete<{ Params: Params }>('/portfolios/:id', async (req) => {
    const deleted = await portfolios.deletePortfolio(req.ctx, req.params.id);
    return { id: deleted.id, deleted: true };
  });

  app.post<{ Params: Params }>('/portfolios/:id/sites', async (req) =>
    withAlentisSites(await portfolios.addSitesToPortfolio(req.ctx, req.params.id, siteIdsBody(req.body))),
  );

  // The site to remove comes in the body (`{siteId}`) or, for clients that send no body with DELETE, `?siteId=`.
  app.delete<{ Params: Params }>('/portfolios/:id/sites', async (req) =>
    withAlentisSites(await portfolios.removeSiteFromPortfolio(req.ctx, req.params.id, req.body ?? req.query)),
  );
}
