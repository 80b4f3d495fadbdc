// GET/POST /plants, certificate statistics, and one plant: read, update,
// delete (decommission) and today's energy.
import { plants } from '@helio/core';
import type { FastifyInstance } from 'fastify';
import type { OperationDoc } from '../../openapi/describe.js';
import { MESSAGES, routeErrors } from './errors.js';
import {
  errorsOf,
  messageSchema,
  Plant,
  PlantDetail,
  organisationHeaderSchema,
  organisationOpts,
  pageOf,
  pathId,
  plantIdParams,
  plantsErrors,
  TAG,
} from './shared.js';

const notFound = { 404: `Another organisation's or a missing (or decommissioned) plant: PLANT_NOT_FOUND "${MESSAGES.plantNotFound}"` };
const invalidId = { 400: `The id is not a UUID: INVALID_UUID "${MESSAGES.invalidUuid}"` };

/** The OpenAPI entries of the routes below. */
export const plantOperations = {
  list: {
    method: 'get',
    path: '/api/v1/plants',
    tag: TAG,
    summary: 'List all plants',
    description: "The caller's organisations' plants (decommissioned ones left out), newest first.",
    auth: 'credentials',
    query: plants.listPlantsQuery,
    responses: {
      200: { description: 'A page of plants', schema: pageOf(Plant, 'PlantPage') },
      ...plantsErrors({ 400: `A bad page, limit or authMethod: VALIDATION_ERROR "${MESSAGES.validation}"` }),
    },
  },
  create: {
    method: 'post',
    path: '/api/v1/plants',
    tag: TAG,
    summary: 'Create a new plant',
    description:
      'Created PENDING. With `siteId` the plant maps to a component of that site: the one named by `componentId`, else a new one (its node id is the serial number). Technicians and above.',
    auth: 'credentials',
    headers: organisationHeaderSchema,
    body: plants.createPlantInput,
    responses: {
      201: { description: 'The plant', schema: Plant },
      ...plantsErrors({
        400: `Invalid body, or a site, component or template that is not found: VALIDATION_ERROR "${MESSAGES.validation}"`,
        409: `A live plant has this serial number: PLANT_ALREADY_EXISTS "${MESSAGES.plantExists}"`,
      }),
    },
  },
  certificateStats: {
    method: 'get',
    path: '/api/v1/plants/certificate-stats',
    tag: TAG,
    summary: 'Get mTLS certificate health statistics',
    description:
      "Over the caller's organisations (or the one named by x-organisation-id): active, expired, expiring within 30 days and revoked certificates, the earliest expiry of an active certificate, and the live plants whose certificate has expired or expires within 30 days.",
    auth: 'credentials',
    headers: organisationHeaderSchema,
    responses: {
      200: { description: 'The statistics', schema: plants.certificateStatsSchema.meta({ id: 'CertificateStats' }) },
      ...plantsErrors({}),
    },
  },
  get: {
    method: 'get',
    path: '/api/v1/plants/{id}',
    tag: TAG,
    summary: 'Get plant by ID',
    description: 'With its template, plant groups and the monitoring alerts of its component(s).',
    auth: 'credentials',
    params: plantIdParams,
    responses: { 200: { description: 'The plant', schema: PlantDetail }, ...plantsErrors({ ...invalidId, ...notFound }) },
  },
  update: {
    method: 'patch',
    path: '/api/v1/plants/{id}',
    tag: TAG,
    summary: 'Update a plant',
    description:
      '`externalPlantId: null` unlinks, `templateId: null` unassigns; a template must be of level PLANT. `organizationId` (reassignment) is refused to every API caller (FORBIDDEN): only a server operator may move a plant. Technicians and above.',
    auth: 'credentials',
    params: plantIdParams,
    body: plants.updatePlantInput,
    responses: {
      200: { description: 'The updated plant', schema: Plant },
      ...plantsErrors({
        400: `Invalid body, id or a template of the wrong level: BAD_REQUEST "${MESSAGES.patchBadRequest}"`,
        404: `PLANT_NOT_FOUND "${MESSAGES.plantOrTemplateNotFound}"`,
        409: `PLANT_ALREADY_EXISTS "${MESSAGES.plantExists}"`,
      }),
    },
  },
  remove: {
    method: 'delete',
    path: '/api/v1/plants/{id}',
    tag: TAG,
    summary: 'Delete a plant',
    description:
      'Decommissions the plant: it is kept for history, refused by the gateway and every route (PLANT_NOT_FOUND), and its serial number is freed. Admins and owners.',
    auth: 'credentials',
    params: plantIdParams,
    responses: { 200: { description: 'Decommissioned', schema: messageSchema }, ...plantsErrors({ ...invalidId, ...notFound }) },
  },
  energyToday: {
    method: 'get',
    path: '/api/v1/plants/{id}/energy/today',
    tag: TAG,
    summary: 'Energy summary for the plant for today (UTC)',
    description:
      "From the readings of the plant's component and its sub-devices since 00:00 UTC, in kWh: produced, imported and exported, and selfConsumptionPct = (produced − exported) / produced × 100 (0 when nothing was produced).",
    auth: 'credentials',
    params: plantIdParams,
    responses: {
      200: { description: "Today's energy", schema: plants.energyTodaySchema.meta({ id: 'EnergyToday' }) },
      ...plantsErrors({ ...invalidId, ...notFound }),
    },
  },
  transitions: {
    method: 'get',
    path: '/api/v1/plants/{id}/transitions',
    tag: TAG,
    summary: "The plant's lifecycle history (Helio)",
    description:
      'Every transition of the lifecycle, and every credential action recorded beside them (provision, mqtt-token, rotate-secret, a change of authMethod), with who did it and when; newest first. Every member of the organisation.',
    auth: 'credentials',
    params: plantIdParams,
    query: plants.listTransitionsQuery,
    responses: {
      200: {
        description: 'A page of transitions',
        schema: pageOf(plants.plantTransition.meta({ id: 'PlantTransition' }), 'PlantTransitionPage'),
      },
      ...plantsErrors({
        400: `The id is not a UUID: INVALID_UUID "${MESSAGES.invalidUuid}"; a bad page or limit: VALIDATION_ERROR`,
        ...notFound,
      }),
    },
  },
} satisfies Record<string, OperationDoc>;

export function plantRoutes(app: FastifyInstance): void {
  app.get('/plants', errorsOf(routeErrors.collection), (req) => plants.listPlants(req.ctx, req.query));

  app.post('/plants', errorsOf(routeErrors.collection), async (req, reply) =>
    reply.code(201).send(await plants.createPlant(req.ctx, req.body, organisationOpts(req))),
  );

  // A static path: fastify's router prefers it to /plants/:id whatever the order of registration.
  app.get('/plants/certificate-stats', errorsOf(routeErrors.collection), (req) => plants.certificateStats(req.ctx, organisationOpts(req)));

  app.get('/plants/:id', errorsOf(routeErrors.byId), (req) => plants.getPlant(req.ctx, pathId(req)));

  app.patch('/plants/:id', errorsOf(routeErrors.patch), (req) => plants.updatePlant(req.ctx, pathId(req), req.body ?? {}));

  app.delete('/plants/:id', errorsOf(routeErrors.byId), (req) => plants.decommissionPlant(req.ctx, pathId(req)));

  app.get('/plants/:id/energy/today', errorsOf(routeErrors.byId), (req) => plants.energyToday(req.ctx, pathId(req)));

  app.get('/plants/:id/transitions', errorsOf(routeErrors.byId), (req) => plants.listTransitions(req.ctx, pathId(req), req.query ?? {}));
}
