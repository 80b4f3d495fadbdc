// What the Plants API's route files share: path ids, the per-route error
// wording, the OpenAPI error responses.
import { plants } from '@helio/core';
import { z } from 'zod';
import type { FastifyRequest, RouteShorthandOptions } from 'fastify';
import type { OperationDoc } from '../../openapi/describe.js';
import { organisationHeader } from '../context.js';
import { invalidUuid, plantsErrorCodes, type RouteErrors } from './errors.js';

export const TAG = 'Plants';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A UUID path parameter (any version, as PostgreSQL takes it), or VALIDATION_ERROR marked `invalid_uuid`. */
export function pathId(request: FastifyRequest, name = 'id'): string {
  const value = (request.params as Record<string, string | undefined>)[name];
  if (typeof value !== 'string' || !UUID.test(value)) throw invalidUuid(name);
  return value.toLowerCase();
}

/** Route options naming how the route words its errors. */
export function errorsOf(errors: RouteErrors): RouteShorthandOptions {
  return { config: { plantsErrors: errors } };
}

/** `{organisationId}` from `x-organisation-id`, for calls that create or count across organisations. */
export function organisationOpts(request: FastifyRequest): { organisationId?: string } {
  const organisationId = organisationHeader(request);
  return organisationId ? { organisationId } : {};
}

/** Responses carrying secrets shown once are never stored by a cache. */
export const NO_STORE = 'no-store';

// ---------------------------------------------------------------- OpenAPI

export const plantsErrorBodySchema = z
  .object({
    statusCode: z.number().int(),
    error: z.string().describe('HTTP reason phrase'),
    message: z.string(),
    code: z.enum(plantsErrorCodes),
    details: z
      .object({ issues: z.array(z.object({ path: z.string(), message: z.string() })).optional() })
      .describe('`{}`, or `{issues}` naming each invalid field'),
  })
  .meta({ id: 'PlantsError' });

export const plantIdParams = z.object({ id: z.string().describe('The plant id (a UUID)') });

export const organisationHeaderSchema = z.object({
  'x-organisation-id': z
    .uuid()
    .optional()
    .describe('The organisation, for callers that belong to several (not needed with an API key, which belongs to one)'),
});

const described: Record<number, string> = {
  401: 'Missing, wrong, expired or revoked credentials (UNAUTHORIZED)',
  403: 'The role may not do this (FORBIDDEN)',
  409: 'Conflicts with an existing object',
  413: 'Body too large (PAYLOAD_TOO_LARGE)',
  429: 'Rate limit exceeded (RATE_LIMITED); see Retry-After',
  500: 'Unexpected error (INTERNAL_SERVER_ERROR); the cause is logged, not returned',
};

/** Error responses of a route: `specific` describes its 400/404/409; 401, 403, 429 and 500 are added. */
export function plantsErrors(specific: Partial<Record<400 | 404 | 409 | 413, string>>): OperationDoc['responses'] {
  const all: Record<number, string | undefined> = {
    ...specific,
    401: described[401],
    403: described[403],
    429: described[429],
    500: described[500],
  };
  return Object.fromEntries(
    Object.entries(all)
      .filter((entry): entry is [string, string] => entry[1] !== undefined)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([status, description]) => [Number(status), { description, schema: plantsErrorBodySchema }]),
  );
}

/** A `{message}` answer. */
export const messageSchema = z.object({ message: z.string() }).meta({ id: 'PlantsMessage' });

export function pageOf<T extends z.ZodType>(item: T, id: string) {
  return z
    .object({
      data: z.array(item),
      meta: z.object({ limit: z.number().int(), page: z.number().int(), total: z.number().int(), totalPages: z.number().int() }),
    })
    .meta({ id });
}

// Core's shapes, named once for the document (a plant and its list both refer to Template).
export const Template = plants.templateSchema.meta({ id: 'Template' });
export const Plant = plants.plantSchema.extend({ template: Template.nullable() }).meta({ id: 'Plant' });
export const PlantDetail = plants.plantDetailSchema.extend({ template: Template.nullable() }).meta({ id: 'PlantDetail' });
export const PlantGroup = plants.plantGroupSchema.meta({ id: 'PlantGroup' });
