import { z } from 'zod';
import { roleSchema } from '../auth/roles.js';

export const grantTypes = ['password', 'refresh_token', 'client_credentials'] as const;
export const grantType = z.enum(grantTypes);
export type GrantType = z.infer<typeof grantType>;

/** The desktop app's client_id: a public client (no secret), registered by migration 0005. */
export const DESKTOP_CLIENT_ID = 'helio-desktop';

export const ACCESS_TOKEN_TTL_SECONDS = 3600;
export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 3600;
/** How long after a rotation the old refresh token may be presented again, when the answer was lost (see issueToken). */
export const REFRESH_RETRY_GRACE_MS = 60_000;

export const createOAuthClientInput = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    grants: z.array(grantType).min(1).default(['password', 'refresh_token']),
    /** Required for client_credentials: the organisation the client acts for, and with which role. */
    organisationId: z.uuid().optional(),
    role: roleSchema.optional(),
    /** Requests the client may have in flight at once on the Locus v3 API (default 1, as Locus). */
    concurrencyLimit: z.int().min(1).max(1000).optional(),
  })
  .refine((c) => !c.grants.includes('client_credentials') || (c.organisationId && c.role), {
    message: 'a client_credentials client needs organisationId and role',
    path: ['organisationId'],
  })
  .refine((c) => Boolean(c.organisationId) === Boolean(c.role), {
    message: 'organisationId and role go together',
    path: ['role'],
  });

export const oauthClient = z.object({
  id: z.uuid(),
  clientId: z.string(),
  name: z.string(),
  grants: z.array(grantType),
  organisationId: z.uuid().nullable(),
  role: roleSchema.nullable(),
  /** Requests in flight at once on the Locus v3 API; null: the default of one. */
  concurrencyLimit: z.int().nullable(),
  createdAt: z.iso.datetime(),
});
export type OAuthClient = z.infer<typeof oauthClient>;
export const createdOAuthClient = oauthClient.extend({ clientSecret: z.string() });
export type CreatedOAuthClient = z.infer<typeof createdOAuthClient>;

/** The form body of POST /oauth/token (RFC 6749 §4.3, §4.4, §6). */
export const tokenRequest = z.object({
  grant_type: z.string({ error: 'grant_type is required' }).min(1, 'grant_type is required'),
  client_id: z.string().min(1).optional(),
  client_secret: z.string().min(1).optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  refresh_token: z.string().optional(),
});
export type TokenRequest = z.infer<typeof tokenRequest>;

/** The form body of POST /oauth/revoke (RFC 7009 §2.1). */
export const revokeRequest = z.object({
  token: z.string({ error: 'token is required' }).min(1, 'token is required'),
  token_type_hint: z.string().optional(),
  client_id: z.string().min(1).optional(),
  client_secret: z.string().min(1).optional(),
});

/** The token response, field for field as the Locus v3 API returns it. */
export const tokenResponse = z.object({
  access_token: z.string(),
  issued_at: z.number().int(),
  token_type: z.literal('bearer'),
  refresh_token: z.string().optional(),
  expires_in: z.number().int(),
});
export type TokenResponse = z.infer<typeof tokenResponse>;
