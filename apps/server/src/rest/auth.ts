import { apiKeys, oauth, unauthorized, type Principal } from '@helio/core';
import type { FastifyRequest } from 'fastify';
import type { AppServices } from '../services.js';

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** The credential a request carries, as presented: `x-api-key`, or a bearer token (OAuth access token or API key). */
export function presentedCredential(request: FastifyRequest): string | undefined {
  const key = header(request, 'x-api-key');
  if (key) return key;
  const auth = header(request, 'authorization');
  const match = auth ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
  return match?.[1];
}

/** Resolves who is calling, or throws UNAUTHORIZED. */
export async function authenticate(request: FastifyRequest, services: AppServices): Promise<Principal> {
  const credential = presentedCredential(request);
  if (!credential) {
    throw unauthorized('missing credentials: send an x-api-key header or Authorization: Bearer <token>');
  }
  if (credential.startsWith('hk_')) return apiKeys.authenticateApiKey(services, credential);
  return oauth.authenticateAccessToken(services, credential);
}
