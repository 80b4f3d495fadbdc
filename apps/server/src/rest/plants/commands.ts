// A plant's commands: send (recorded, then published to the plant by the
// gateway) and the history with each command's honest state.
import { plants, validationError } from '@helio/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { OperationDoc } from '../../openapi/describe.js';
import { plantEnvironment } from '../../plant-environment.js';
import type { AppServices } from '../../services.js';
import { MESSAGES, routeErrors } from './errors.js';
import { errorsOf, pageOf, pathId, plantIdParams, plantsErrors, TAG } from './shared.js';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** `Idempotency-Key`, when sent: 1–255 visible ASCII characters. */
function idempotencyKey(request: FastifyRequest): string | undefined {
  const value = request.headers['idempotency-key'];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !IDEMPOTENCY_KEY.test(value)) {
    throw validationError('invalid Idempotency-Key header', [
      { path: 'Idempotency-Key', message: 'must be 1 to 255 visible ASCII characters, sent once' },
    ]);
  }
  return value;
}

const PlantCommand = plants.plantCommand.meta({ id: 'PlantCommand' });

const notFound = { 404: `Missing, decommissioned or another organisation's plant: PLANT_NOT_FOUND "${MESSAGES.plantNotFound}"` };

/** The OpenAPI entries of the routes below. */
export const commandOperations = {
  list: {
    method: 'get',
    path: '/api/v1/plants/{id}/commands',
    tag: TAG,
    summary: 'List command history for a plant',
    description: 'Newest first.',
    auth: 'credentials',
    params: plantIdParams,
    query: plants.listCommandsQuery,
    responses: {
      200: { description: 'A page of commands', schema: pageOf(PlantCommand, 'PlantCommandPage') },
      ...plantsErrors({
        400: `The id is not a UUID: INVALID_UUID "${MESSAGES.invalidUuid}"; a bad page or limit: VALIDATION_ERROR`,
        ...notFound,
      }),
    },
  },
  send: {
    method: 'post',
    path: '/api/v1/plants/{id}/commands',
    tag: TAG,
    summary: 'Send a command to a plant via MQTT',
    description:
      "Recorded as queued and published (QoS 1) on the plant's commands topic at once if it is connected, else when it connects; expires if not delivered in time. With `Idempotency-Key`, sending again with the same key answers the first command (200) instead of creating another (201). Technicians and above.",
    auth: 'credentials',
    params: plantIdParams,
    headers: z.object({
      'idempotency-key': z.string().max(255).optional().describe('Sending again with the same key returns the command first created'),
    }),
    body: plants.sendCommandInput,
    responses: {
      201: { description: 'The command, created', schema: PlantCommand },
      200: { description: 'The command an earlier request with this Idempotency-Key created', schema: PlantCommand },
      ...plantsErrors({ 400: `Invalid body or id: BAD_REQUEST "${MESSAGES.commandBadRequest}"`, ...notFound }),
    },
  },
} satisfies Record<string, OperationDoc>;

export function commandRoutes(app: FastifyInstance, services: AppServices): void {
  app.get('/plants/:id/commands', errorsOf(routeErrors.byId), (req) => plants.listCommands(req.ctx, pathId(req), req.query ?? {}));

  app.post('/plants/:id/commands', errorsOf(routeErrors.sendCommand), async (req, reply) => {
    const id = pathId(req);
    const key = idempotencyKey(req);
    const { commandTtlSeconds } = await plantEnvironment(services);
    const { command, created } = await plants.sendCommand(req.ctx, id, req.body, {
      ...(key === undefined ? {} : { idempotencyKey: key }),
      ttlSeconds: commandTtlSeconds,
    });
    return reply.code(created ? 201 : 200).send(command);
  });
}
