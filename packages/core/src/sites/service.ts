import type { Queryable } from '@helio/db';
import { authorize, readableOrganisations, targetOrganisation, type Principal } from '../auth/principal.js';
import { allocateChangeSeqs } from '../changes.js';
import type { ServiceContext } from '../context.js';
import { notFound } from '../errors.js';
import { locusIdOf } from '../organisations/service.js';
import { parseId, parseInput } from '../validation.js';
import {
  createSiteInput,
  listSitesInput,
  updateSiteInput,
  type AlertSettings,
  type ExpectedMonth,
  type Site,
  type UpdateSiteInput,
} from './schema.js';

export interface SiteRow {
  id: string;
  organisation_id: string;
  locus_id: number;
  client_locus_id: number | null;
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
  address1: string | null;
  address2: string | null;
  locale3: string | null;
  locale1: string | null;
  locale_code1: string | null;
  postal_code: string | null;
  country_code: string | null;
  installer: string | null;
  install_crew: string | null;
  install_date: string | null;
  pto_date: string | null;
  startup_date: string | null;
  uninstall_crew: string | null;
  uninstall_date: string | null;
  size_kw: number | null;
  mismatch: number;
  diodes_and_connections: number;
  dc_wiring: number;
  soiling: number;
  sun_tracking: number;
  nameplate: number;
  ac_wiring: number;
  transformer: number;
  tmy3_id: number | null;
  expected_monthly: ExpectedMonth[] | null;
  alert_settings: AlertSettings | null;
  created_at: Date;
  updated_at: Date;
}

// Maps API field names to columns; the one place a site field's column is
// named. These are the fields clients write, through the services and sync
// (the Locus ids are the server's to assign, so they are not here).
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
  address1: 'address1',
  address2: 'address2',
  locale3: 'locale3',
  locale1: 'locale1',
  localeCode1: 'locale_code1',
  postalCode: 'postal_code',
  countryCode: 'country_code',
  installer: 'installer',
  installCrew: 'install_crew',
  installDate: 'install_date',
  ptoDate: 'pto_date',
  startupDate: 'startup_date',
  uninstallCrew: 'uninstall_crew',
  uninstallDate: 'uninstall_date',
  sizeKw: 'size_kw',
  mismatch: 'mismatch',
  diodesAndConnections: 'diodes_and_connections',
  dcWiring: 'dc_wiring',
  soiling: 'soiling',
  sunTracking: 'sun_tracking',
  nameplate: 'nameplate',
  acWiring: 'ac_wiring',
  transformer: 'transformer',
  tmy3Id: 'tmy3_id',
  expectedMonthly: 'expected_monthly',
  alertSettings: 'alert_settings',
} as const satisfies Record<keyof UpdateSiteInput, string>;

type SiteField = keyof typeof siteColumns;

const JSON_COLUMNS = new Set<string>(['expected_monthly', 'alert_settings']);
const DATE_COLUMNS = new Set<string>(['install_date', 'pto_date', 'startup_date', 'uninstall_date']);

/** A column's value as a statement parameter: jsonb goes as JSON text (a driver would send an array as a SQL array). */
function parameter(column: string, value: unknown): unknown {
  return JSON_COLUMNS.has(column) && value !== null ? JSON.stringify(value) : value;
}

/** The placeholder for a column's parameter, cast where the column's type needs it. */
function placeholder(column: string, n: number): string {
  return JSON_COLUMNS.has(column) ? `$${n}::jsonb` : DATE_COLUMNS.has(column) ? `$${n}::date` : `$${n}`;
}

/**
 * A site row as toSite reads it, from `FROM sites` (unaliased) or a
 * `RETURNING` of `sites`. Dates come as `YYYY-MM-DD` text whatever the
 * driver's date parsing; the client's Locus id is its portfolio's, or for a
 * site outside any portfolio its organisation's "Sites without a portfolio"
 * client's (subqueries, so that a list stays one statement).
 */
export const SITE_COLUMNS = [
  'id',
  'organisation_id',
  'locus_id',
  `CASE WHEN sites.portfolio_id IS NULL
     THEN (SELECT o.unassigned_client_locus_id FROM organisations o WHERE o.id = sites.organisation_id)
     ELSE (SELECT p.locus_id FROM portfolios p WHERE p.id = sites.portfolio_id) END AS client_locus_id`,
  ...Object.values(siteColumns).map((c) => (DATE_COLUMNS.has(c) ? `to_char(sites.${c}, 'YYYY-MM-DD') AS ${c}` : c)),
  'created_at',
  'updated_at',
].join(', ');

export function toSite(r: SiteRow): Site {
  return {
    id: r.id,
    locusId: locusIdOf(r.locus_id),
    clientLocusId: locusIdOf(r.client_locus_id),
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
    address1: r.address1,
    address2: r.address2,
    locale3: r.locale3,
    locale1: r.locale1,
    localeCode1: r.locale_code1,
    postalCode: r.postal_code,
    countryCode: r.country_code,
    installer: r.installer,
    installCrew: r.install_crew,
    installDate: r.install_date,
    ptoDate: r.pto_date,
    startupDate: r.startup_date,
    uninstallCrew: r.uninstall_crew,
    uninstallDate: r.uninstall_date,
    sizeKw: r.size_kw,
    mismatch: r.mismatch,
    diodesAndConnections: r.diodes_and_connections,
    dcWiring: r.dc_wiring,
    soiling: r.soiling,
    sunTracking: r.sun_tracking,
    nameplate: r.nameplate,
    acWiring: r.ac_wiring,
    transformer: r.transformer,
    tmy3Id: r.tmy3_id,
    expectedMonthly: r.expected_monthly,
    alertSettings: r.alert_settings,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

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
  const { id, organisationId: named, ...data } = parseInput(createSiteInput, input);
  const organisationId = targetOrganisation(ctx.principal, named);
  const now = ctx.clock.now();
  // Fields left out take their column's default (UTC, the model settings' PVWatts losses) or stay null.
  const given = (Object.entries(data) as [SiteField, unknown][]).filter(([, v]) => v !== undefined);
  return ctx.db.transaction(async (tx) => {
    if (data.portfolioId) await assertPortfolioInOrganisation(tx, data.portfolioId, organisationId);
    const seq = await allocateChangeSeqs(tx, organisationId);
    const columns = given.map(([field]) => siteColumns[field]);
    const { rows } = await tx.query<SiteRow>(
      `INSERT INTO sites (id, organisation_id, created_at, updated_at, change_seq${columns.map((c) => `, ${c}`).join('')})
       VALUES ($1, $2, $3, $3, $4${columns.map((c, i) => `, ${placeholder(c, i + 5)}`).join('')})
       RETURNING ${SITE_COLUMNS}`,
      [id ?? ctx.ids.uuid(), organisationId, now, seq, ...given.map(([field, value]) => parameter(siteColumns[field], value))],
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
    const entries = Object.entries(patch).filter(([, v]) => v !== undefined) as [SiteField, unknown][];
    const seq = await allocateChangeSeqs(tx, current.organisation_id);
    const sets = entries.map(([field], i) => `${siteColumns[field]} = ${placeholder(siteColumns[field], i + 4)}`);
    const { rows } = await tx.query<SiteRow>(
      `UPDATE sites SET ${['updated_at = $2', 'change_seq = $3', ...sets].join(', ')}
       WHERE id = $1 RETURNING ${SITE_COLUMNS}`,
      [id, ctx.clock.now(), seq, ...entries.map(([field, v]) => parameter(siteColumns[field], v))],
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
