// The Plants API's errors. Its body is Helio's (`statusCode`, `error`,
// `message`, `code`) with `details` an object, and its codes are the spec's:
// each route words its 400 and 404 its own way (GET /plants/{id} answers a bad
// id with INVALID_UUID, the lifecycle actions with BAD_REQUEST and the
// action's own message, PATCH with one message for all three causes). Core
// throws Helio's codes; this file turns them into the spec's, for the /api/v1
// plugin only.
import { DomainError, plants, type ErrorDetail } from '@helio/core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { toErrorBody } from '../errors.js';

export const plantsErrorCodes = [
  'VALIDATION_ERROR',
  'BAD_REQUEST',
  'INVALID_UUID',
  'PLANT_NOT_FOUND',
  'PLANT_ALREADY_EXISTS',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'RATE_LIMITED',
  'INTERNAL_SERVER_ERROR',
  // Helio's own, on the routes the spec does not describe (templates, groups) and for bodies the server refuses whole.
  'NOT_FOUND',
  'CONFLICT',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
] as const;
export type PlantsErrorCode = (typeof plantsErrorCodes)[number];

export interface PlantsIssue {
  path: string;
  message: string;
}

export interface PlantsErrorBody {
  statusCode: number;
  error: string;
  message: string;
  code: PlantsErrorCode;
  details: { issues?: PlantsIssue[] };
}

/** The spec's fixed messages. */
export const MESSAGES = {
  validation: 'Validation error',
  invalidUuid: 'Invalid plant UUID',
  plantNotFound: 'Plant not found',
  plantOrTemplateNotFound: 'Plant or referenced template not found',
  plantExists: 'Plant with this serial number already exists',
  patchBadRequest: 'Validation error, invalid UUID, or wrong-level template',
  commandBadRequest: 'Validation error or invalid plant UUID',
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  internal: 'Internal server error',
} as const;

/** How one route words its errors; routes without one use `helioRouteErrors`. */
export interface RouteErrors {
  /** Invalid input (body, query, a path id when `invalidUuid` is absent). `message: null` keeps core's message. */
  badRequest: { code: 'VALIDATION_ERROR' | 'BAD_REQUEST'; message: string | null };
  /** A malformed plant id in the path. */
  invalidUuid?: { code: 'INVALID_UUID' | 'BAD_REQUEST'; message: string };
  /** The plant (or object) the route is about is missing or another organisation's. `message: null` keeps core's. */
  notFound: { code: 'PLANT_NOT_FOUND' | 'NOT_FOUND'; message: string | null };
  /**
   * Not found of something the body names (a site, a template on create): invalid input rather than 404. `true`
   * for every reference; a list for those fields only (PATCH: a missing template is the spec's 404, a site is not).
   */
  missingReferenceIsBadRequest?: true | readonly string[];
  /** A duplicate serial number. */
  serialConflict?: true;
}

const badRequest = (message: string) => ({
  badRequest: { code: 'BAD_REQUEST' as const, message },
  invalidUuid: { code: 'BAD_REQUEST' as const, message },
  notFound: { code: 'PLANT_NOT_FOUND' as const, message: MESSAGES.plantNotFound },
});

/** The routes of the spec, by how they word their errors. */
export const routeErrors = {
  /** GET /plants, POST /plants, GET /plants/certificate-stats. */
  collection: {
    badRequest: { code: 'VALIDATION_ERROR', message: MESSAGES.validation },
    notFound: { code: 'PLANT_NOT_FOUND', message: MESSAGES.plantNotFound },
    missingReferenceIsBadRequest: true,
    serialConflict: true,
  },
  /** GET and DELETE /plants/{id}, energy/today, GET commands. */
  byId: {
    badRequest: { code: 'VALIDATION_ERROR', message: MESSAGES.validation },
    invalidUuid: { code: 'INVALID_UUID', message: MESSAGES.invalidUuid },
    notFound: { code: 'PLANT_NOT_FOUND', message: MESSAGES.plantNotFound },
  },
  patch: {
    badRequest: { code: 'BAD_REQUEST', message: MESSAGES.patchBadRequest },
    invalidUuid: { code: 'BAD_REQUEST', message: MESSAGES.patchBadRequest },
    notFound: { code: 'PLANT_NOT_FOUND', message: MESSAGES.plantOrTemplateNotFound },
    missingReferenceIsBadRequest: ['siteId', 'componentId'],
    serialConflict: true,
  },
  sendCommand: badRequest(MESSAGES.commandBadRequest),
  // The lifecycle actions: one message for a bad id and a refused transition (lifecycle.ts's REFUSAL).
  mqttToken: badRequest(plants.REFUSAL['mqtt-token']),
  provision: badRequest(plants.REFUSAL.provision),
  suspend: badRequest(plants.REFUSAL.suspend),
  reactivate: badRequest(plants.REFUSAL.reactivate),
  revoke: badRequest(plants.REFUSAL.revoke),
  rotateSecret: badRequest(plants.REFUSAL['rotate-secret']),
} satisfies Record<string, RouteErrors>;

/** Helio's own routes (templates, groups): Helio's codes and messages in the Plants API's body. */
export const helioRouteErrors: RouteErrors = {
  badRequest: { code: 'VALIDATION_ERROR', message: null },
  notFound: { code: 'NOT_FOUND', message: null },
};

