import { oauth, OAuthError, systemPrincipal } from '@helio/core';
import type { FastifyInstance } from 'fastify';
import { serviceContext, type AppServices } from '../services.js';
import { toErrorBody } from './errors.js';

/**
 * POST /oauth/token, form-encoded (RFC 6749 §4.3, §4.4, §6). Errors carry
 * Helio's usual body, with `error` set to the OAuth error code (RFC 6749 §5.2)
 * and `error_description` beside it, so OAuth libraries understand them too.
 */
export function oauthRoutes(services: AppServices) {
  return async (app: FastifyInstance): Promise<void> => {
    app.post('/oauth/token', async (req, reply) => {
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      try {
        return await oauth.issueToken(serviceContext(services, systemPrincipal), req.body ?? {});
      } catch (err) {
        if (!(err instanceof OAuthError)) {
          const body = toErrorBody(err);
          if (body.code !== 'VALIDATION_ERROR') throw err;
          return reply.code(400).send({ ...body, error: 'invalid_request', error_description: body.message });
        }
        const body = toErrorBody(err);
        const status = err.oauthCode === 'invalid_client' ? 401 : 400;
        if (status === 401) reply.header('www-authenticate', 'Basic realm="helio"');
        return reply.code(status).send({ ...body, statusCode: status, error: err.oauthCode, error_description: err.message });
      }
    });
  };
}
