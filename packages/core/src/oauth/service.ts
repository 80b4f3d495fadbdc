import { randomBytes } from 'node:crypto';
import type { Queryable } from '@helio/db';
import { authorize, type Principal } from '../auth/principal.js';
import { roleAtMost, withArticle, type Role } from '../auth/roles.js';
import { hashToken, randomToken, tokensEqual } from '../auth/secrets.js';
import type { ServiceContext } from '../context.js';
import { assertOrganisationExists } from '../organisations/service.js';
import { forbidden, unauthorized } from '../errors.js';
import { membershipsOf, verifyUserPassword } from '../users/service.js';
import { parseInput } from '../validation.js';
import { OAuthError } from './errors.js';
import {
  ACCESS_TOKEN_TTL_SECONDS,
  createOAuthClientInput,
  grantTypes,
  REFRESH_RETRY_GRACE_MS,
  REFRESH_TOKEN_TTL_SECONDS,
  revokeRequest,
  tokenRequest,
  type CreatedOAuthClient,
  type GrantType,
  type TokenResponse,
} from './schema.js';

interface ClientRow {
  id: string;
  client_id: string;
  /** Null for a public client (see migration 0005): it has no secret to present. */
  secret_hash: string | null;
  name: string;
  grants: GrantType[];
  organisation_id: string | null;
  role: Role | null;
  concurrency_limit: number | null;
  created_at: Date;
  revoked_at: Date | null;
}

/**
 * Registers an OAuth client. Clients bound to an organisation (needed for
 * client_credentials) may be created by its managers; unbound clients, such
 * as the desktop app's, only by an operator.
 */
