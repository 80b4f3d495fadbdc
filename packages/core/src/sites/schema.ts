import { z } from 'zod';

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * An IANA zone name, stored as written when it is a real name or link
 * (`Asia/Kolkata` stays `Asia/Kolkata`, though Node's ICU calls it
 * `Asia/Calcutta`), and in its canonical spelling when only the case differs
 * (`utc` becomes `UTC`).
 */
export const timezone = z
  .string()
  .max(64)
  .refine(isTimeZone, { message: 'must be an IANA time zone name such as Europe/Berlin' })
  .transform((name) => {
    const canonical = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
    return canonical.toLowerCase() === name.toLowerCase() || !/^[A-Z][A-Za-z0-9_+-]*(\/[A-Z][A-Za-z0-9_+-]*)*$/.test(name)
      ? canonical
      : name;
  });

export const capacityUnits = ['W', 'kW', 'MW', 'GW', 'Wp', 'kWp', 'MWp', 'GWp', 'kWh', 'MWh'] as const;

/** Days in each month of a year (the proleptic Gregorian calendar PostgreSQL's `date` uses). */
function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** A calendar date, `YYYY-MM-DD`, that exists: `2023-02-29` and `2024-13-01` are refused. */
export const calendarDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'must be a date written YYYY-MM-DD' })
  .refine(
    (text) => {
      const [year, month, day] = text.split('-').map(Number) as [number, number, number];
      return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
    },
    { message: 'must be a real calendar date' },
  );

/**
 * A PV model loss factor in percent of what passes (PVWatts' convention: 98
 * means a 2 % loss). Above 100 is allowed for a gain (a tracker, a module
 * rated above its nameplate), up to 110.
 */
const modelPercent = z.int().min(0).max(110);

/**
 * The expected monthly table (a yield study's P50): each of the 12 months
 * exactly once, with the expected energy `Wh_e` (Wh) and, when the study gives
 * it, the typical global horizontal insolation `GHIh_t` (Wh/m²). A partial
 * table is refused: expected values are prorated by day within each month, so
 * a month without a value would leave whole months of expected energy and
 * every ratio over it undefined. Stored sorted by month.
 */
export const expectedMonth = z.strictObject({
  month: z.int().min(1).max(12),
  Wh_e: z.number().nonnegative(),
  GHIh_t: z.number().nonnegative().nullable().default(null),
});
export type ExpectedMonth = z.output<typeof expectedMonth>;

export const expectedMonthlyTable = z
  .array(expectedMonth)
  .max(12)
  .superRefine((months, ctx) => {
    const first = new Map<number, number>();
    months.forEach((m, i) => {
      const earlier = first.get(m.month);
      if (earlier === undefined) first.set(m.month, i);
      else ctx.addIssue({ code: 'custom', path: [i, 'month'], message: `month ${m.month} is given twice (also at [${earlier}])` });
    });
    const missing = Array.from({ length: 12 }, (_, i) => i + 1).filter((month) => !first.has(month));
    if (missing.length > 0)
      ctx.addIssue({ code: 'custom', message: `every month 1 to 12 must be given once; missing: ${missing.join(', ')}` });
  })
  .transform((months) => [...months].sort((a, b) => a.month - b.month));

const alertEnabled = z.boolean().optional();
const alertAfterMinutes = z.int().min(5).max(10080).optional();
const fraction = z.number().min(0).max(1).optional();

/**
 * A site's alert rule settings, validated strictly here. Every part is
 * optional: an absent rule or setting takes its default, and every rule is
 * enabled unless `enabled: false` (the alert rules fill in the defaults:
 * monitoring/alerts/settings.ts).
 */
export const alertSettings = z.strictObject({
  systemDisconnect: z.strictObject({ enabled: alertEnabled, afterMinutes: alertAfterMinutes }).optional(),
  zeroGeneration: z
    .strictObject({
      enabled: alertEnabled,
      afterMinutes: alertAfterMinutes,
      /** W/m²: below this measured (or clear-sky) irradiance, no generation is expected. */
      minIrradiance: z.number().min(0).max(1500).optional(),
    })
    .optional(),
  performanceIndex: z
    .strictObject({ enabled: alertEnabled, threshold: fraction, windowHours: z.int().min(1).max(168).optional() })
    .optional(),
  stringsPerformance: z
    .strictObject({ enabled: alertEnabled, threshold: fraction, windowMinutes: z.int().min(15).max(1440).optional() })
    .optional(),
  deviceFault: z.strictObject({ enabled: alertEnabled }).optional(),
});
export type AlertSettings = z.infer<typeof alertSettings>;

const text = (max: number) => z.string().trim().max(max).nullable();

