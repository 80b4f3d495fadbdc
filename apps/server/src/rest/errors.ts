import { DomainError, INTERNAL_ERROR_MESSAGE, isDomainError, toDomainError, type ErrorCode, type ErrorDetail } from '@helio/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

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
    return withStatus(errorBody('MALFORMED_REQUEST', fe.message ?? 'bad request'), fe.statusCode);
  }
  return errorBody('INTERNAL_ERROR', INTERNAL_ERROR_MESSAGE);
}

/** A 4xx that has no code of its own (408, 431, ...), as MALFORMED_REQUEST with its own status. */
function withStatus(body: ErrorBody, statusCode: number): ErrorBody {
  return { ...body, statusCode, error: STATUS_CODES[statusCode] ?? 'Error' };
}

export function sendError(reply: FastifyReply, body: ErrorBody): FastifyReply {
  return reply.code(body.statusCode).type('application/json; charset=utf-8').send(body);
}

export function errorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const body = toErrorBody(err);
  if (body.statusCode >= 500) request.log.error({ err }, 'request failed');
  return sendError(reply, body);
}

/** Why Node's HTTP parser refused a request, from its error (llhttp's `reason`, e.g. "Invalid header value char"). */
function clientErrorBody(err: { code?: string; reason?: unknown }): ErrorBody {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return withStatus(errorBody('MALFORMED_REQUEST', 'the request was not received in time'), 408);
  if (err.code === 'HPE_HEADER_OVERFLOW') return withStatus(errorBody('MALFORMED_REQUEST', 'the request headers are too large'), 431);
  const reason = typeof err.reason === 'string' && err.reason ? `: ${err.reason.charAt(0).toLowerCase()}${err.reason.slice(1)}` : '';
  return errorBody('MALFORMED_REQUEST', `malformed HTTP request${reason}`);
}

/**
 * Fastify's `clientErrorHandler`: a request that Node's HTTP parser refuses
 * before any route sees it (a control character in a header, a broken
 * request line, headers too large) is answered with the usual error body too,
 * and the connection closed, as Node and Fastify do by default.
 */
export function clientErrorHandler(this: FastifyInstance, err: Error & { code?: string; reason?: unknown }, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  // The code and reason only: the error also carries the raw request bytes, credentials included.
  this.log.debug({ code: err.code, reason: err.reason }, 'refused a malformed HTTP request');
  if (socket.writable) {
    const body = clientErrorBody(err);
    const json = JSON.stringify(body);
    socket.write(
      `HTTP/1.1 ${body.statusCode} ${body.error}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
    );
  }
  socket.destroy(err);
}

export { DomainError };
