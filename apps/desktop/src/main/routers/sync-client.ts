// The sync panel's procedures: the state of sync (also as a subscription, so
// the window follows it live), conflicts to review and resolve, and changes
// the server refused (those two from core).
import { localSyncProcedures } from '@helio/core';
import { burstsOf } from './bursts.js';
import { publicProcedure, router } from '../trpc.js';

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
  // Conflicts and could-not-sync: core's procedures, over this device's sync client.
  ...localSyncProcedures,
});
