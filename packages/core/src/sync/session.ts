// What push and pull share: who may sync, version checks, the client binding.
import type { Queryable } from '@helio/db';
import type { ServiceContext } from '../context.js';
import { DomainError, forbidden } from '../errors.js';
import { acceptedProtocolVersions, acceptedSchemaVersions } from './protocol.js';

/** Sync runs as a signed-in user: their memberships decide what they receive. */
export function syncUser(ctx: ServiceContext): string {
  const p = ctx.principal;
  if (p.kind !== 'user') throw forbidden('sync requires a signed-in user (an OAuth password-grant token)');
  return p.userId;
}

function versionOf(input: unknown, key: 'protocolVersion' | 'schemaVersion'): number | undefined {
  if (!input || typeof input !== 'object') return undefined;
  const v = (input as Record<string, unknown>)[key];
  return typeof v === 'number' ? v : undefined;
}

/**
 * Refuses a protocol or schema version outside the accepted range, with a
 * clear error. A push that is refused is parked whole first, so the
 * mutations of a client too old to sync are kept, not discarded.
 */
export async function checkVersions(ctx: ServiceContext, input: unknown, options: { park: boolean }): Promise<void> {
  const userId = syncUser(ctx);
  const protocol = versionOf(input, 'protocolVersion');
  const schema = versionOf(input, 'schemaVersion');
  const protocolOk = protocol !== undefined && protocol >= acceptedProtocolVersions.min && protocol <= acceptedProtocolVersions.max;
  const schemaOk = schema !== undefined && schema >= acceptedSchemaVersions.min && schema <= acceptedSchemaVersions.max;
  if (protocolOk && schemaOk) return;
  if (options.park) {
    const clientId = (input as { clientId?: unknown } | null)?.clientId;
    await ctx.db.query(
      `INSERT INTO sync_parked_pushes (id, client_id, user_id, protocol_version, schema_version, payload, received_at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)`,
      [
        ctx.ids.uuid(),
        typeof clientId === 'string' && /^[0-9a-f-]{36}$/i.test(clientId) ? clientId : ctx.ids.uuid(),
        userId,
        protocol ?? null,
        schema ?? null,
        JSON.stringify(input ?? null),
        ctx.clock.now(),
      ],
    );
  }
  throw new DomainError(
    'UNSUPPORTED_VERSION',
    `this server syncs protocol ${acceptedProtocolVersions.min}-${acceptedProtocolVersions.max} and schema ${acceptedSchemaVersions.min}-${acceptedSchemaVersions.max}; ` +
      `the client sent protocol ${protocol ?? 'none'} and schema ${schema ?? 'none'}: update the app${options.park ? ' (its unsent changes were kept on the server)' : ''}`,
    [{ path: 'protocolVersion', message: 'unsupported', accepted: acceptedProtocolVersions, acceptedSchema: acceptedSchemaVersions }],
  );
}

/**
 * The client's row, locked for the rest of the transaction (one push per
 * client at a time), created on first contact. A client id belongs to the
 * user who first synced with it.
 */
export async function bindClient(tx: Queryable, ctx: ServiceContext, clientId: string): Promise<number> {
  const userId = syncUser(ctx);
  await tx.query(
    `INSERT INTO sync_clients (client_id, user_id, created_at, last_seen_at) VALUES ($1, $2, $3, $3) ON CONFLICT (client_id) DO NOTHING`,
    [clientId, userId, ctx.clock.now()],
  );
  const { rows } = await tx.query<{ user_id: string; last_seq: number }>(
    'SELECT user_id, last_seq FROM sync_clients WHERE client_id = $1 FOR UPDATE',
    [clientId],
  );
  const row = rows[0]!;
  if (row.user_id !== userId) throw forbidden('this client id belongs to another user: sign in again to get a new one');
  return row.last_seq;
}
