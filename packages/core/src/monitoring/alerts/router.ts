// The alerts procedures: a site's open and recent alerts, and acknowledging
// one. On the server the acknowledgement goes straight to the service; on a
// device (localAlertsRouter) through the sync client, which applies the same
// service locally and queues it, so it works offline.
import { actingUserId } from '../../auth/principal.js';
import { localProcedure, localRouter } from '../../sync/local.js';
import { procedure, router } from '../../trpc/init.js';
import { acknowledgeAlertInput, listSiteAlertsInput } from './schema.js';
import { acknowledgeAlert, getAlert, listSiteAlerts } from './service.js';
import { alertsSync } from './sync.js';

const reads = {
  list: procedure.input(listSiteAlertsInput).query(({ ctx, input }) => listSiteAlerts(ctx.service, input)),
};

/** What acknowledging (or withdrawing it) writes, as the acting user, now. */
function acknowledgement(ctx: { principal: Parameters<typeof actingUserId>[0]; clock: { now(): Date } }, acknowledged: boolean) {
  return acknowledged
    ? { acknowledgedAt: ctx.clock.now().toISOString(), acknowledgedBy: actingUserId(ctx.principal) }
    : { acknowledgedAt: null, acknowledgedBy: null };
}

export const alertsRouter = router({
  ...reads,
  acknowledge: procedure
    .input(acknowledgeAlertInput)
    .mutation(({ ctx, input }) => acknowledgeAlert(ctx.service, input.id, acknowledgement(ctx.service, input.acknowledged))),
});

export const localAlertsRouter = localRouter({
  ...reads,
  acknowledge: localProcedure.input(acknowledgeAlertInput).mutation(async ({ ctx, input }) => {
    const current = await getAlert(ctx.service, input.id);
    await ctx.localSync.write({
      table: alertsSync.table,
      op: 'update',
      id: input.id,
      organisationId: current.organisationId,
      fields: acknowledgement(ctx.service, input.acknowledged),
    });
    return getAlert(ctx.service, input.id);
  }),
});