declare module 'fastify' {
  interface FastifyContextConfig {
    /** How a Plants API route words its errors. */
    plantsErrors?: RouteErrors;
  }
}

function body(statusCode: number, code: PlantsErrorCode, message: string, issues: PlantsIssue[] = []): PlantsErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, code, details: issues.length > 0 ? { issues } : {} };
}

function issuesOf(details: readonly ErrorDetail[]): PlantsIssue[] {
  return details.map((d) => ({ path: d.path ?? '', message: d.message }));
}

const hasIssue = (details: readonly ErrorDetail[], issue: string) => details.some((d) => d.issue === issue);

/** A path id that is not a UUID: the same detail core gives, so both map alike. */
export function invalidUuid(path = 'id'): DomainError {
  return new DomainError('VALIDATION_ERROR', `${path} is not a valid UUID`, [{ path, message: 'must be a UUID', issue: 'invalid_uuid' }]);
}

/** Any error a Plants API route throws, as the spec answers it. */
export function toPlantsErrorBody(err: unknown, route: RouteErrors = helioRouteErrors): PlantsErrorBody {
  const helio = toErrorBody(err);
  const { details } = helio;
  switch (helio.code) {
    case 'VALIDATION_ERROR':
    case 'MALFORMED_REQUEST':
    case 'UPLOAD_MISMATCH': {
      if (helio.statusCode !== 400) return body(helio.statusCode, 'BAD_REQUEST', helio.message);
      const transition = details.find((d) => d.issue === 'illegal_transition');
      // Deleting a decommissioned plant: it is gone (core finds it first, this is the fallback).
      if (transition?.action === 'decommission') return body(404, 'PLANT_NOT_FOUND', MESSAGES.plantNotFound);
      // Lifecycle refusals carry the spec's message for their action.
      if (transition) return body(400, 'BAD_REQUEST', helio.message, issuesOf(details));
      if (route.invalidUuid && hasIssue(details, 'invalid_uuid')) {
        return body(400, route.invalidUuid.code, route.invalidUuid.message, issuesOf(details));
      }
      const issues = details.length > 0 ? issuesOf(details) : [{ path: '', message: helio.message }];
      return body(400, route.badRequest.code, route.badRequest.message ?? helio.message, issues);
    }
    case 'NOT_FOUND': {
      const reference = referencePath(helio.message);
      const refs = route.missingReferenceIsBadRequest;
      if (refs === true || (refs && refs.includes(reference))) {
        return body(400, route.badRequest.code, route.badRequest.message ?? helio.message, [{ path: reference, message: helio.message }]);
      }
      if (route.notFound.message === null) {
        // Helio's routes keep core's message; a plant they name (a group member) is still PLANT_NOT_FOUND.
        return body(404, helio.message === MESSAGES.plantNotFound ? 'PLANT_NOT_FOUND' : route.notFound.code, helio.message);
      }
      return body(404, route.notFound.code, route.notFound.message);
    }
    case 'CONFLICT':
      if (route.serialConflict && helio.message === MESSAGES.plantExists) return body(409, 'PLANT_ALREADY_EXISTS', MESSAGES.plantExists);
      return body(409, 'CONFLICT', helio.message, issuesOf(details));
    case 'UNAUTHORIZED':
      return body(401, 'UNAUTHORIZED', MESSAGES.unauthorized);
    case 'FORBIDDEN':
      return body(403, 'FORBIDDEN', MESSAGES.forbidden);
    case 'RATE_LIMITED':
      return body(429, 'RATE_LIMITED', helio.message);
    case 'PAYLOAD_TOO_LARGE':
      return body(413, 'PAYLOAD_TOO_LARGE', helio.message);
    case 'UNSUPPORTED_MEDIA_TYPE':
      return body(415, 'UNSUPPORTED_MEDIA_TYPE', helio.message);
    case 'INTERNAL_ERROR':
      return body(500, 'INTERNAL_SERVER_ERROR', MESSAGES.internal);
    default:
      // Codes no plants route raises (upload tokens, sync): their status, Helio's message.
      return helio.statusCode >= 500
        ? body(500, 'INTERNAL_SERVER_ERROR', MESSAGES.internal)
        : body(helio.statusCode, 'BAD_REQUEST', helio.message);
  }
}

/** Which field of a create body a "not found" names, from core's message ("site … not found"). */
function referencePath(message: string): string {
  const lower = message.toLowerCase();
  if (lower.includes('template')) return 'templateId';
  if (lower.includes('component')) return 'componentId';
  if (lower.includes('site')) return 'siteId';
  if (lower.includes('organisation') || lower.includes('organization')) return 'organizationId';
  return '';
}

export function sendPlantsError(reply: FastifyReply, b: PlantsErrorBody): FastifyReply {
  return reply.code(b.statusCode).type('application/json; charset=utf-8').send(b);
}

/** The /api/v1 plugin's error handler. */
export function plantsErrorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const b = toPlantsErrorBody(err, request.routeOptions.config.plantsErrors ?? helioRouteErrors);
  if (b.statusCode >= 500) request.log.error({ err }, 'request failed');
  return sendPlantsError(reply, b);
}
