import type { Queryable } from '@helio/db';
import { authorize, readableOrganisations, targetOrganisation, type Principal } from '../auth/principal.js';
import { allocateChangeSeqs } from '../changes.js';
import type { ServiceContext } from '../context.js';
import { notFound } from '../errors.js';
import { parseId, parseInput } from '../validation.js';
import { createSiteInput, listSitesInput, updateSiteInput, type Site } from './schema.js';

export interface SiteRow {
  id: string;
  organisation_id: string;
  site_name: string;
  address: string | null;
  capacity: number | null;
  unit: string | null;
  latitude: number | null;
  longitude: number | null;
  portfolio_id: string | null;
  site_manager: string | null;
  cover_image_url: string | null;
  timezone: string;
  created_at: Date;
  updated_at: Date;
}

export const SITE_COLUMNS =
  'id, organisation_id, site_name, address, capacity, unit, latitude, longitude, portfolio_id, site_manager, cover_image_url, timezone, created_at, updated_at';

export function toSite(r: SiteRow): Site {
  return {
    id: r.id,
    organisationId: r.organisation_id,
    siteName: r.site_name,
    address: r.address,
    capacity: r.capacity,
    unit: r.unit,
    latitude: r.latitude,
    longitude: r.longitude,
    portfolioId: r.portfolio_id,
    siteManager: r.site_manager,
    coverImageUrl: r.cover_image_url,
    timezone: r.timezone,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

// Maps API field names to columns; the one place a site field's column is named.
export const siteColumns = {
  siteName: 'site_name',
  address: 'address',
  capacity: 'capacity',
  unit: 'unit',
  latitude: 'latitude',
  longitude: 'longitude',
  portfolioId: 'portfolio_id',
  siteManager: 'site_manager',
  coverImageUrl: 'cover_image_url',
  timezone: 'timezone',
} as const;

/**
 * The organisation of a live portfolio, share-locking it until the caller's
 * transaction ends: a concurrent deletion either waits for the site to be
 * written (and then unassigns it) or commits first (and the portfolio is gone),
 * so no live site points at a tombstone.
 */
async function lockLivePortfolio(tx: Queryable, portfolioId: string): Promise<string | undefined> {
  const { rows } = await tx.query<{ organisation_id: string }>(
    'SELECT organisation_id FROM portfolios WHERE id = $1 AND deleted_at IS NULL FOR SHARE',
    [portfolioId],
  );
  return rows[0]?.organisation_id;
}

/** A live portfolio of this organisation, or NOT_FOUND: another tenant's portfolio does not exist for us. */
export async function assertPortfolioInOrganisation(tx: Queryable, portfolioId: string, organisationId: string): Promise<void> {
  if ((await lockLivePortfolio(tx, portfolioId)) !== organisationId) throw notFound('portfolio', portfolioId);
}

/** Loads a live site the caller may see, locking it for update when inside a write. */
async function loadSite(q: Queryable, ctx: ServiceContext, id: string, forUpdate = false): Promise<SiteRow> {
  parseId(id);
  const { rows } = await q.query<SiteRow>(
    `SELECT ${SITE_COLUMNS} FROM sites WHERE id = $1 AND deleted_at IS NULL${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  const row = rows[0];
  if (!row) throw notFound('site', id);
  authorize(ctx.principal, row.organisation_id, 'read', 'site', id);
  return row;
}

export async function listSites(ctx: ServiceContext, filter: unknown = {}): Promise<Site[]> {
  const f = parseInput(listSitesInput, filter);
  const { rows } = await ctx.db.query<SiteRow>(
    `SELECT ${SITE_COLUMNS} FROM sites
     WHERE deleted_at IS NULL
       AND ($1::uuid[] IS NULL OR organisation_id = ANY($1::uuid[]))
       AND ($2::uuid IS NULL OR id = $2)
       AND ($3::uuid IS NULL OR portfolio_id = $3)
     ORDER BY created_at, id`,
    [readableOrganisations(ctx.principal), f.siteId ?? null, f.portfolioId ?? null],
  );
  // A filter naming a site or portfolio the caller cannot see is "not found", as
  // a lookup by id would be; checked only when nothing matched, to keep lists one query.
  if (rows.length === 0) {
    if (f.portfolioId) await assertPortfolioReadable(ctx, f.portfolioId);
    if (f.siteId) await loadSite(ctx.db, ctx, f.siteId);
  }
  return rows.map(toSite);
}

async function assertPortfolioReadable(ctx: ServiceContext, portfolioId: string): Promise<void> {
  const { rows } = await ctx.db.query<{ organisation_id: string }>(
    'SELECT organisation_id FROM portfolios WHERE id = $1 AND deleted_at IS NULL',
    [portfolioId],
  );
  if (!rows[0]) throw notFound('portfolio', portfolioId);
  authorize(ctx.principal, rows[0].organisation_id, 'read', 'portfolio', portfolioId);
}

/**
 * For each principal, a token that changes whenever what `listSites` returns
 * to it may have changed: the change sequences of the organisations it reads.
 * Every write to a site or portfolio takes a new sequence of its organisation
 * inside its transaction, so an unchanged token means an unchanged list,
 * whichever process wrote. One read serves many principals (a server checks
 * concurrent requests together); `null` for the system principal, which reads
 * everything.
 */
export async function siteListVersions(ctx: Pick<ServiceContext, 'db'>, principals: readonly Principal[]): Promise<(string | null)[]> {
  const readable = principals.map(readableOrganisations);
  const wanted = [...new Set(readable.flatMap((orgs) => orgs ?? []))];
  const { rows } = wanted.length
    ? await ctx.db.query<{ organisation_id: string; last_seq: number }>(
        'SELECT organisation_id, last_seq FROM organisation_change_counters WHERE organisation_id = ANY($1::uuid[])',
        [wanted],
      )
    : { rows: [] };
  const seqs = new Map(rows.map((r) => [r.organisation_id, r.last_seq]));
  return readable.map(
    (orgs) =>
      orgs &&
      [...orgs]
        .sort()
        .map((org) => `${org}:${seqs.get(org) ?? 0}`)
        .join(','),
  );
}

export async function getSite(ctx: ServiceContext, id: string): Promise<Site> {
  return toSite(await loadSite(ctx.db, ctx, id));
}

export async function createSite(ctx: ServiceContext, input: unknown): Promise<Site> {
  const data = parseInput(createSiteInput, input);
  const organisationId = targetOrganisation(ctx.principal, data.organisationId);
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    if (data.portfolioId) await assertPortfolioInOrganisation(tx, data.portfolioId, organisationId);
    const seq = await allocateChangeSeqs(tx, organisationId);
    const { rows } = await tx.query<SiteRow>(
      `INSERT INTO sites (id, organisation_id, site_name, address, capacity, unit, latitude, longitude,
         portfolio_id, site_manager, cover_image_url, timezone, created_at, updated_at, change_seq)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14)
       RETURNING ${SITE_COLUMNS}`,
      [
        data.id ?? ctx.ids.uuid(),
        organisationId,
        data.siteName,
        data.address ?? null,
        data.capacity ?? null,
        data.unit ?? null,
        data.latitude ?? null,
        data.longitude ?? null,
        data.portfolioId ?? null,
        data.siteManager ?? null,
        data.coverImageUrl ?? null,
        data.timezone ?? 'UTC',
        now,
        seq,
      ],
    );
    return toSite(rows[0]!);
  });
}

export async function updateSite(ctx: ServiceContext, id: string, input: unknown): Promise<Site> {
  const patch = parseInput(updateSiteInput, input);
  return ctx.db.transaction(async (tx) => {
    // The portfolio before the site, the order in which adding sites to and
    // deleting a portfolio lock them, so that these writers never deadlock.
    const portfolioOrganisation = patch.portfolioId ? await lockLivePortfolio(tx, patch.portfolioId) : undefined;
    const current = await loadSite(tx, ctx, id, true);
    authorize(ctx.principal, current.organisation_id, 'write', 'site', id);
    if (patch.portfolioId && portfolioOrganisation !== current.organisation_id) throw notFound('portfolio', patch.portfolioId);
    const entries = Object.entries(patch).filter(([, v]) => v !== undefined) as [keyof typeof siteColumns, unknown][];
    const seq = await allocateChangeSeqs(tx, current.organisation_id);
    const sets = entries.map(([field], i) => `${siteColumns[field]} = $${i + 4}`);
    const { rows } = await tx.query<SiteRow>(
      `UPDATE sites SET ${['updated_at = $2', 'change_seq = $3', ...sets].join(', ')}
       WHERE id = $1 RETURNING ${SITE_COLUMNS}`,
      [id, ctx.clock.now(), seq, ...entries.map(([, v]) => v)],
    );
    return toSite(rows[0]!);
  });
}

/** Tombstones a site; it disappears from lists and lookups. */
export async function deleteSite(ctx: ServiceContext, id: string): Promise<Site> {
  return ctx.db.transaction(async (tx) => {
    const current = await loadSite(tx, ctx, id, true);
    authorize(ctx.principal, current.organisation_id, 'write', 'site', id);
    const seq = await allocateChangeSeqs(tx, current.organisation_id);
    const now = ctx.clock.now();
    const { rows } = await tx.query<SiteRow>(
      `UPDATE sites SET deleted_at = $2, updated_at = $2, change_seq = $3 WHERE id = $1 RETURNING ${SITE_COLUMNS}`,
      [id, now, seq],
    );
    return toSite(rows[0]!);
  });
}

/** Brings a deleted site back (a sync conflict resolution, or undoing a delete). */
export async function restoreSite(ctx: ServiceContext, id: string): Promise<Site> {
  parseId(id);
  return ctx.db.transaction(async (tx) => {
    const { rows: found } = await tx.query<SiteRow & { deleted_at: Date | null }>(
      `SELECT ${SITE_COLUMNS}, deleted_at FROM sites WHERE id = $1 FOR UPDATE`,
      [id],
    );
    const current = found[0];
    if (!current) throw notFound('site', id);
    authorize(ctx.principal, current.organisation_id, 'write', 'site', id);
    if (!current.deleted_at) return toSite(current);
    // Its portfolio may have gone meanwhile: the site comes back unassigned then.
    const portfolioLive = current.portfolio_id
      ? (await tx.query('SELECT 1 FROM portfolios WHERE id = $1 AND deleted_at IS NULL', [current.portfolio_id])).rowCount > 0
      : true;
    const seq = await allocateChangeSeqs(tx, current.organisation_id);
    const { rows } = await tx.query<SiteRow>(
      `UPDATE sites SET deleted_at = NULL, updated_at = $2, change_seq = $3${portfolioLive ? '' : ', portfolio_id = NULL'} WHERE id = $1 RETURNING ${SITE_COLUMNS}`,
      [id, ctx.clock.now(), seq],
    );
    return toSite(rows[0]!);
  });
}
