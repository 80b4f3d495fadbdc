// The monitoring data procedures: the desktop's site chart, and the data
// calls for Helio's own clients (the same checks and answers as /v3).
import { z } from 'zod';
import { procedure, router } from '../../trpc/init.js';
import { siteChartInput } from './chart.js';
import { componentData, componentDataAvailable, siteChart, siteData, siteDataAvailable } from './service.js';

/** The data call's parameters as a query string would carry them. */
const params = z.record(z.string(), z.union([z.string(), z.array(z.string())]));

export const monitoringRouter = router({
  siteChart: procedure.input(siteChartInput).query(({ ctx, input }) => siteChart(ctx.service, input)),
  componentData: procedure
    .input(z.strictObject({ componentId: z.uuid(), params }))
    .query(({ ctx, input }) => componentData(ctx.service, input.componentId, input.params)),
  siteData: procedure
    .input(z.strictObject({ siteId: z.uuid(), params }))
    .query(({ ctx, input }) => siteData(ctx.service, input.siteId, input.params)),
  componentDataAvailable: procedure
    .input(z.strictObject({ componentId: z.uuid() }))
    .query(({ ctx, input }) => componentDataAvailable(ctx.service, input.componentId)),
  siteDataAvailable: procedure
    .input(z.strictObject({ siteId: z.uuid() }))
    .query(({ ctx, input }) => siteDataAvailable(ctx.service, input.siteId)),
});
