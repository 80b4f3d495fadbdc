import { initTRPC, TRPCError } from '@trpc/server';
import { z } from 'zod';
import type { ServiceContext } from '../context.js';
import type { DocumentStorage } from '../documents/service.js';
import { isDomainError } from '../errors.js';
import { invalidInput } from '../validation.js';
import { toTRPCError } from './errors.js';

/**
 * The router's context. Transports resolve the caller lazily: procedures that
 * need one call `authenticate`, which throws UNAUTHORIZED when the request
 * carries no valid credential.
 */
export interface RouterContext {
  authenticate(): Promise<ServiceContext>;
  /** Where document bytes go: given by the server, absent on the desktop (whose uploads go to the server). */
  documentStorage?: DocumentStorage;
}

/** Adds core's stable code and details to every error: shared by every router built on core's procedures. */
export function errorFormatter<Shape extends { message: string; data: object }>({
  shape,
  error,
}: {
  shape: Shape;
  error: { cause?: unknown };
}) {
  // A procedure's `.input()` schema failing is the same VALIDATION_ERROR a service's parseInput throws.
  const domain = isDomainError(error.cause) ? error.cause : error.cause instanceof z.ZodError ? invalidInput(error.cause) : undefined;
  return {
    ...shape,
    message: domain?.message ?? shape.message,
    data: { ...shape.data, helioCode: domain?.code ?? null, details: domain?.details ?? [] },
  };
}

const t = initTRPC.context<RouterContext>().create({ errorFormatter });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Every procedure runs as an authenticated principal; domain errors become tRPC errors. */
export const procedure = t.procedure.use(async ({ ctx, next }) => {
  let service: ServiceContext;
  try {
    service = await ctx.authenticate();
  } catch (err) {
    throw toTRPCError(err);
  }
  const result = await next({ ctx: { ...ctx, service } });
  if (!result.ok) {
    const converted = toTRPCError(result.error.cause);
    if (converted instanceof TRPCError) throw converted;
  }
  return result;
});
