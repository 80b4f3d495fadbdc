// Data available and data of the Locus v3 API, for a component, a site and
// (bulk) all of a partner's sites: the Locus id is resolved first (another
// partner's id is not found whatever the parameters), then the monitoring
// data service checks the parameters and answers.
import { locus, locusSchemas, monitoringData } from '@helio/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { OperationDoc } from '../../openapi/describe.js';
import { envelope, locusErrors, locusIdParam, locusQuery, ok } from './query.js';

const BaseField = locusSchemas.locusBaseField.meta({ id: 'LocusBaseField' });
const DataObject = locusSchemas.locusDataObject.meta({ id: 'LocusData' });

const modelParameters = ['modelType', 'irradianceSource', 'inverterClipping'] as const;
const dataParameters = ['fields', 'start', 'end', 'tz', 'gran', ...modelParameters] as const;
const bulkParameters = ['fields', 'start', 'end', 'tz', 'gran'] as const;

const wallClock = (what: string) =>
  z.string().optional().describe(`${what}: a wall-clock time in tz, YYYY-MM-DDThh:mm:ss (left out with gran=latest)`);

const dataQuery = z.object({
  fields: z.string().describe('Comma-delimited short names from dataavailable, e.g. W_avg,Wh_sum'),
  start: wallClock('Start of the period (buckets whose leading time is ≥ start)'),
  end: wallClock('End of the period (buckets whose leading time is < end)'),
  tz: z
    .string()
    .optional()
    .describe("Any IANA zone name (US/Pacific, Asia/Kolkata, UTC); with gran=latest it may be left out: the entity's own zone"),
  gran: z.enum(['latest', '1min', '5min', '15min', 'hourly', 'daily', 'monthly', 'yearly']),
  modelType: z.enum(['simple']).optional().describe('For modeled fields (W_m, Wh_m, PI_m): the PVWatts-style simple model'),
  irradianceSource: z.enum(['weatherStation']).optional().describe("For modeled fields: the site's weather station(s)"),
  inverterClipping: z.enum(['true', 'false']).optional().describe("For modeled fields: clip at the inverter's rating (default true)"),
});

const bulkQuery = z.object({
  fields: z.string().describe('Comma-delimited from Wh_sum, Whp_sum, Wh_e_sum, GHIh_m_sum, GHIhp_m_sum, GHIh_t_sum, EER_avg, GEER_avg'),
  start: z.string().describe('Start of the period, wall-clock in tz'),
  end: z.string().describe('End of the period, at most one year after start'),
  tz: z.string().describe('Any IANA zone name'),
  gran: z.enum(['monthly']).describe('Only monthly'),
});

const baseFieldsBody = envelope({ baseFields: z.array(BaseField) });
const dataBody = envelope({ data: z.array(DataObject) });

const partnerParams = z.object({ partnerId: locusIdParam('The partner') });
const siteParams = z.object({ siteId: locusIdParam('The site') });
const componentParams = z.object({ componentId: locusIdParam('The component') });

function op(path: string, summary: string, params: z.ZodObject, body: z.ZodType, description: string, query?: z.ZodObject): OperationDoc {
  return {
    method: 'get',
    path: `/v3${path}`,
    tag: 'Locus',
    summary,
    description,
    auth: 'credentials',
    params,
    ...(query ? { query } : {}),
    responses: { 200: { description: summary, schema: body }, ...locusErrors() },
  };
}

const dataRules =
  'Buckets whose leading time is ≥ start and < end, each covering [ts, ts + gran), ts written in tz with its offset (±HH:MM, never Z). ' +
  'Daily and longer buckets start at local midnight (a DST day has 23 or 25 hours). A short name without a value in a bucket is left out. ' +
  'Period limits: 1min < 5 days; 5min, 15min and hourly < 31 days; daily < 1 year. 400 names the parameter at fault: an unknown field, ' +
  'a field the entity has no data for, an unknown tz, an unparsable time, end not after start, a period over its limit.';

