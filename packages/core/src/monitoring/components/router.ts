// The components procedures: on the server, writes go straight to the
// service; on a device (localComponentsRouter), through the sync client,
// which applies the same service locally and queues the write. Reads are the
// same on both.
import { z } from 'zod';
import { getSite } from '../../sites/service.js';
import { localProcedure, localRouter } from '../../sync/local.js';
import { procedure, router } from '../../trpc/init.js';
import { createComponentInput, listComponentsInput, updateComponentInput } from './schema.js';
import { createComponent, deleteComponent, getComponent, listComponents, updateComponent } from './service.js';
import { componentsSync } from './sync.js';

const byId = z.strictObject({ id: z.uuid() });
const updateInput = z.strictObject({ id: z.uuid(), patch: updateComponentInput });

const reads = {
  list: procedure.input(listComponentsInput.optional()).query(({ ctx, input }) => listComponents(ctx.service, input ?? {})),
  get: procedure.input(byId).query(({ ctx, input }) => getComponent(ctx.service, input.id)),
};

export const componentsRouter = router({
  ...reads,
  create: procedure.input(createComponentInput).mutation(({ ctx, input }) => createComponent(ctx.service, input)),
  update: procedure.input(updateInput).mutation(({ ctx, input }) => updateComponent(ctx.service, input.id, input.patch)),
  delete: procedure.input(byId).mutation(async ({ ctx, input }) => {
    const deleted = await deleteComponent(ctx.service, input.id);
    return { id: deleted.id, locusId: deleted.locusId, deleted: true as const };
  }),
});

export const localComponentsRouter = localRouter({
  ...reads,
  create: localProcedure.input(createComponentInput).mutation(async ({ ctx, input }) => {
    const { id, organisationId, ...fields } = input;
    // The site says which organisation the component belongs to (and that the caller sees it).
    const site = await getSite(ctx.service, input.siteId);
    const written = await ctx.localSync.write({
      table: componentsSync.table,
      op: 'create',
      id,
      organisationId: organisationId ?? site.organisationId,
      fields,
    });
    return getComponent(ctx.service, written.id);
  }),
  update: localProcedure.input(updateInput).mutation(async ({ ctx, input }) => {
    const current = await getComponent(ctx.service, input.id);
    await ctx.localSync.write({
      table: componentsSync.table,
      op: 'update',
      id: input.id,
      organisationId: current.organisationId,
      fields: input.patch,
    });
    return getComponent(ctx.service, input.id);
  }),
  delete: localProcedure.input(byId).mutation(async ({ ctx, input }) => {
    const current = await getComponent(ctx.service, input.id);
    await ctx.localSync.write({ table: componentsSync.table, op: 'delete', id: input.id, organisationId: current.organisationId });
    return { id: input.id, locusId: current.locusId, deleted: true as const };
  }),
});
