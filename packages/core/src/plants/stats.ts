// Certificate health over the caller's organisations: how many client
// certificates are valid, expired, expiring within 30 days or revoked, when
// the next one needs renewing, and which live plants are at risk.
import { readableOrganisations } from '../auth/principal.js';
import type { ServiceContext } from '../context.js';
import { authorizePlants } from './access.js';
import type { LifecycleStatus } from './lifecycle.js';
import { iso } from './rows.js';
import type { AuthMethod, CertificateStats } from './schema.js';
import { DomainError } from '../errors.js';
import { parseId } from '../validation.js';

/** A certificate expiring within this many days is "expiring soon". */
export const EXPIRING_SOON_DAYS = 30;

/**
 * Counts over the certificates of live plants (decommissioned ones are
 * history): `active` = current certificates not yet expired (those expiring
 * soon included), `expired` = current ones past their end, `expiringSoon` =
 * current ones ending within 30 days, `revoked` = revoked ones.
 * `nextRenewalAt` = the earliest end of a current, unexpired certificate.
 * `atRiskPlants` = live plants whose current certificate has expired or ends
 * within 30 days, soonest first.
 */
export async function certificateStats(ctx: ServiceContext, opts: { organisationId?: string } = {}): Promise<CertificateStats> {
  let orgs = readableOrganisations(ctx.principal);
  if (opts.organisationId) {
    const org = parseId(opts.organisationId, 'organisationId');
    authorizePlants(ctx.principal, org, 'read', () => new DomainError('NOT_FOUND', `organisation ${org} not found`), 'certificates');
    orgs = [org];
  }
  const now = ctx.clock.now();
  const soon = new Date(now.getTime() + EXPIRING_SOON_DAYS * 86_400_000);
  const { rows: counts } = await ctx.db.query<{
    active: number | string;
    expired: number | string;
    expiring_soon: number | string;
    revoked: number | string;
    next_renewal_at: Date | null;
  }>(
    `SELECT count(*) FILTER (WHERE c.state = 'active' AND c.not_after > $2) AS active,
            count(*) FILTER (WHERE c.state = 'active' AND c.not_after <= $2) AS expired,
            count(*) FILTER (WHERE c.state = 'active' AND c.not_after > $2 AND c.not_after <= $3) AS expiring_soon,
            count(*) FILTER (WHERE c.state = 'revoked') AS revoked,
            min(c.not_after) FILTER (WHERE c.state = 'active' AND c.not_after > $2) AS next_renewal_at
     FROM plant_certificates c JOIN plants p ON p.id = c.plant_id
     WHERE p.deleted_at IS NULL AND ($1::uuid[] IS NULL OR p.organisation_id = ANY($1::uuid[]))`,
    [orgs, now, soon],
  );
  const { rows: atRisk } = await ctx.db.query<{
    id: string;
    name: string;
    serial_number: string;
    auth_method: AuthMethod;
    lifecycle_status: LifecycleStatus;
    not_after: Date;
  }>(
    `SELECT p.id, p.name, p.serial_number, p.auth_method, p.lifecycle_status, c.not_after
     FROM plant_certificates c JOIN plants p ON p.id = c.plant_id
     WHERE c.state = 'active' AND c.not_after <= $2
       AND p.deleted_at IS NULL AND ($1::uuid[] IS NULL OR p.organisation_id = ANY($1::uuid[]))
     ORDER BY c.not_after, p.id`,
    [orgs, soon],
  );
  const c = counts[0]!;
  return {
    active: Number(c.active),
    atRiskPlants: atRisk.map((r) => ({
      authMethod: r.auth_method,
      certificateExpiresAt: iso(r.not_after),
      id: r.id,
      lifecycleStatus: r.lifecycle_status,
      name: r.name,
      serialNumber: r.serial_number,
    })),
    expired: Number(c.expired),
    expiringSoon: Number(c.expiring_soon),
    nextRenewalAt: iso(c.next_renewal_at),
    revoked: Number(c.revoked),
  };
}
