// `helio simulate`: demo data for a site, written through the same services
// as real equipment (components, ingest, device events), so that rollups,
// data queries and alerts see it as they would see a plant.
//
// History runs from the site's local midnight `days` days before today up to
// the last complete interval, one local day at a time (all components, then
// the day's device events), so the readings arrive in the order a logger
// replaying its memory would send them. Live mode then writes each interval
// once it is over, until the signal aborts.
import type { ServiceContext } from '../../context.js';
import { notFound, validationError } from '../../errors.js';
import { getSite, updateSite } from '../../sites/service.js';
import type { Site } from '../../sites/schema.js';
import { parseId } from '../../validation.js';
import { recordEvents } from '../alerts/events.js';
import { createComponent, listComponents } from '../components/service.js';
import { MAX_ROWS_PER_REQUEST } from '../readings/parse.js';
import { ingestReadings } from '../readings/service.js';
import type { ModelSettings } from '../data/model.js';
import { intervalValues, isoWithOffset, outagesBetween, type Outage, type PlantPlan, type SimReading } from './plant.js';
import { localMidnight, placeFor, sizeFromSite } from './site-defaults.js';
import { defaultTree, planFor } from './tree.js';
import { seedFromText, type Place } from './weather.js';
import { INTERVALS, MAX_DAYS, type IntervalMinutes } from './limits.js';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export { INTERVALS, MAX_DAYS, type IntervalMinutes } from './limits.js';

/** The Device Fault an outage reports. */
export const OUTAGE_EVENT = {
  code: 'SIM-ISO-FAULT',
  priority: 'High',
  descriptionShort: 'Insulation fault: inverter disconnected',
  descriptionLong:
    'The DC insulation resistance fell below its limit; the inverter disconnected from the grid until it recovers (simulated).',
} as const;

export interface SimulateOptions {
  /** The site: its UUID or its Locus id. */
  site: string;
  /** Whole days before today (in the site's zone) to write, besides today so far. Default 7. */
  days?: number;
  /** Default 5. */
  intervalMinutes?: number;
  /** Default: derived from the site's id, so a run repeated over the same period writes the same values. */
  seed?: number;
  /** After the history, keep writing each interval as it ends, until `signal` aborts. */
  live?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: SimulateProgress) => void;
  /** Waits `ms` (resolving early on abort); tests pass one that moves their clock. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface SimulateProgress {
  phase: 'history' | 'live';
  /** History: days done and in all; live: intervals written so far (total 0). */
  done: number;
  total: number;
  readings: number;
}

