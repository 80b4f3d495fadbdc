// The site form's fields: how each is shown, read back and checked, in words
// a technician understands. Core checks again on save; its refusals are
// mapped back to the field they concern (`fieldOfError`).
import type { Inputs, Site } from './client.js';
import { siteFieldLabels, type CapacityUnit } from './labels.js';
import { formatLocaleNumber, parseLocaleNumber } from './numbers.js';

export type SitePatch = Inputs['sites']['update']['patch'];

/** The fields this form edits (the site's Locus metadata has screens of its own). */
const formFields = [
  'siteName',
  'address',
  'capacity',
  'unit',
  'latitude',
  'longitude',
  'portfolioId',
  'siteManager',
  'coverImageUrl',
  'timezone',
] as const satisfies readonly (keyof SitePatch)[];
export type SiteKey = (typeof formFields)[number];

/** The form keeps every field as text, as typed. */
export type SiteForm = Record<SiteKey, string>;

/** The form's labels: the same words sync uses for these fields in conflicts and refused changes. */
export const siteLabels: Record<SiteKey, string> = Object.fromEntries(formFields.map((f) => [f, siteFieldLabels[f]])) as Record<
  SiteKey,
  string
>;

const numeric = new Set<SiteKey>(['capacity', 'latitude', 'longitude']);

export function toSiteForm(site: Site, locale: string): SiteForm {
  const text = (v: string | null) => v ?? '';
  return {
    siteName: site.siteName,
    address: text(site.address),
    capacity: formatLocaleNumber(site.capacity, locale),
    unit: text(site.unit),
    latitude: formatLocaleNumber(site.latitude, locale),
    longitude: formatLocaleNumber(site.longitude, locale),
    portfolioId: text(site.portfolioId),
    siteManager: text(site.siteManager),
    coverImageUrl: text(site.coverImageUrl),
    timezone: site.timezone,
  };
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function isWebUrl(text: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

const example = (value: number, locale: string) => formatLocaleNumber(value, locale);

/** What is wrong with a field as typed, in plain words; undefined when it can be saved. */
export function checkSiteField(key: SiteKey, typed: string, locale: string): string | undefined {
  const value = typed.trim();
  if (numeric.has(key)) {
    const parsed = parseLocaleNumber(value, locale);
    if (!parsed.ok) return `Enter a number, such as ${example(key === 'capacity' ? 4.5 : 52.52, locale)}.`;
    const n = parsed.value;
    if (n === null) return undefined;
    if (key === 'capacity' && n < 0) return 'Capacity cannot be negative.';
    if (key === 'capacity' && n > 1e9) return 'That capacity is too large; check the unit.';
    if (key === 'latitude' && (n < -90 || n > 90)) return 'Latitude is between -90 and 90 degrees.';
    if (key === 'longitude' && (n < -180 || n > 180)) return 'Longitude is between -180 and 180 degrees.';
    return undefined;
  }
  switch (key) {
    case 'siteName':
      if (value === '') return 'Give the site a name.';
      return value.length > 200 ? 'Keep the name under 200 characters.' : undefined;
    case 'address':
      return value.length > 500 ? 'Keep the address under 500 characters.' : undefined;
    case 'siteManager':
      return value.length > 200 ? 'Keep the name under 200 characters.' : undefined;
    case 'coverImageUrl':
      return value === '' || isWebUrl(value) ? undefined : 'Enter a web address starting with https://';
    case 'timezone':
      return isTimeZone(value) ? undefined : 'Choose a time zone from the list, such as Europe/Berlin.';
    default:
      return undefined;
  }
}

/** The update for the changed fields (each already checked by checkSiteField). */
export function sitePatch(form: SiteForm, keys: readonly SiteKey[], locale: string): SitePatch {
  const orNull = (v: string) => (v.trim() === '' ? null : v.trim());
  const number = (v: string) => {
    const parsed = parseLocaleNumber(v, locale);
    if (!parsed.ok) throw new Error(`not a number: ${v}`);
    return parsed.value;
  };
  const patch: SitePatch = {};
  for (const key of keys) {
    const v = form[key];
    if (key === 'siteName') patch.siteName = v.trim();
    else if (key === 'timezone') patch.timezone = v.trim();
    else if (key === 'unit') patch.unit = orNull(v) as CapacityUnit | null;
    else if (key === 'capacity' || key === 'latitude' || key === 'longitude') patch[key] = number(v);
    else patch[key] = orNull(v);
  }
  return patch;
}

/** The form field a refusal from core names (`patch.latitude`, `latitude`), if any. */
export function fieldOfError(path: string | undefined): SiteKey | undefined {
  const last = path?.split('.').pop();
  return last && last in siteLabels ? (last as SiteKey) : undefined;
}
