// The data calls: buckets in the request's zone, filled from rollups (or raw
// readings for 1min and latest), per component or per site (the site data
// rule, entities.ts), with the derived fields of derived.ts.
import type { Queryable } from '@helio/db';
import type { ServiceContext } from '../../context.js';
import { validationError } from '../../errors.js';
import { storedField, type BaseField, type Granularity } from '../fields.js';
import { assertAvailable, BULK_SHORT_NAMES, componentFields, siteFields, sitesPresence } from './available.js';
import {
  cutByFirstEnergy,
  cutByStartup,
  expectedShare,
  geer,
  modeledTotals,
  prorationPoints,
  ratio,
  stepModeledPower,
  type Cut,
} from './derived.js';
import { loadComponent, loadOrganisationSites, loadSite, type SiteEntity } from './entities.js';
import { parseDataParams, type DataRequest, type FieldRequest } from './params.js';
import { aggregateRaw, newestReading, weatherMinutes } from './raw.js';
import {
  aggregateKey,
  aggregateRollups,
  firstReadings,
  insolation,
  summedExtremes,
  weatherSteps,
  type Aggregate,
  type Interval,
  type Member,
} from './rollups.js';
import { buckets as bucketsOf, formatInstant, offsetAt, type Bucket } from './zones.js';

/** One data object: the entity's Locus id, the bucket's leading local time, and the requested short names. */
export type DataObject = { id: number; ts: string } & Record<string, number | string | null>;

/** A component (its own readings) or a site (its groups), with the two group numbers it reads. */
interface Target {
  locusId: number;
  site: SiteEntity | null;
  componentId?: string;
  energy: number;
  weather: number;
}

type Values = Record<string, number | null>;

const code = (name: string) => storedField(name)!.code!;
const WH = code('Wh');
const GHI = code('GHI');
const WEATHER = { poa: code('POA'), ghi: GHI, moduleTemp: code('TmpMod'), ambientTemp: code('TmpAmb') };

const NEEDS_WH = new Set(['Whp', 'PI_m', 'EER', 'GEER']);
const MODELED = new Set(['W_m', 'Wh_m', 'PI_m']);
const NEEDS_INSOLATION = new Set(['GHIh_m', 'GHIhp_m', 'GEER']);
const NEEDS_PRORATION = new Set(['Whp', 'Wh_e', 'GHIh_t', 'GHIh_m', 'GHIhp_m', 'EER', 'GEER']);

function membersOf(targets: readonly Target[]): Member[] {
  return targets.flatMap((t) =>
    t.site
      ? [
          ...t.site.energy.map((id) => ({ componentId: id, group: t.energy })),
          ...t.site.weather.map((id) => ({ componentId: id, group: t.weather })),
        ]
      : [{ componentId: t.componentId!, group: t.energy }],
  );
}

