// Reads in the Locus v3 shapes, by integer id. Tenancy is part of every
// query: rows of organisations the caller is no member of never come back, so
// another partner's id is "not found" exactly like an id nobody has (the
// foundation's rule; the spec's 403 would tell a caller the id exists).
import { readableOrganisations } from '../../auth/principal.js';
import type { ServiceContext } from '../../context.js';
import { notFound } from '../../errors.js';
import { parseInput } from '../../validation.js';
import { MODEL_SETTING_COLUMNS, modelPercentages, type ModelSettingRow } from '../data/model.js';
import {
  parseLocusId,
  partnerComponentsFilter,
  type LocusClient,
  type LocusComponent,
  type LocusInstallInfo,
  type LocusModelSettings,
  type LocusSite,
} from './schema.js';

/** The name and first name of the client holding an organisation's sites outside any portfolio. */
export const UNASSIGNED_CLIENT_NAME = 'Sites without a portfolio';

/** The unassigned client has no zone of its own; timestamps in UTC offend nobody. */
export const UNASSIGNED_CLIENT_TZ = 'UTC';

/** A partner the caller may read: its organisation. */
export interface ResolvedPartner {
  partnerId: number;
  organisationId: string;
}

/** A client the caller may read: a portfolio, or (portfolioId null) an organisation's sites outside any portfolio. */
export interface ResolvedClient {
  clientId: number;
  organisationId: string;
  portfolioId: string | null;
}

export interface ResolvedSite {
  siteId: number;
  id: string;
  organisationId: string;
  timezone: string;
}

export interface ResolvedComponent {
  componentId: number;
  id: string;
  organisationId: string;
  siteId: string;
  /** The site's zone: the component's own, where a call lets `tz` be left out. */
  timezone: string;
}

/** `NULL` (everyone's, for the system principal) or the caller's organisations, as the `uuid[]` parameter every query takes. */
function tenancy(ctx: ServiceContext): string[] | null {
  return readableOrganisations(ctx.principal);
}

export async function resolvePartner(ctx: ServiceContext, partnerId: unknown): Promise<ResolvedPartner> {
  const id = parseLocusId('partnerId', partnerId);
  const { rows } = await ctx.db.query<{ id: string }>(
    `SELECT id FROM organisations
     WHERE locus_id = $1 AND deleted_at IS NULL AND ($2::uuid[] IS NULL OR id = ANY($2::uuid[]))`,
    [id, tenancy(ctx)],
  );
  if (!rows[0]) throw notFound('partner', String(id));
  return { partnerId: id, organisationId: rows[0].id };
}

export async function resolveClient(ctx: ServiceContext, clientId: unknown): Promise<ResolvedClient> {
  const id = parseLocusId('clientId', clientId);
  const { rows } = await ctx.db.query<{ organisation_id: string; portfolio_id: string | null }>(
    `SELECT p.organisation_id, p.id AS portfolio_id FROM portfolios p
       JOIN organisations o ON o.id = p.organisation_id AND o.deleted_at IS NULL
     WHERE p.locus_id = $1 AND p.deleted_at IS NULL AND ($2::uuid[] IS NULL OR p.organisation_id = ANY($2::uuid[]))
     UNION ALL
     SELECT o.id, NULL FROM organisations o
     WHERE o.unassigned_client_locus_id = $1 AND o.deleted_at IS NULL AND ($2::uuid[] IS NULL OR o.id = ANY($2::uuid[]))`,
    [id, tenancy(ctx)],
  );
  if (!rows[0]) throw notFound('client', String(id));
  return { clientId: id, organisationId: rows[0].organisation_id, portfolioId: rows[0].portfolio_id };
}

export async function resolveSite(ctx: ServiceContext, siteId: unknown): Promise<ResolvedSite> {
  const id = parseLocusId('siteId', siteId);
  const { rows } = await ctx.db.query<{ id: string; organisation_id: string; timezone: string }>(
    `SELECT s.id, s.organisation_id, s.timezone FROM sites s
       JOIN organisations o ON o.id = s.organisation_id AND o.deleted_at IS NULL
     WHERE s.locus_id = $1 AND s.deleted_at IS NULL AND ($2::uuid[] IS NULL OR s.organisation_id = ANY($2::uuid[]))`,
    [id, tenancy(ctx)],
  );
  if (!rows[0]) throw notFound('site', String(id));
  return { siteId: id, id: rows[0].id, organisationId: rows[0].organisation_id, timezone: rows[0].timezone };
}

