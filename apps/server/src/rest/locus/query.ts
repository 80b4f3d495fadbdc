import { validationError } from '@helio/core';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { errorBodySchema, type OperationDoc } from '../../openapi/describe.js';

/**
 * A /v3 request's query parameters, each once. A parameter the call does not
 * take is refused by name rather than ignored: a misspelt filter (`nodeid`)
 * would otherwise answer as if there were none.
 */
export function locusQuery<K extends string>(request: FastifyRequest, accepted: readonly K[]): Partial<Record<K, string>> {
  const query = (request.query ?? {}) as Record<string, string | string[]>;
  const unknown = Object.keys(query).filter((key) => !(accepted as readonly string[]).includes(key));
  if (unknown.length > 0) {
    const takes = accepted.length > 0 ? `this call takes ${accepted.join(', ')}` : 'this call takes no query parameters';
    throw validationError(
      `unknown query parameter${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}: ${takes}`,
      unknown.map((path) => ({ path, message: 'unknown parameter' })),
    );
  }
  const values: Partial<Record<K, string>> = {};
  for (const key of accepted) {
    const value = query[key];
    if (Array.isArray(value)) throw validationError(`${key} was sent more than once`, [{ path: key, message: 'repeated' }]);
    if (value !== undefined) values[key] = value;
  }
  return values;
}

/** `a,b , c` → `['a', 'b', 'c']`: the spec's comma-delimited lists. */
export function commaList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** `{ "statusCode": 200, ... }`: every /v3 answer carries its status, as Locus clients read it. */
export function ok<T extends object>(body: T): { statusCode: 200 } & T {
  return { statusCode: 200, ...body };
}

/** A Locus integer id in a path. */
export const locusIdParam = (description: string) => z.int().positive().describe(description);

/** The OpenAPI description of a /v3 answer: `statusCode` beside the object or the named list. */
export function envelope<T extends z.ZodRawShape>(shape: T) {
  return z.object({ statusCode: z.literal(200), ...shape });
}

/** The errors a /v3 call can answer, each in the foundation's error body. */
export function locusErrors(): OperationDoc['responses'] {
  const errors: Record<number, string> = {
    400: 'A malformed id or parameter, an unknown parameter (VALIDATION_ERROR); the message names it',
    401: 'No bearer token, or a wrong, expired or revoked one (UNAUTHORIZED)',
    404: "No such id, or another partner's (NOT_FOUND): Helio never tells which",
    429: 'Beyond the credential\'s requests in flight: `{"message": "Too many requests", "statusCode": 429}` (RATE_LIMITED)',
  };
  return Object.fromEntries(Object.entries(errors).map(([code, description]) => [code, { description, schema: errorBodySchema }]));
}
