// What a device (the desktop app) adds to core's routers: its synced writes go
// through the sync client instead of straight to the services, and it has a
// sync panel (conflicts to resolve, changes the server refused). The
// procedures are core's, built in each domain's router.ts beside the server's;
// the device only supplies its sync client through the context.
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import type { Principal } from '../auth/principal.js';
import { createRouterKit, type RouterContext } from '../trpc/init.js';
import type { LocalWrite } from './client.js';
import type { OpenConflict, RejectedChange } from './client-review.js';

/** The device's sync client, as the local procedures use it. */
export interface LocalSync {
  /** Applies a write of a synced table locally, through the table's service, and queues it for the server. */
  write(input: LocalWrite): Promise<{ id: string; seq: number }>;
  /** Open conflicts the principal may see, oldest first; `organisationId` narrows to one organisation. */
  conflicts(principal: Principal, organisationId?: string): Promise<OpenConflict[]>;
  resolveConflict(id: string, resolution: 'kept' | 'restored'): Promise<void>;
  rejectedChanges(): Promise<RejectedChange[]>;
  dismissRejected(seq: number): Promise<void>;
  /** The device's sync status, returned by the panel's mutations so the window updates at once. */
  status(): Promise<unknown>;
}

export interface LocalRouterContext extends RouterContext {
  localSync: LocalSync;
}

const kit = createRouterKit<LocalRouterContext>();

/** Runs as the device's signed-in user, with its sync client at hand. */
export const localProcedure = kit.procedure;
export const localRouter = kit.router;
export const createLocalCallerFactory = kit.createCallerFactory;

/** A procedure that acts on the server only (an API key, a review): the device answers that it needs the server. */
export function serverOnly(what: string) {
  return localProcedure.input(z.unknown()).mutation((): never => {
    throw new TRPCError({
      code: 'METHOD_NOT_SUPPORTED',
      message: `${what} happens on the server only: it is not available in the desktop app`,
    });
  });
}

/** The sync panel's procedures about conflicts and refused changes. */
export const localSyncProcedures = {
  conflicts: localProcedure
    .input(z.strictObject({ organisationId: z.uuid().optional() }).optional())
    .query(({ ctx, input }) => ctx.localSync.conflicts(ctx.service.principal, input?.organisationId)),
  resolveConflict: localProcedure
    .input(z.strictObject({ id: z.uuid(), resolution: z.enum(['kept', 'restored']) }))
    .mutation(async ({ ctx, input }) => {
      await ctx.localSync.resolveConflict(input.id, input.resolution);
      return ctx.localSync.status();
    }),
  rejected: localProcedure.query(({ ctx }) => ctx.localSync.rejectedChanges()),
  dismissRejected: localProcedure.input(z.strictObject({ seq: z.int() })).mutation(async ({ ctx, input }) => {
    await ctx.localSync.dismissRejected(input.seq);
    return ctx.localSync.status();
  }),
};