export async function resolveComponent(ctx: ServiceContext, componentId: unknown): Promise<ResolvedComponent> {
  const id = parseLocusId('componentId', componentId);
  const { rows } = await ctx.db.query<{ id: string; organisation_id: string; site_id: string; timezone: string }>(
    `SELECT c.id, c.organisation_id, c.site_id, s.timezone FROM components c
       JOIN sites s ON s.id = c.site_id AND s.deleted_at IS NULL
       JOIN organisations o ON o.id = c.organisation_id AND o.deleted_at IS NULL
     WHERE c.locus_id = $1 AND c.deleted_at IS NULL AND ($2::uuid[] IS NULL OR c.organisation_id = ANY($2::uuid[]))`,
    [id, tenancy(ctx)],
  );
  if (!rows[0]) throw notFound('component', String(id));
  return { componentId: id, id: rows[0].id, organisationId: rows[0].organisation_id, siteId: rows[0].site_id, timezone: rows[0].timezone };
}

// ---- clients ----

interface ClientRow {
  id: number;
  partner_id: number;
  tz: string;
  name: string;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
}

function toClient(r: ClientRow): LocusClient {
  return {
    id: r.id,
    partnerId: r.partner_id,
    tz: r.tz,
    firstName: r.first_name ?? r.name,
    lastName: r.last_name ?? '',
    email: r.email ?? '',
  };
}

/** An organisation's clients by id: its portfolios and its client of unassigned sites; `only` picks one (portfolioId null: the unassigned one). */
async function clientsOf(ctx: ServiceContext, organisationId: string, only?: { portfolioId: string | null }): Promise<LocusClient[]> {
  const { rows } = await ctx.db.query<ClientRow>(
    `SELECT * FROM (
       SELECT p.locus_id AS id, o.locus_id AS partner_id, p.tz, p.name, p.first_name, p.last_name, p.email, p.id AS portfolio_id
       FROM portfolios p JOIN organisations o ON o.id = p.organisation_id
       WHERE p.organisation_id = $1 AND p.deleted_at IS NULL
       UNION ALL
       SELECT o.unassigned_client_locus_id, o.locus_id, $3::text, $4::text, NULL::text, NULL::text, NULL::text, NULL::uuid
       FROM organisations o WHERE o.id = $1
     ) c
     WHERE $2::boolean IS NOT TRUE OR c.portfolio_id IS NOT DISTINCT FROM $5::uuid
     ORDER BY c.id`,
    [organisationId, only !== undefined, UNASSIGNED_CLIENT_TZ, UNASSIGNED_CLIENT_NAME, only?.portfolioId ?? null],
  );
  return rows.map(toClient);
}

/** GET /v3/partners/{partnerId}/clients: the partner's portfolios, and its client of sites without a portfolio. */
export async function partnerClients(ctx: ServiceContext, partnerId: unknown): Promise<LocusClient[]> {
  const partner = await resolvePartner(ctx, partnerId);
  return clientsOf(ctx, partner.organisationId);
}

/** GET /v3/clients/{clientId}. */
export async function getClient(ctx: ServiceContext, clientId: unknown): Promise<LocusClient> {
  const client = await resolveClient(ctx, clientId);
  const [found] = await clientsOf(ctx, client.organisationId, { portfolioId: client.portfolioId });
  if (!found) throw notFound('client', String(client.clientId));
  return found;
}

// ---- sites ----

interface SiteRow {
  id: number;
  client_id: number;
  site_name: string;
  address: string | null;
  address1: string | null;
  address2: string | null;
  locale3: string | null;
  locale1: string | null;
  locale_code1: string | null;
  postal_code: string | null;
  country_code: string | null;
  latitude: number | null;
  longitude: number | null;
  timezone: string;
}

function toSite(r: SiteRow): LocusSite {
  return {
    id: r.id,
    clientId: r.client_id,
    name: r.site_name,
    address1: r.address1 ?? r.address ?? '',
    address2: r.address2 ?? '',
    locale3: r.locale3 ?? '',
    locale1: r.locale1 ?? '',
    localeCode1: r.locale_code1 ?? '',
    postalCode: r.postal_code ?? '',
    countryCode: r.country_code ?? '',
    ...(r.latitude === null ? {} : { latitude: r.latitude }),
    ...(r.longitude === null ? {} : { longitude: r.longitude }),
    locationTimezone: r.timezone,
  };
}

type SiteScope = { organisationId: string } | { clientOf: ResolvedClient } | { siteId: string };

