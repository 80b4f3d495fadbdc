// The error a caller of a router built with createRouterKit receives, as a
// transport without HTTP (the desktop's in-process bridge) formats it: with
// tRPC's getErrorShape and the router's own configuration.
import { callTRPCProcedure, getErrorShape, getTRPCErrorFromUnknown, type AnyTRPCRouter } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { systemPrincipal } from '../auth/principal.js';
import type { ServiceContext } from '../context.js';
import { conflict } from '../errors.js';
import { createRouterKit, type RouterContext } from './init.js';

const kit = createRouterKit<RouterContext>();
const testRouter = kit.router({
  failsInTheDatabase: kit.procedure.query((): never => {
    throw new Error('relation "sites" does not exist');
  }),
  conflicts: kit.procedure.mutation((): never => {
    throw conflict('a site with this name exists', [{ path: 'siteName', message: 'taken' }]);
  }),
  echo: kit.publicProcedure.input(z.object({ note: z.string() })).mutation(({ input }) => input.note),
});

const ctx: RouterContext = { authenticate: async () => ({ principal: systemPrincipal }) as unknown as ServiceContext };

/** Calls `path` as the desktop bridge does and returns the error shape it would send the renderer. */
async function shapeOf(router: AnyTRPCRouter, path: string, type: 'query' | 'mutation', input?: unknown) {
  try {
    await callTRPCProcedure({ router, path, getRawInput: async () => input, ctx, type, signal: undefined, batchIndex: 0 });
  } catch (cause) {
    return getErrorShape({ config: router._def._config, error: getTRPCErrorFromUnknown(cause), type, path, input, ctx });
  }
  throw new Error(`${path} did not fail`);
}

describe('errors of a router built with createRouterKit, formatted in-process', () => {
  it('carry no stack and say only "internal error" for an unexpected failure, whatever NODE_ENV is', async () => {
    const shape = await shapeOf(testRouter, 'failsInTheDatabase', 'query');
    expect(shape).toEqual({
      message: 'internal error',
      code: -32603,
      data: { code: 'INTERNAL_SERVER_ERROR', httpStatus: 500, path: 'failsInTheDatabase', helioCode: 'INTERNAL_ERROR', details: [] },
    });
  });

  it('keep the stable code and details of a domain error', async () => {
    const shape = await shapeOf(testRouter, 'conflicts', 'mutation');
    expect(shape).toEqual({
      message: 'a site with this name exists',
      code: -32009,
      data: {
        code: 'CONFLICT',
        httpStatus: 409,
        path: 'conflicts',
        helioCode: 'CONFLICT',
        details: [{ path: 'siteName', message: 'taken' }],
      },
    });
  });

  it('refuse a NUL character in any input field, public procedures included', async () => {
    const shape = await shapeOf(testRouter, 'echo', 'mutation', { note: 'a\u0000b' });
    expect(shape).toMatchObject({
      message: 'invalid input: note: must not contain the NUL character (U+0000)',
      data: { code: 'BAD_REQUEST', helioCode: 'VALIDATION_ERROR', details: [{ path: 'note', issue: 'nul_character' }] },
    });
  });
});
