import { initTRPC, TRPCError, type TRPCDefaultErrorShape } from '@trpc/server';
import { z } from 'zod';
import type { ServiceContext } from '../context.js';
import type { DocumentStorage } from '../documents/service.js';
import { INTERNAL_ERROR_MESSAGE, isDomainError } from '../errors.js';
import { invalidInput, refuseNulCharacters } from '../validation.js';
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

/**
 * The error every caller sees, on every transport (tRPC over HTTP, the
 * desktop's in-process bridge): tRPC's code and status, core's stable code
 * (`helioCode`) and `details`, and the procedure's path, which the caller
 * named itself. Never a stack, whatever NODE_ENV says; an unexpected error
 * (500) says only "internal error", never the database's or a library's text.
 * Transports log the error itself.
 */
export function errorFormatter({ shape, error }: { shape: TRPCDefaultErrorShape; error: { cause?: unknown } }) {
  // A procedure's `.input()` schema failing is the same VALIDATION_ERROR a service's parseInput throws.
  const domain = isDomainError(error.cause) ? error.cause : error.cause instanceof z.ZodError ? invalidInput(error.cause) : undefined;
  const unexpected = !domain && shape.data.code === 'INTERNAL_SERVER_ERROR';
  return {
    message: unexpected ? INTERNAL_ERROR_MESSAGE : (domain?.message ?? shape.message),
    code: shape.code,
    data: {
      code: shape.data.code,
      httpStatus: shape.data.httpStatus,
      ...(shape.data.path === undefined ? {} : { path: shape.data.path }),
      helioCode: domain?.code ?? (unexpected ? 'INTERNAL_ERROR' : null),
      details: domain?.details ?? [],
    },
  };
}

/**
 * Every procedure's input, before its schema: text with a NUL character is
 * refused in any field, with the path as the caller sent it (services check
 * again in parseInput, for their callers that are not tRPC).
 */
async function refuseNul<R>({ getRawInput, next }: { getRawInput: () => Promise<unknown>; next: () => Promise<R> }): Promise<R> {
  try {
    refuseNulCharacters(await getRawInput());
  } catch (err) {
    throw toTRPCError(err);
  }
  return next();
}

/**
 * A router kit over a context: routers, procedures that need no caller, and
 * procedures that run as the authenticated caller. Core's routers use the
 * kit over RouterContext; a transport with a richer context (the desktop's)
 * makes its own from the same function, so there is one auth middleware.
 */
export function createRouterKit<Ctx extends RouterContext>() {
  // isDev only decides whether tRPC puts the stack in the shape; the formatter leaves it out either way.
  const t = initTRPC.context<Ctx>().create({ errorFormatter, isDev: false });
  /** Runs as an authenticated principal; domain errors become tRPC errors. */
  const procedure = t.procedure
    .use(async ({ ctx, next }) => {
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
    })
    .use(refuseNul);
  return { router: t.router, publicProcedure: t.procedure.use(refuseNul), procedure, createCallerFactory: t.createCallerFactory };
}

const kit = createRouterKit<RouterContext>();

export const router = kit.router;
export const createCallerFactory = kit.createCallerFactory;
/** Every core procedure runs as an authenticated principal. */
export const procedure = kit.procedure;
