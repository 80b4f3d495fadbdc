import { z } from 'zod';

/**
 * One documented HTTP operation, declared in the file that registers its route;
 * the OpenAPI document is built from a list of these.
 */
export interface OperationDoc {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI path, with `{param}` placeholders. */
  path: string;
  /** The operation's id; derived from the method and path when absent. */
  operationId?: string;
  tag: string;
  summary: string;
  description?: string;
  /** `credentials`: x-api-key or a bearer token; `none`: public or carries its own token. */
  auth: 'credentials' | 'none';
  params?: z.ZodObject;
  query?: z.ZodObject;
  headers?: z.ZodObject;
  body?: z.ZodType;
  /** Defaults to application/json. */
  bodyContentType?: string;
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
}

export const errorBodySchema = z
  .object({
    statusCode: z.number().int(),
    error: z.string().describe('HTTP reason phrase (the OAuth error code on /oauth/token)'),
    message: z.string(),
    code: z.string().describe('stable Helio error code, e.g. VALIDATION_ERROR, NOT_FOUND'),
    details: z.array(z.object({ path: z.string().optional(), message: z.string() }).loose()),
  })
  .meta({ id: 'Error' });

export const organisationHeaderSchema = z.object({
  'x-organisation-id': z
    .uuid()
    .optional()
    .describe('The organisation a new object goes to, for callers that belong to several (not needed with an API key)'),
});

/** `{id}` in the path of a route about one object. */
export const objectIdParams = z.object({ id: z.uuid().describe('The object id') });

/** The answer to deleting one object. */
export const deletedSchema = z.object({ id: z.uuid(), deleted: z.literal(true) }).meta({ id: 'Deleted' });

/** The error responses every authenticated operation can give. */
export function commonErrors(extra: number[] = []): OperationDoc['responses'] {
  const all: Record<number, string> = {
    400: 'Invalid input (VALIDATION_ERROR, MALFORMED_REQUEST), text with a NUL character included; nothing was written',
    401: 'Missing, wrong, expired or revoked credentials (UNAUTHORIZED; "invalid API key" for a wrong x-api-key)',
    403: 'The role may not do this (FORBIDDEN)',
    404: 'Not found, or belongs to another organisation (NOT_FOUND)',
    409: 'Conflicts with an existing object (CONFLICT)',
    413: 'Body too large (PAYLOAD_TOO_LARGE)',
    429: 'Rate limit exceeded (RATE_LIMITED); see Retry-After',
  };
  const codes = [400, 401, 403, 404, 429, ...extra];
  return Object.fromEntries(codes.map((c) => [c, { description: all[c] ?? 'Error', schema: errorBodySchema }]));
}