/** The values of every (target, bucket) for the requested fields. */
async function evaluate(
  q: Queryable,
  now: number,
  targets: readonly Target[],
  requests: readonly FieldRequest[],
  bucketList: readonly Bucket[],
  opts: { tz: string; raw: boolean; inverterClipping: boolean },
): Promise<Values[][]> {
  const names = new Set(requests.map((r) => r.field.baseField));
  const wants = (set: Set<string>) => [...names].some((n) => set.has(n));
  const members = membersOf(targets);
  const siteTargets = targets.filter((t) => t.site);
  const energyMembers = members.filter((m) => siteTargets.some((t) => t.energy === m.group));
  const weatherMembers = members.filter((m) => siteTargets.some((t) => t.weather === m.group));
  const intervals: Interval[] = bucketList.map((b, idx) => ({ idx, from: b.start, to: b.end }));

  const storedCodes = new Set(requests.flatMap((r) => (r.field.code === undefined ? [] : [r.field.code])));
  if (wants(NEEDS_WH)) storedCodes.add(WH);
  if (names.has('GHI_m')) storedCodes.add(GHI);
  // Without min or max, rollups may be read as signed pieces (fewer rows).
  const sumsOnly = requests.every((r) => r.aggregation === 'sum' || r.aggregation === 'avg');
  const aggs = opts.raw
    ? await aggregateRaw(q, intervals, members, [...storedCodes])
    : await aggregateRollups(q, intervals, members, [...storedCodes], { sumsOnly });

  // A site's power max and min: of the 5-minute sums over its components (1 minute: the minute's sum itself).
  const powerCodes = requests
    .filter((r) => r.field.kind === 'power' && r.field.code !== undefined && r.aggregation !== 'avg')
    .map((r) => r.field.code!);
  const extremes =
    !opts.raw && powerCodes.length > 0
      ? await summedExtremes(q, intervals, energyMembers, [...new Set(powerCodes)])
      : new Map<string, { max: number; min: number }>();

  // Proration points per site target.
  const points = new Map<Target, { startup: number | null; firstEnergyMonth: number | null }>();
  if (wants(NEEDS_PRORATION)) {
    const first = await firstReadings(q, energyMembers, WH);
    for (const t of siteTargets) points.set(t, prorationPoints(t.site!.timezone, t.site!.startupDate, first.get(t.energy) ?? null));
  }

  // Buckets cut at a startup date, read separately for Whp and GHIhp_m.
  const cuts = new Map<string, number>();
  const cutIntervals: Interval[] = [];
  const cutOf = (t: Target, i: number, fallback: Cut): Cut => cutByStartup(bucketList[i]!, points.get(t)?.startup ?? null, fallback);
  if (wants(new Set(['Whp', 'EER', 'GEER', 'GHIhp_m']))) {
    for (const t of siteTargets) {
      bucketList.forEach((b, i) => {
        const cut = cutOf(t, i, { kind: 'whole' });
        if (cut.kind !== 'from') return;
        const idx = bucketList.length + cutIntervals.length;
        cuts.set(`${targets.indexOf(t)}:${i}`, idx);
        cutIntervals.push({ idx, from: cut.at, to: b.end, groups: [t.energy, t.weather] });
      });
    }
  }
  const cutAggs = wants(new Set(['Whp', 'EER', 'GEER']))
    ? await aggregateRollups(q, cutIntervals, energyMembers, [WH], { sumsOnly: true })
    : new Map<string, Aggregate>();

  const insol = wants(NEEDS_INSOLATION)
    ? await insolation(q, [...intervals, ...cutIntervals], weatherMembers, GHI)
    : new Map<string, number>();

  // Modeled power per step, then per (bucket, group).
  const modeled = new Map<string, { W_m_avg: number; Wh_m_sum: number }>();
  if (wants(MODELED)) {
    const modelTargets = siteTargets.filter((t) => t.site!.model);
    const modelMembers = weatherMembers.filter((m) => modelTargets.some((t) => t.weather === m.group));
    const steps = await (opts.raw ? weatherMinutes : weatherSteps)(q, intervals, modelMembers, WEATHER);
    const powers = new Map<string, { power: number; hours: number }[]>();
    for (const s of steps) {
      const t = modelTargets.find((x) => x.weather === s.group)!;
      const power = stepModeledPower(t.site!.model!, s, { inverterClipping: opts.inverterClipping });
      if (power === null) continue;
      const key = `${s.idx}:${s.group}`;
      let list = powers.get(key);
      if (!list) powers.set(key, (list = []));
      list.push({ power, hours: s.hours });
    }
    for (const [key, list] of powers) modeled.set(key, modeledTotals(list)!);
  }

  return targets.map((t, ti) =>
    bucketList.map((bucket, i) => {
      const values: Values = {};
      const stored = (f: BaseField, aggregation: string): number | null => {
        const c = f.code!;
        if (!t.site) {
          const a = aggs.get(aggregateKey(i, t.energy, c));
          return a
            ? aggregation === 'avg'
              ? a.sum / a.count
              : aggregation === 'sum'
                ? a.sum
                : aggregation === 'min'
                  ? a.min
                  : a.max
            : null;
        }
        if (f.kind === 'energy') return aggs.get(aggregateKey(i, t.energy, c))?.sum ?? null;
        if (f.kind === 'power') {
          const a = aggs.get(aggregateKey(i, t.energy, c));
          if (!a) return null;
          if (aggregation === 'avg' || opts.raw) return a.sumOfMeans;
          const e = extremes.get(aggregateKey(i, t.energy, c));
          return e ? (aggregation === 'max' ? e.max : e.min) : null;
        }
        const a = aggs.get(aggregateKey(i, t.weather, c));
        return a ? (aggregation === 'avg' ? a.sum / a.count : aggregation === 'min' ? a.min : aggregation === 'max' ? a.max : a.sum) : null;
      };
      const site = t.site;
      const p = points.get(t);
      const cutIdx = cuts.get(`${ti}:${i}`);
      const wh = () => stored(storedField('Wh')!, 'sum');
      const whp = () => {
        const cut = cutOf(t, i, { kind: 'whole' });
        return cut.kind === 'none' ? null : cut.kind === 'whole' ? wh() : (cutAggs.get(aggregateKey(cutIdx!, t.energy, WH))?.sum ?? null);
      };
      const insolationOf = (cut: Cut) =>
        cut.kind === 'none' ? null : (insol.get(`${cut.kind === 'whole' ? i : cutIdx}:${t.weather}`) ?? null);
      const ghihm = () => insolationOf(cutByFirstEnergy(bucket, p?.firstEnergyMonth ?? null));
      const ghihpm = () => insolationOf(cutOf(t, i, cutByFirstEnergy(bucket, p?.firstEnergyMonth ?? null)));
      const shares = new Map<string, number | null>();
      const expected = (key: 'Wh_e' | 'GHIh_t') => {
        const from = p?.startup ?? p?.firstEnergyMonth ?? null;
        if (!site?.expected || from === null) return null;
        if (!shares.has(key))
          shares.set(
            key,
            expectedShare((m) => site.expected!.get(m)?.[key] ?? null, opts.tz, bucket, { from, to: now }),
          );
        return shares.get(key)!;
      };
      const model = modeled.get(`${i}:${t.weather}`);
      const eer = () => ratio(whp(), expected('Wh_e'));
      for (const r of requests) {
        const name = r.field.baseField;
        let v: number | null;
        if (r.field.code !== undefined) v = stored(r.field, r.aggregation);
        else if (name === 'Whp') v = whp();
        else if (name === 'Wh_e') v = expected('Wh_e');
        else if (name === 'GHIh_t') v = expected('GHIh_t');
        else if (name === 'GHIh_m') v = ghihm();
        else if (name === 'GHIhp_m') v = ghihpm();
        else if (name === 'GHI_m') v = stored(storedField('GHI')!, r.aggregation);
        else if (name === 'W_m') v = model?.W_m_avg ?? null;
        else if (name === 'Wh_m') v = model?.Wh_m_sum ?? null;
        else if (name === 'PI_m') v = ratio(wh(), model?.Wh_m_sum);
        else if (name === 'EER') v = eer();
        else if (name === 'GEER') v = geer(eer(), expected('GHIh_t'), ghihpm());
        else v = null;
        values[r.shortName] = v !== null && Number.isFinite(v) ? v : null;
      }
      return values;
    }),
  );
}

