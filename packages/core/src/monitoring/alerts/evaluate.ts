// When the rules run: after readings of a component are stored (what those
// readings can change), and on a schedule (everything, including what only
// the passing of time changes: a device that went silent).
//
// Each site is evaluated in its own transaction under its advisory lock
// (writer.ts), so several servers may run the schedule at once: a server
// that finds a site locked skips it, the holder doing the same work.
import { systemPrincipal } from '../../auth/principal.js';
import { withPrincipal, type ServiceContext } from '../../context.js';
import { planAlertWrites, type RuleResult } from './plan.js';
import { performanceIndex, stringsPerformance, systemDisconnect, zeroGeneration, type RuleInput } from './rules.js';
import { settleSiteRollups } from '../readings/settle.js';
import { alertTypes } from './schema.js';
import { resolveAlertSettings, type AlertSettings } from './settings.js';
import { BUCKET_MS, generating, loadComponents, loadSite, monitored, productionComponents, weatherStations } from './site-data.js';
import { lockOpenAlerts, lockSite, writeAlerts, type AlertWrite } from './writer.js';

export interface SiteEvaluation {
  skipped: boolean;
  opened: number;
  changed: number;
  closed: number;
}

export interface ScheduledEvaluation {
  sites: number;
  /** Sites another evaluator held at the time (evaluated by it). */
  skipped: number;
  opened: number;
  changed: number;
  closed: number;
}

function count(writes: readonly AlertWrite[]): Omit<SiteEvaluation, 'skipped'> {
  let opened = 0;
  let changed = 0;
  let closed = 0;
  for (const w of writes) {
    if (w.kind === 'open') opened += 1;
    else if (w.set.endedAt) closed += 1;
    else changed += 1;
  }
  return { opened, changed, closed };
}

/**
 * Evaluates the rules of one site and writes the difference. `focus`: only
 * what a component's new readings can change; otherwise every rule, and open
 * alerts of components no longer monitored (deleted, conceptual) close, as do
 * all of a deleted site's.
 */
export async function evaluateSite(
  ctx: ServiceContext,
  siteId: string,
  now: Date,
  options: { wait: boolean; focusComponentId?: string },
): Promise<SiteEvaluation> {
  const system = withPrincipal(ctx, systemPrincipal);
  // The rules read rollups; settled first, outside the evaluation's transaction (settle.ts).
  await settleSiteRollups(system.db, siteId);
  return system.db.transaction(async (tx) => {
    if (!(await lockSite(tx, siteId, options.wait))) return { skipped: true, opened: 0, changed: 0, closed: 0 };
    const site = await loadSite(tx, siteId);
    const live = site && !site.deleted;
    const components = live ? await loadComponents(tx, siteId) : [];
    const focus = options.focusComponentId ? components.find((c) => c.id === options.focusComponentId) : undefined;
    if (options.focusComponentId && !focus) return { skipped: false, opened: 0, changed: 0, closed: 0 };

    let results: RuleResult[];
    if (!live) {
      results = alertTypes.map((alertType) => ({ alertType, findings: [], closeUnnamed: true }));
    } else {
      const input: RuleInput = { q: tx, site, components, now, focus };
      results = [await systemDisconnect(input)];
      if (!focus || generating(focus)) results.push(await zeroGeneration(input));
      if (!focus || focus.nodeType === 'STRING' || focus.nodeType === 'INVERTER') results.push(await stringsPerformance(input));
      const pi = !focus || productionComponents(components).includes(focus) || weatherStations(components).includes(focus);
      if (pi) results.push(await performanceIndex(input));
      if (!focus && !site.settings.deviceFault.enabled) results.push({ alertType: 'Device Fault', findings: [], closeUnnamed: true });
    }
    const open = await lockOpenAlerts(tx, siteId);
    if (open.length === 0 && results.every((r) => r.findings.every((f) => f.state === 'clear'))) {
      return { skipped: false, opened: 0, changed: 0, closed: 0 };
    }
    const monitoredComponents = focus ? undefined : new Set(components.filter(monitored).map((c) => c.id));
    const writes = planAlertWrites(open, results, { siteId, now, monitoredComponents });
    const organisationId = site?.organisationId ?? open[0]?.organisation_id;
    if (organisationId) await writeAlerts(tx, system, organisationId, writes, now);
    return { skipped: false, ...count(writes) };
  });
}