async function sitesWhere(ctx: ServiceContext, scope: SiteScope): Promise<LocusSite[]> {
  const [condition, params] =
    'siteId' in scope
      ? ['s.id = $2', [scope.siteId]]
      : 'organisationId' in scope
        ? ['s.organisation_id = $2', [scope.organisationId]]
        : scope.clientOf.portfolioId === null
          ? ['s.organisation_id = $2 AND p.id IS NULL', [scope.clientOf.organisationId]]
          : ['p.id = $2', [scope.clientOf.portfolioId]];
  const { rows } = await ctx.db.query<SiteRow>(
    `SELECT s.locus_id AS id, COALESCE(p.locus_id, o.unassigned_client_locus_id) AS client_id, s.site_name, s.address,
            s.address1, s.address2, s.locale3, s.locale1, s.locale_code1, s.postal_code, s.country_code,
            s.latitude, s.longitude, s.timezone
     FROM sites s
       JOIN organisations o ON o.id = s.organisation_id
       LEFT JOIN portfolios p ON p.id = s.portfolio_id AND p.deleted_at IS NULL
     WHERE s.deleted_at IS NULL AND ($1::uuid[] IS NULL OR s.organisation_id = ANY($1::uuid[])) AND ${condition}
     ORDER BY s.locus_id`,
    [tenancy(ctx), ...params],
  );
  return rows.map(toSite);
}

/** GET /v3/partners/{partnerId}/sites. */
export async function partnerSites(ctx: ServiceContext, partnerId: unknown): Promise<LocusSite[]> {
  const partner = await resolvePartner(ctx, partnerId);
  return sitesWhere(ctx, { organisationId: partner.organisationId });
}

/** GET /v3/clients/{clientId}/sites. */
export async function clientSites(ctx: ServiceContext, clientId: unknown): Promise<LocusSite[]> {
  return sitesWhere(ctx, { clientOf: await resolveClient(ctx, clientId) });
}

/** GET /v3/sites/{siteId}. */
export async function getSite(ctx: ServiceContext, siteId: unknown): Promise<LocusSite> {
  const site = await resolveSite(ctx, siteId);
  const [found] = await sitesWhere(ctx, { siteId: site.id });
  if (!found) throw notFound('site', String(site.siteId));
  return found;
}

interface InstallInfoRow {
  installer: string | null;
  install_crew: string | null;
  install_date: string | null;
  pto_date: string | null;
  startup_date: string | null;
  uninstall_crew: string | null;
  uninstall_date: string | null;
}

/** GET /v3/sites/{siteId}/installinfo: the attributes set on the site (the spec returns none always). */
export async function siteInstallInfo(ctx: ServiceContext, siteId: unknown): Promise<LocusInstallInfo> {
  const site = await resolveSite(ctx, siteId);
  // Dates as text in SQL: a driver turns a `date` into a local-midnight Date, a day off east of UTC.
  const { rows } = await ctx.db.query<InstallInfoRow>(
    `SELECT installer, install_crew, to_char(install_date, 'YYYY-MM-DD') AS install_date, to_char(pto_date, 'YYYY-MM-DD') AS pto_date,
            to_char(startup_date, 'YYYY-MM-DD') AS startup_date, uninstall_crew, to_char(uninstall_date, 'YYYY-MM-DD') AS uninstall_date
     FROM sites WHERE id = $1`,
    [site.id],
  );
  const r = rows[0];
  if (!r) throw notFound('site', String(site.siteId));
  const info: LocusInstallInfo = {};
  const set = <K extends keyof LocusInstallInfo>(key: K, value: string | null) => {
    if (value !== null && value !== '') info[key] = value;
  };
  set('installer', r.installer);
  set('installCrew', r.install_crew);
  set('installDate', r.install_date);
  set('ptoDate', r.pto_date);
  set('startupDate', r.startup_date);
  set('uninstallCrew', r.uninstall_crew);
  set('uninstallDate', r.uninstall_date);
  return info;
}

interface ModelSettingsRow extends ModelSettingRow {
  tmy3_id: number | null;
}

/** GET /v3/sites/{siteId}/modelsettings: the PV model's percentages (defaults until set), size and TMY3 station when set. */
export async function siteModelSettings(ctx: ServiceContext, siteId: unknown): Promise<LocusModelSettings> {
  const site = await resolveSite(ctx, siteId);
  const { rows } = await ctx.db.query<ModelSettingsRow>(`SELECT ${MODEL_SETTING_COLUMNS}, tmy3_id FROM sites WHERE id = $1`, [site.id]);
  const r = rows[0];
  if (!r) throw notFound('site', String(site.siteId));
  return {
    ...(r.size_kw === null ? {} : { size: r.size_kw }),
    ...modelPercentages(r),
    ...(r.tmy3_id === null ? {} : { tmy3Id: r.tmy3_id }),
  };
}

// ---- components ----

interface ComponentRow {
  id: number;
  site_id: number;
  client_id: number;
  parent_locus_id: number | null;
  node_id: string;
  name: string;
  node_type: string;
  application: string;
  generation_type: string;
  oem: string | null;
  model: string | null;
  is_conceptual_node: boolean;
  serial_number: string | null;
  description: string | null;
}

