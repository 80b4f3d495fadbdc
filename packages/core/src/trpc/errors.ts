import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { toDomainError } from '../db-errors.js';
import { isDomainError, type ErrorCode } from '../errors.js';

/** Each domain error code maps to one tRPC code, here and nowhere else. */
export const trpcCodeByErrorCode: Record<ErrorCode, TRPC_ERROR_CODE_KEY> = {
  VALIDATION_ERROR: 'BAD_REQUEST',
  MALFORMED_REQUEST: 'BAD_REQUEST',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  RATE_LIMITED: 'TOO_MANY_REQUESTS',
  UPLOAD_TOKEN_INVALID: 'FORBIDDEN',
  UPLOAD_TOKEN_EXPIRED: 'FORBIDDEN',
  UPLOAD_MISMATCH: 'BAD_REQUEST',
  UNSUPPORTED_VERSION: 'PRECONDITION_FAILED',
  SYNC_IDENTITY_IN_USE: 'CONFLICT',
  INTERNAL_ERROR: 'INTERNAL_SERVER_ERROR',
};

/** Wraps a domain error in the matching TRPCError, keeping the original as `cause`. */
export function toTRPCError(err: unknown): unknown {
  const domain = toDomainError(err);
  if (!isDomainError(domain)) return err;
  return new TRPCError({ code: trpcCodeByErrorCode[domain.code], message: domain.message, cause: domain });
}
