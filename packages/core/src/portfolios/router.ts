// The portfolios procedures: on the server, writes go straight to the
// service; on a device (localPortfoliosRouter), through the sync client, as
// writes of the portfolios and sites tables. Reads are the same on both.
import { z } from 'zod';
import { targetOrganisation } from '../auth/principal.js';
import { getSite } from '../sites/service.js';
import { sitesSync } from '../sites/sync.js';
import { localProcedure, localRouter } from '../sync/local.js';
import { procedure, router } from '../trpc/init.js';
import { addSitesInput, createPortfoliosInput, updatePortfolioInput } from './schema.js';
import {
  addSitesToPortfolio,
  assertSiteInPortfolio,
  createPortfolios,
  deletePortfolio,
  getPortfolio,
  listPortfolios,
  listPortfoliosWithSites,
  removeSiteFromPortfolio,
  updatePortfolio,
} from './service.js';
import { portfoliosSync } from './sync.js';

const byId = z.strictObject({ id: z.uuid() });
const updateInput = updatePortfolioInput.extend({ id: z.uuid() });
const addSitesWithId = addSitesInput.extend({ id: z.uuid() });
const removeSiteWithId = z.strictObject({ id: z.uuid(), siteId: z.uuid() });

const reads = {
  list: procedure.query(({ ctx }) => listPortfolios(ctx.service)),
  listWithSites: procedure.query(({ ctx }) => listPortfoliosWithSites(ctx.service)),
  get: procedure.input(byId).query(({ ctx, input }) => getPortfolio(ctx.service, input.id)),
};

export const portfoliosRouter = router({
  ...reads,
  create: procedure.input(createPortfoliosInput).mutation(({ ctx, input }) => createPortfolios(ctx.service, input)),
  update: procedure.input(updateInput).mutation(({ ctx, input }) => {
    const { id, ...patch } = input;
    return updatePortfolio(ctx.service, id, patch);
  }),
  delete: procedure.input(byId).mutation(({ ctx, input }) => deletePortfolio(ctx.service, input.id)),
  addSites: procedure
    .input(addSitesWithId)
    .mutation(({ ctx, input }) => addSitesToPortfolio(ctx.service, input.id, { siteIds: input.siteIds })),
  removeSite: procedure
    .input(removeSiteWithId)
    .mutation(({ ctx, input }) => removeSiteFromPortfolio(ctx.service, input.id, { siteId: input.siteId })),
});

const portfolios = portfoliosSync.table;
const sites = sitesSync.table;

export const localPortfoliosRouter = localRouter({
  ...reads,
  create: localProcedure.input(createPortfoliosInput).mutation(async ({ ctx, input }) => {
    const created = [];
    for (const item of input) {
      const { id, organisationId, ...fields } = item;
      const target = targetOrganisation(ctx.service.principal, organisationId);
      const written = await ctx.localSync.write({ table: portfolios, op: 'create', id, organisationId: target, fields });
      created.push(await getPortfolio(ctx.service, written.id));
    }
    return created;
  }),
  update: localProcedure.input(updateInput).mutation(async ({ ctx, input }) => {
    const { id, ...fields } = input;
    const current = await getPortfolio(ctx.service, id);
    await ctx.localSync.write({ table: portfolios, op: 'update', id, organisationId: current.organisationId, fields });
    return getPortfolio(ctx.service, id);
  }),
  delete: localProcedure.input(byId).mutation(async ({ ctx, input }) => {
    const current = await getPortfolio(ctx.service, input.id);
    await ctx.localSync.write({ table: portfolios, op: 'delete', id: input.id, organisationId: current.organisationId });
    return { id: input.id, deleted: true as const };
  }),
  addSites: localProcedure.input(addSitesWithId).mutation(async ({ ctx, input }) => {
    const current = await getPortfolio(ctx.service, input.id);
    for (const siteId of new Set(input.siteIds)) {
      const fields = { portfolioId: input.id };
      await ctx.localSync.write({ table: sites, op: 'update', id: siteId, organisationId: current.organisationId, fields });
    }
    return getPortfolio(ctx.service, input.id);
  }),
  removeSite: localProcedure.input(removeSiteWithId).mutation(async ({ ctx, input }) => {
    const site = await getSite(ctx.service, input.siteId);
    assertSiteInPortfolio(site.portfolioId, input.id, input.siteId);
    const fields = { portfolioId: null };
    await ctx.localSync.write({ table: sites, op: 'update', id: input.siteId, organisationId: site.organisationId, fields });
    return getPortfolio(ctx.service, input.id);
  }),
});
