// The alert rules computed from readings. Each reads what it needs of one
// site and says, per component, whether its condition holds (`active`),
// does not (`clear`), or cannot be told (no finding: the alert, if any, stays
// as it is). docs/monitoring.md ("Alerts") describes each rule for users.
import type { Queryable } from '@helio/db';
import { modeledAcPower, moduleTemperature } from '../data/model.js';
import type { Finding, RuleResult } from './plan.js';
import {
  BUCKET_MS,
  completeBuckets,
  FIELD,
  generating,
  monitored,
  productionComponents,
  totalsKey,
  weatherStations,
  windowTotals,
  type ComponentInfo,
  type SiteInfo,
  type Totals,
} from './site-data.js';
import { clearSkyGhi, sunPosition } from './solar.js';
import { monthInZone } from './zoned-time.js';

export interface RuleInput {
  q: Queryable;
  site: SiteInfo;
  components: readonly ComponentInfo[];
  now: Date;
  /** Evaluate only what this component's new readings can change (after an ingest). */
  focus?: ComponentInfo;
}

const minutes = (n: number) => n * 60_000;

/**
 * System Disconnect (High): a monitored component has sent nothing for
 * `afterMinutes`. The alert starts when the component was last heard from
 * and ends when it is heard from again. A component that has never sent
 * anything is not alerted: it may not be connected yet.
 */
export async function systemDisconnect({ q, site, components, now, focus }: RuleInput): Promise<RuleResult> {
  const s = site.settings.systemDisconnect;
  if (!s.enabled) return { alertType: 'System Disconnect', findings: [], closeUnnamed: true };
  const watched = components.filter((c) => monitored(c) && (!focus || c.id === focus.id));
  if (watched.length === 0) return { alertType: 'System Disconnect', findings: [] };
  const { rows } = await q.query<{ component_id: string; last_received_at: Date | null }>(
    'SELECT component_id, last_received_at FROM component_status WHERE component_id = ANY($1::uuid[])',
    [watched.map((c) => c.id)],
  );
  const settings = { afterMinutes: s.afterMinutes };
  const findings: Finding[] = [];
  for (const r of rows) {
    if (!r.last_received_at) continue;
    const silent = now.getTime() - r.last_received_at.getTime() > minutes(s.afterMinutes);
    findings.push({
      componentId: r.component_id,
      state: silent ? 'active' : 'clear',
      priority: 'High',
      at: r.last_received_at,
      settings,
      observed: { lastReceivedAt: r.last_received_at.toISOString() },
    });
  }
  return { alertType: 'System Disconnect', findings };
}

/** Mean of a field over the stations that measured it in the window, or undefined. */
function stationMean(totals: Map<string, Totals>, stations: readonly ComponentInfo[], field: number): number | undefined {
  let sum = 0;
  let count = 0;
  for (const s of stations) {
    const t = totals.get(totalsKey(s.id, field));
    if (t && t.count > 0) {
      sum += t.sum;
      count += t.count;
    }
  }
  return count > 0 ? sum / count : undefined;
}

/**
 * Zero Generation (High): a generation meter or inverter sent readings over
 * the last `afterMinutes` and none shows any energy (Wh) or power (W) above
 * zero, while the sun was up and the site is expected to produce. "Sun up":
 * the site's weather station measured a mean irradiance (GHI, else POA) of at
 * least `minIrradiance` over the window; without a station, the clear-sky
 * irradiance at the site's coordinates (Haurwitz) is at least
 * `minIrradiance` at both ends of the window (it has one maximum a day, so
 * then it is throughout). "Expected to produce": the site's expected monthly
 * table, if it has one, gives the current month (in the site's zone) more
 * than 0 Wh. The alert starts at the beginning of the window and ends when
 * the device produces again.
 */
