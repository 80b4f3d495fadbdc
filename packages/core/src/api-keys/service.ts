import { randomBytes } from 'node:crypto';
import { authorize, readableOrganisations, roleIn, targetOrganisation, actingUserId, type Principal } from '../auth/principal.js';
import { roleAtMost, type Role } from '../auth/roles.js';
import { hashToken, randomToken, tokensEqual } from '../auth/secrets.js';
import type { ServiceContext } from '../context.js';
import { assertOrganisationExists } from '../organisations/service.js';
import { forbidden, notFound, unauthorized } from '../errors.js';
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
  if (!roleAtMost(data.role, callerRole)) throw forbidden(`a ${callerRole} cannot create a key with the ${data.role} role`);
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
  const match = KEY_PATTERN.exec(key);
  if (!match) throw unauthorized('invalid API key');
  const { rows } = await ctx.db.query<ApiKeyRow & { secret_hash: string; created_by: string | null; org_live: boolean }>(
    `SELECT k.${COLUMNS.split(', ').join(', k.')}, k.secret_hash, k.created_by, o.deleted_at IS NULL AS org_live
     FROM api_keys k JOIN organisations o ON o.id = k.organisation_id WHERE k.prefix = $1`,
    [match[1]],
  );
  const row = rows[0];
  if (!row || !tokensEqual(row.secret_hash, hashToken(key))) throw unauthorized('invalid API key');
  if (row.revoked_at) throw unauthorized('this API key has been revoked');
  if (!row.org_live) throw unauthorized('invalid API key');
  const now = ctx.clock.now();
  // Record use at most once a minute, so authentication stays one read on the hot path.
  if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() > 60_000) {
    await ctx.db.query('UPDATE api_keys SET last_used_at = $2 WHERE id = $1', [row.id, now]);
  }
  return { kind: 'apiKey', keyId: row.id, userId: row.created_by, memberships: new Map([[row.organisation_id, row.role]]) };
}
