import { appRouter, type AppRouter, type RouterContext } from '@helio/core';
import { fastifyTRPCPlugin, type CreateFastifyContextOptions, type FastifyTRPCPluginOptions } from '@trpc/server/adapters/fastify';
import type { FastifyInstance } from 'fastify';
import { serviceContext, type AppServices } from '../services.js';
import { documentStorage } from './alentis/documents.js';
import { authenticate } from './auth.js';

/** The core router at /trpc, authenticated with the same credentials as the REST APIs. */
export function trpcApi(services: AppServices) {
  return async (app: FastifyInstance): Promise<void> => {
    await app.register(fastifyTRPCPlugin, {
      prefix: '/trpc',
      trpcOptions: {
        router: appRouter,
        createContext: ({ req }: CreateFastifyContextOptions): RouterContext => ({
          authenticate: async () => serviceContext(services, await authenticate(req, services)),
          documentStorage: documentStorage(services),
        }),
        // The caller gets "internal error" (core's errorFormatter); the cause and its stack go to the log.
        // Never the input: it may hold passwords.
        onError: ({ error, path, req }) => {
          if (error.code === 'INTERNAL_SERVER_ERROR') req.log.error({ err: error.cause ?? error, path }, 'procedure failed');
        },
      } satisfies FastifyTRPCPluginOptions<AppRouter>['trpcOptions'],
    });
  };
}
