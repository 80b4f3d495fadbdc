// Alerts of the Locus v3 API at partner, site and component level: the Locus
// id is resolved (tenancy first: another partner's id is not found whatever
// the filters), then the alerts service filters and shapes.
import { alerts, alertSchemas, locus } from '@helio/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { OperationDoc } from '../../openapi/describe.js';
import { envelope, locusErrors, locusIdParam, locusQuery, ok } from './query.js';

const alertParameters = ['tz', 'updatedSince', 'openDuringMin', 'openDuringMax', 'alertType', 'priority', 'status'] as const;

const wallClock = (what: string) => z.string().optional().describe(`${what}, a wall-clock time in tz written YYYY-MM-DDThh:mm:ss`);

const alertQuery = z.object({
  tz: z.string().describe('Time zone of the filters and of the times answered (any IANA name: US/Pacific, Europe/Berlin, UTC)'),
  updatedSince: wallClock('Alerts changed since'),
  openDuringMin: wallClock('Start of the period in which the alert was open at any moment'),
  openDuringMax: wallClock('End of that period'),
  alertType: z
    .string()
    .optional()
    .describe(`Comma list of ${alertSchemas.alertTypes.join(', ')} (any case); default all`),
  priority: z.string().optional().describe('Comma list of high, medium, low (any case); default all'),
  status: z.string().optional().describe('open or closed; default both'),
});

const alertsBody = envelope({ alerts: z.array(alertSchemas.locusAlert.meta({ id: 'LocusAlert' })) });

function alertsOperation(path: string, summary: string, params: z.ZodObject, description: string): OperationDoc {
  return {
    method: 'get',
    path: `/v3${path}`,
    tag: 'Locus',
    summary,
    description,
    auth: 'credentials',
    params,
    query: alertQuery,
    responses: { 200: { description: 'The alerts, by start time', schema: alertsBody }, ...locusErrors() },
  };
}

/** The OpenAPI entries of the routes below. */
export const alertOperations = {
  partner: alertsOperation(
    '/partners/{partnerId}/alerts',
    'Get alerts for partner',
    z.object({ partnerId: locusIdParam('The partner') }),
    'Needs `updatedSince` (at most 7 days back) or both `openDuringMin` and `openDuringMax` (at most 31 days apart); 400 otherwise.',
  ),
  site: alertsOperation(
    '/sites/{siteId}/alerts',
    'Get alerts for site',
    z.object({ siteId: locusIdParam('The site') }),
    'Every filter is optional; without any, all of the site’s alerts.',
  ),
  component: alertsOperation(
    '/components/{componentId}/alerts',
    'Get alerts for component',
    z.object({ componentId: locusIdParam('The component') }),
    'Every filter is optional; without any, all of the component’s alerts.',
  ),
} satisfies Record<string, OperationDoc>;

export function alertRoutes(app: FastifyInstance): void {
  app.get<{ Params: { partnerId: string } }>('/partners/:partnerId/alerts', async (req) => {
    const filters = locusQuery(req, alertParameters);
    const partner = await locus.resolvePartner(req.ctx, req.params.partnerId);
    return ok({ alerts: await alerts.listAlerts(req.ctx, { ...filters, organisationId: partner.organisationId }) });
  });
  app.get<{ Params: { siteId: string } }>('/sites/:siteId/alerts', async (req) => {
    const filters = locusQuery(req, alertParameters);
    const site = await locus.resolveSite(req.ctx, req.params.siteId);
    return ok({ alerts: await alerts.listAlerts(req.ctx, { ...filters, siteId: site.id }) });
  });
  app.get<{ Params: { componentId: string } }>('/components/:componentId/alerts', async (req) => {
    const filters = locusQuery(req, alertParameters);
    const component = await locus.resolveComponent(req.ctx, req.params.componentId);
    return ok({ alerts: await alerts.listAlerts(req.ctx, { ...filters, componentId: component.id }) });
  });
}
