import type { Queryable } from '@helio/db';
import { authorize, readableOrganisations, targetOrganisation } from '../auth/principal.js';
import { allocateChangeSeqs } from '../changes.js';
import type { ServiceContext } from '../context.js';
import { notFound, validationError } from '../errors.js';
import { locusIdOf } from '../organisations/service.js';
import { SITE_COLUMNS, toSite, type SiteRow } from '../sites/service.js';
import { parseId, parseInput } from '../validation.js';
import {
  addSitesInput,
  createPortfoliosInput,
  removeSiteInput,
  updatePortfolioInput,
  type Portfolio,
  type PortfolioWithSites,
  type UpdatePortfolioInput,
} from './schema.js';

interface PortfolioRow {
  id: string;
  organisation_id: string;
  locus_id: number;
  name: string;
  tz: string;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  created_at: Date;
  updated_at: Date;
}

/** API field → column, for the fields clients write (through the services and sync). */
export const portfolioColumns = {
  name: 'name',
  tz: 'tz',
  firstName: 'first_name',
  lastName: 'last_name',
  email: 'email',
} as const satisfies Record<keyof UpdatePortfolioInput, string>;

type PortfolioField = keyof typeof portfolioColumns;

const COLUMNS = 'id, organisation_id, locus_id, name, tz, first_name, last_name, email, created_at, updated_at';

function toPortfolio(r: PortfolioRow): Portfolio {
  return {
    id: r.id,
    locusId: locusIdOf(r.locus_id),
    name: r.name,
    organisationId: r.organisation_id,
    tz: r.tz,
    firstName: r.first_name,
    lastName: r.last_name,
    email: r.email,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

async function loadPortfolio(q: Queryable, ctx: ServiceContext, id: string, forUpdate = false): Promise<PortfolioRow> {
  parseId(id);
  const { rows } = await q.query<PortfolioRow>(
    `SELECT ${COLUMNS} FROM portfolios WHERE id = $1 AND deleted_at IS NULL${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  const row = rows[0];
  if (!row) throw notFound('portfolio', id);
  authorize(ctx.principal, row.organisation_id, 'read', 'portfolio', id);
  return row;
}

export async function listPortfolios(ctx: ServiceContext): Promise<Portfolio[]> {
  const { rows } = await ctx.db.query<PortfolioRow>(
    `SELECT ${COLUMNS} FROM portfolios
     WHERE deleted_at IS NULL AND ($1::uuid[] IS NULL OR organisation_id = ANY($1::uuid[]))
     ORDER BY created_at, id`,
    [readableOrganisations(ctx.principal)],
  );
  return rows.map(toPortfolio);
}

export async function listPortfoliosWithSites(ctx: ServiceContext): Promise<PortfolioWithSites[]> {
  const orgs = readableOrganisations(ctx.principal);
  const portfolios = await listPortfolios(ctx);
  const { rows } = await ctx.db.query<SiteRow>(
    `SELECT ${SITE_COLUMNS} FROM sites
     WHERE deleted_at IS NULL AND portfolio_id IS NOT NULL AND ($1::uuid[] IS NULL OR organisation_id = ANY($1::uuid[]))
     ORDER BY created_at, id`,
    [orgs],
  );
  const byPortfolio = new Map<string, SiteRow[]>();
  for (const row of rows) {
    const list = byPortfolio.get(row.portfolio_id!) ?? [];
    list.push(row);
    byPortfolio.set(row.portfolio_id!, list);
  }
  return portfolios.map((p) => ({ ...p, sites: (byPortfolio.get(p.id) ?? []).map(toSite) }));
}

export async function getPortfolio(ctx: ServiceContext, id: string): Promise<Portfolio> {
  return toPortfolio(await loadPortfolio(ctx.db, ctx, id));
}

/** Creates several portfolios in one transaction: all of them or none. */
export async function createPortfolios(ctx: ServiceContext, input: unknown): Promise<Portfolio[]> {
  const items = parseInput(createPortfoliosInput, input);
  const targets = items.map((item) => targetOrganisation(ctx.principal, item.organisationId));
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const created: Portfolio[] = [];
    for (const [i, item] of items.entries()) {
      const organisationId = targets[i]!;
      const seq = await allocateChangeSeqs(tx, organisationId);
      const { rows } = await tx.query<PortfolioRow>(
        `INSERT INTO portfolios (id, organisation_id, name, tz, first_name, last_name, email, created_at, updated_at, change_seq)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9) RETURNING ${COLUMNS}`,
        [
          item.id ?? ctx.ids.uuid(),
          organisationId,
          item.name,
          item.tz ?? 'UTC',
          item.firstName ?? null,
          item.lastName ?? null,
          item.email ?? null,
          now,
          seq,
        ],
      );
      created.push(toPortfolio(rows[0]!));
    }
    return created;
  });
}

/** A partial update: absent fields stay, `null` clears the contact fields. */
export async function updatePortfolio(ctx: ServiceContext, id: string, input: unknown): Promise<Portfolio> {
  const patch = parseInput(updatePortfolioInput, input);
  const entries = (Object.entries(patch) as [PortfolioField, unknown][]).filter(([, v]) => v !== undefined);
  if (entries.length === 0) {
    const fields = Object.keys(portfolioColumns).join(', ');
    throw validationError(`give at least one field to change: ${fields}`, [{ message: `give at least one of ${fields}` }]);
  }
  return ctx.db.transaction(async (tx) => {
    const current = await loadPortfolio(tx, ctx, id, true);
    authorize(ctx.principal, current.organisation_id, 'write', 'portfolio', id);
    const seq = await allocateChangeSeqs(tx, current.organisation_id);
    const sets = entries.map(([field], i) => `${portfolioColumns[field]} = $${i + 4}`);
    const { rows } = await tx.query<PortfolioRow>(
      `UPDATE portfolios SET ${['updated_at = $2', 'change_seq = $3', ...sets].join(', ')} WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, ctx.clock.now(), seq, ...entries.map(([, v]) => v)],
    );
    return toPortfolio(rows[0]!);
  });
}