/**
 * Runs a checked request for the targets: the objects of each, in bucket
 * order. Its statements run in one transaction with PostgreSQL's JIT
 * compiler off (SET LOCAL): the LATERAL scans' cost estimates grow with the
 * number of components, and past its threshold PostgreSQL would spend
 * seconds compiling a query that runs in a fraction of that.
 */
async function run(ctx: ServiceContext, targets: readonly Target[], req: DataRequest, keepNulls: boolean): Promise<DataObject[][]> {
  const now = ctx.clock.now().getTime();
  return ctx.db.transaction(async (tx) => {
    await tx.query('SET LOCAL jit = off');
    let list: Bucket[];
    let raw = req.gran === '1min';
    if (req.gran === 'latest') {
      const members = membersOf(targets);
      const codes = req.fields.flatMap((r) => (r.field.code === undefined ? [] : [r.field.code]));
      const newest = await newestReading(
        tx,
        members.map((m) => m.componentId),
        codes,
      );
      if (newest === null) return targets.map(() => []);
      // The latest point is the minute holding the newest reading, as a 1min bucket.
      const start = Math.floor(newest / 60_000) * 60_000;
      list = [{ start, end: start + 60_000, offset: offsetAt(req.tz, start) }];
      raw = true;
    } else {
      list = bucketsOf(req.tz, req.gran as Exclude<Granularity, 'latest'>, req.start, req.end);
    }
    const values = await evaluate(tx, now, targets, req.fields, list, { tz: req.tz, raw, inverterClipping: req.inverterClipping });
    return targets.map((t, ti) =>
      list.map((b, i) => {
        const obj: DataObject = { id: t.locusId, ts: formatInstant(req.tz, b.start, b.offset) };
        for (const r of req.fields) {
          const v = values[ti]![i]![r.shortName] ?? null;
          if (v !== null || keepNulls) obj[r.shortName] = v;
        }
        return obj;
      }),
    );
  });
}

