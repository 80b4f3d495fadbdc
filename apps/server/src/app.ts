import { createHash } from 'node:crypto';
import compress from '@fastify/compress';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { presentedCredential } from './rest/auth.js';
import { alentisApi, alentisSignedUrlApi } from './rest/alentis/index.js';
import { communitiesApi } from './rest/communities/index.js';
import { clientErrorHandler, DomainError, errorBody, errorHandler, sendError } from './rest/errors.js';
import { locusApi } from './rest/locus/index.js';
import { plantsApi } from './rest/plants/index.js';
import { oauthRoutes } from './rest/oauth.js';
import { systemRoutes } from './rest/system.js';
import { syncEventRoutes } from './rest/sync-events.js';
import { trpcApi } from './rest/trpc.js';
import { operations } from './openapi/operations.js';
import { openApiRoutes } from './openapi/routes.js';
import type { AppServices } from './services.js';

/** The URL without its query string: upload and download tokens travel there and must not be logged. */
function loggableUrl(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : `${url.slice(0, q)}?…`;
}

/** Rate limits count per credential (hashed, never kept in clear), or per address without one. */
function rateLimitKey(request: FastifyRequest): string {
  const credential = presentedCredential(request);
  return credential ? `cred:${createHash('sha256').update(credential).digest('base64url').slice(0, 22)}` : `ip:${request.ip}`;
}

export interface BuildAppOptions {
  /** Log at the configured level; off in tests. */
  logger?: boolean;
  /** Where logs go (stdout by default). */
  logStream?: NodeJS.WritableStream;
}

export async function buildApp(services: AppServices, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const { config } = services;
  const app = Fastify({
    bodyLimit: config.bodyLimitBytes,
    clientErrorHandler,
    logger: options.logger
      ? {
          level: config.logLevel,
          ...(options.logStream ? { stream: options.logStream } : {}),
          redact: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie'],
          serializers: {
            req: (req: { method: string; url: string; ip?: string }) => ({ method: req.method, url: loggableUrl(req.url), ip: req.ip }),
          },
        }
      : false,
  });

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, errorBody('NOT_FOUND', `no route for ${request.method} ${loggableUrl(request.url)}`)),
  );

  await app.register(compress, { global: true, threshold: 1024, encodings: ['gzip', 'deflate'] });
  await app.register(rateLimit, {
    max: config.rateLimitPerMinute,
    timeWindow: 60_000,
    keyGenerator: rateLimitKey,
    errorResponseBuilder: (_req, context) => ({
      ...errorBody(
        'RATE_LIMITED',
        `rate limit of ${context.max} requests per minute exceeded; retry in ${Math.ceil(context.ttl / 1000)} s`,
      ),
      statusCode: 429,
    }),
  });

  // Form bodies for POST /oauth/token (RFC 6749 uses application/x-www-form-urlencoded).
  // A parameter sent twice is refused (RFC 6749 §3.2): which one counts would be a guess.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    const form: Record<string, string> = {};
    for (const [key, value] of new URLSearchParams(body as string)) {
      if (Object.hasOwn(form, key)) {
        done(
          new DomainError('MALFORMED_REQUEST', `form parameter ${key} was sent more than once`, [{ path: key, message: 'repeated' }]),
          undefined,
        );
        return;
      }
      form[key] = value;
    }
    done(null, form);
  });

  await app.register(systemRoutes);
  await app.register(oauthRoutes(services));
  await app.register(alentisApi(services), { prefix: '/api' });
  await app.register(alentisSignedUrlApi(services), { prefix: '/api' });
  await app.register(locusApi(services), { prefix: '/v3' });
  await app.register(plantsApi(services), { prefix: '/api/v1' });
  // The community registry API: /user and /admin.
  await app.register(communitiesApi(services));
  await app.register(trpcApi(services));
  await app.register(syncEventRoutes(services));
  await app.register(openApiRoutes(operations));
  return app;
}
