// The Locus Energy v3 objects, attribute for attribute as the spec
// (../shared/specs/locus-v3-api.txt) names them. Helio's entities answer under
// their integer Locus ids: organisation = partner, portfolio = client, site,
// component. Attributes the spec marks "always returned" are always present
// (text Helio does not hold is ""); the others appear only when set.
import { z } from 'zod';
import { validationError } from '../../errors.js';

/** What a Locus id may be: a positive integer JavaScript holds exactly. */
export function parseLocusId(name: string, value: unknown): number {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^[1-9][0-9]{0,15}$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw validationError(`${name} must be a positive integer (a Locus id)`, [{ path: name, message: 'expected a positive integer' }]);
  }
  return Number(text);
}

const locusId = z.number().int().positive();

export const parentTypes = ['SITE', 'COMPONENT'] as const;

export const locusComponent = z.object({
  id: locusId.describe('Unique identifier for the component'),
  siteId: locusId.describe('Identifier for the parent site'),
  clientId: locusId.describe("Identifier for the grandparent client (the site's portfolio, or its organisation's unassigned client)"),
  parentId: locusId.describe('The parent component, or the site for a component directly under it'),
  parentType: z.enum(parentTypes),
  nodeId: z.string().describe('Unique (within the partner) address of the physical device'),
  name: z.string(),
  nodeType: z.string().describe('METER, INVERTER, STRING, COMBINER, WEATHERSTATION, BATTERY, GATEWAY, SENSOR or OTHER'),
  application: z.string().describe('GENERATION or NET-GRID'),
  generationType: z.string().describe('SOLAR, WIND, THERMAL, OTHER, NET-GRID or EVSE'),
  oem: z.string(),
  model: z.string(),
  isConceptualNode: z.boolean().describe('Non-monitored: the component sends no data'),
  serialNumber: z.string().optional(),
  description: z.string().optional(),
});
export type LocusComponent = z.infer<typeof locusComponent>;

export const locusSite = z.object({
  id: locusId,
  clientId: locusId.describe("The site's portfolio, or its organisation's client of sites without a portfolio"),
  name: z.string(),
  address1: z.string().describe('Address line 1 (Helio falls back to the free-text address)'),
  address2: z.string(),
  locale3: z.string().describe('City'),
  locale1: z.string().describe('State or region'),
  localeCode1: z.string().describe('State or region abbreviation'),
  postalCode: z.string(),
  countryCode: z.string(),
  latitude: z.number().optional(),
  longitude: z.number().optional(),
  locationTimezone: z.string().describe("The site's IANA time zone"),
});
export type LocusSite = z.infer<typeof locusSite>;

export const locusClient = z.object({
  id: locusId,
  partnerId: locusId,
  tz: z.string().describe('Time zone (IANA name)'),
  firstName: z.string().describe("The client's first name; the portfolio's name when none is set"),
  lastName: z.string(),
  email: z.string(),
});
export type LocusClient = z.infer<typeof locusClient>;

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

export const locusInstallInfo = z.object({
  installer: z.string().optional(),
  installCrew: z.string().optional(),
  installDate: isoDate.optional(),
  ptoDate: isoDate.optional(),
  startupDate: isoDate.optional(),
  uninstallCrew: z.string().optional(),
  uninstallDate: isoDate.optional(),
});
export type LocusInstallInfo = z.infer<typeof locusInstallInfo>;

export const locusModelSettings = z.object({
  size: z.number().optional().describe('Installed system size, kW DC'),
  mismatch: z.number().int(),
  diodesAndConnections: z.number().int(),
  dcWiring: z.number().int(),
  soiling: z.number().int(),
  sunTracking: z.number().int(),
  nameplate: z.number().int(),
  acWiring: z.number().int(),
  transformer: z.number().int(),
  tmy3Id: z.number().int().optional(),
});
export type LocusModelSettings = z.infer<typeof locusModelSettings>;

/**
 * The filters of GET /v3/partners/{id}/components. `%` is a wildcard (as the
 * spec says); every other character, `_` included, matches itself. Helio
 * keeps no notes on components: `notes` searches the component's description,
 * the one free text it has.
 */
export const partnerComponentsFilter = z.strictObject({
  nodeId: z.string().min(1).max(500).optional().describe('Node id to look up; % is a wildcard (send it URL-encoded, %25)'),
  notes: z
    .string()
    .min(1)
    .max(500)
    .optional()
    .describe("Searches the component's description (Helio's only note on a component); % is a wildcard"),
});
export type PartnerComponentsFilter = z.infer<typeof partnerComponentsFilter>;

/** The spec's Base Field object, as the dataavailable calls list them. */
export const locusBaseField = z.object({
  baseField: z.string().describe('Unique identifier of the base field, e.g. W, Wh, Wh_e'),
  longName: z.string(),
  source: z.enum(['Measured', 'Modeled', 'Expected']),
  unit: z.string(),
  aggregations: z.array(
    z.object({
      shortName: z.string().describe('What the data call takes in `fields`, e.g. W_avg'),
      aggregation: z.enum(['min', 'max', 'avg', 'sum']),
    }),
  ),
  fieldParameters: z
    .array(z.object({ param: z.string(), values: z.array(z.string()) }))
    .optional()
    .describe('Parameters a data call for this field may take (modeled fields: modelType, irradianceSource, inverterClipping)'),
  granularities: z.array(z.string()),
});

/** The spec's data object: the entity's id, the bucket's leading time, and each requested short name that has a value. */
export const locusDataObject = z
  .object({
    id: z.number().int().describe('The component or site the values are of'),
    ts: z.string().describe("The bucket's leading time in tz, with its offset as ±HH:MM (2014-04-01T12:00:00-07:00)"),
  })
  .catchall(z.number().nullable())
  .describe('A short name is left out when it has no value; bulk data gives null for a field a site lacks');
