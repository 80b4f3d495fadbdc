// What an entity has data for (or can model): the `dataavailable` answers,
// and the check every data call makes before it reads anything.
import type { Queryable } from '@helio/db';
import type { ServiceContext } from '../../context.js';
import { validationError } from '../../errors.js';
import { baseField, granularities, shortName, storedFields, type Aggregation, type BaseField, type Granularity } from '../fields.js';
import { loadComponent, loadOrganisationSites, loadSite, type SiteEntity } from './entities.js';
import type { DataScope, FieldRequest } from './params.js';
import { storedFieldsOf } from './rollups.js';

export interface FieldAvailability {
  field: BaseField;
  granularities: readonly Granularity[];
}

/** A base field as `dataavailable` lists it (the spec's Base Field object). */
export interface BaseFieldObject {
  baseField: string;
  longName: string;
  source: string;
  unit: string;
  aggregations: { shortName: string; aggregation: Aggregation }[];
  fieldParameters?: { param: string; values: string[] }[];
  granularities: Granularity[];
}

const field = (name: string) => baseField(name)!;
const SITE_STORED_GRANS: readonly Granularity[] = granularities.filter((g) => g !== 'latest');

/** Site kinds by the group they come from (the site data rule, entities.ts). */
const ENERGY_KINDS = new Set<BaseField['kind']>(['energy', 'power']);
const WEATHER_KINDS = new Set<BaseField['kind']>(['irradiance', 'temperature']);

/** The fields bulk site data answers (the spec's bulk dataavailable), in its order. */
export const BULK_FIELDS: readonly string[] = ['Wh', 'Whp', 'Wh_e', 'GHIh_m', 'GHIhp_m', 'GHIh_t', 'EER', 'GEER'];
export const BULK_SHORT_NAMES: readonly string[] = BULK_FIELDS.map((name) => shortName(field(name), field(name).aggregations[0]!));

const codes = storedFields.map((f) => f.code!);

/**
 * Stored fields a component has any reading of, at every granularity of the
 * catalog (latest included); with \`among\`, only those of these base fields
 * are probed (a data call checks what it asks for, one probe each).
 */
export async function componentFields(q: Queryable, componentId: string, among?: readonly BaseField[]): Promise<FieldAvailability[]> {
  const asked = among ? storedFields.filter((f) => among.includes(f)) : storedFields;
  const present = (
    await storedFieldsOf(
      q,
      [componentId],
      asked.map((f) => f.code!),
    )
  ).get(componentId)!;
  return asked.filter((f) => present.has(f.code!)).map((f) => ({ field: f, granularities: f.granularities }));
}

/** The stored codes of a site's energy group and weather group. */
export interface SitePresence {
  energy: Set<number>;
  weather: Set<number>;
}

export async function sitesPresence(q: Queryable, sites: readonly SiteEntity[]): Promise<Map<string, SitePresence>> {
  const ids = sites.flatMap((s) => [...s.energy, ...s.weather]);
  const present = await storedFieldsOf(q, ids, codes);
  const union = (list: string[], kinds: Set<BaseField['kind']>) => {
    const out = new Set<number>();
    for (const id of list) for (const c of present.get(id) ?? []) if (kinds.has(storedFields.find((f) => f.code === c)!.kind)) out.add(c);
    return out;
  };
  return new Map(sites.map((s) => [s.id, { energy: union(s.energy, ENERGY_KINDS), weather: union(s.weather, WEATHER_KINDS) }]));
}

/**
 * A site's fields: stored energy and power fields of its energy group,
 * irradiance and temperatures of its weather stations (all from 1min up),
 * and the derived fields it has what it takes for.
 */
