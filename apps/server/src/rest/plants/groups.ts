// Plant groups (Helio's, not in the Plants API spec): named sets of an
// organisation's plants, listed with each plant's detail.
import { parseInput, plants } from '@helio/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { OperationDoc } from '../../openapi/describe.js';
import { helioRouteErrors } from './errors.js';
import { errorsOf, messageSchema, organisationHeaderSchema, organisationOpts, pageOf, PlantGroup, plantsErrors, TAG } from './shared.js';

const PlantGroupDetail = plants.plantGroupDetailSchema.meta({ id: 'PlantGroupDetail' });
const groupIdParams = z.object({ id: z.uuid().describe('The plant group id') });
const addPlantBody = z.strictObject({ plantId: z.string().describe('The plant to add (a UUID), of the same organisation') });
const notFound = { 404: "Missing or another organisation's group (NOT_FOUND), or plant (PLANT_NOT_FOUND)" };

/** The OpenAPI entries of the routes below. */
export const groupOperations = {
  list: {
    method: 'get',
    path: '/api/v1/plant-groups',
    tag: TAG,
    summary: 'List plant groups',
    auth: 'credentials',
    query: plants.listGroupsQuery,
    responses: {
      200: { description: 'A page of groups', schema: pageOf(PlantGroup, 'PlantGroupPage') },
      ...plantsErrors({ 400: 'A bad page or limit: VALIDATION_ERROR' }),
    },
  },
  create: {
    method: 'post',
    path: '/api/v1/plant-groups',
    tag: TAG,
    summary: 'Create a plant group',
    description: 'Names are unique within an organisation (case-insensitive). Technicians and above.',
    auth: 'credentials',
    headers: organisationHeaderSchema,
    body: plants.createGroupInput,
    responses: {
      201: { description: 'The group', schema: PlantGroupDetail },
      ...plantsErrors({ 400: 'Invalid body: VALIDATION_ERROR', 409: 'A group of the organisation has this name: CONFLICT' }),
    },
  },
  get: {
    method: 'get',
    path: '/api/v1/plant-groups/{id}',
    tag: TAG,
    summary: 'Get a plant group with its plant ids',
    auth: 'credentials',
    params: groupIdParams,
    responses: {
      200: { description: 'The group', schema: PlantGroupDetail },
      ...plantsErrors({ 400: 'The id is not a UUID: VALIDATION_ERROR', ...notFound }),
    },
  },
  update: {
    method: 'patch',
    path: '/api/v1/plant-groups/{id}',
    tag: TAG,
    summary: 'Update a plant group',
    description: 'Rename it or change its description (null clears it). Technicians and above.',
    auth: 'credentials',
    params: groupIdParams,
    body: plants.updateGroupInput,
    responses: {
      200: { description: 'The updated group', schema: PlantGroupDetail },
      ...plantsErrors({
        400: 'Invalid body or id: VALIDATION_ERROR',
        ...notFound,
        409: 'A group of the organisation has this name: CONFLICT',
      }),
    },
  },
  remove: {
    method: 'delete',
    path: '/api/v1/plant-groups/{id}',
    tag: TAG,
    summary: 'Delete a plant group',
    description: 'Its plants are kept. Technicians and above.',
    auth: 'credentials',
    params: groupIdParams,
    responses: {
      200: { description: 'Deleted', schema: messageSchema },
      ...plantsErrors({ 400: 'The id is not a UUID: VALIDATION_ERROR', ...notFound }),
    },
  },
  addPlant: {
    method: 'post',
    path: '/api/v1/plant-groups/{id}/plants',
    tag: TAG,
    summary: 'Add a plant to a group',
    description: "The plant must belong to the group's organisation; adding a member again changes nothing. Technicians and above.",
    auth: 'credentials',
    params: groupIdParams,
    body: addPlantBody,
    responses: {
      200: { description: 'The group with its plant ids', schema: PlantGroupDetail },
      ...plantsErrors({ 400: 'Invalid body or id: VALIDATION_ERROR', ...notFound }),
    },
  },
  removePlant: {
    method: 'delete',
    path: '/api/v1/plant-groups/{id}/plants/{plantId}',
    tag: TAG,
    summary: 'Remove a plant from a group',
    description: 'The plant itself is kept. Technicians and above.',
    auth: 'credentials',
    params: groupIdParams.extend({ plantId: z.string().describe('The plant id (a UUID)') }),
    responses: {
      200: { description: 'The group with its remaining plant ids', schema: PlantGroupDetail },
      ...plantsErrors({ 400: 'An id is not a UUID: VALIDATION_ERROR', ...notFound }),
    },
  },
} satisfies Record<string, OperationDoc>;

type Params = { id: string };

export function groupRoutes(app: FastifyInstance): void {
  const errors = errorsOf(helioRouteErrors);
  app.get('/plant-groups', errors, (req) => plants.listGroups(req.ctx, req.query));
  app.post('/plant-groups', errors, async (req, reply) =>
    reply.code(201).send(await plants.createGroup(req.ctx, req.body, organisationOpts(req))),
  );
  app.get<{ Params: Params }>('/plant-groups/:id', errors, (req) => plants.getGroup(req.ctx, req.params.id));
  app.patch<{ Params: Params }>('/plant-groups/:id', errors, (req) => plants.updateGroup(req.ctx, req.params.id, req.body ?? {}));
  app.delete<{ Params: Params }>('/plant-groups/:id', errors, (req) => plants.deleteGroup(req.ctx, req.params.id));
  app.post<{ Params: Params }>('/plant-groups/:id/plants', errors, (req) =>
    plants.addPlantToGroup(req.ctx, req.params.id, parseInput(addPlantBody, req.body).plantId),
  );
  app.delete<{ Params: Params & { plantId: string } }>('/plant-groups/:id/plants/:plantId', errors, (req) =>
    plants.removePlantFromGroup(req.ctx, req.params.id, req.params.plantId),
  );
}
