import { oauth, OAuthError, oauthSchemas, systemPrincipal } from '@helio/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBodySchema, type OperationDoc } from '../openapi/describe.js';
import { serviceContext, type AppServices } from '../services.js';
import { toErrorBody } from './errors.js';

function decodeBasicPart(part: string): string {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    throw new OAuthError('invalid_client', 'malformed Basic credentials');
  }
}

/**
 * The token request's parameters, with client credentials sent as HTTP Basic
 * (RFC 6749 §2.3.1, which servers must accept; each part form-encoded) moved
 * into `client_id` and `client_secret`. One authentication method per request (§2.3).
 */
function tokenForm(req: FastifyRequest): unknown {
  const form = req.body ?? {};
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.headers.authorization ?? '');
  if (!match || typeof form !== 'object' || Array.isArray(form)) return form;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new OAuthError('invalid_client', 'malformed Basic credentials');
  const clientId = decodeBasicPart(decoded.slice(0, colon));
  const fields = form as Record<string, unknown>;
  if ('client_secret' in fields || ('client_id' in fields && fields['client_id'] !== clientId)) {
    throw new OAuthError('invalid_request', 'send client credentials either as HTTP Basic or in the form, not both');
  }
  return { ...fields, client_id: clientId, client_secret: decodeBasicPart(decoded.slice(colon + 1)) };
}

/**
 * Answers an OAuth endpoint's error with Helio's usual body, with `error` set
 * to the OAuth error code (RFC 6749 §5.2) and `error_description` beside it,
 * so OAuth libraries understand it too.
 */
function sendOAuthError(reply: FastifyReply, err: unknown): FastifyReply {
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

/** The OpenAPI entries of the routes below. */
export const oauthOperations = {
  token: {
    method: 'post',
    path: '/oauth/token',
    tag: 'OAuth',
    summary: 'Get an access token',
    description:
      'Grants `password` (returns a refresh token), `refresh_token` (rotates it: the old one stops working) and ' +
      '`client_credentials`. Access tokens expire after 3600 s. Errors set `error` to the OAuth error code ' +
      '(`invalid_client`, `invalid_grant`, `invalid_request`, `unsupported_grant_type`, `unauthorized_client`) and add `error_description`.',
    auth: 'none',
    bodyContentType: 'application/x-www-form-urlencoded',
    body: oauthSchemas.tokenRequest,
    responses: {
      200: { description: 'A token', schema: oauthSchemas.tokenResponse.meta({ id: 'Token' }) },
      400: { description: 'Bad request or grant', schema: errorBodySchema },
      401: { description: 'Unknown client or wrong secret', schema: errorBodySchema },
    },
  },
  revoke: {
    method: 'post',
    path: '/oauth/revoke',
    tag: 'OAuth',
    summary: 'Revoke a token (RFC 7009)',
    description:
      'The client that was issued the token gives it up (the desktop app does at sign-out). A refresh token ' +
      'revokes its whole session: the access tokens issued beside it and every later rotation. An unknown, ' +
      'expired or already revoked token is answered 200 as well; a token issued to another client gets `invalid_grant`.',
    auth: 'none',
    bodyContentType: 'application/x-www-form-urlencoded',
    body: oauthSchemas.revokeRequest,
    responses: {
      200: { description: 'Revoked (empty body)' },
      400: { description: 'Bad request, or a token of another client', schema: errorBodySchema },
      401: { description: 'Unknown client or wrong secret', schema: errorBodySchema },
    },
  },
} satisfies Record<string, OperationDoc>;

/** POST /oauth/token (RFC 6749 §4.3, §4.4, §6) and POST /oauth/revoke (RFC 7009), form-encoded. */
export function oauthRoutes(services: AppServices) {
  return async (app: FastifyInstance): Promise<void> => {
    app.post('/oauth/token', async (req, reply) => {
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      try {
        return await oauth.issueToken(serviceContext(services, systemPrincipal), tokenForm(req));
      } catch (err) {
        return sendOAuthError(reply, err);
      }
    });
    app.post('/oauth/revoke', async (req, reply) => {
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      try {
        await oauth.revokeToken(serviceContext(services, systemPrincipal), tokenForm(req));
        return reply.code(200).send();
      } catch (err) {
        return sendOAuthError(reply, err);
      }
    });
  };
}