/** The OpenAPI entries of the routes below. */
export const dataOperations = {
  componentAvailable: op(
    '/components/{componentId}/dataavailable',
    'Get data available for component',
    componentParams,
    baseFieldsBody,
    'The stored fields the component has readings of (with `latest`), and nothing it lacks.',
  ),
  siteAvailable: op(
    '/sites/{siteId}/dataavailable',
    'Get data available for site',
    siteParams,
    baseFieldsBody,
    "Measured fields by the site data rule (energy and power from its generation meters, else its inverters; irradiance and temperature from its weather stations), and the modeled and expected fields the site's settings and readings allow.",
  ),
  partnerAvailable: op(
    '/partners/{partnerId}/sites/dataavailable',
    'Get bulk dataavailable',
    partnerParams,
    baseFieldsBody,
    'The fields bulk site data answers, monthly.',
  ),
  componentData: op('/components/{componentId}/data', 'Get data for component', componentParams, dataBody, dataRules, dataQuery),
  siteData: op(
    '/sites/{siteId}/data',
    'Get data for site',
    siteParams,
    dataBody,
    `${dataRules} gran=latest is answered for sites too, over the site's components, in the site's zone when tz is left out.`,
    dataQuery,
  ),
  partnerData: op(
    '/partners/{partnerId}/sites/data',
    'Get bulk data for all sites',
    partnerParams,
    dataBody,
    'Monthly data of every site of the partner, at most one year. A site without components has no object; a field a site lacks is null.',
    bulkQuery,
  ),
} satisfies Record<string, OperationDoc>;

/** The query string as the data service takes it, with `fields` cut at its commas (empty entries kept, for the service to refuse). */
function dataParams(query: Partial<Record<string, string>>): Record<string, unknown> {
  const { fields, ...rest } = query;
  return { ...rest, fields: fields === undefined ? undefined : fields.split(',') };
}

type PartnerReq = { Params: { partnerId: string } };
type SiteReq = { Params: { siteId: string } };
type ComponentReq = { Params: { componentId: string } };

export function dataRoutes(app: FastifyInstance): void {
  app.get<ComponentReq>('/components/:componentId/dataavailable', async (req) => {
    locusQuery(req, []);
    const component = await locus.resolveComponent(req.ctx, req.params.componentId);
    return ok({ baseFields: await monitoringData.componentDataAvailable(req.ctx, component.id) });
  });
  app.get<SiteReq>('/sites/:siteId/dataavailable', async (req) => {
    locusQuery(req, []);
    const site = await locus.resolveSite(req.ctx, req.params.siteId);
    return ok({ baseFields: await monitoringData.siteDataAvailable(req.ctx, site.id) });
  });
  app.get<PartnerReq>('/partners/:partnerId/sites/dataavailable', async (req) => {
    locusQuery(req, []);
    const partner = await locus.resolvePartner(req.ctx, req.params.partnerId);
    return ok({ baseFields: await monitoringData.partnerDataAvailable(req.ctx, partner.organisationId) });
  });

  app.get<ComponentReq>('/components/:componentId/data', async (req) => {
    const params = dataParams(locusQuery(req, dataParameters));
    const component = await locus.resolveComponent(req.ctx, req.params.componentId);
    return ok({ data: await monitoringData.componentData(req.ctx, component.id, params) });
  });
  app.get<SiteReq>('/sites/:siteId/data', async (req) => {
    const params = dataParams(locusQuery(req, dataParameters));
    const site = await locus.resolveSite(req.ctx, req.params.siteId);
    return ok({ data: await monitoringData.siteData(req.ctx, site.id, params) });
  });
  app.get<PartnerReq>('/partners/:partnerId/sites/data', async (req) => {
    const params = dataParams(locusQuery(req, bulkParameters));
    const partner = await locus.resolvePartner(req.ctx, req.params.partnerId);
    return ok({ data: await monitoringData.partnerSitesData(req.ctx, partner.organisationId, params) });
  });
}
