import { portfolios } from '@helio/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { organisationHeader } from '../context.js';

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

export function portfolioRoutes(app: FastifyInstance): void {
  app.get('/portfolios', (req) => portfolios.listPortfolios(req.ctx));

  app.get('/portfolios/with-sites', (req) => portfolios.listPortfoliosWithSites(req.ctx));

  app.post('/portfolios', async (req, reply) => reply.code(201).send(await portfolios.createPortfolios(req.ctx, bulkPortfolioBody(req))));

  app.put<{ Params: Params }>('/portfolios/:id', (req) => portfolios.updatePortfolio(req.ctx, req.params.id, req.body));

  app.delete<{ Params: Params }>('/portfolios/:id', async (req) => {
    const deleted = await portfolios.deletePortfolio(req.ctx, req.params.id);
    return { id: deleted.id, deleted: true };
  });

  app.post<{ Params: Params }>('/portfolios/:id/sites', (req) =>
    portfolios.addSitesToPortfolio(req.ctx, req.params.id, siteIdsBody(req.body)),
  );

  // The site to remove comes in the body (`{siteId}`) or, for clients that send no body with DELETE, `?siteId=`.
  app.delete<{ Params: Params }>('/portfolios/:id/sites', (req) =>
    portfolios.removeSiteFromPortfolio(req.ctx, req.params.id, req.body ?? req.query),
  );
}
