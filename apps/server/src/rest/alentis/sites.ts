import { parseInput, sites, siteSchemas } from '@helio/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { commonErrors, deletedSchema, objectIdParams, organisationHeaderSchema, type OperationDoc } from '../../openapi/describe.js';
import { organisationHeader } from '../context.js';
import { SiteListCache } from './site-list-cache.js';

type CoreSite = siteSchemas.Site;

// Helio's REST answers keep the Alentis site fields as they are and add the
// Locus ones: the site's integer id, its structured address, and the install
// info and model settings grouped as the Locus API groups them. The expected
// monthly table has a path of its own; the client's integer id is the Locus
// API's business.
const { INSTALL_INFO_FIELDS, MODEL_SETTING_FIELDS } = siteSchemas;
const groupedFields = [...INSTALL_INFO_FIELDS, ...Object.values(MODEL_SETTING_FIELDS)];
const leftOut = Object.fromEntries([...groupedFields, 'expectedMonthly', 'clientLocusId'].map((f) => [f, true])) as Record<
  (typeof groupedFields)[number] | 'expectedMonthly' | 'clientLocusId',
  true
>;

export const alentisSite = siteSchemas.site
  .omit(leftOut)
  .extend({ installInfo: siteSchemas.installInfo, modelSettings: siteSchemas.modelSettings })
  .meta({ id: 'Site' });
export type AlentisSite = z.infer<typeof alentisSite>;

export function toAlentisSite(site: CoreSite): AlentisSite {
  const shown = Object.fromEntries(Object.entries(site).filter(([field]) => !(field in leftOut))) as Omit<CoreSite, keyof typeof leftOut>;
  return { ...shown, installInfo: siteSchemas.installInfoOf(site), modelSettings: siteSchemas.modelSettingsOf(site) };
}

// The fields a request may set directly; the grouped ones come in installInfo and modelSettings.
const directFields = {
  siteName: true,
  address: true,
  capacity: true,
  unit: true,
  latitude: true,
  longitude: true,
  portfolioId: true,
  siteManager: true,
  coverImageUrl: true,
  timezone: true,
  address1: true,
  address2: true,
  locale3: true,
  locale1: true,
  localeCode1: true,
  postalCode: true,
  countryCode: true,
  alertSettings: true,
} as const;

const groups = {
  /** The Locus name of `timezone`; give one or the other. */
  locationTimezone: siteSchemas.updateSiteInput.shape.timezone.describe(
    'The Locus name of `timezone` (an IANA zone); give one or the other',
  ),
  installInfo: siteSchemas.installInfoInput.optional().describe('Install info: absent attributes stay, `null` clears one'),
  modelSettings: siteSchemas.modelSettingsInput
    .optional()
    .describe(
      'PV model settings: absent attributes stay; percentages are integers 0 to 110, `size` (kW DC) and `tmy3Id` may be cleared with `null`',
    ),
};

function oneZone(body: { timezone?: unknown; locationTimezone?: unknown }, ctx: z.RefinementCtx): void {
  if (body.timezone !== undefined && body.locationTimezone !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['locationTimezone'], message: 'give either timezone or locationTimezone, not both' });
  }
}

export const siteUpdateBody = z.strictObject({ ...siteSchemas.updateSiteInput.pick(directFields).shape, ...groups }).superRefine(oneZone);

export const siteCreateBody = z
  .strictObject({
    ...siteSchemas.createSiteInput.pick({ ...directFields, id: true, organisationId: true }).shape,
    siteName: siteSchemas.createSiteInput.shape.siteName,
    ...groups,
  })
  .superRefine(oneZone);

/** A request body as the site service takes it: flat, `timezone` for `locationTimezone`. */
function flatSiteFields(body: z.output<typeof siteUpdateBody> | z.output<typeof siteCreateBody>): Record<string, unknown> {
  const { locationTimezone, installInfo, modelSettings, ...direct } = body;
  return {
    ...direct,
    ...(locationTimezone === undefined ? {} : { timezone: locationTimezone }),
    ...siteSchemas.siteFieldsOfGroups({ installInfo, modelSettings }),
  };
}

export const expectedBody = z.strictObject({
  monthly: siteSchemas.expectedMonthlyTable
    .nullable()
    .describe(
      'Each month 1 to 12 exactly once: `Wh_e` expected energy (Wh, ≥ 0), `GHIh_t` typical insolation (Wh/m², ≥ 0, or null). `null` removes the table.',
    ),
});
const expectedAnswer = z.object({ monthly: siteSchemas.site.shape.expectedMonthly }).meta({ id: 'ExpectedMonthly' });

