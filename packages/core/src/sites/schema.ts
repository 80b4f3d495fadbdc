import { z } from 'zod';

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** An IANA zone name, stored in its canonical spelling (`utc` becomes `UTC`). */
export const timezone = z
  .string()
  .max(64)
  .refine(isTimeZone, { message: 'must be an IANA time zone name such as Europe/Berlin' })
  .transform((name) => new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone);

export const capacityUnits = ['W', 'kW', 'MW', 'GW', 'Wp', 'kWp', 'MWp', 'GWp', 'kWh', 'MWh'] as const;

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
};

export const createSiteInput = z.strictObject({
  /** Clients may choose the id (UUID v7) so rows can be created offline. */
  id: z.uuid().optional(),
  organisationId: z.uuid().optional(),
  siteName: siteFields.siteName,
  address: siteFields.address.optional(),
  capacity: siteFields.capacity.optional(),
  unit: siteFields.unit.optional(),
  latitude: siteFields.latitude.optional(),
  longitude: siteFields.longitude.optional(),
  portfolioId: siteFields.portfolioId.optional(),
  siteManager: siteFields.siteManager.optional(),
  coverImageUrl: siteFields.coverImageUrl.optional(),
  timezone: siteFields.timezone.optional(),
});
export type CreateSiteInput = z.input<typeof createSiteInput>;

/** A partial update: absent fields stay, `null` clears (`portfolioId: null` leaves the portfolio). */
export const updateSiteInput = z
  .strictObject({
    siteName: siteFields.siteName,
    address: siteFields.address,
    capacity: siteFields.capacity,
    unit: siteFields.unit,
    latitude: siteFields.latitude,
    longitude: siteFields.longitude,
    portfolioId: siteFields.portfolioId,
    siteManager: siteFields.siteManager,
    coverImageUrl: siteFields.coverImageUrl,
    timezone: siteFields.timezone,
  })
  .partial();
export type UpdateSiteInput = z.input<typeof updateSiteInput>;

export const listSitesInput = z.strictObject({
  siteId: z.uuid().optional(),
  portfolioId: z.uuid().optional(),
});

export const site = z.object({
  id: z.uuid(),
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
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Site = z.infer<typeof site>;