export function siteFields(site: SiteEntity, presence: SitePresence): FieldAvailability[] {
  const out: FieldAvailability[] = [];
  for (const f of storedFields) {
    if (presence.energy.has(f.code!) || presence.weather.has(f.code!)) out.push({ field: f, granularities: SITE_STORED_GRANS });
  }
  const code = (name: string) => field(name).code!;
  const hasWh = presence.energy.has(code('Wh'));
  const hasGhi = presence.weather.has(code('GHI'));
  const canModel = site.model !== null && (presence.weather.has(code('POA')) || hasGhi);
  const table = site.expected ? [...site.expected.values()] : [];
  const hasWhE = table.some((m) => m.Wh_e !== null);
  const hasGhiT = table.some((m) => m.GHIh_t !== null);
  const derived: [string, boolean][] = [
    ['Whp', hasWh],
    ['W_m', canModel],
    ['Wh_m', canModel],
    ['PI_m', canModel && hasWh],
    ['GHI_m', hasGhi],
    ['GHIh_m', hasGhi],
    ['GHIhp_m', hasGhi],
    ['Wh_e', hasWhE],
    ['GHIh_t', hasGhiT],
    ['EER', hasWh && hasWhE],
    ['GEER', hasWh && hasWhE && hasGhiT && hasGhi],
  ];
  for (const [name, ok] of derived) if (ok) out.push({ field: field(name), granularities: field(name).granularities });
  return out;
}

export function toBaseFieldObject(a: FieldAvailability): BaseFieldObject {
  const f = a.field;
  return {
    baseField: f.baseField,
    longName: f.longName,
    source: f.source,
    unit: f.unit,
    aggregations: f.aggregations.map((aggregation) => ({ shortName: shortName(f, aggregation), aggregation })),
    ...(f.fieldParameters?.length ? { fieldParameters: f.fieldParameters.map((p) => ({ param: p.param, values: [...p.values] })) } : {}),
    granularities: [...a.granularities],
  };
}

// The spec's examples list base fields in code-point order (PF, PI_m, PPV, PhV; W, W_m, Wh, Wh_e).
const byName = (a: FieldAvailability, b: FieldAvailability) =>
  a.field.baseField < b.field.baseField ? -1 : a.field.baseField > b.field.baseField ? 1 : 0;

/** `GET /v3/components/{id}/dataavailable`: the stored fields the component has readings of. */
export async function componentDataAvailable(ctx: ServiceContext, componentId: string): Promise<BaseFieldObject[]> {
  const component = await loadComponent(ctx, componentId);
  return (await componentFields(ctx.db, component.id)).sort(byName).map(toBaseFieldObject);
}

/** `GET /v3/sites/{id}/dataavailable`: the site's aggregated and derived fields. */
export async function siteDataAvailable(ctx: ServiceContext, siteId: string): Promise<BaseFieldObject[]> {
  const site = await loadSite(ctx, siteId);
  const presence = (await sitesPresence(ctx.db, [site])).get(site.id)!;
  return siteFields(site, presence).sort(byName).map(toBaseFieldObject);
}

/** `GET /v3/partners/{id}/sites/dataavailable`: the bulk fields any of the organisation's sites has, monthly. */
export async function partnerDataAvailable(ctx: ServiceContext, organisationId: string): Promise<BaseFieldObject[]> {
  const sites = (await loadOrganisationSites(ctx, organisationId)).filter((s) => s.components.length > 0);
  const presence = await sitesPresence(ctx.db, sites);
  const any = new Set(sites.flatMap((s) => siteFields(s, presence.get(s.id)!).map((a) => a.field.baseField)));
  return BULK_FIELDS.filter((name) => any.has(name)).map((name) => toBaseFieldObject({ field: field(name), granularities: ['monthly'] }));
}

/**
 * Refuses a request for a field the entity does not have, or at a
 * granularity the field does not offer (VALIDATION_ERROR naming it). A site
 * also answers `latest` for its stored fields (real Locus clients ask).
 */
export function assertAvailable(
  requests: readonly FieldRequest[],
  available: readonly FieldAvailability[],
  gran: Granularity,
  scope: DataScope,
): void {
  for (const r of requests) {
    const a = available.find((x) => x.field === r.field);
    if (!a) {
      throw validationError(`${r.shortName} is not available for this ${scope} (see its dataavailable)`, [
        { path: 'fields', message: `${r.shortName} not available` },
      ]);
    }
    const grans = scope === 'site' && r.field.code !== undefined ? ['latest', ...a.granularities] : a.granularities;
    if (!grans.includes(gran)) {
      throw validationError(`${r.shortName} is not available at ${gran} granularity (it is at ${a.granularities.join(', ')})`, [
        { path: 'gran', message: `${r.shortName} not available at ${gran}` },
      ]);
    }
  }
}
