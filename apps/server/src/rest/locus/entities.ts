// Partners, clients, sites and components of the Locus v3 API: each route
// reads its parameters, calls one read of core's `locus` service and wraps
// the answer in the spec's envelope.
import { locus, locusSchemas } from '@helio/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { OperationDoc } from '../../openapi/describe.js';
import { envelope, locusErrors, locusIdParam, locusQuery, ok } from './query.js';

const Component = locusSchemas.locusComponent.meta({ id: 'LocusComponent' });
const Site = locusSchemas.locusSite.meta({ id: 'LocusSite' });
const Client = locusSchemas.locusClient.meta({ id: 'LocusClient' });
// The spec's examples of site lists give each site a statusCode of its own; Locus clients may read it there.
const ListedSite = locusSchemas.locusSite.extend({ statusCode: z.literal(200) }).meta({ id: 'LocusListedSite' });

const partnerParams = z.object({ partnerId: locusIdParam('The partner: an organisation (its `partnerId`)') });
const clientParams = z.object({
  clientId: locusIdParam("The client: a portfolio, or an organisation's client of sites without a portfolio"),
});
const siteParams = z.object({ siteId: locusIdParam('The site') });
const componentParams = z.object({ componentId: locusIdParam('The component') });

function get(path: string, summary: string, params: z.ZodObject, body: z.ZodType, description?: string, query?: z.ZodObject): OperationDoc {
  return {
    method: 'get',
    path: `/v3${path}`,
    tag: 'Locus',
    summary,
    ...(description ? { description } : {}),
    auth: 'credentials',
    params,
    ...(query ? { query } : {}),
    responses: { 200: { description: summary, schema: body }, ...locusErrors() },
  };
}

const sitesBody = envelope({ sites: z.array(ListedSite) });
const componentsBody = envelope({ components: z.array(Component) });

/** The OpenAPI entries of the routes below. */
export const entityOperations = {
  partnerClients: get(
    '/partners/{partnerId}/clients',
    'Get clients for a partner',
    partnerParams,
    envelope({ clients: z.array(Client) }),
    "The organisation's portfolios and, always, its client of sites without a portfolio " +
      '(`firstName` "Sites without a portfolio", `tz` UTC, id = the organisation\'s `unassignedClientId`), by id.',
  ),
  partnerSites: get('/partners/{partnerId}/sites', 'Get sites for a partner', partnerParams, sitesBody),
  partnerComponents: get(
    '/partners/{partnerId}/components',
    'Get components for a partner',
    partnerParams,
    componentsBody,
    'Filter by `nodeId` (the usual way to find a component by its device address) or `notes`, where `%` (sent as `%25`) is a ' +
      'wildcard; every other character, `_` included, matches itself. Helio keeps no notes on components: `notes` searches the ' +
      "component's `description`.",
    locusSchemas.partnerComponentsFilter,
  ),
  client: get('/clients/{clientId}', 'Get client', clientParams, envelope(Client.shape)),
  clientSites: get('/clients/{clientId}/sites', 'Get sites for a client', clientParams, sitesBody),
  clientComponents: get('/clients/{clientId}/components', 'Get components for a client', clientParams, componentsBody),
  site: get('/sites/{siteId}', 'Get site', siteParams, envelope(Site.shape)),
  siteComponents: get('/sites/{siteId}/components', 'Get components for a site', siteParams, componentsBody),
  installInfo: get(
    '/sites/{siteId}/installinfo',
    'Get install info',
    siteParams,
    envelope(locusSchemas.locusInstallInfo.shape),
    'Only the attributes set on the site are returned.',
  ),
  modelSettings: get(
    '/sites/{siteId}/modelsettings',
    'Get model settings',
    siteParams,
    envelope(locusSchemas.locusModelSettings.shape),
    'The PV model percentages (PVWatts-style defaults until set); `size` (kW DC) and `tmy3Id` when set.',
  ),
  component: get('/components/{componentId}', 'Get component', componentParams, envelope(Component.shape)),
} satisfies Record<string, OperationDoc>;

type PartnerReq = { Params: { partnerId: string } };
type ClientReq = { Params: { clientId: string } };
type SiteReq = { Params: { siteId: string } };
type ComponentReq = { Params: { componentId: string } };

const listedSites = (sites: locusSchemas.LocusSite[]) => ok({ sites: sites.map((site) => ({ statusCode: 200 as const, ...site })) });

export function entityRoutes(app: FastifyInstance): void {
  app.get<PartnerReq>('/partners/:partnerId/clients', async (req) => {
    locusQuery(req, []);
    return ok({ clients: await locus.partnerClients(req.ctx, req.params.partnerId) });
  });
  app.get<PartnerReq>('/partners/:partnerId/sites', async (req) => {
    locusQuery(req, []);
    return listedSites(await locus.partnerSites(req.ctx, req.params.partnerId));
  });
  app.get<PartnerReq>('/partners/:partnerId/components', async (req) => {
    const filter = locusQuery(req, ['nodeId', 'notes']);
    return ok({ components: await locus.partnerComponents(req.ctx, req.params.partnerId, filter) });
  });

  app.get<ClientReq>('/clients/:clientId', async (req) => {
    locusQuery(req, []);
    return ok(await locus.getClient(req.ctx, req.params.clientId));
  });
  app.get<ClientReq>('/clients/:clientId/sites', async (req) => {
    locusQuery(req, []);
    return listedSites(await locus.clientSites(req.ctx, req.params.clientId));
  });
  app.get<ClientReq>('/clients/:clientId/components', async (req) => {
    locusQuery(req, []);
    return ok({ components: await locus.clientComponents(req.ctx, req.params.clientId) });
  });

  app.get<SiteReq>('/sites/:siteId', async (req) => {
    locusQuery(req, []);
    return ok(await locus.getSite(req.ctx, req.params.siteId));
  });
  app.get<SiteReq>('/sites/:siteId/components', async (req) => {
    locusQuery(req, []);
    return ok({ components: await locus.siteComponents(req.ctx, req.params.siteId) });
  });
  app.get<SiteReq>('/sites/:siteId/installinfo', async (req) => {
    locusQuery(req, []);
    return ok(await locus.siteInstallInfo(req.ctx, req.params.siteId));
  });
  app.get<SiteReq>('/sites/:siteId/modelsettings', async (req) => {
    locusQuery(req, []);
    return ok(await locus.siteModelSettings(req.ctx, req.params.siteId));
  });

  app.get<ComponentReq>('/components/:componentId', async (req) => {
    locusQuery(req, []);
    return ok(await locus.getComponent(req.ctx, req.params.componentId));
  });
}