const Site = alentisSite;

/** The OpenAPI entries of the routes below. */
export const siteOperations = {
  list: {
    method: 'get',
    path: '/api/sites',
    tag: 'Alentis',
    summary: 'List sites',
    description: "Every live site of the caller's organisation(s), oldest first. Filter by `siteId` or `portfolioId`.",
    auth: 'credentials',
    query: siteSchemas.listSitesInput,
    responses: { 200: { description: 'The sites', schema: z.array(Site) }, ...commonErrors() },
  },
  create: {
    method: 'post',
    path: '/api/sites',
    tag: 'Alentis',
    summary: 'Create a site',
    description:
      'Only `siteName` is required. `timezone` (IANA name; `locationTimezone` is accepted for it) defaults to UTC. `portfolioId` must be a portfolio of the same organisation. Model settings left out take PVWatts-style defaults.',
    auth: 'credentials',
    headers: organisationHeaderSchema,
    body: siteCreateBody,
    responses: { 201: { description: 'The created site', schema: Site }, ...commonErrors([409]) },
  },
  update: {
    method: 'put',
    path: '/api/sites/{id}',
    tag: 'Alentis',
    summary: 'Update a site',
    description:
      'A partial update: fields left out stay as they are; `null` clears a field (`portfolioId: null` removes the site from its portfolio). `installInfo` and `modelSettings` are partial too.',
    auth: 'credentials',
    params: objectIdParams,
    body: siteUpdateBody,
    responses: { 200: { description: 'The updated site', schema: Site }, ...commonErrors() },
  },
  remove: {
    method: 'delete',
    path: '/api/sites/{id}',
    tag: 'Alentis',
    summary: 'Delete a site',
    auth: 'credentials',
    params: objectIdParams,
    responses: { 200: { description: 'The site was deleted', schema: deletedSchema }, ...commonErrors() },
  },
  getExpected: {
    method: 'get',
    path: '/api/sites/{id}/expected',
    tag: 'Alentis',
    summary: "A site's expected monthly table",
    description:
      'The P50 table expected energy (`Wh_e`) and typical insolation (`GHIh_t`) are prorated from; `monthly` is null when none is set.',
    auth: 'credentials',
    params: objectIdParams,
    responses: { 200: { description: 'The table, sorted by month', schema: expectedAnswer }, ...commonErrors() },
  },
  putExpected: {
    method: 'put',
    path: '/api/sites/{id}/expected',
    tag: 'Alentis',
    summary: "Set a site's expected monthly table",
    description:
      'Replaces the whole table (a yield study P50): all 12 months, each once, since expected values are prorated by day within each month. `{"monthly": null}` removes it.',
    auth: 'credentials',
    params: objectIdParams,
    body: expectedBody,
    responses: { 200: { description: 'The stored table, sorted by month', schema: expectedAnswer }, ...commonErrors() },
  },
} satisfies Record<string, OperationDoc>;

export function siteRoutes(app: FastifyInstance): void {
  const listCache = new SiteListCache({ shape: toAlentisSite });
  // The whole query goes to the schema, so a misspelt filter is a 400 rather than every site.
  app.get('/sites', async (req, reply) => reply.type('application/json; charset=utf-8').send(await listCache.list(req.ctx, req.query)));

  app.post<{ Body: Record<string, unknown> }>('/sites', async (req, reply) => {
    const organisationId = organisationHeader(req);
    const body =
      req.body && typeof req.body === 'object' && !Array.isArray(req.body) && organisationId ? { organisationId, ...req.body } : req.body;
    const created = await sites.createSite(req.ctx, flatSiteFields(parseInput(siteCreateBody, body)));
    return reply.code(201).send(toAlentisSite(created));
  });

  app.put<{ Params: { id: string } }>('/sites/:id', async (req) =>
    toAlentisSite(await sites.updateSite(req.ctx, req.params.id, flatSiteFields(parseInput(siteUpdateBody, req.body)))),
  );

  app.delete<{ Params: { id: string } }>('/sites/:id', async (req) => {
    const deleted = await sites.deleteSite(req.ctx, req.params.id);
    return { id: deleted.id, deleted: true };
  });

  app.get<{ Params: { id: string } }>('/sites/:id/expected', async (req) => ({
    monthly: (await sites.getSite(req.ctx, req.params.id)).expectedMonthly,
  }));

  app.put<{ Params: { id: string } }>('/sites/:id/expected', async (req) => {
    const { monthly } = parseInput(expectedBody, req.body);
    return { monthly: (await sites.updateSite(req.ctx, req.params.id, { expectedMonthly: monthly })).expectedMonthly };
  });
}
