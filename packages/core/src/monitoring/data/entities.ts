// The entities a data call is about, loaded with what the answers need, and
// the site data rule: which of a site's components its values come from.
import type { Queryable } from '@helio/db';
import { authorize } from '../../auth/principal.js';
import type { ServiceContext } from '../../context.js';
import { notFound } from '../../errors.js';
import { parseId } from '../../validation.js';
import { MODEL_SETTING_COLUMNS, modelOfSite, type ModelSettingRow, type ModelSettings } from './model.js';
import { isValidZone } from './zones.js';

export interface SiteComponent {
  id: string;
  nodeType: string;
  application: string;
  conceptual: boolean;
}

/**
 * The site data rule. A site's energy and power are the sum over its
 * non-conceptual generation meters (nodeType METER, application GENERATION);
 * when it has none, over its non-conceptual inverters. Its irradiance and
 * temperatures come from its weather stations (pooled: the mean of all their
 * readings when it has several). Net-grid meters, strings and other
 * components do not count: a string's energy is already in its inverter's.
 */
export function siteRoles(components: readonly SiteComponent[]): { energy: string[]; weather: string[] } {
  const live = components.filter((c) => !c.conceptual);
  const meters = live.filter((c) => c.nodeType === 'METER' && c.application === 'GENERATION');
  const energy = meters.length > 0 ? meters : live.filter((c) => c.nodeType === 'INVERTER');
  return { energy: energy.map((c) => c.id), weather: live.filter((c) => c.nodeType === 'WEATHERSTATION').map((c) => c.id) };
}

export interface ExpectedMonth {
  month: number;
  Wh_e: number | null;
  GHIh_t: number | null;
}

export interface SiteEntity {
  id: string;
  organisationId: string;
  locusId: number;
  /** The site's zone (UTC when the stored name is not one the runtime knows). */
  timezone: string;
  /** The PV model's settings; null without a size, when nothing can be modeled. */
  model: ModelSettings | null;
  /** By month 1..12; null without a table. */
  expected: Map<number, ExpectedMonth> | null;
  /** `YYYY-MM-DD`, or null. */
  startupDate: string | null;
  components: SiteComponent[];
  energy: string[];
  weather: string[];
}

export interface ComponentEntity {
  id: string;
  organisationId: string;
  siteId: string;
  locusId: number;
  /** Its site's zone. */
  timezone: string;
}

const zoneOr = (tz: string) => (isValidZone(tz) ? tz : 'UTC');

interface SiteRow extends ModelSettingRow {
  id: string;
  organisation_id: string;
  locus_id: number;
  timezone: string;
  expected_monthly: unknown;
  startup_date: string | Date | null;
}

const SITE_SELECT = `SELECT id, organisation_id, locus_id, timezone, ${MODEL_SETTING_COLUMNS}, expected_monthly, startup_date::text AS startup_date FROM sites`;

/** A site's expected monthly table (sites.expected_monthly) by month, or null when it has none. */
export function expectedTable(stored: unknown): Map<number, ExpectedMonth> | null {
  if (!Array.isArray(stored)) return null;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const table = new Map<number, ExpectedMonth>();
  for (const e of stored as Record<string, unknown>[]) {
    const month = num(e?.['month']);
    if (month !== null && month >= 1 && month <= 12) table.set(month, { month, Wh_e: num(e['Wh_e']), GHIh_t: num(e['GHIh_t']) });
  }
  return table.size > 0 ? table : null;
}

function toSite(r: SiteRow, components: SiteComponent[]): SiteEntity {
  return {
    id: r.id,
    organisationId: r.organisation_id,
    locusId: Number(r.locus_id),
    timezone: zoneOr(r.timezone),
    model: modelOfSite(r),
    expected: expectedTable(r.expected_monthly),
    startupDate: r.startup_date === null ? null : String(r.startup_date).slice(0, 10),
    components,
    ...siteRoles(components),
  };
}

interface ComponentRow {
  id: string;
  site_id: string;
  node_type: string;
  application: string;
  is_conceptual_node: boolean;
}

async function componentsOf(q: Queryable, siteIds: string[]): Promise<Map<string, SiteComponent[]>> {
  const { rows } = await q.query<ComponentRow>(
    `SELECT id, site_id, node_type, application, is_conceptual_node FROM components
     WHERE site_id = ANY($1::uuid[]) AND deleted_at IS NULL ORDER BY created_at, id`,
    [siteIds],
  );
  const bySite = new Map<string, SiteComponent[]>(siteIds.map((id) => [id, []]));
  for (const r of rows) {
    bySite.get(r.site_id)?.push({ id: r.id, nodeType: r.node_type, application: r.application, conceptual: r.is_conceptual_node });
  }
  return bySite;
}

/** A live site the caller may read, or NOT_FOUND (another organisation's site does not exist for it). */
export async function loadSite(ctx: ServiceContext, siteId: string): Promise<SiteEntity> {
  parseId(siteId, 'siteId');
  const { rows } = await ctx.db.query<SiteRow>(`${SITE_SELECT} WHERE id = $1 AND deleted_at IS NULL`, [siteId]);
  const row = rows[0];
  if (!row) throw notFound('site', siteId);
  authorize(ctx.principal, row.organisation_id, 'read', 'site', siteId);
  return toSite(row, (await componentsOf(ctx.db, [siteId])).get(siteId)!);
}

/** Every live site of an organisation the caller may read, with its components, by locus id. */
export async function loadOrganisationSites(ctx: ServiceContext, organisationId: string): Promise<SiteEntity[]> {
  parseId(organisationId, 'organisationId');
  authorize(ctx.principal, organisationId, 'read', 'organisation', organisationId);
  const { rows } = await ctx.db.query<SiteRow>(`${SITE_SELECT} WHERE organisation_id = $1 AND deleted_at IS NULL ORDER BY locus_id`, [
    organisationId,
  ]);
  const components = await componentsOf(
    ctx.db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toSite(r, components.get(r.id)!));
}

/** A live component (of a live site) the caller may read, or NOT_FOUND. */
export async function loadComponent(ctx: ServiceContext, componentId: string): Promise<ComponentEntity> {
  parseId(componentId, 'componentId');
  const { rows } = await ctx.db.query<{ id: string; organisation_id: string; site_id: string; locus_id: number; timezone: string }>(
    `SELECT c.id, c.organisation_id, c.site_id, c.locus_id, s.timezone FROM components c
     JOIN sites s ON s.id = c.site_id AND s.deleted_at IS NULL
     WHERE c.id = $1 AND c.deleted_at IS NULL`,
    [componentId],
  );
  const row = rows[0];
  if (!row) throw notFound('component', componentId);
  authorize(ctx.principal, row.organisation_id, 'read', 'component', componentId);
  return {
    id: row.id,
    organisationId: row.organisation_id,
    siteId: row.site_id,
    locusId: Number(row.locus_id),
    timezone: zoneOr(row.timezone),
  };
}
