/** The one list of stable error codes. Transports map each code to a status once. */
export const errorCodes = [
  'VALIDATION_ERROR',
  'MALFORMED_REQUEST',
  'NOT_FOUND',
  'CONFLICT',
  'FORBIDDEN',
  'UNAUTHORIZED',
  'RATE_LIMITED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'UPLOAD_TOKEN_INVALID',
  'UPLOAD_TOKEN_EXPIRED',
  'UPLOAD_MISMATCH',
  'UNSUPPORTED_VERSION',
  'SYNC_IDENTITY_IN_USE',
  'INTERNAL_ERROR',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

/**
 * What every transport answers for an unexpected error (INTERNAL_ERROR, 500):
 * the cause (a database message, a stack) goes to the log, never to the caller.
 */
export const INTERNAL_ERROR_MESSAGE = 'internal error';

export interface ErrorDetail {
  path?: string;
  message: string;
  [key: string]: unknown;
}

export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetail[];

  constructor(code: ErrorCode, message: string, details: ErrorDetail[] = []) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.details = details;
  }
}

export function isDomainError(err: unknown): err is DomainError {
  return err instanceof DomainError;
}

/** Another tenant's object and a missing object look the same: existence never leaks. */
export function notFound(entity: string, id?: string): DomainError {
  return new DomainError('NOT_FOUND', id ? `${entity} ${id} not found` : `${entity} not found`);
}

export function validationError(message: string, details: ErrorDetail[] = []): DomainError {
  return new DomainError('VALIDATION_ERROR', message, details);
}

export function forbidden(message: string): DomainError {
  return new DomainError('FORBIDDEN', message);
}

export function unauthorized(message = 'missing or invalid credentials'): DomainError {
  return new DomainError('UNAUTHORIZED', message);
}

export function conflict(message: string, details: ErrorDetail[] = []): DomainError {
  return new DomainError('CONFLICT', message, details);
}
