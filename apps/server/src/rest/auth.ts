import { apiKeys, DomainError, oauth, unauthorized, type Principal } from '@helio/core';
import type { FastifyRequest } from 'fastify';
import type { AppServices } from '../services.js';
import { batchLoader } from './batch-loader.js';

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

const apiKeyCheckers = new WeakMap<AppServices, (key: string) => Promise<Principal | DomainError>>();

/** The API keys of concurrent requests are checked together, with shared reads (see `batchLoader`). */
function apiKeyChecker(services: AppServices): (key: string) => Promise<Principal | DomainError> {
  let check = apiKeyCheckers.get(services);
  if (!check) {
    check = batchLoader((keys: string[]) => apiKeys.authenticateApiKeys(services, keys));
    apiKeyCheckers.set(services, check);
  }
  return check;
}

/**
 * Resolves who is calling, or throws UNAUTHORIZED. `x-api-key` carries API
 * keys only, so a wrong one is "invalid API key" whatever it looks like; a
 * bearer token is an API key when it has the key prefix, else an OAuth access token.
 */
export async function authenticate(request: FastifyRequest, services: AppServices): Promise<Principal> {
  const credential = presentedCredential(request);
  if (!credential) {
    throw unauthorized('missing credentials: send an x-api-key header or Authorization: Bearer <token>');
  }
  if (credential.startsWith('hk_') || header(request, 'x-api-key') !== undefined) {
    const result = await apiKeyChecker(services)(credential);
    if (result instanceof DomainError) throw result;
    return result;
  }
  return oauth.authenticateAccessToken(services, credential);
}