/** Tombstones a portfolio. Its sites stay, unassigned. */
export async function deletePortfolio(ctx: ServiceContext, id: string): Promise<Portfolio> {
  return ctx.db.transaction(async (tx) => {
    const current = await loadPortfolio(tx, ctx, id, true);
    authorize(ctx.principal, current.organisation_id, 'write', 'portfolio', id);
    const now = ctx.clock.now();
    const members = await tx.query<{ id: string }>('SELECT id FROM sites WHERE portfolio_id = $1 ORDER BY id FOR UPDATE', [id]);
    const first = await allocateChangeSeqs(tx, current.organisation_id, members.rowCount + 1);
    for (const [i, s] of members.rows.entries()) {
      await tx.query('UPDATE sites SET portfolio_id = NULL, updated_at = $2, change_seq = $3 WHERE id = $1', [s.id, now, first + i]);
    }
    const { rows } = await tx.query<PortfolioRow>(
      `UPDATE portfolios SET deleted_at = $2, updated_at = $2, change_seq = $3 WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, now, first + members.rowCount],
    );
    return toPortfolio(rows[0]!);
  });
}

/** Moves sites of the portfolio's organisation into it (from any other portfolio). */
export async function addSitesToPortfolio(ctx: ServiceContext, id: string, input: unknown): Promise<PortfolioWithSites> {
  const { siteIds } = parseInput(addSitesInput, input);
  const unique = [...new Set(siteIds)];
  await ctx.db.transaction(async (tx) => {
    const current = await loadPortfolio(tx, ctx, id, true);
    authorize(ctx.principal, current.organisation_id, 'write', 'portfolio', id);
    const { rows } = await tx.query<{ id: string }>(
      `SELECT id FROM sites WHERE id = ANY($1::uuid[]) AND organisation_id = $2 AND deleted_at IS NULL ORDER BY id FOR UPDATE`,
      [unique, current.organisation_id],
    );
    const found = new Set(rows.map((r) => r.id));
    const missing = unique.filter((s) => !found.has(s));
    if (missing.length > 0) {
      throw notFound('site', missing.join(', '));
    }
    const first = await allocateChangeSeqs(tx, current.organisation_id, unique.length);
    const now = ctx.clock.now();
    for (const [i, siteId] of unique.entries()) {
      await tx.query('UPDATE sites SET portfolio_id = $2, updated_at = $3, change_seq = $4 WHERE id = $1', [siteId, id, now, first + i]);
    }
  });
  return portfolioWithItsSites(ctx, id);
}

/** A site leaves a portfolio only if it is in it. */
export function assertSiteInPortfolio(sitePortfolioId: string | null, id: string, siteId: string): void {
  if (sitePortfolioId !== id) {
    throw validationError(`site ${siteId} is not in portfolio ${id}`, [{ path: 'siteId', message: 'not in this portfolio' }]);
  }
}

/** Takes one site out of the portfolio; the site itself stays. */
export async function removeSiteFromPortfolio(ctx: ServiceContext, id: string, input: unknown): Promise<PortfolioWithSites> {
  const { siteId } = parseInput(removeSiteInput, input);
  await ctx.db.transaction(async (tx) => {
    const current = await loadPortfolio(tx, ctx, id, true);
    authorize(ctx.principal, current.organisation_id, 'write', 'portfolio', id);
    const { rows } = await tx.query<{ portfolio_id: string | null }>(
      'SELECT portfolio_id FROM sites WHERE id = $1 AND organisation_id = $2 AND deleted_at IS NULL FOR UPDATE',
      [siteId, current.organisation_id],
    );
    if (!rows[0]) throw notFound('site', siteId);
    assertSiteInPortfolio(rows[0].portfolio_id, id, siteId);
    const seq = await allocateChangeSeqs(tx, current.organisation_id);
    await tx.query('UPDATE sites SET portfolio_id = NULL, updated_at = $2, change_seq = $3 WHERE id = $1', [siteId, ctx.clock.now(), seq]);
  });
  return portfolioWithItsSites(ctx, id);
}

async function portfolioWithItsSites(ctx: ServiceContext, id: string): Promise<PortfolioWithSites> {
  const p = await getPortfolio(ctx, id);
  const { rows } = await ctx.db.query<SiteRow>(
    `SELECT ${SITE_COLUMNS} FROM sites WHERE portfolio_id = $1 AND deleted_at IS NULL ORDER BY created_at, id`,
    [id],
  );
  return { ...p, sites: rows.map(toSite) };
}

/** Brings a deleted portfolio back, without its former sites (they were unassigned when it was deleted). */
export async function restorePortfolio(ctx: ServiceContext, id: string): Promise<Portfolio> {
  parseId(id);
  return ctx.db.transaction(async (tx) => {
    const { rows: found } = await tx.query<PortfolioRow & { deleted_at: Date | null }>(
      `SELECT ${COLUMNS}, deleted_at FROM portfolios WHERE id = $1 FOR UPDATE`,
      [id],
    );
    const current = found[0];
    if (!current) throw notFound('portfolio', id);
    authorize(ctx.principal, current.organisation_id, 'write', 'portfolio', id);
    if (!current.deleted_at) return toPortfolio(current);
    const seq = await allocateChangeSeqs(tx, current.organisation_id);
    const { rows } = await tx.query<PortfolioRow>(
      `UPDATE portfolios SET deleted_at = NULL, updated_at = $2, change_seq = $3 WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, ctx.clock.now(), seq],
    );
    return toPortfolio(rows[0]!);
  });
}
