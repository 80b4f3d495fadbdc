// The sites procedures: on the server, writes go straight to the service; on
// a device (localSitesRouter), through the sync client, which applies the same
// service locally and queues the write. Reads are the same on both.
import { z } from 'zod';
import { targetOrganisation } from '../auth/principal.js';
import { localProcedure, localRouter } from '../sync/local.js';
import { procedure, router } from '../trpc/init.js';
import { createSiteInput, listSitesInput, updateSiteInput } from './schema.js';
import { createSite, deleteSite, getSite, listSites, updateSite } from './service.js';
import { sitesSync } from './sync.js';

const byId = z.strictObject({ id: z.uuid() });
const updateInput = z.strictObject({ id: z.uuid(), patch: updateSiteInput });

const reads = {
  list: procedure.input(listSitesInput.optional()).query(({ ctx, input }) => listSites(ctx.service, input ?? {})),
  get: procedure.input(byId).query(({ ctx, input }) => getSite(ctx.service, input.id)),
};

export const sitesRouter = router({
  ...reads,
  create: procedure.input(createSiteInput).mutation(({ ctx, input }) => createSite(ctx.service, input)),
  update: procedure.input(updateInput).mutation(({ ctx, input }) => updateSite(ctx.service, input.id, input.patch)),
  delete: procedure.input(byId).mutation(({ ctx, input }) => deleteSite(ctx.service, input.id)),
});

export const localSitesRouter = localRouter({
  ...reads,
  create: localProcedure.input(createSiteInput).mutation(async ({ ctx, input }) => {
    const { id, organisationId, ...fields } = input;
    const target = targetOrganisation(ctx.service.principal, organisationId);
    const written = await ctx.localSync.write({ table: sitesSync.table, op: 'create', id, organisationId: target, fields });
    return getSite(ctx.service, written.id);
  }),
  update: localProcedure.input(updateInput).mutation(async ({ ctx, input }) => {
    const current = await getSite(ctx.service, input.id);
    await ctx.localSync.write({
      table: sitesSync.table,
      op: 'update',
      id: input.id,
      organisationId: current.organisationId,
      fields: input.patch,
    });
    return getSite(ctx.service, input.id);
  }),
  delete: localProcedure.input(byId).mutation(async ({ ctx, input }) => {
    const current = await getSite(ctx.service, input.id);
    await ctx.localSync.write({ table: sitesSync.table, op: 'delete', id: input.id, organisationId: current.organisationId });
    return { id: input.id, deleted: true as const };
  }),
});
