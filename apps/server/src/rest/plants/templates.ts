// Device templates (Helio's, not in the Plants API spec): how a device's
// telemetry keys map to base fields, and the commands it understands. The
// system templates are shared by every organisation and read-only.
import { plants } from '@helio/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { OperationDoc } from '../../openapi/describe.js';
import { helioRouteErrors } from './errors.js';
import { errorsOf, messageSchema, organisationHeaderSchema, organisationOpts, pageOf, plantsErrors, TAG, Template } from './shared.js';

const templateIdParams = z.object({ id: z.uuid().describe('The template id') });
const notFound = { 404: "Missing, deleted or another organisation's template: NOT_FOUND" };

/** The OpenAPI entries of the routes below. */
export const templateOperations = {
  list: {
    method: 'get',
    path: '/api/v1/templates',
    tag: TAG,
    summary: 'List device templates',
    description:
      "Helio's system templates (a PV inverter, a grid meter, a weather station, a battery) first, then the caller's organisations' templates, by name.",
    auth: 'credentials',
    query: plants.listTemplatesQuery,
    responses: {
      200: { description: 'A page of templates', schema: pageOf(Template, 'TemplatePage') },
      ...plantsErrors({ 400: 'A bad page, limit or level: VALIDATION_ERROR' }),
    },
  },
  create: {
    method: 'post',
    path: '/api/v1/templates',
    tag: TAG,
    summary: 'Create a device template',
    description:
      "An organisation's template, version 1. Each signal maps a device key to a stored base field of the monitoring catalog (W, Wh, WhImp, WhExp, ...), multiplied by `scale`; `counter: true` marks a lifetime energy counter, turned into interval energy. Technicians and above.",
    auth: 'credentials',
    headers: organisationHeaderSchema,
    body: plants.createTemplateInput,
    responses: { 201: { description: 'The template', schema: Template }, ...plantsErrors({ 400: 'Invalid body: VALIDATION_ERROR' }) },
  },
  get: {
    method: 'get',
    path: '/api/v1/templates/{id}',
    tag: TAG,
    summary: 'Get a device template',
    auth: 'credentials',
    params: templateIdParams,
    responses: {
      200: { description: 'The template', schema: Template },
      ...plantsErrors({ 400: 'The id is not a UUID: VALIDATION_ERROR', ...notFound }),
    },
  },
  update: {
    method: 'patch',
    path: '/api/v1/templates/{id}',
    tag: TAG,
    summary: 'Update a device template',
    description:
      'A partial update; every change increments `version`, and telemetry is decoded with the new version within a second. System templates are read-only (FORBIDDEN). A template plants use must stay of level PLANT (CONFLICT). Technicians and above.',
    auth: 'credentials',
    params: templateIdParams,
    body: plants.updateTemplateInput,
    responses: {
      200: { description: 'The updated template', schema: Template },
      ...plantsErrors({
        400: 'Invalid body or id: VALIDATION_ERROR',
        ...notFound,
        409: 'Plants use it and the level would change: CONFLICT',
      }),
    },
  },
  remove: {
    method: 'delete',
    path: '/api/v1/templates/{id}',
    tag: TAG,
    summary: 'Delete a device template',
    description: 'Refused (CONFLICT) while live plants use it. System templates are read-only (FORBIDDEN). Technicians and above.',
    auth: 'credentials',
    params: templateIdParams,
    responses: {
      200: { description: 'Deleted', schema: messageSchema },
      ...plantsErrors({ 400: 'The id is not a UUID: VALIDATION_ERROR', ...notFound, 409: 'Plants use it: CONFLICT' }),
    },
  },
} satisfies Record<string, OperationDoc>;

type Params = { id: string };

export function templateRoutes(app: FastifyInstance): void {
  const errors = errorsOf(helioRouteErrors);
  app.get('/templates', errors, (req) => plants.listTemplates(req.ctx, req.query));
  app.post('/templates', errors, async (req, reply) =>
    reply.code(201).send(await plants.createTemplate(req.ctx, req.body, organisationOpts(req))),
  );
  app.get<{ Params: Params }>('/templates/:id', errors, (req) => plants.getTemplate(req.ctx, req.params.id));
  app.patch<{ Params: Params }>('/templates/:id', errors, (req) => plants.updateTemplate(req.ctx, req.params.id, req.body ?? {}));
  app.delete<{ Params: Params }>('/templates/:id', errors, (req) => plants.deleteTemplate(req.ctx, req.params.id));
}