const siteFields = {
  siteName: z.string().trim().min(1).max(200),
  address: z.string().trim().max(500).nullable(),
  capacity: z.number().nonnegative().max(1e9).nullable(),
  unit: z.enum(capacityUnits).nullable(),
  latitude: z.number().min(-90).max(90).nullable(),
  longitude: z.number().min(-180).max(180).nullable(),
  portfolioId: z.uuid().nullable(),
  siteManager: z.string().trim().max(200).nullable(),
  // Only web URLs: clients render it, and a `javascript:` or `data:` URL there is a script waiting to run.
  coverImageUrl: z
    .url({ protocol: /^https?$/, error: 'must be an http or https URL' })
    .max(2000)
    .nullable(),
  timezone,
  // The structured address of the Locus site object (in the US: locale3 the
  // city, locale1 the state, localeCode1 its abbreviation).
  address1: text(200),
  address2: text(200),
  locale3: text(200),
  locale1: text(200),
  localeCode1: text(10),
  postalCode: text(20),
  countryCode: z
    .string()
    .trim()
    .regex(/^[A-Za-z]{2,3}$/, { message: 'must be a country code of 2 or 3 letters, such as US or DEU' })
    .transform((code) => code.toUpperCase())
    .nullable(),
  // Install info.
  installer: text(200),
  installCrew: text(200),
  installDate: calendarDate.nullable(),
  ptoDate: calendarDate.nullable(),
  startupDate: calendarDate.nullable(),
  uninstallCrew: text(200),
  uninstallDate: calendarDate.nullable(),
  // Model settings (the Locus modelsettings object; `sizeKw` is its `size`).
  sizeKw: z.number().nonnegative().max(1e7).nullable(),
  mismatch: modelPercent,
  diodesAndConnections: modelPercent,
  dcWiring: modelPercent,
  soiling: modelPercent,
  sunTracking: modelPercent,
  nameplate: modelPercent,
  acWiring: modelPercent,
  transformer: modelPercent,
  tmy3Id: z.int().min(1).max(2147483647).nullable(),
  expectedMonthly: expectedMonthlyTable.nullable(),
  alertSettings: alertSettings.nullable(),
};

/** The model settings a new site starts with: PVWatts' default losses, rounded to whole percent (as the migration's column defaults). */
export const MODEL_SETTING_DEFAULTS = Object.freeze({
  mismatch: 98,
  diodesAndConnections: 99,
  dcWiring: 98,
  soiling: 98,
  sunTracking: 100,
  nameplate: 99,
  acWiring: 99,
  transformer: 100,
});

/** Every field a client may set on a site, each `null` where it can be cleared. */
const writableSiteFields = z.strictObject(siteFields);

export const createSiteInput = writableSiteFields.partial().extend({
  /** Clients may choose the id (UUID v7) so rows can be created offline. */
  id: z.uuid().optional(),
  organisationId: z.uuid().optional(),
  siteName: siteFields.siteName,
});
export type CreateSiteInput = z.input<typeof createSiteInput>;

/** A partial update: absent fields stay, `null` clears (`portfolioId: null` leaves the portfolio). */
export const updateSiteInput = writableSiteFields.partial();
export type UpdateSiteInput = z.input<typeof updateSiteInput>;

export const listSitesInput = z.strictObject({
  siteId: z.uuid().optional(),
  portfolioId: z.uuid().optional(),
});

const expectedMonthOut = z.object({ month: z.int(), Wh_e: z.number(), GHIh_t: z.number().nullable() });

