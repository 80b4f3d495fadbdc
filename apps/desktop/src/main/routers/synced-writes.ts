// On the desktop, writes to synced tables go through the sync client: the
// same core services apply them to the local database, and the mutation is
// queued for the server in the same transaction. These procedures replace
// core's write procedures of the same paths (the reads stay core's), so the
// renderer calls `sites.update` exactly as it would against the server.
import { appRouter, portfolioSchemas, portfolios, siteSchemas, sites, validationError, type Principal } from '@helio/core';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { router, sessionProcedure } from '../trpc.js';

const byId = z.strictObject({ id: z.uuid() });

/** The organisation a create without one goes to: the caller's only organisation, as on the server. */
function targetOrganisation(principal: Principal, requested: string | undefined): string {
  if (requested) return requested;
  const memberships = principal.kind === 'system' ? [] : [...principal.memberships.keys()];
  if (memberships.length === 1) return memberships[0]!;
  throw validationError('organisationId is required when you belong to several organisations', [
    { path: 'organisationId', message: 'required' },
  ]);
}

/** Not kept on this device: they act on the server only, so they need a connection (the server's web or API). */
const serverOnly = (what: string) =>
  sessionProcedure.input(z.unknown()).mutation((): never => {
    throw new TRPCError({
      code: 'METHOD_NOT_SUPPORTED',
      message: `${what} happens on the server only: it is not available in the desktop app`,
    });
  });

const { sites: coreSites, portfolios: corePortfolios, documents: coreDocuments, apiKeys: coreApiKeys } = appRouter._def.record;

export const syncedSites = router({
  list: coreSites.list,
  get: coreSites.get,
  create: sessionProcedure.input(siteSchemas.createSiteInput).mutation(async ({ ctx, input }) => {
    const { id, organisationId, ...fields } = input;
    const written = await ctx.services.sync.write({
      table: 'sites',
      op: 'create',
      id,
      organisationId: targetOrganisation(ctx.service.principal, organisationId),
      fields,
    });
    return sites.getSite(ctx.service, written.id);
  }),
  update: sessionProcedure.input(z.strictObject({ id: z.uuid(), patch: siteSchemas.updateSiteInput })).mutation(async ({ ctx, input }) => {
    const current = await sites.getSite(ctx.service, input.id);
    await ctx.services.sync.write({
      table: 'sites',
      op: 'update',
      id: input.id,
      organisationId: current.organisationId,
      fields: input.patch,
    });
    return sites.getSite(ctx.service, input.id);
  }),
  delete: sessionProcedure.input(byId).mutation(async ({ ctx, input }) => {
    const current = await sites.getSite(ctx.service, input.id);
    await ctx.services.sync.write({ table: 'sites', op: 'delete', id: input.id, organisationId: current.organisationId });
    return { id: input.id, deleted: true as const };
  }),
});

export const syncedPortfolios = router({
  list: corePortfolios.list,
  listWithSites: corePortfolios.listWithSites,
  get: corePortfolios.get,
  create: sessionProcedure.input(portfolioSchemas.createPortfoliosInput).mutation(async ({ ctx, input }) => {
    const created = [];
    for (const item of input) {
      const { id, organisationId, ...fields } = item;
      const written = await ctx.services.sync.write({
        table: 'portfolios',
        op: 'create',
        id,
        organisationId: targetOrganisation(ctx.service.principal, organisationId),
        fields,
      });
      created.push(await portfolios.getPortfolio(ctx.service, written.id));
    }
    return created;
  }),
  update: sessionProcedure.input(portfolioSchemas.updatePortfolioInput.extend({ id: z.uuid() })).mutation(async ({ ctx, input }) => {
    const current = await portfolios.getPortfolio(ctx.service, input.id);
    await ctx.services.sync.write({
      table: 'portfolios',
      op: 'update',
      id: input.id,
      organisationId: current.organisationId,
      fields: { name: input.name },
    });
    return portfolios.getPortfolio(ctx.service, input.id);
  }),
  delete: sessionProcedure.input(byId).mutation(async ({ ctx, input }) => {
    const current = await portfolios.getPortfolio(ctx.service, input.id);
    await ctx.services.sync.write({ table: 'portfolios', op: 'delete', id: input.id, organisationId: current.organisationId });
    return { id: input.id, deleted: true as const };
  }),
  addSites: sessionProcedure.input(portfolioSchemas.addSitesInput.extend({ id: z.uuid() })).mutation(async ({ ctx, input }) => {
    const current = await portfolios.getPortfolio(ctx.service, input.id);
    for (const siteId of new Set(input.siteIds)) {
      await ctx.services.sync.write({
        table: 'sites',
        op: 'update',
        id: siteId,
        organisationId: current.organisationId,
        fields: { portfolioId: input.id },
      });
    }
    return portfolios.getPortfolio(ctx.service, input.id);
  }),
  removeSite: sessionProcedure.input(z.strictObject({ id: z.uuid(), siteId: z.uuid() })).mutation(async ({ ctx, input }) => {
    const site = await sites.getSite(ctx.service, input.siteId);
    if (site.portfolioId !== input.id) {
      throw validationError(`site ${input.siteId} is not in portfolio ${input.id}`, [{ path: 'siteId', message: 'not in this portfolio' }]);
    }
    await ctx.services.sync.write({
      table: 'sites',
      op: 'update',
      id: input.siteId,
      organisationId: site.organisationId,
      fields: { portfolioId: null },
    });
    return portfolios.getPortfolio(ctx.service, input.id);
  }),
});

export const desktopDocuments = router({
  listBySite: coreDocuments.listBySite,
  get: coreDocuments.get,
  review: serverOnly('Reviewing a document'),
  requestCapturedUpload: serverOnly('Requesting an upload URL'),
});

export const desktopApiKeys = router({
  list: coreApiKeys.list,
  create: serverOnly('Creating an API key'),
  revoke: serverOnly('Revoking an API key'),
});
