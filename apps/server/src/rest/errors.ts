import { DomainError, isDomainError, toDomainError, type ErrorCode, type ErrorDetail } from '@helio/core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';

/** Each domain error code maps to one HTTP status, here and nowhere else. */
export const httpStatusByCode: Record<ErrorCode, number> = {
  VALIDATION_ERROR: 400,
  MALFORMED_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  UPLOAD_TOKEN_INVALID: 403,
  UPLOAD_TOKEN_EXPIRED: 403,
  UPLOAD_MISMATCH: 400,
  UNSUPPORTED_VERSION: 426,
  SYNC_IDENTITY_IN_USE: 409,
  INTERNAL_ERROR: 500,
};

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  code: ErrorCode;
  details: ErrorDetail[];
}

export function errorBody(code: ErrorCode, message: string, details: ErrorDetail[] = []): ErrorBody {
  const statusCode = httpStatusByCode[code];
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, code, details };
}

// Fastify's own errors (body parsing, limits) in Helio's codes.
const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_REQUEST',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'MALFORMED_REQUEST',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_VALIDATION: 'VALIDATION_ERROR',
};

export function toErrorBody(err: unknown): ErrorBody {
  const domain = toDomainError(err);
  if (isDomainError(domain)) return errorBody(domain.code, domain.message, domain.details);
  const fe = err as Partial<FastifyError>;
  const mapped = fe.code ? fastifyCodes[fe.code] : undefined;
  if (mapped) {
    const message = mapped === 'MALFORMED_REQUEST' ? `malformed request body: ${fe.message ?? ''}`.trim() : (fe.message ?? mapped);
    return errorBody(mapped, message);
  }
  if (fe.statusCode === 429) return errorBody('RATE_LIMITED', fe.message ?? 'rate limit exceeded');
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return {
      ...errorBody('MALFORMED_REQUEST', fe.message ?? 'bad request'),
      statusCode: fe.statusCode,
      error: STATUS_CODES[fe.statusCode] ?? 'Error',
    };
  }
  return errorBody('INTERNAL_ERROR', 'internal server error');
}

export function sendError(reply: FastifyReply, body: ErrorBody): FastifyReply {
  return reply.code(body.statusCode).type('application/json; charset=utf-8').send(body);
}

export function errorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const body = toErrorBody(err);
  if (body.statusCode >= 500) request.log.error({ err }, 'request failed');
  return sendError(reply, body);
}

export { DomainError };
