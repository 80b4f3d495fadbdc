// The sync panel's procedures: the state of sync (also as a subscription, so
// the window follows it live), conflicts to review and resolve, and changes
// the server refused.
import { z } from 'zod';
import { burstsOf } from './bursts.js';
import { publicProcedure, router, sessionProcedure } from '../trpc.js';

export const syncClientRouter = router({
  status: publicProcedure.query(({ ctx }) => ctx.services.sync.status()),
  /** The status now and after every change: online/offline, pending, conflicts, uploads, and `dataVersion` for views to reload. */
  watch: publicProcedure.subscription(async function* ({ ctx, signal }) {
    const { sync } = ctx.services;
    yield await sync.status();
    for await (const _ of burstsOf((listener) => sync.onChange(listener), signal)) yield await sync.status();
  }),
  syncNow: publicProcedure.mutation(async ({ ctx }) => {
    ctx.services.sync.syncNow();
    return ctx.services.sync.status();
  }),
  conflicts: sessionProcedure.input(z.strictObject({ organisationId: z.uuid().optional() }).optional()).query(async ({ ctx, input }) => {
    const open = await ctx.services.sync.syncClient.openConflicts();
    const visible = (organisationId: string) =>
      ctx.service.principal.kind === 'system' || ctx.service.principal.memberships.has(organisationId);
    return open.filter((c) => visible(c.organisationId) && (!input?.organisationId || c.organisationId === input.organisationId));
  }),
  resolveConflict: sessionProcedure
    .input(z.strictObject({ id: z.uuid(), resolution: z.enum(['kept', 'restored']) }))
    .mutation(async ({ ctx, input }) => {
      await ctx.services.sync.resolveConflict(input.id, input.resolution);
      return ctx.services.sync.status();
    }),
  rejected: sessionProcedure.query(({ ctx }) => ctx.services.sync.syncClient.rejectedChanges()),
  dismissRejected: sessionProcedure.input(z.strictObject({ seq: z.int() })).mutation(async ({ ctx, input }) => {
    await ctx.services.sync.dismissRejected(input.seq);
    return ctx.services.sync.status();
  }),
});