export async function zeroGeneration({ q, site, components, now, focus }: RuleInput): Promise<RuleResult> {
  const s = site.settings.zeroGeneration;
  if (!s.enabled) return { alertType: 'Zero Generation', findings: [], closeUnnamed: true };
  const devices = components.filter((c) => generating(c) && (!focus || c.id === focus.id));
  if (devices.length === 0) return { alertType: 'Zero Generation', findings: [] };
  const from = new Date(now.getTime() - minutes(s.afterMinutes));
  const stations = weatherStations(components);
  const totals = await windowTotals(
    q,
    [...devices, ...stations].map((c) => c.id),
    [FIELD.W, FIELD.Wh, FIELD.GHI, FIELD.POA],
    from,
    now,
  );

  let irradiance = stationMean(totals, stations, FIELD.GHI) ?? stationMean(totals, stations, FIELD.POA);
  let source = 'weatherStation';
  if (irradiance === undefined && site.latitude !== null && site.longitude !== null) {
    irradiance = Math.min(clearSkyGhi(site.latitude, site.longitude, from), clearSkyGhi(site.latitude, site.longitude, now));
    source = 'clearSky';
  }
  const sunUp = irradiance !== undefined && irradiance >= s.minIrradiance;
  const expected = site.expectedWh === null || (site.expectedWh.get(monthInZone(now, site.timezone)) ?? 1) > 0;

  const settings = { afterMinutes: s.afterMinutes, minIrradiance: s.minIrradiance };
  const findings: Finding[] = [];
  for (const d of devices) {
    const wh = totals.get(totalsKey(d.id, FIELD.Wh));
    const w = totals.get(totalsKey(d.id, FIELD.W));
    const received = (wh?.count ?? 0) + (w?.count ?? 0) > 0;
    if (!received) continue;
    const produced = (wh !== undefined && wh.count > 0 && wh.sum > 0) || (w !== undefined && w.count > 0 && w.max > 0);
    if (produced) findings.push({ componentId: d.id, state: 'clear', priority: 'High', settings });
    else if (sunUp && expected)
      findings.push({
        componentId: d.id,
        state: 'active',
        priority: 'High',
        at: from,
        settings,
        observed: { irradiance: Math.round(irradiance!), irradianceSource: source },
      });
  }
  return { alertType: 'Zero Generation', findings };
}

/** Energy of a component in one bucket, Wh: its Wh readings, else its mean power over the bucket. */
function bucketEnergy(byField: Map<number, { sum: number; count: number }> | undefined): number | undefined {
  const wh = byField?.get(FIELD.Wh);
  if (wh && wh.count > 0) return wh.sum;
  const w = byField?.get(FIELD.W);
  if (w && w.count > 0) return (w.sum / w.count) * (BUCKET_MS / 3_600_000);
  return undefined;
}

/**
 * Performance Index (Medium): over the last `windowHours`, the site's
 * measured energy is below `threshold` × its modeled energy. Needs the
 * site's size (kW DC) and a weather station measuring irradiance. Counted
 * over the complete 5-minute buckets in which the station measured
 * irradiance and every production component (generation meters, else
 * inverters) sent energy or power; modeled energy per bucket is
 * data/model.ts's AC power (with inverter clipping) for the bucket's mean
 * irradiance (POA, else GHI) and module temperature, times 5 minutes. Not
 * judged while modeled energy is under 0.25 kWh per kW (night, dawn, too
 * little data). One alert per site, on its first production component.
 */
