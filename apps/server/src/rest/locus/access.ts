// Who may call /v3, and how many of their requests may run at once.
//
// Locus clients authenticate with an OAuth2 bearer token from POST
// /oauth/token; Helio's API keys are accepted as well (in x-api-key, or as a
// bearer token), since they are Helio's credential for every other API.
//
// The spec limits each credential to one request at a time by default and
// answers a request beyond that with 429. An OAuth client's limit is its
// `concurrency_limit` (set with `helio oauth-client create --concurrency N`),
// counted per client and user: the tokens of one password-grant session, or
// of one client_credentials client, share one count however many tokens they
// hold; two users of one integration have a count each. An API key has a count
// of its own with the default limit. Counts are kept by each server process.
import { createHash } from 'node:crypto';
import { DomainError, oauth, unauthorized, type Principal } from '@helio/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { serviceContext, type AppServices } from '../../services.js';
import { authenticate, presentedCredential } from '../auth.js';

/** The spec's default: one request at a time per credential. */
export const DEFAULT_CONCURRENCY_LIMIT = 1;

export interface LocusCaller {
  principal: Principal;
  /** What the concurrency count is kept by; no credential in clear. */
  countKey: string;
  limit: number;
}

function isApiKey(request: FastifyRequest, credential: string): boolean {
  return credential.startsWith('hk_') || request.headers['x-api-key'] !== undefined;
}

/** Resolves the caller of a /v3 request, or throws UNAUTHORIZED. */
export async function locusCaller(request: FastifyRequest, services: AppServices): Promise<LocusCaller> {
  const credential = presentedCredential(request);
  if (!credential) throw unauthorized('missing credentials: send Authorization: Bearer <access token from POST /oauth/token>');
  if (isApiKey(request, credential)) {
    const principal = await authenticate(request, services);
    const key = principal.kind === 'apiKey' ? principal.keyId : createHash('sha256').update(credential).digest('base64url');
    return { principal, countKey: `key:${key}`, limit: DEFAULT_CONCURRENCY_LIMIT };
  }
  const holder = await oauth.describeAccessToken(services, credential);
  return {
    principal: holder.principal,
    countKey: `oauth:${holder.clientId}:${holder.userId ?? ''}`,
    limit: holder.concurrencyLimit ?? DEFAULT_CONCURRENCY_LIMIT,
  };
}

/** Requests in flight per key; a request past its key's limit is refused, never queued. */
export class ConcurrencyLimiter {
  private readonly inFlight = new Map<string, number>();

  /** A release function when there was room, undefined when the key is at its limit. */
  tryAcquire(key: string, limit: number): (() => void) | undefined {
    const running = this.inFlight.get(key) ?? 0;
    if (running >= limit) return undefined;
    this.inFlight.set(key, running + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.inFlight.get(key) ?? 1) - 1;
      if (left > 0) this.inFlight.set(key, left);
      else this.inFlight.delete(key);
    };
  }

  /** Requests of `key` running now. */
  running(key: string): number {
    return this.inFlight.get(key) ?? 0;
  }
}

/** The spec's answer to a request beyond the limit, word for word (`message`, `statusCode`), in Helio's error body. */
export function tooManyRequests(): DomainError {
  return new DomainError('RATE_LIMITED', 'Too many requests');
}

/**
 * The `onRequest` hook of /v3: authenticates, then takes a place among the
 * caller's requests in flight until the answer has gone out or the connection
 * closed. RFC 6750 §3: a refused bearer request says so in WWW-Authenticate.
 */
export function locusAccessHook(services: AppServices, limiter: ConcurrencyLimiter) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    let caller: LocusCaller;
    try {
      caller = await locusCaller(request, services);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'UNAUTHORIZED') reply.header('www-authenticate', 'Bearer realm="helio"');
      throw err;
    }
    const release = limiter.tryAcquire(caller.countKey, caller.limit);
    if (!release) throw tooManyRequests();
    // 'close' comes once the answer is written or the client has gone, whichever is first.
    reply.raw.once('close', release);
    request.ctx = serviceContext(services, caller.principal);
  };
}