const siteTarget = (site: SiteEntity, n: number): Target => ({ locusId: site.locusId, site, energy: 2 * n, weather: 2 * n + 1 });

/**
 * `GET /v3/components/{id}/data`: the component's own readings. `params` is
 * the query string as received (every value text, `fields` comma-separated).
 * Every bucket of the period is answered, with only `id` and `ts` when it
 * holds no value; null values are left out.
 */
export async function componentData(ctx: ServiceContext, componentId: string, params: unknown): Promise<DataObject[]> {
  const component = await loadComponent(ctx, componentId);
  const req = parseDataParams(params, 'component', component.timezone);
  assertAvailable(
    req.fields,
    await componentFields(
      ctx.db,
      component.id,
      req.fields.map((r) => r.field),
    ),
    req.gran,
    'component',
  );
  const target: Target = { locusId: component.locusId, site: null, componentId: component.id, energy: 0, weather: 1 };
  return (await run(ctx, [target], req, false))[0]!;
}

/** `GET /v3/sites/{id}/data`: the site's values by the site data rule, and its derived fields. */
export async function siteData(ctx: ServiceContext, siteId: string, params: unknown): Promise<DataObject[]> {
  const site = await loadSite(ctx, siteId);
  const req = parseDataParams(params, 'site', site.timezone);
  const presence = (await sitesPresence(ctx.db, [site])).get(site.id)!;
  assertAvailable(req.fields, siteFields(site, presence), req.gran, 'site');
  return (await run(ctx, [siteTarget(site, 0)], req, false))[0]!;
}

/**
 * `GET /v3/partners/{id}/sites/data`: monthly, at most a year, the bulk
 * fields only, for every site of the organisation that has components (in
 * locus id order). A field a site does not have is null rather than left out.
 */
export async function partnerSitesData(ctx: ServiceContext, organisationId: string, params: unknown): Promise<DataObject[]> {
  const sites = (await loadOrganisationSites(ctx, organisationId)).filter((s) => s.components.length > 0);
  const req = parseDataParams(params, 'bulk', 'UTC');
  for (const r of req.fields) {
    if (!BULK_SHORT_NAMES.includes(r.shortName)) {
      throw validationError(`${r.shortName} is not a bulk data field: bulk site data answers ${BULK_SHORT_NAMES.join(', ')}`, [
        { path: 'fields', message: `${r.shortName} not supported in bulk` },
      ]);
    }
  }
  return (
    await run(
      ctx,
      sites.map((s, n) => siteTarget(s, n)),
      req,
      true,
    )
  ).flat();
}

/** For the desktop's charts: one site's values of a checked request, in the site's groups. */
export async function siteSeries(
  ctx: ServiceContext,
  site: SiteEntity,
  requests: FieldRequest[],
  gran: Exclude<Granularity, 'latest'>,
  start: number,
  end: number,
): Promise<DataObject[]> {
  const req: DataRequest = { fields: requests, gran, tz: site.timezone, start, end, inverterClipping: true };
  return (await run(ctx, [siteTarget(site, 0)], req, true))[0]!;
}