export interface SimulateSummary {
  siteId: string;
  siteLocusId: number | null;
  siteName: string;
  /** What the run filled in on the site, with the values it set. */
  siteUpdates: Partial<Pick<Site, 'sizeKw' | 'latitude' | 'longitude' | 'timezone'>>;
  componentsCreated: number;
  componentsSimulated: number;
  skipped: { id: string; name: string; reason: string }[];
  intervalMinutes: number;
  seed: number;
  from: string;
  to: string;
  /** Reading rows sent (one per component and interval) and values stored / already held / replaced. */
  rows: number;
  stored: number;
  unchanged: number;
  replaced: number;
  events: number;
  outages: { componentId: string; name: string; start: string; end: string }[];
  live: boolean;
  /** Alert rules that failed after an ingest (the readings stand), at most a few. */
  alertErrors: string[];
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** A site by UUID or Locus id, as the principal may see it. */
export async function findSite(ctx: ServiceContext, ref: string): Promise<Site> {
  if (/^-?\d+$/.test(ref)) {
    const locusId = Number(ref);
    // Zero and negative numbers are placeholders of rows created offline, never a site's id.
    if (!Number.isSafeInteger(locusId) || locusId <= 0) throw notFound('site', ref);
    const { rows } = await ctx.db.query<{ id: string }>('SELECT id FROM sites WHERE locus_id = $1 AND deleted_at IS NULL', [locusId]);
    if (!rows[0]) throw notFound('site', ref);
    return getSite(ctx, rows[0].id);
  }
  return getSite(ctx, parseId(ref, 'site'));
}

function modelSettingsOf(site: Site, sizeKw: number): ModelSettings {
  return {
    sizeKw,
    mismatch: site.mismatch,
    diodesAndConnections: site.diodesAndConnections,
    dcWiring: site.dcWiring,
    soiling: site.soiling,
    sunTracking: site.sunTracking,
    nameplate: site.nameplate,
    acWiring: site.acWiring,
    transformer: site.transformer,
  };
}

function checkOptions(options: SimulateOptions): { days: number; intervalMinutes: IntervalMinutes } {
  const days = options.days ?? 7;
  const intervalMinutes = options.intervalMinutes ?? 5;
  const details = [];
  if (!Number.isInteger(days) || days < 0 || days > MAX_DAYS)
    details.push({ path: 'days', message: `must be a whole number from 0 to ${MAX_DAYS}` });
  if (!(INTERVALS as readonly number[]).includes(intervalMinutes)) details.push({ path: 'interval', message: 'must be 1 or 5 (minutes)' });
  if (options.seed !== undefined && (!Number.isInteger(options.seed) || options.seed < 0 || options.seed > 0xffffffff)) {
    details.push({ path: 'seed', message: 'must be a whole number from 0 to 4294967295' });
  }
  if (details.length)
    throw validationError(`invalid simulate options: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`, details);
  return { days, intervalMinutes: intervalMinutes as IntervalMinutes };
}

/** Fills in what the simulator needs and the site lacks: a size, coordinates and a zone. */
async function completeSite(ctx: ServiceContext, site: Site): Promise<{ site: Site; updates: SimulateSummary['siteUpdates'] }> {
  const updates: SimulateSummary['siteUpdates'] = {};
  if (!site.sizeKw || site.sizeKw <= 0) updates.sizeKw = sizeFromSite(site);
  if (site.latitude === null || site.longitude === null) {
    const place = placeFor(site, ctx.clock.now());
    updates.latitude = place.latitude;
    updates.longitude = place.longitude;
    if (place.timezone !== site.timezone) updates.timezone = place.timezone;
  }
  if (Object.keys(updates).length === 0) return { site, updates };
  return { site: await updateSite(ctx, site.id, updates), updates };
}

/** Creates the default tree; returns how many components it created. */
async function createTree(ctx: ServiceContext, site: Site, sizeKw: number): Promise<number> {
  const planned = defaultTree(site.locusId && site.locusId > 0 ? String(site.locusId) : site.id, sizeKw);
  const ids: string[] = [];
  for (const p of planned) {
    const created = await createComponent(ctx, {
      siteId: site.id,
      parentId: p.parent === null ? null : ids[p.parent]!,
      nodeId: p.nodeId,
      name: p.name,
      nodeType: p.nodeType,
      application: 'GENERATION',
      generationType: 'SOLAR',
      oem: 'Helio',
      model: p.model,
      description: 'Created by `helio simulate`',
    });
    ids.push(created.id);
  }
  return ids.length;
}

interface PendingEvent {
  componentId: string;
  ts: number;
  state: 'active' | 'cleared';
}

/** The device events of outages that fall in [from, to): the fault when it starts, the clearing when it ends. */
function eventsBetween(plan: PlantPlan, outages: readonly Outage[], from: number, to: number): PendingEvent[] {
  const out: PendingEvent[] = [];
  for (const o of outages) {
    const componentId = plan.inverters[o.inverter]!.componentId;
    if (o.start >= from && o.start < to) out.push({ componentId, ts: o.start, state: 'active' });
    if (o.end >= from && o.end < to) out.push({ componentId, ts: o.end, state: 'cleared' });
  }
  return out.sort((a, b) => a.ts - b.ts);
}

/**
 * Creates a component tree for a site that has none, fills in its size and
 * place when missing, and writes simulated readings and device events for it.
 * Resolves to what it did; in live mode, once `signal` aborts.
 */
export async function simulateSite(ctx: ServiceContext, options: SimulateOptions): Promise<SimulateSummary> {
  const { days, intervalMinutes } = checkOptions(options);
  const sleep = options.sleep ?? defaultSleep;
  const step = intervalMinutes * MINUTE_MS;
  let site = await findSite(ctx, options.site);
  const completed = await completeSite(ctx, site);
  site = completed.site;
  const sizeKw = site.sizeKw!;
  const place: Place = { latitude: site.latitude!, longitude: site.longitude! };

  let components = await listComponents(ctx, { siteId: site.id });
  let componentsCreated = 0;
  if (components.length === 0) {
    componentsCreated = await createTree(ctx, site, sizeKw);
    components = await listComponents(ctx, { siteId: site.id });
  }
  const seed = options.seed ?? seedFromText(site.id);
  const { plan, skipped } = planFor(components, { seed, place, settings: modelSettingsOf(site, sizeKw), intervalMinutes });

  const now = () => ctx.clock.now().getTime();
  const lastEnd = (ms: number) => Math.floor(ms / step) * step;
  const from = localMidnight(localMidnight(now(), site.timezone) - days * DAY_MS + DAY_MS / 2, site.timezone);
  const summary: SimulateSummary = {
    siteId: site.id,
    siteLocusId: site.locusId && site.locusId > 0 ? site.locusId : null,
    siteName: site.siteName,
    siteUpdates: completed.updates,
    componentsCreated,
    componentsSimulated: new Set([
      ...plan.inverters.map((i) => i.componentId).filter(Boolean),
      ...plan.strings.map((s) => s.componentId),
      ...plan.meters.map((m) => m.componentId),
      ...plan.weatherStations,
    ]).size,
    skipped,
    intervalMinutes,
    seed,
    from: new Date(from).toISOString(),
    to: new Date(from).toISOString(),
    rows: 0,
    stored: 0,
    unchanged: 0,
    replaced: 0,
    events: 0,
    outages: [],
    live: options.live === true,
    alertErrors: [],
  };
  const seenOutages = new Set<number>();
  const sentEvents = new Set<string>();

  /** Writes every interval in [a, b) (both aligned), then the device events of [a, b). */
  async function write(a: number, b: number): Promise<void> {
    if (b <= a) return;
    const outages = outagesBetween(plan, a, b);
    const perComponent = new Map<string, SimReading[]>();
    for (let t = a; t < b; t += step) {
      for (const [id, reading] of intervalValues(plan, t, outages).readings) {
        let list = perComponent.get(id);
        if (!list) perComponent.set(id, (list = []));
        list.push(reading);
      }
    }
    for (const [componentId, readings] of perComponent) {
      for (let i = 0; i < readings.length; i += MAX_ROWS_PER_REQUEST) {
        const chunk = readings.slice(i, i + MAX_ROWS_PER_REQUEST);
        const result = await ingestReadings(ctx, componentId, { readings: chunk });
        summary.rows += result.rows;
        summary.stored += result.stored;
        summary.unchanged += result.unchanged;
        summary.replaced += result.replaced;
        if (result.alertsError && summary.alertErrors.length < 5) summary.alertErrors.push(result.alertsError);
      }
    }
    for (const o of outages) {
      if (o.start < from || o.start >= b || seenOutages.has(o.start)) continue;
      seenOutages.add(o.start);
      const componentId = plan.inverters[o.inverter]!.componentId;
      const name = components.find((c) => c.id === componentId)?.name ?? componentId;
      summary.outages.push({ componentId, name, start: isoWithOffset(o.start), end: isoWithOffset(o.end) });
    }
    // An outage that began before the run has no fault to clear.
    for (const e of eventsBetween(
      plan,
      outages.filter((o) => o.start >= from),
      a,
      b,
    ))
      await sendEvent(e);
    summary.to = new Date(b).toISOString();
  }

  async function sendEvent(e: PendingEvent): Promise<void> {
    const key = `${e.componentId}|${e.state}|${e.ts}`;
    if (sentEvents.has(key)) return;
    sentEvents.add(key);
    // A run repeated over the same period sends nothing twice: the events table keeps every message a device sent.
    const { rows } = await ctx.db.query(
      'SELECT 1 FROM component_events WHERE component_id = $1 AND code = $2 AND state = $3 AND ts = $4 LIMIT 1',
      [e.componentId, OUTAGE_EVENT.code, e.state, new Date(e.ts)],
    );
    if (rows.length > 0) return;
    await recordEvents(ctx, e.componentId, {
      ts: isoWithOffset(e.ts),
      code: OUTAGE_EVENT.code,
      state: e.state,
      ...(e.state === 'active'
        ? {
            priority: OUTAGE_EVENT.priority,
            descriptionShort: OUTAGE_EVENT.descriptionShort,
            descriptionLong: OUTAGE_EVENT.descriptionLong,
          }
        : { descriptionShort: 'Insulation fault cleared: inverter reconnected' }),
    });
    summary.events += 1;
  }

  // History, one local day at a time.
  const end = lastEnd(now());
  const dayStarts: number[] = [];
  for (let d = from; d < end; d = localMidnight(d + DAY_MS + DAY_MS / 2, site.timezone)) dayStarts.push(d);
  const report = (phase: SimulateProgress['phase'], done: number, total: number) =>
    options.onProgress?.({ phase, done, total, readings: summary.stored + summary.replaced + summary.unchanged });
  report('history', 0, dayStarts.length);
  for (let i = 0; i < dayStarts.length; i++) {
    if (options.signal?.aborted) break;
    const a = lastEnd(dayStarts[i]!);
    const b = Math.min(end, lastEnd(dayStarts[i + 1] ?? end));
    await write(a, b);
    report('history', i + 1, dayStarts.length);
  }

  // Live: each interval once it is over (a second late, as a logger sends it).
  let cursor = end;
  let intervals = 0;
  if (options.live && !options.signal?.aborted) report('live', 0, 0);
  while (options.live && !options.signal?.aborted) {
    const wait = cursor + step + 1000 - now();
    if (wait > 0) await sleep(wait, options.signal);
    if (options.signal?.aborted) break;
    const upTo = lastEnd(now());
    if (upTo <= cursor) continue;
    await write(cursor, upTo);
    intervals += (upTo - cursor) / step;
    cursor = upTo;
    report('live', intervals, 0);
  }
  return summary;
}