export async function performanceIndex({ q, site, components, now }: RuleInput): Promise<RuleResult> {
  const s = site.settings.performanceIndex;
  if (!s.enabled) return { alertType: 'Performance Index', findings: [], closeUnnamed: true };
  const production = productionComponents(components);
  const stations = weatherStations(components);
  // Not applicable (nothing to model, or no one to measure): nothing of the type stays open.
  if (!site.model || production.length === 0 || stations.length === 0)
    return { alertType: 'Performance Index', findings: [], closeUnnamed: true };
  const model = site.model;
  const from = new Date(Math.ceil((now.getTime() - s.windowHours * 3_600_000) / BUCKET_MS) * BUCKET_MS);
  const rows = await completeBuckets(
    q,
    [...production, ...stations].map((c) => c.id),
    [FIELD.W, FIELD.Wh, FIELD.GHI, FIELD.POA, FIELD.TmpAmb, FIELD.TmpMod],
    from,
    now,
  );
  // bucket → component → field → value
  const byBucket = new Map<number, Map<string, Map<number, { sum: number; count: number }>>>();
  for (const r of rows) {
    let components = byBucket.get(r.bucket);
    if (!components) byBucket.set(r.bucket, (components = new Map()));
    let fields = components.get(r.componentId);
    if (!fields) components.set(r.componentId, (fields = new Map()));
    fields.set(r.field, { sum: r.sum, count: r.count });
  }
  const mean = (values: Map<string, Map<number, { sum: number; count: number }>>, field: number): number | undefined => {
    let sum = 0;
    let count = 0;
    for (const st of stations) {
      const v = values.get(st.id)?.get(field);
      if (v && v.count > 0) {
        sum += v.sum / v.count;
        count += 1;
      }
    }
    return count > 0 ? sum / count : undefined;
  };
  let measured = 0;
  let modeled = 0;
  let buckets = 0;
  for (const values of byBucket.values()) {
    const irradiance = mean(values, FIELD.POA) ?? mean(values, FIELD.GHI);
    if (irradiance === undefined) continue;
    const energies = production.map((c) => bucketEnergy(values.get(c.id)));
    if (energies.some((e) => e === undefined)) continue;
    const temperature = moduleTemperature(irradiance, mean(values, FIELD.TmpMod), mean(values, FIELD.TmpAmb));
    modeled += modeledAcPower(model, irradiance, temperature, { inverterClipping: true }) * (BUCKET_MS / 3_600_000);
    measured += energies.reduce((a, b) => a! + b!, 0)!;
    buckets += 1;
  }
  if (modeled < model.sizeKw * 250) return { alertType: 'Performance Index', findings: [] };
  const ratio = measured / modeled;
  const settings = { threshold: s.threshold, windowHours: s.windowHours };
  return {
    alertType: 'Performance Index',
    closeUnnamed: true,
    findings: [
      {
        componentId: production[0]!.id,
        state: ratio < s.threshold ? 'active' : 'clear',
        priority: 'Medium',
        settings,
        observed: {
          performanceIndex: Math.round(ratio * 1000) / 1000,
          measuredWh: Math.round(measured),
          modeledWh: Math.round(modeled),
          buckets,
        },
      },
    ],
  };
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** The sun must stand this high at both ends of the window for strings to be compared (dawn shading is no fault). */
export const STRINGS_MIN_ELEVATION = 10;

/**
 * Strings Performance (Medium): a string or inverter produces less than
 * `threshold` × the median of its peers (the monitored components of the
 * same type under the same parent) over the last `windowMinutes`. Compared
 * on mean power (W) when every peer with data sends it, else on energy (Wh);
 * only when at least 3 peers (itself included) sent data, their median is
 * above zero and, for a site with coordinates, the sun is at least 10° high
 * at both ends of the window. One alert per component.
 */
export async function stringsPerformance({ q, site, components, now, focus }: RuleInput): Promise<RuleResult> {
  const s = site.settings.stringsPerformance;
  if (!s.enabled) return { alertType: 'Strings Performance', findings: [], closeUnnamed: true };
  const from = new Date(now.getTime() - minutes(s.windowMinutes));
  if (site.latitude !== null && site.longitude !== null) {
    const low = Math.min(
      sunPosition(site.latitude, site.longitude, from).elevation,
      sunPosition(site.latitude, site.longitude, now).elevation,
    );
    if (low < STRINGS_MIN_ELEVATION) return { alertType: 'Strings Performance', findings: [] };
  }
  const groups = new Map<string, ComponentInfo[]>();
  for (const c of components) {
    if (!monitored(c) || (c.nodeType !== 'STRING' && c.nodeType !== 'INVERTER')) continue;
    const key = `${c.parentId ?? ''}:${c.nodeType}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(c);
  }
  const wanted = [...groups.values()].filter((g) => g.length >= 3 && (!focus || g.some((c) => c.id === focus.id)));
  if (wanted.length === 0) return { alertType: 'Strings Performance', findings: [] };
  const totals = await windowTotals(
    q,
    wanted.flat().map((c) => c.id),
    [FIELD.W, FIELD.Wh],
    from,
    now,
  );
  const settings = { threshold: s.threshold, windowMinutes: s.windowMinutes };
  const findings: Finding[] = [];
  for (const group of wanted) {
    const reporting = group.filter(
      (c) => (totals.get(totalsKey(c.id, FIELD.W))?.count ?? 0) + (totals.get(totalsKey(c.id, FIELD.Wh))?.count ?? 0) > 0,
    );
    if (reporting.length < 3) continue;
    const allPower = reporting.every((c) => (totals.get(totalsKey(c.id, FIELD.W))?.count ?? 0) > 0);
    const allEnergy = reporting.every((c) => (totals.get(totalsKey(c.id, FIELD.Wh))?.count ?? 0) > 0);
    if (!allPower && !allEnergy) continue;
    const measure = allPower ? 'W_avg' : 'Wh_sum';
    const value = (c: ComponentInfo) => {
      const t = totals.get(totalsKey(c.id, allPower ? FIELD.W : FIELD.Wh))!;
      return allPower ? t.sum / t.count : t.sum;
    };
    const mid = median(reporting.map(value));
    if (!(mid > 0)) continue;
    for (const c of reporting) {
      const ratio = value(c) / mid;
      findings.push({
        componentId: c.id,
        state: ratio < s.threshold ? 'active' : 'clear',
        priority: 'Medium',
        settings,
        observed: {
          measure,
          value: Math.round(value(c) * 10) / 10,
          peerMedian: Math.round(mid * 10) / 10,
          ratio: Math.round(ratio * 1000) / 1000,
        },
      });
    }
  }
  return { alertType: 'Strings Performance', findings };
}
