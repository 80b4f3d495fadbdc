// What the rules read: a site with its settings, its live components, and
// window totals from the 5-minute rollups (level 1), read with plain SQL.
import type { Queryable } from '@helio/db';
import { expectedTable } from '../data/entities.js';
import { MODEL_SETTING_COLUMNS, modelOfSite, type ModelSettingRow, type ModelSettings } from '../data/model.js';
import { storedField } from '../fields.js';
import { settleRollups } from '../readings/settle.js';
import { resolveAlertSettings, type AlertSettings } from './settings.js';

export interface SiteInfo {
  id: string;
  organisationId: string;
  name: string;
  latitude: number | null;
  longitude: number | null;
  timezone: string;
  deleted: boolean;
  /** The PV model's settings, or null without a size (nothing can be modeled then). */
  model: ModelSettings | null;
  /** Expected energy per month (1–12), when the site has an expected table. */
  expectedWh: Map<number, number> | null;
  settings: AlertSettings;
}

export interface ComponentInfo {
  id: string;
  parentId: string | null;
  name: string;
  nodeType: string;
  application: string;
  conceptual: boolean;
}

interface SiteRow extends ModelSettingRow {
  id: string;
  organisation_id: string;
  site_name: string;
  latitude: number | null;
  longitude: number | null;
  timezone: string;
  deleted: boolean;
  expected_monthly: unknown;
  alert_settings: unknown;
}

/** Each month's expected energy, from the site's expected table. */
function expectedEnergy(stored: unknown): Map<number, number> | null {
  const table = expectedTable(stored);
  if (!table) return null;
  return new Map([...table].flatMap(([month, e]) => (e.Wh_e === null ? [] : [[month, e.Wh_e] as const])));
}

export async function loadSite(q: Queryable, siteId: string): Promise<SiteInfo | undefined> {
  const { rows } = await q.query<SiteRow>(
    `SELECT id, organisation_id, site_name, latitude, longitude, timezone, deleted_at IS NOT NULL AS deleted, ${MODEL_SETTING_COLUMNS},
       expected_monthly, alert_settings
     FROM sites WHERE id = $1`,
    [siteId],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    id: r.id,
    organisationId: r.organisation_id,
    name: r.site_name,
    latitude: r.latitude,
    longitude: r.longitude,
    timezone: r.timezone,
    deleted: r.deleted,
    model: modelOfSite(r),
    expectedWh: expectedEnergy(r.expected_monthly),
    settings: resolveAlertSettings(r.alert_settings),
  };
}

/** The site's live components, oldest first. */
export async function loadComponents(q: Queryable, siteId: string): Promise<ComponentInfo[]> {
  const { rows } = await q.query<{
    id: string;
    parent_id: string | null;
    name: string;
    node_type: string;
    application: string;
    is_conceptual_node: boolean;
  }>(
    `SELECT id, parent_id, name, node_type, application, is_conceptual_node FROM components
     WHERE site_id = $1 AND deleted_at IS NULL ORDER BY created_at, id`,
    [siteId],
  );
  return rows.map((r) => ({
    id: r.id,
    parentId: r.parent_id,
    name: r.name,
    nodeType: r.node_type,
    application: r.application,
    conceptual: r.is_conceptual_node,
  }));
}

/** Components that send data (a conceptual node is a grouping and sends nothing). */
export const monitored = (c: ComponentInfo) => !c.conceptual;

/** The devices whose output is the site's generation: generation meters and inverters. */
export const generating = (c: ComponentInfo) =>
  monitored(c) && (c.nodeType === 'INVERTER' || (c.nodeType === 'METER' && c.application === 'GENERATION'));

/**
 * The components a site's energy is measured on (the site data rule): its
 * generation meters, or its inverters when it has no generation meter.
 */
export function productionComponents(components: readonly ComponentInfo[]): ComponentInfo[] {
  const meters = components.filter((c) => monitored(c) && c.nodeType === 'METER' && c.application === 'GENERATION');
  return meters.length > 0 ? meters : components.filter((c) => monitored(c) && c.nodeType === 'INVERTER');
}

export const weatherStations = (components: readonly ComponentInfo[]) =>
  components.filter((c) => monitored(c) && c.nodeType === 'WEATHERSTATION');

const code = (name: string) => storedField(name)!.code!;
export const FIELD = {
  W: code('W'),
  Wh: code('Wh'),
  GHI: code('GHI'),
  POA: code('POA'),
  TmpAmb: code('TmpAmb'),
  TmpMod: code('TmpMod'),
} as const;

export const BUCKET_MS = 5 * 60_000;

export interface Totals {
  sum: number;
  count: number;
  min: number;
  max: number;
}

/** `${componentId}:${field}` → totals over the window. */
export type WindowTotals = Map<string, Totals>;

export const totalsKey = (componentId: string, field: number) => `${componentId}:${field}`;

/**
 * Sum, count, min and max per component and field over the 5-minute buckets
 * that overlap [from, to): the window widened to whole buckets, so a reading
 * that just arrived (in a bucket still filling) counts.
 */
export async function windowTotals(
  q: Queryable,
  componentIds: readonly string[],
  fields: readonly number[],
  from: Date,
  to: Date,
): Promise<WindowTotals> {
  const totals: WindowTotals = new Map();
  if (componentIds.length === 0) return totals;
  await settleRollups(q, componentIds);
  const { rows } = await q.query<{ component_id: string; field: number; sum: number; count: number; min: number; max: number }>(
    `SELECT component_id, field, sum(sum) AS sum, sum(count) AS count, min(min) AS min, max(max) AS max
     FROM reading_rollups
     WHERE level = 1 AND component_id = ANY($1::uuid[]) AND field = ANY($2::smallint[]) AND bucket > $3 AND bucket < $4
     GROUP BY component_id, field`,
    [componentIds, fields, new Date(from.getTime() - BUCKET_MS), to],
  );
  for (const r of rows) totals.set(totalsKey(r.component_id, r.field), { sum: r.sum, count: Number(r.count), min: r.min, max: r.max });
  return totals;
}

export interface BucketValue {
  componentId: string;
  field: number;
  /** Bucket start, ms since the epoch. */
  bucket: number;
  sum: number;
  count: number;
}

/** Each complete 5-minute bucket within [from, to), per component and field. */
export async function completeBuckets(
  q: Queryable,
  componentIds: readonly string[],
  fields: readonly number[],
  from: Date,
  to: Date,
): Promise<BucketValue[]> {
  if (componentIds.length === 0) return [];
  await settleRollups(q, componentIds);
  const { rows } = await q.query<{ component_id: string; field: number; bucket: Date; sum: number; count: number }>(
    `SELECT component_id, field, bucket, sum, count FROM reading_rollups
     WHERE level = 1 AND component_id = ANY($1::uuid[]) AND field = ANY($2::smallint[]) AND bucket >= $3 AND bucket <= $4`,
    [componentIds, fields, from, new Date(to.getTime() - BUCKET_MS)],
  );
  return rows.map((r) => ({ componentId: r.component_id, field: r.field, bucket: r.bucket.getTime(), sum: r.sum, count: Number(r.count) }));
}