/**
 * Every rule for every site with live components or open alerts, at `now`
 * (the context's clock when absent). Safe to run on several servers at once.
 */
export async function evaluateScheduled(ctx: ServiceContext, now: Date = ctx.clock.now()): Promise<ScheduledEvaluation> {
  const { rows } = await ctx.db.query<{ id: string }>(
    `SELECT s.id FROM sites s WHERE s.deleted_at IS NULL AND EXISTS (SELECT 1 FROM components c WHERE c.site_id = s.id AND c.deleted_at IS NULL)
     UNION
     SELECT DISTINCT site_id FROM alerts WHERE ended_at IS NULL AND deleted_at IS NULL`,
  );
  const total: ScheduledEvaluation = { sites: rows.length, skipped: 0, opened: 0, changed: 0, closed: 0 };
  for (const { id } of rows) {
    const r = await evaluateSite(ctx, id, now, { wait: false });
    if (r.skipped) total.skipped += 1;
    total.opened += r.opened;
    total.changed += r.changed;
    total.closed += r.closed;
  }
  return total;
}

/** What the ingest service reports after storing a component's readings. */
export interface IngestSummary {
  componentId: string;
  /** The component's site, when the caller knows it (else it is looked up). */
  siteId?: string;
  stored: number;
  replaced: number;
  from: string | Date | null;
  to: string | Date | null;
}

/**
 * How far back from now the site's rules read readings: the longest of Zero
 * Generation's, Strings Performance's and Performance Index's windows, widened
 * by the 5-minute bucket a window's start may fall in (site-data.ts).
 */
function readingsReach(settings: AlertSettings): number {
  return (
    Math.max(
      settings.zeroGeneration.afterMinutes * 60_000,
      settings.stringsPerformance.windowMinutes * 60_000,
      settings.performanceIndex.windowHours * 3_600_000,
    ) + BUCKET_MS
  );
}

/** The least `readingsReach` can be (every window at its shortest, 5 minutes). */
const LEAST_REACH_MS = 5 * 60_000 + BUCKET_MS;

/**
 * Re-evaluates what a component's new readings can change: its System
 * Disconnect (data arrived), its Zero Generation, its peers' Strings
 * Performance and its site's Performance Index. The ingest service calls it
 * after the readings are committed and reports a failure beside them (the
 * readings stand, and the schedule evaluates again). Waits for another
 * evaluator of the site rather than skipping: these readings are news to it.
 * Null when the component is gone.
 *
 * Readings that all lie before every window the site's rules read (an older
 * stretch of a backfill), at a site with no open alert, change nothing the
 * rules would find: the site is not evaluated (`{skipped: true}`). Data
 * arriving still closes an open System Disconnect at once: a site with an open
 * alert is always evaluated.
 */
export async function evaluateAfterIngest(ctx: ServiceContext, summary: IngestSummary): Promise<SiteEvaluation | null> {
  let siteId = summary.siteId;
  if (!siteId) {
    const { rows } = await ctx.db.query<{ site_id: string }>('SELECT site_id FROM components WHERE id = $1 AND deleted_at IS NULL', [
      summary.componentId,
    ]);
    siteId = rows[0]?.site_id;
  }
  if (!siteId) return null;
  const now = ctx.clock.now();
  const newest = summary.to === null ? NaN : new Date(summary.to).getTime();
  if (newest < now.getTime() - LEAST_REACH_MS) {
    const { rows } = await ctx.db.query<{ alert_settings: unknown; open: boolean }>(
      `SELECT s.alert_settings,
         EXISTS (SELECT 1 FROM alerts a WHERE a.site_id = s.id AND a.ended_at IS NULL AND a.deleted_at IS NULL) AS open
       FROM sites s WHERE s.id = $1 AND s.deleted_at IS NULL`,
      [siteId],
    );
    const site = rows[0];
    if (site && !site.open && newest < now.getTime() - readingsReach(resolveAlertSettings(site.alert_settings))) {
      return { skipped: true, opened: 0, changed: 0, closed: 0 };
    }
  }
  return evaluateSite(ctx, siteId, now, { wait: true, focusComponentId: summary.componentId });
}
