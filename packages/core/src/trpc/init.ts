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

/**
 * A router kit over a context: routers, procedures that need no caller, and
 * procedures that run as the authenticated caller. Core's routers use the
 * kit over RouterContext; a transport with a richer context (the desktop's)
 * makes its own from the same function, so there is one auth middleware.
 */
export function createRouterKit<Ctx extends RouterContext>() {
  const t = initTRPC.context<Ctx>().create({ errorFormatter });
  /** Runs as an authenticated principal; domain errors become tRPC errors. */
  const procedure = t.procedure.use(async ({ ctx, next }) => {
    let service: ServiceContext;
    try {
      service = await ctx.authenticate();
    } catch (err) {
      throw toTRPCError(err);
    }
    const result = await next({ ctx: { service } });
    if (!result.ok) {
      const converted = toTRPCError(result.error.cause);
      if (converted instanceof TRPCError) throw converted;
    }
    return result;
  });
  return { router: t.router, publicProcedure: t.procedure, procedure, createCallerFactory: t.createCallerFactory };
}

const kit = createRouterKit<RouterContext>();

export const router = kit.router;
export const createCallerFactory = kit.createCallerFactory;
/** Every core procedure runs as an authenticated principal. */
export const procedure = kit.procedure;