export const site = z.object({
  id: z.uuid(),
  /** The Locus site id; null while a row created offline waits for the server to assign it. */
  locusId: z.int().nullable(),
  /**
   * The Locus client id of the site: its portfolio's, or, outside any
   * portfolio, its organisation's "Sites without a portfolio" client.
   */
  clientLocusId: z.int().nullable(),
  organisationId: z.uuid(),
  siteName: z.string(),
  address: z.string().nullable(),
  capacity: z.number().nullable(),
  unit: z.string().nullable(),
  latitude: z.number().nullable(),
  longitude: z.number().nullable(),
  portfolioId: z.uuid().nullable(),
  siteManager: z.string().nullable(),
  coverImageUrl: z.string().nullable(),
  timezone: z.string(),
  address1: z.string().nullable(),
  address2: z.string().nullable(),
  locale3: z.string().nullable(),
  locale1: z.string().nullable(),
  localeCode1: z.string().nullable(),
  postalCode: z.string().nullable(),
  countryCode: z.string().nullable(),
  installer: z.string().nullable(),
  installCrew: z.string().nullable(),
  installDate: z.iso.date().nullable(),
  ptoDate: z.iso.date().nullable(),
  startupDate: z.iso.date().nullable(),
  uninstallCrew: z.string().nullable(),
  uninstallDate: z.iso.date().nullable(),
  sizeKw: z.number().nullable(),
  mismatch: z.int(),
  diodesAndConnections: z.int(),
  dcWiring: z.int(),
  soiling: z.int(),
  sunTracking: z.int(),
  nameplate: z.int(),
  acWiring: z.int(),
  transformer: z.int(),
  tmy3Id: z.int().nullable(),
  expectedMonthly: z.array(expectedMonthOut).nullable(),
  alertSettings: alertSettings.nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Site = z.infer<typeof site>;

// The Locus API groups some site fields into objects of their own (installinfo,
// modelsettings), and Helio's REST API follows it; core, tRPC and sync keep
// them flat on the site. These map one to the other.

/** The install info attributes; each is a site field of the same name. */
export const INSTALL_INFO_FIELDS = [
  'installer',
  'installCrew',
  'installDate',
  'ptoDate',
  'startupDate',
  'uninstallCrew',
  'uninstallDate',
] as const;

/** Each model settings attribute and the site field it is. */
export const MODEL_SETTING_FIELDS = {
  size: 'sizeKw',
  mismatch: 'mismatch',
  diodesAndConnections: 'diodesAndConnections',
  dcWiring: 'dcWiring',
  soiling: 'soiling',
  sunTracking: 'sunTracking',
  nameplate: 'nameplate',
  acWiring: 'acWiring',
  transformer: 'transformer',
  tmy3Id: 'tmy3Id',
} as const satisfies Record<string, keyof typeof siteFields>;

type ModelSettingName = keyof typeof MODEL_SETTING_FIELDS;

/** A partial install info: absent attributes stay, `null` clears one. */
export const installInfoInput = z
  .strictObject(
    Object.fromEntries(INSTALL_INFO_FIELDS.map((f) => [f, siteFields[f]])) as Pick<typeof siteFields, (typeof INSTALL_INFO_FIELDS)[number]>,
  )
  .partial();

/** Partial model settings: absent attributes stay; `size` and `tmy3Id` may be cleared with `null`, the percentages may not. */
export const modelSettingsInput = z
  .strictObject({
    size: siteFields.sizeKw.describe('Installed system size, kW DC'),
    mismatch: siteFields.mismatch,
    diodesAndConnections: siteFields.diodesAndConnections,
    dcWiring: siteFields.dcWiring,
    soiling: siteFields.soiling,
    sunTracking: siteFields.sunTracking,
    nameplate: siteFields.nameplate,
    acWiring: siteFields.acWiring,
    transformer: siteFields.transformer,
    tmy3Id: siteFields.tmy3Id,
  } satisfies Record<ModelSettingName, z.ZodType>)
  .partial();

export const installInfo = site.pick({
  installer: true,
  installCrew: true,
  installDate: true,
  ptoDate: true,
  startupDate: true,
  uninstallCrew: true,
  uninstallDate: true,
});
export type InstallInfo = z.infer<typeof installInfo>;

export const modelSettings = z.object({
  size: z.number().nullable().describe('Installed system size, kW DC'),
  mismatch: z.int(),
  diodesAndConnections: z.int(),
  dcWiring: z.int(),
  soiling: z.int(),
  sunTracking: z.int(),
  nameplate: z.int(),
  acWiring: z.int(),
  transformer: z.int(),
  tmy3Id: z.int().nullable(),
} satisfies Record<ModelSettingName, z.ZodType>);
export type ModelSettings = z.infer<typeof modelSettings>;

export function installInfoOf(s: Site): InstallInfo {
  return Object.fromEntries(INSTALL_INFO_FIELDS.map((f) => [f, s[f]])) as InstallInfo;
}

export function modelSettingsOf(s: Site): ModelSettings {
  return Object.fromEntries(Object.entries(MODEL_SETTING_FIELDS).map(([name, field]) => [name, s[field]])) as ModelSettings;
}

/** The flat site fields a partial install info and model settings stand for. */
export function siteFieldsOfGroups(groups: {
  installInfo?: z.output<typeof installInfoInput> | undefined;
  modelSettings?: z.output<typeof modelSettingsInput> | undefined;
}): Partial<z.output<typeof updateSiteInput>> {
  const fields: Record<string, unknown> = { ...groups.installInfo };
  for (const [name, value] of Object.entries(groups.modelSettings ?? {})) {
    if (value !== undefined) fields[MODEL_SETTING_FIELDS[name as ModelSettingName]] = value;
  }
  return fields as Partial<z.output<typeof updateSiteInput>>;
}
