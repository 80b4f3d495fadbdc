import { readableOrganisations } from '../auth/principal.js';
import type { ServiceContext } from '../context.js';
import type { Queryable } from '@helio/db';
import { forbidden, notFound } from '../errors.js';
import { parseInput } from '../validation.js';
import { createOrganisationInput, type Organisation } from './schema.js';

interface OrganisationRow {
  id: string;
  locus_id: number;
  unassigned_client_locus_id: number;
  name: string;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, locus_id, unassigned_client_locus_id, name, created_at, updated_at';

/**
 * A Locus id as shapes show it. Every kind (organisation, portfolio, site,
 * component, alert) takes its integer from one sequence; a device counts its
 * own copy down from -1, so a row it created offline holds a placeholder
 * (at or below 0) until the server's version arrives: "not assigned yet", null.
 */
export function locusIdOf(value: number | null | undefined): number | null {
  return value !== null && value !== undefined && value > 0 ? value : null;
}

function toOrganisation(row: OrganisationRow): Organisation {
  return {
    id: row.id,
    partnerId: locusIdOf(row.locus_id),
    unassignedClientId: locusIdOf(row.unassigned_client_locus_id),
    name: row.name,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** Creates an organisation and its change counter. Only the system principal (CLI) does this. */
export async function createOrganisation(ctx: ServiceContext, input: unknown): Promise<Organisation> {
  if (ctx.principal.kind !== 'system') throw forbidden('only an operator can create organisations');
  const data = parseInput(createOrganisationInput, input);
  const id = data.id ?? ctx.ids.uuid();
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const { rows } = await tx.query<OrganisationRow>(
      `INSERT INTO organisations (id, organisation_id, name, created_at, updated_at, change_seq)
       VALUES ($1, $1, $2, $3, $3, 1) RETURNING ${COLUMNS}`,
      [id, data.name, now],
    );
    await tx.query('INSERT INTO organisation_change_counters (organisation_id, last_seq) VALUES ($1, 1)', [id]);
    return toOrganisation(rows[0]!);
  });
}

/** The organisations the caller belongs to. */
export async function listOrganisations(ctx: ServiceContext): Promise<Organisation[]> {
  const orgs = readableOrganisations(ctx.principal);
  const { rows } = await ctx.db.query<OrganisationRow>(
    `SELECT ${COLUMNS} FROM organisations
     WHERE deleted_at IS NULL AND ($1::uuid[] IS NULL OR id = ANY($1::uuid[]))
     ORDER BY name, id`,
    [orgs],
  );
  return rows.map(toOrganisation);
}

/**
 * A live organisation, or NOT_FOUND. Needed where the system principal names
 * an organisation: `authorize` lets it act anywhere, so nothing else checks.
 */
export async function assertOrganisationExists(q: Queryable, id: string): Promise<void> {
  const { rowCount } = await q.query('SELECT 1 FROM organisations WHERE id = $1 AND deleted_at IS NULL', [id]);
  if (!rowCount) throw notFound('organisation', id);
}
