// Fixtures for the alert tests: a clock the test moves, a site with the
// columns the rules read, components, and readings sent through the ingest
// service as a device would send them.
import type { Db } from '@helio/db';
import type { ServiceContext } from '../../context.js';
import { createSite } from '../../sites/service.js';
import type { TestOrganisation } from '../../testing.js';
import { createComponent } from '../components/service.js';
import { ingestReadings } from '../readings/service.js';

export interface TestClock {
  now(): Date;
  set(iso: string | Date): void;
  advance(minutes: number): void;
}

export function testClock(start = '2024-03-20T12:00:00Z'): TestClock {
  let t = new Date(start).getTime();
  return {
    now: () => new Date(t),
    set: (iso) => {
      t = new Date(iso).getTime();
    },
    advance: (minutes) => {
      t += minutes * 60_000;
    },
  };
}

/** The same principal, acting on the test's clock. */
export function onClock(ctx: ServiceContext, clock: TestClock): ServiceContext {
  return { ...ctx, clock };
}

export interface SiteOptions {
  latitude?: number | null;
  longitude?: number | null;
  timezone?: string;
  sizeKw?: number | null;
  alertSettings?: unknown;
  expectedMonthly?: { month: number; Wh_e: number; GHIh_t: number | null }[] | null;
}

/** A site at 0°N 0°E (the sun overhead at 12:07 UTC on 20 March 2024) unless told otherwise. */
export async function testSite(db: Db, org: TestOrganisation, name: string, options: SiteOptions = {}): Promise<string> {
  const site = await createSite(org.as.admin, {
    siteName: name,
    latitude: options.latitude === undefined ? 0 : options.latitude,
    longitude: options.longitude === undefined ? 0 : options.longitude,
    timezone: options.timezone ?? 'UTC',
  });
  await setSiteColumns(db, site.id, options);
  return site.id;
}

/** Writes the site's model size, alert settings and expected table straight into its row (test setup, not an API). */
export async function setSiteColumns(db: Db, siteId: string, options: SiteOptions): Promise<void> {
  await db.query(`UPDATE sites SET size_kw = $2, alert_settings = $3::jsonb, expected_monthly = $4::jsonb WHERE id = $1`, [
    siteId,
    options.sizeKw ?? null,
    options.alertSettings === undefined ? null : JSON.stringify(options.alertSettings),
    options.expectedMonthly ? JSON.stringify(options.expectedMonthly) : null,
  ]);
}

let nodeCounter = 0;

export async function testComponent(
  org: TestOrganisation,
  siteId: string,
  nodeType: string,
  options: { name?: string; parentId?: string; application?: 'GENERATION' | 'NET-GRID'; conceptual?: boolean } = {},
): Promise<string> {
  const c = await createComponent(org.as.admin, {
    siteId,
    nodeId: `node-${++nodeCounter}-${Math.random().toString(36).slice(2, 8)}`,
    name: options.name ?? `${nodeType} ${nodeCounter}`,
    nodeType,
    ...(options.parentId ? { parentId: options.parentId } : {}),
    ...(options.application ? { application: options.application } : {}),
    ...(options.conceptual ? { isConceptualNode: true } : {}),
  });
  return c.id;
}

/**
 * Sends a reading every 5 minutes over [from, from + minutes) through the
 * ingest service, at the clock's current time (which also runs the
 * after-ingest evaluation). `values` gives each reading's fields.
 */
export async function sendReadings(
  ctx: ServiceContext,
  componentId: string,
  from: string,
  minutes: number,
  values: Record<string, number> | ((at: Date) => Record<string, number>),
): Promise<void> {
  const start = Date.parse(from);
  const readings = [];
  for (let m = 0; m < minutes; m += 5) {
    const at = new Date(start + m * 60_000);
    readings.push({ ts: at.toISOString(), ...(typeof values === 'function' ? values(at) : values) });
  }
  await ingestReadings(ctx, componentId, { readings });
}

export interface AlertState {
  alert_type: string;
  component_id: string;
  condition_key: string;
  priority: string;
  started_at: Date;
  ended_at: Date | null;
  updated_at: Date;
  description_short: string | null;
  description_long: string | null;
  details: Record<string, unknown> | null;
}

/** Every alert of a site, oldest first, as stored. */
export async function alertsOfSite(db: Db, siteId: string): Promise<AlertState[]> {
  const { rows } = await db.query<AlertState>(
    `SELECT alert_type, component_id, condition_key, priority, started_at, ended_at, updated_at, description_short, description_long, details
     FROM alerts WHERE site_id = $1 ORDER BY started_at, created_at, id`,
    [siteId],
  );
  return rows;
}
