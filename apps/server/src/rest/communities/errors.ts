// The community registry API's errors. Its clients were generated from a
// FastAPI document, so the body is FastAPI's: `detail` a string for a refusal
// (404 `{"detail": "Community not found"}`), a list of `{loc, msg, type}` for
// invalid input. Helio adds its stable `code` beside it, and to each problem
// of a bundle the document, line and column it was found at. Invalid input is
// 422 as FastAPI answers it; input that cannot be read at all (not JSON, not
// YAML, not UTF-8, a tampered cursor) is 400. These bodies are for the
// /user and /admin plugins only; every other API keeps Helio's body.
import { type ErrorCode, type ErrorDetail } from '@helio/core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { toErrorBody } from '../errors.js';

/** One problem, FastAPI's `ValidationError` with Helio's extra keys. */
export interface ProblemItem {
  loc: (string | number)[];
  msg: string;
  type: string;
  doc?: number;
  line?: number;
  column?: number;
}

export interface CommunityErrorBody {
  detail: string | ProblemItem[];
  code: ErrorCode;
}

/** Where a route's input lives, for problems that do not say (a query filter, a body field). */
export type LocRoot = 'query' | 'body' | 'path';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Where the problems of a community registry route's input are (`query` unless said). */
    communityLoc?: LocRoot;
    /** The content types the route takes, named when another is sent. */
    communityAccepts?: readonly string[];
  }
}

const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  // FastAPI answers invalid input 422; Helio's other APIs say 400.
  VALIDATION_ERROR: 422,
  MALFORMED_REQUEST: 400,
};

/** `sensor_ids[3].x` (core's detail paths) as a FastAPI `loc`: `["sensor_ids", 3, "x"]`. */
export function pathToLoc(path: string): (string | number)[] {
  if (path === '') return [];
  return path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((part) => part !== '')
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

const isLoc = (value: unknown): value is (string | number)[] =>
  Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number');

/**
 * A detail of a domain error as a problem. Bundle problems carry their own
 * `loc`, relative to the bundle or document (the route has put the body's
 * prefix in front already); other details name a field by `path`, which is
 * under `root`.
 */
export function problemOf(detail: ErrorDetail, root: LocRoot | null): ProblemItem {
  const loc = isLoc(detail['loc']) ? detail['loc'] : [...(root ? [root] : []), ...pathToLoc(detail.path ?? '')];
  const type = typeof detail['type'] === 'string' ? detail['type'] : typeof detail['issue'] === 'string' ? detail['issue'] : 'value_error';
  const item: ProblemItem = { loc, msg: detail.message, type };
  for (const key of ['doc', 'line', 'column'] as const) {
    const value = detail[key];
    if (typeof value === 'number') item[key] = value;
  }
  return item;
}

/** Puts `prefix` in front of the `loc` of every bundle problem (details with a `loc`) of `details`. */
export function prefixLocs(details: readonly ErrorDetail[], prefix: (string | number)[]): ErrorDetail[] {
  return details.map((d) => (isLoc(d['loc']) ? { ...d, loc: [...prefix, ...d['loc']] } : d));
}

function humanSize(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / 1024 / 1024} MiB` : `${bytes} bytes`;
}

/** Any error a community registry route throws, as its status and body. */
export function toCommunityError(err: unknown, request?: FastifyRequest): { status: number; body: CommunityErrorBody } {
  const helio = toErrorBody(err);
  const status = STATUS_BY_CODE[helio.code] ?? helio.statusCode;
  const config = request?.routeOptions.config;
  const fastifyCode = (err as Partial<FastifyError>).code;
  if (helio.code === 'VALIDATION_ERROR' || helio.code === 'MALFORMED_REQUEST') {
    // Fastify's own refusals of a body (a Content-Length that does not match, ...) are about the body.
    const root = fastifyCode?.startsWith('FST_ERR_CTP_') ? 'body' : (config?.communityLoc ?? 'query');
    const detail =
      helio.details.length > 0 ? helio.details.map((d) => problemOf(d, root)) : [{ loc: [root], msg: helio.message, type: 'value_error' }];
    return { status, body: { detail, code: helio.code } };
  }
  let message = helio.message;
  if (fastifyCode === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    const limit = request?.routeOptions.bodyLimit;
    message = limit ? `the request body is larger than this route takes (${humanSize(limit)})` : 'the request body is too large';
  } else if (fastifyCode === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    message = unsupportedMediaTypeMessage(request);
  }
  return { status, body: { detail: message, code: helio.code } };
}

/** Why a content type was refused, naming the ones the route takes. */
export function unsupportedMediaTypeMessage(request?: FastifyRequest): string {
  const sent = request?.headers['content-type'] ?? 'none';
  const accepts = request?.routeOptions.config.communityAccepts ?? ['application/json'];
  return `unsupported content type ${sent}: this route takes ${accepts.join(', ')}`;
}

export function sendCommunityError(reply: FastifyReply, status: number, body: object): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

/** The error handler of the /user and /admin plugins. */
export function communityErrorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, body } = toCommunityError(err, request);
  if (status >= 500) request.log.error({ err }, 'request failed');
  return sendCommunityError(reply, status, body);
}

/** Their not-found handler: FastAPI's `{"detail": "Not Found"}`, with the code. */
export function communityNotFoundHandler(_request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendCommunityError(reply, 404, { detail: 'Not Found', code: 'NOT_FOUND' } satisfies CommunityErrorBody);
}