export async function createOAuthClient(ctx: ServiceContext, input: unknown): Promise<CreatedOAuthClient> {
  const data = parseInput(createOAuthClientInput, input);
  if (data.organisationId) {
    authorize(ctx.principal, data.organisationId, 'manage', 'organisation', data.organisationId);
    const own = ctx.principal.kind === 'system' ? 'owner' : ctx.principal.memberships.get(data.organisationId)!;
    if (!roleAtMost(data.role!, own)) throw forbidden(`${withArticle(own)} cannot create a client with the ${data.role} role`);
    await assertOrganisationExists(ctx.db, data.organisationId);
  } else if (ctx.principal.kind !== 'system') {
    throw forbidden('only an operator can create clients that are not bound to an organisation');
  }
  const clientId = `hc_${randomBytes(8).toString('hex')}`;
  const clientSecret = randomToken(32);
  const { rows } = await ctx.db.query<ClientRow>(
    `INSERT INTO oauth_clients (id, client_id, secret_hash, name, organisation_id, role, grants, created_at, concurrency_limit)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
    [
      ctx.ids.uuid(),
      clientId,
      hashToken(clientSecret),
      data.name,
      data.organisationId ?? null,
      data.role ?? null,
      data.grants,
      ctx.clock.now(),
      data.concurrencyLimit ?? null,
    ],
  );
  const row = rows[0]!;
  return {
    id: row.id,
    clientId: row.client_id,
    clientSecret,
    name: row.name,
    grants: row.grants,
    organisationId: row.organisation_id,
    role: row.role,
    concurrencyLimit: row.concurrency_limit,
    createdAt: row.created_at.toISOString(),
  };
}

async function authenticateClient(q: Queryable, clientId: string | undefined, secret: string | undefined): Promise<ClientRow> {
  if (!clientId) throw new OAuthError('invalid_client', 'client_id is required');
  const { rows } = await q.query<ClientRow>('SELECT * FROM oauth_clients WHERE client_id = $1', [clientId]);
  const client = rows[0];
  if (!client || client.revoked_at) throw new OAuthError('invalid_client', 'unknown client or wrong client secret');
  if (client.secret_hash === null) {
    // A public client (the desktop app): it has no secret, so one presented is a mistake worth saying.
    if (secret !== undefined) throw new OAuthError('invalid_client', 'this client is public: send client_id without a client_secret');
    return client;
  }
  if (!secret) throw new OAuthError('invalid_client', 'client_id and client_secret are required');
  if (!tokensEqual(client.secret_hash, hashToken(secret))) throw new OAuthError('invalid_client', 'unknown client or wrong client secret');
  return client;
}

async function storeToken(
  tx: Queryable,
  ctx: ServiceContext,
  kind: 'access' | 'refresh',
  client: ClientRow,
  userId: string | null,
  familyId: string,
): Promise<{ id: string; token: string }> {
  const token = randomToken(32);
  const id = ctx.ids.uuid();
  const ttl = kind === 'access' ? ACCESS_TOKEN_TTL_SECONDS : REFRESH_TOKEN_TTL_SECONDS;
  const now = ctx.clock.now();
  await tx.query(
    `INSERT INTO oauth_tokens (id, token_hash, kind, client_id, user_id, family_id, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [id, hashToken(token), kind, client.id, userId, familyId, now, new Date(now.getTime() + ttl * 1000)],
  );
  return { id, token };
}

/** POST /oauth/token: the password, refresh_token and client_credentials grants. */
export async function issueToken(ctx: ServiceContext, form: unknown): Promise<TokenResponse> {
  const req = parseInput(tokenRequest, form);
  if (!(grantTypes as readonly string[]).includes(req.grant_type)) {
    throw new OAuthError('unsupported_grant_type', `grant_type must be one of ${grantTypes.join(', ')}`);
  }
  const grant = req.grant_type as GrantType;
  const client = await authenticateClient(ctx.db, req.client_id, req.client_secret);
  if (!client.grants.includes(grant)) throw new OAuthError('unauthorized_client', `this client may not use the ${grant} grant`);
  const issuedAt = Math.floor(ctx.clock.now().getTime() / 1000);

  if (grant === 'client_credentials') {
    const access = await storeToken(ctx.db, ctx, 'access', client, null, ctx.ids.uuid());
    return { access_token: access.token, issued_at: issuedAt, token_type: 'bearer', expires_in: ACCESS_TOKEN_TTL_SECONDS };
  }

  if (grant === 'password') {
    if (!req.username || !req.password) throw new OAuthError('invalid_request', 'username and password are required');
    const user = await verifyUserPassword(ctx, req.username, req.password);
    if (!user) throw new OAuthError('invalid_grant', 'wrong username or password');
    const familyId = ctx.ids.uuid();
    return ctx.db.transaction(async (tx) => {
      const access = await storeToken(tx, ctx, 'access', client, user.id, familyId);
      const refresh = await storeToken(tx, ctx, 'refresh', client, user.id, familyId);
      return {
        access_token: access.token,
        issued_at: issuedAt,
        token_type: 'bearer',
        refresh_token: refresh.token,
        expires_in: ACCESS_TOKEN_TTL_SECONDS,
      };
    });
  }

  // refresh_token: single use. The presented token is rotated; presenting a
  // rotated one again means it leaked, so its whole family is revoked.
  if (!req.refresh_token) throw new OAuthError('invalid_request', 'refresh_token is required');
  const presented = req.refresh_token;
  const outcome = await ctx.db.transaction(async (tx) => {
    const { rows } = await tx.query<{
      id: string;
      client_id: string;
      user_id: string;
      family_id: string;
      expires_at: Date;
      revoked_at: Date | null;
      replaced_by: string | null;
    }>(
      `SELECT id, client_id, user_id, family_id, expires_at, revoked_at, replaced_by FROM oauth_tokens
       WHERE token_hash = $1 AND kind = 'refresh' FOR UPDATE`,
      [hashToken(presented)],
    );
    const row = rows[0];
    const now = ctx.clock.now();
    if (!row || row.client_id !== client.id) return { error: 'invalid or expired refresh token' } as const;
    if (row.revoked_at) {
      // The answer to a rotation can be lost on a bad line, and the client then presents the same token again.
      // Within a short grace, while the token it was replaced by is unused, that replacement is withdrawn and a new pair issued.
      const retried = row.replaced_by !== null && now.getTime() - row.revoked_at.getTime() <= REFRESH_RETRY_GRACE_MS;
      const replacement = retried
        ? (await tx.query<{ revoked_at: Date | null }>('SELECT revoked_at FROM oauth_tokens WHERE id = $1 FOR UPDATE', [row.replaced_by]))
            .rows[0]
        : undefined;
      if (!replacement || replacement.revoked_at) {
        await tx.query('UPDATE oauth_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE family_id = $1', [row.family_id, now]);
        // Never rotated: it was revoked itself (signed out, or its session ended after a reuse).
        return {
          error:
            row.replaced_by === null
              ? 'this refresh token has been revoked'
              : 'refresh token was already used; its session has been revoked',
        } as const;
      }
      await tx.query('UPDATE oauth_tokens SET revoked_at = $2 WHERE id = $1', [row.replaced_by, now]);
    }
    if (row.expires_at <= now) return { error: 'invalid or expired refresh token' } as const;
    const access = await storeToken(tx, ctx, 'access', client, row.user_id, row.family_id);
    const refresh = await storeToken(tx, ctx, 'refresh', client, row.user_id, row.family_id);
    await tx.query('UPDATE oauth_tokens SET revoked_at = COALESCE(revoked_at, $2), replaced_by = $3 WHERE id = $1', [
      row.id,
      now,
      refresh.id,
    ]);
    return { access, refresh } as const;
  });
  // Thrown outside the transaction so a family revocation commits.
  if ('error' in outcome) throw new OAuthError('invalid_grant', outcome.error ?? 'invalid refresh token');
  return {
    access_token: outcome.access.token,
    issued_at: issuedAt,
    token_type: 'bearer',
    refresh_token: outcome.refresh.token,
    expires_in: ACCESS_TOKEN_TTL_SECONDS,
  };
}

/**
 * POST /oauth/revoke (RFC 7009): the client gives up a token it holds, at
 * sign-out. A refresh token takes its whole session with it (the access
 * tokens issued beside it, and any later rotation); an access token goes
 * alone. A token that is unknown, expired or already revoked is answered as
 * revoked (§2.2); one issued to another client is refused.
 */
export async function revokeToken(ctx: ServiceContext, form: unknown): Promise<void> {
  const req = parseInput(revokeRequest, form);
  const client = await authenticateClient(ctx.db, req.client_id, req.client_secret);
  const { rows } = await ctx.db.query<{ id: string; kind: 'access' | 'refresh'; client_id: string; family_id: string }>(
    'SELECT id, kind, client_id, family_id FROM oauth_tokens WHERE token_hash = $1',
    [hashToken(req.token)],
  );
  const row = rows[0];
  if (!row) return;
  if (row.client_id !== client.id) throw new OAuthError('invalid_grant', 'this token was not issued to this client');
  const [column, key] = row.kind === 'refresh' ? ['family_id', row.family_id] : ['id', row.id];
  await ctx.db.query(`UPDATE oauth_tokens SET revoked_at = $2 WHERE ${column} = $1 AND revoked_at IS NULL`, [key, ctx.clock.now()]);
}

/** What an access token stands for: the principal, and the client and user it was issued to. */
export interface AccessTokenHolder {
  principal: Principal;
  /** The OAuth client's row id (not its public client_id). */
  clientId: string;
  /** The user of a password grant; null for client_credentials. */
  userId: string | null;
  /** How many requests the client may have in flight at once, where an API limits that (the Locus v3 API); null: the API's default. */
  concurrencyLimit: number | null;
}

/** Turns a bearer access token into its principal, or throws UNAUTHORIZED. */
export async function authenticateAccessToken(ctx: Pick<ServiceContext, 'db' | 'clock'>, token: string): Promise<Principal> {
  return (await describeAccessToken(ctx, token)).principal;
}

/** Turns a bearer access token into its principal and the client holding it, or throws UNAUTHORIZED. */
export async function describeAccessToken(ctx: Pick<ServiceContext, 'db' | 'clock'>, token: string): Promise<AccessTokenHolder> {
  const { rows } = await ctx.db.query<{
    user_id: string | null;
    expires_at: Date;
    revoked_at: Date | null;
    client_revoked_at: Date | null;
    client_pk: string;
    client_org: string | null;
    client_role: Role | null;
    concurrency_limit: number | null;
  }>(
    `SELECT t.user_id, t.expires_at, t.revoked_at, c.revoked_at AS client_revoked_at, c.id AS client_pk,
            c.organisation_id AS client_org, c.role AS client_role, c.concurrency_limit
     FROM oauth_tokens t JOIN oauth_clients c ON c.id = t.client_id
     WHERE t.token_hash = $1 AND t.kind = 'access'`,
    [hashToken(token)],
  );
  const row = rows[0];
  if (!row || row.revoked_at || row.client_revoked_at) throw unauthorized('invalid access token');
  if (row.expires_at <= ctx.clock.now()) throw unauthorized('access token expired');
  const holder = { clientId: row.client_pk, userId: row.user_id, concurrencyLimit: row.concurrency_limit };
  if (row.user_id) {
    return { ...holder, principal: { kind: 'user', userId: row.user_id, memberships: await membershipsOf(ctx, row.user_id) } };
  }
  if (!row.client_org || !row.client_role) throw unauthorized('invalid access token');
  return {
    ...holder,
    principal: { kind: 'client', clientId: row.client_pk, userId: null, memberships: new Map([[row.client_org, row.client_role]]) },
  };
}