function toComponent(r: ComponentRow): LocusComponent {
  return {
    id: r.id,
    siteId: r.site_id,
    clientId: r.client_id,
    parentId: r.parent_locus_id ?? r.site_id,
    parentType: r.parent_locus_id === null ? 'SITE' : 'COMPONENT',
    nodeId: r.node_id,
    name: r.name,
    nodeType: r.node_type,
    application: r.application,
    generationType: r.generation_type,
    oem: r.oem ?? '',
    model: r.model ?? '',
    isConceptualNode: r.is_conceptual_node,
    ...(r.serial_number ? { serialNumber: r.serial_number } : {}),
    ...(r.description ? { description: r.description } : {}),
  };
}

type ComponentScope =
  { organisationId: string; nodeId?: string; notes?: string } | { clientOf: ResolvedClient } | { siteId: string } | { componentId: string };

/** A LIKE pattern where only `%` is a wildcard: `_` and the escape character match themselves. */
function percentWildcard(value: string): string {
  return value.replace(/[\\_]/g, (c) => `\\${c}`);
}

async function componentsWhere(ctx: ServiceContext, scope: ComponentScope): Promise<LocusComponent[]> {
  const conditions: string[] = [];
  const params: unknown[] = [tenancy(ctx)];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if ('componentId' in scope) conditions.push(`c.id = ${param(scope.componentId)}`);
  else if ('siteId' in scope) conditions.push(`c.site_id = ${param(scope.siteId)}`);
  else if ('clientOf' in scope) {
    conditions.push(
      scope.clientOf.portfolioId === null
        ? `c.organisation_id = ${param(scope.clientOf.organisationId)} AND p.id IS NULL`
        : `p.id = ${param(scope.clientOf.portfolioId)}`,
    );
  } else {
    conditions.push(`c.organisation_id = ${param(scope.organisationId)}`);
    if (scope.nodeId !== undefined) conditions.push(`c.node_id LIKE ${param(percentWildcard(scope.nodeId))} ESCAPE '\\'`);
    if (scope.notes !== undefined) conditions.push(`c.description LIKE ${param(percentWildcard(scope.notes))} ESCAPE '\\'`);
  }
  const { rows } = await ctx.db.query<ComponentRow>(
    `SELECT c.locus_id AS id, s.locus_id AS site_id, COALESCE(p.locus_id, o.unassigned_client_locus_id) AS client_id,
            parent.locus_id AS parent_locus_id, c.node_id, c.name, c.node_type, c.application, c.generation_type,
            c.oem, c.model, c.is_conceptual_node, c.serial_number, c.description
     FROM components c
       JOIN sites s ON s.id = c.site_id AND s.deleted_at IS NULL
       JOIN organisations o ON o.id = c.organisation_id
       LEFT JOIN portfolios p ON p.id = s.portfolio_id AND p.deleted_at IS NULL
       LEFT JOIN components parent ON parent.id = c.parent_id AND parent.deleted_at IS NULL
     WHERE c.deleted_at IS NULL AND ($1::uuid[] IS NULL OR c.organisation_id = ANY($1::uuid[])) AND ${conditions.join(' AND ')}
     ORDER BY c.locus_id`,
    params,
  );
  return rows.map(toComponent);
}

/** GET /v3/partners/{partnerId}/components, with the `nodeId` and `notes` filters. */
export async function partnerComponents(ctx: ServiceContext, partnerId: unknown, filter: unknown = {}): Promise<LocusComponent[]> {
  const partner = await resolvePartner(ctx, partnerId);
  const f = parseInput(partnerComponentsFilter, filter);
  return componentsWhere(ctx, { organisationId: partner.organisationId, nodeId: f.nodeId, notes: f.notes });
}

/** GET /v3/clients/{clientId}/components. */
export async function clientComponents(ctx: ServiceContext, clientId: unknown): Promise<LocusComponent[]> {
  return componentsWhere(ctx, { clientOf: await resolveClient(ctx, clientId) });
}

/** GET /v3/sites/{siteId}/components. */
export async function siteComponents(ctx: ServiceContext, siteId: unknown): Promise<LocusComponent[]> {
  const site = await resolveSite(ctx, siteId);
  return componentsWhere(ctx, { siteId: site.id });
}

/** GET /v3/components/{componentId}. */
export async function getComponent(ctx: ServiceContext, componentId: unknown): Promise<LocusComponent> {
  const component = await resolveComponent(ctx, componentId);
  const [found] = await componentsWhere(ctx, { componentId: component.id });
  if (!found) throw notFound('component', String(component.componentId));
  return found;
}
