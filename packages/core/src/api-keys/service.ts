import { randomBytes } from 'node:crypto';
import { authorize, readableOrganisations, roleIn, targetOrganisation, actingUserId, type Principal } from '../auth/principal.js';
import { roleAtMost, withArticle, type Role } from '../auth/roles.js';
import { hashToken, randomToken, tokensEqual } from '../auth/secrets.js';
import type { ServiceContext } from '../context.js';
import { assertOrganisationExists } from '../organisations/service.js';
import { DomainError, forbidden, notFound, unauthorized } from '../errors.js';
import { parseId, parseInput } from '../validation.js';
import { createApiKeyInput, type ApiKey, type CreatedApiKey } from './schema.js';

// Keys look like `hk_<10 hex prefix>_<secret>`; the prefix finds the row, the hash proves the secret.
const KEY_PATTERN = /^hk_([0-9a-f]{10})_[A-Za-z0-9_-]{43}$/;

interface ApiKeyRow {
  id: string;
  organisation_id: string;
  name: string;
  role: Role;
  prefix: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const COLUMNS = 'id, organisation_id, name, role, prefix, created_at, last_used_at, revoked_at';

/** What authentication reads of a key. */
interface AuthRow extends Pick<ApiKeyRow, 'id' | 'organisation_id' | 'role' | 'prefix' | 'last_used_at' | 'revoked_at'> {
  secret_hash: string;
  created_by: string | null;
  org_live: boolean;
}

function toApiKey(r: ApiKeyRow): ApiKey {
  return {
    id: r.id,
    organisationId: r.organisation_id,
    name: r.name,
    role: r.role,
    prefix: `hk_${r.prefix}`,
    createdAt: r.created_at.toISOString(),
    lastUsedAt: r.last_used_at?.toISOString() ?? null,
    revokedAt: r.revoked_at?.toISOString() ?? null,
  };
}

export async function createApiKey(ctx: ServiceContext, input: unknown): Promise<CreatedApiKey> {
  const data = parseInput(createApiKeyInput, input);
  const organisationId = targetOrganisation(ctx.principal, data.organisationId, 'manage');
  const callerRole = roleIn(ctx.principal, organisationId)!;
  if (!roleAtMost(data.role, callerRole)) throw forbidden(`${withArticle(callerRole)} cannot create a key with the ${data.role} role`);
  await assertOrganisationExists(ctx.db, organisationId);
  const prefix = randomBytes(5).toString('hex');
  const key = `hk_${prefix}_${randomToken(32)}`;
  const { rows } = await ctx.db.query<ApiKeyRow>(
    `INSERT INTO api_keys (id, organisation_id, name, role, prefix, secret_hash, created_by, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
    [ctx.ids.uuid(), organisationId, data.name, data.role, prefix, hashToken(key), actingUserId(ctx.principal), ctx.clock.now()],
  );
  return { ...toApiKey(rows[0]!), key };
}

/** Keys of the organisations the caller manages, newest first; never the secret. */
export async function listApiKeys(ctx: ServiceContext, filter: { organisationId?: string } = {}): Promise<ApiKey[]> {
  if (filter.organisationId) authorize(ctx.principal, filter.organisationId, 'manage', 'organisation', filter.organisationId);
  const orgs = readableOrganisations(ctx.principal)?.filter((org) => {
    const role = roleIn(ctx.principal, org);
    return role === 'owner' || role === 'admin';
  });
  const { rows } = await ctx.db.query<ApiKeyRow>(
    `SELECT ${COLUMNS} FROM api_keys
     WHERE ($1::uuid[] IS NULL OR organisation_id = ANY($1::uuid[])) AND ($2::uuid IS NULL OR organisation_id = $2)
     ORDER BY created_at DESC, id DESC`,
    [orgs ?? null, filter.organisationId ?? null],
  );
  return rows.map(toApiKey);
}

/** Revokes a key; the next request made with it is refused. */
export async function revokeApiKey(ctx: ServiceContext, id: string): Promise<ApiKey> {
  parseId(id);
  const { rows } = await ctx.db.query<ApiKeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE id = $1`, [id]);
  const row = rows[0];
  if (!row) throw notFound('API key', id);
  authorize(ctx.principal, row.organisation_id, 'manage', 'API key', id);
  const updated = await ctx.db.query<ApiKeyRow>(
    `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, ctx.clock.now()],
  );
  return toApiKey(updated.rows[0]!);
}

/** Turns a presented key into the principal it stands for, or throws UNAUTHORIZED. */
export async function authenticateApiKey(ctx: Pick<ServiceContext, 'db' | 'clock'>, key: string): Promise<Principal> {
  const [result] = await authenticateApiKeys(ctx, [key]);
  if (result instanceof DomainError) throw result;
  return result!;
}

/**
 * Authenticates several presented keys with one read, so that a server can
 * check the keys of concurrent requests together: each gets its principal, or
 * the UNAUTHORIZED error it earns, in order. The read happens now, so a key
 * revoked before this call is refused.
 */
export async function authenticateApiKeys(
  ctx: Pick<ServiceContext, 'db' | 'clock'>,
  keys: readonly string[],
): Promise<(Principal | DomainError)[]> {
  // Concurrent requests mostly carry the same few keys: each distinct one is checked once.
  const distinct = [...new Set(keys)];
  const prefixes = new Set(distinct.map((key) => KEY_PATTERN.exec(key)?.[1]).filter((p) => p !== undefined));
  // On every request's path: only the columns needed, and a subquery rather
  // than a join, which PostgreSQL plans in about half the time.
  const { rows } = prefixes.size
    ? await ctx.db.query<AuthRow>(
        `SELECT id, organisation_id, role, prefix, last_used_at, revoked_at, secret_hash, created_by,
           (SELECT o.deleted_at IS NULL FROM organisations o WHERE o.id = k.organisation_id) AS org_live
         FROM api_keys k WHERE prefix = ANY($1::text[])`,
        [[...prefixes]],
      )
    : { rows: [] };
  const byPrefix = new Map(rows.map((row) => [row.prefix, row]));
  const now = ctx.clock.now();
  // Record use at most once a minute, so authentication stays one read on the hot path.
  const staleBefore = new Date(now.getTime() - 60_000);
  const used = new Set<string>();
  const check = (key: string): Principal | DomainError => {
    const prefix = KEY_PATTERN.exec(key)?.[1];
    const row = prefix === undefined ? undefined : byPrefix.get(prefix);
    if (!row || !tokensEqual(row.secret_hash, hashToken(key))) return unauthorized('invalid API key');
    if (row.revoked_at) return unauthorized('this API key has been revoked');
    if (!row.org_live) return unauthorized('invalid API key');
    if (!row.last_used_at || row.last_used_at < staleBefore) used.add(row.id);
    return { kind: 'apiKey', keyId: row.id, userId: row.created_by, memberships: new Map([[row.organisation_id, row.role]]) };
  };
  const byKey = new Map(distinct.map((key) => [key, check(key)]));
  if (used.size > 0) {
    // The staleness is checked again in SQL so that requests (of any instance)
    // that saw the same old time write it once, not once each; a row another
    // writer holds is skipped, so that authentication never waits for a lock.
    await ctx.db.query(
      `UPDATE api_keys SET last_used_at = $2 WHERE id IN (
         SELECT id FROM api_keys WHERE id = ANY($1::uuid[]) AND (last_used_at IS NULL OR last_used_at < $3) FOR UPDATE SKIP LOCKED)`,
      [[...used], now, staleBefore],
    );
  }
  return keys.map((key) => byKey.get(key)!);
}
