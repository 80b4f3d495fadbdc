// The plants domain's inputs and the shapes the Plants API answers with,
// spelt exactly as the API spells them (camelCase, `organizationId` with a z),
// plus Helio's own additions (siteId, componentId, the drop counters).
import { z } from 'zod';
import { storedField } from '../monitoring/fields.js';
import { lifecycleStatuses } from './lifecycle.js';

export const plantTypes = ['SENSOR', 'ACTUATOR', 'GATEWAY', 'CONTROLLER'] as const;
export type PlantType = (typeof plantTypes)[number];

export const authMethods = ['MTLS', 'TOKEN', 'PASSWORD'] as const;
export type AuthMethod = (typeof authMethods)[number];

export const connectionStatuses = ['ONLINE', 'OFFLINE'] as const;
export type ConnectionStatus = (typeof connectionStatuses)[number];

export const templateLevels = ['PLANT', 'DEVICE'] as const;
export type TemplateLevel = (typeof templateLevels)[number];

const isoInstant = z.iso.datetime({ offset: true });

/** The base fields a lifetime counter signal may be stored as: energy produced, imported from and exported to the grid. */
export const COUNTER_FIELDS = ['Wh', 'WhImp', 'WhExp'] as const;
const metadata = z.record(z.string(), z.unknown());

// ---------------------------------------------------------------- templates

/**
 * One signal of a template: the device's key, the base field it is stored as
 * (a stored field of the monitoring catalog: W, Wh, WhImp, TmpAmb...), the
 * factor the device's number is multiplied by, and whether it is a lifetime
 * counter (turned into interval energy by the telemetry writer). Only energy
 * is counted: a counter signal is stored as one of `COUNTER_FIELDS`, with a
 * positive scale (a counter never runs backwards; a negative scale would turn
 * every interval into a reset).
 */
export const signalSchema = z
  .strictObject({
    key: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits and _ . : - only'),
    field: z.string().refine((f) => storedField(f) !== undefined, { message: 'not a stored base field of the monitoring catalog' }),
    scale: z
      .number()
      .finite()
      .refine((n) => n !== 0, { message: 'must not be 0' })
      .default(1),
    unit: z.string().trim().max(30).optional(),
    counter: z.boolean().optional(),
    name: z.string().trim().max(200).optional(),
  })
  .superRefine((s, ctx) => {
    if (s.counter !== true) return;
    if (!(COUNTER_FIELDS as readonly string[]).includes(s.field)) {
      ctx.addIssue({
        code: 'custom',
        path: ['field'],
        message: `a counter signal must be an energy field (${COUNTER_FIELDS.join(', ')}), not ${s.field}`,
      });
    }
    if (!(s.scale > 0)) {
      ctx.addIssue({ code: 'custom', path: ['scale'], message: 'a counter signal needs a positive scale' });
    }
  });
export type Signal = z.output<typeof signalSchema>;

export const actionSchema = z.strictObject({
  name: z.string().trim().min(1).max(255),
  description: z.string().trim().max(2000).optional(),
  /** A JSON Schema the command's payload is described by (informative; not enforced). */
  payloadSchema: z.record(z.string(), z.unknown()).optional(),
});
export type TemplateAction = z.output<typeof actionSchema>;

/** Signals with unique keys (a key decodes one way). */
const signals = z
  .array(signalSchema)
  .max(500)
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((s, i) => {
      if (seen.has(s.key)) ctx.addIssue({ code: 'custom', path: [i, 'key'], message: `duplicate signal key ${s.key}` });
      seen.add(s.key);
    });
  });

const actions = z
  .array(actionSchema)
  .max(200)
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((a, i) => {
      if (seen.has(a.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate action name ${a.name}` });
      seen.add(a.name);
    });
  });

export const templateSchema = z.object({
  actions: z.array(actionSchema),
  createdAt: isoInstant,
  id: z.uuid(),
  isSystem: z.boolean(),
  level: z.enum(templateLevels),
  name: z.string(),
  signals: z.array(signalSchema),
  type: z.string(),
  updatedAt: isoInstant,
  version: z.number().int(),
  /** Helio: the owning organisation; null for system templates. */
  organizationId: z.uuid().nullable(),
});
export type Template = z.infer<typeof templateSchema>;

export const createTemplateInput = z.strictObject({
  name: z.string().trim().min(1).max(100),
  level: z.enum(templateLevels).default('PLANT'),
  /** Free text: the kind of equipment (INVERTER, METER, CABINET...). */
  type: z.string().trim().min(1).max(50),
  signals: signals.default([]),
  actions: actions.default([]),
  /** Optional: the caller's only organisation otherwise. */
  organizationId: z.uuid().optional(),
});
export type CreateTemplateInput = z.input<typeof createTemplateInput>;

export const updateTemplateInput = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    level: z.enum(templateLevels),
    type: z.string().trim().min(1).max(50),
    signals,
    actions,
  })
  .partial();
export type UpdateTemplateInput = z.input<typeof updateTemplateInput>;

// ---------------------------------------------------------------- pagination

/** `page` from 1, `limit` 1–100 (default 20); query strings or numbers. */
export const pageQuery = {
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(20),
};

export interface PageMeta {
  limit: number;
  page: number;
  total: number;
  totalPages: number;
}

export interface Page<T> {
  data: T[];
  meta: PageMeta;
}

export function pageMeta(page: number, limit: number, total: number): PageMeta {
  return { limit, page, total, totalPages: Math.ceil(total / limit) };
}

export const listPlantsQuery = z.object({
  ...pageQuery,
  authMethod: z.enum(authMethods).optional(),
});

export const listTemplatesQuery = z.object({
  ...pageQuery,
  level: z.enum(templateLevels).optional(),
});

export const listGroupsQuery = z.object({ ...pageQuery });

// ---------------------------------------------------------------- plants

const plantFields = {
  name: z.string().trim().min(1).max(100),
  serialNumber: z.string().trim().min(1).max(50),
  type: z.enum(plantTypes),
  authMethod: z.enum(authMethods),
  metadata,
  externalPlantId: z.string().trim().min(1).max(120).nullable(),
  description: z.string().trim().max(2000).nullable(),
  tag: z.string().trim().max(100).nullable(),
  latitude: z.number().min(-90).max(90).nullable(),
  longitude: z.number().min(-180).max(180).nullable(),
  capacityKwh: z.number().finite().min(0).nullable(),
  fvePeakPowerKwp: z.number().finite().min(0).nullable(),
  plantWithLoad: z.boolean(),
  configEnabled: z.boolean(),
  templateId: z.uuid().nullable(),
  siteId: z.uuid(),
  componentId: z.uuid(),
};

export const createPlantInput = z.strictObject({
  name: plantFields.name,
  serialNumber: plantFields.serialNumber,
  type: plantFields.type,
  authMethod: plantFields.authMethod.default('MTLS'),
  metadata: plantFields.metadata.default({}),
  // Helio additions.
  /** The organisation of the new plant (the caller's only one otherwise; REST: x-organisation-id). */
  organizationId: z.uuid().optional(),
  siteId: plantFields.siteId.optional(),
  /** An existing component of the site to map to; absent: one is created. */
  componentId: plantFields.componentId.optional(),
  templateId: z.uuid().optional(),
  externalPlantId: plantFields.externalPlantId.optional(),
  description: plantFields.description.optional(),
  tag: plantFields.tag.optional(),
  latitude: plantFields.latitude.optional(),
  longitude: plantFields.longitude.optional(),
  capacityKwh: plantFields.capacityKwh.optional(),
  fvePeakPowerKwp: plantFields.fvePeakPowerKwp.optional(),
  plantWithLoad: plantFields.plantWithLoad.optional(),
  configEnabled: plantFields.configEnabled.optional(),
});
export type CreatePlantInput = z.input<typeof createPlantInput>;

/** A partial update: absent fields stay; `null` unlinks (externalPlantId) or unassigns (templateId). */
export const updatePlantInput = z
  .strictObject({
    ...plantFields,
    /** A site to map to (a component of it is found or created); null unmaps the plant. */
    siteId: plantFields.siteId.nullable(),
    /** Reassignment to another organisation: the system principal only. */
    organizationId: z.uuid(),
  })
  .partial();
export type UpdatePlantInput = z.input<typeof updatePlantInput>;

const plantShape = {
  activatedAt: isoInstant.nullable(),
  authFailureCount: z.number().int(),
  authMethod: z.enum(authMethods),
  certificateExpiresAt: isoInstant.nullable(),
  certificateFingerprint: z.string().nullable(),
  certificateSerialNumber: z.string().nullable(),
  createdAt: isoInstant,
  id: z.uuid(),
  lastAuthFailureAt: isoInstant.nullable(),
  lastSeenAt: isoInstant.nullable(),
  lifecycleStatus: z.enum(lifecycleStatuses),
  metadata,
  name: z.string(),
  organizationId: z.uuid(),
  secretRotatedAt: isoInstant.nullable(),
  serialNumber: z.string(),
  status: z.enum(connectionStatuses),
  template: templateSchema.nullable(),
  templateId: z.uuid().nullable(),
  type: z.enum(plantTypes),
  updatedAt: isoInstant,
  // Helio additions.
  siteId: z.uuid().nullable(),
  componentId: z.uuid().nullable(),
  droppedMessageCount: z.number().int(),
  lastDropReason: z.string().nullable(),
};

export const plantSchema = z.object(plantShape);
export type Plant = z.infer<typeof plantSchema>;

export const alertSeverities = ['INFO', 'WARNING', 'CRITICAL'] as const;
export const alertStatuses = ['ACTIVE', 'ACKNOWLEDGED', 'RESOLVED'] as const;

/** A monitoring alert of the plant's component(s), in the Plants API's shape. */
export const plantAlertSchema = z.object({
  acknowledgedAt: isoInstant.nullable(),
  acknowledgedBy: z.string().nullable(),
  createdAt: isoInstant,
  id: z.string(),
  message: z.string(),
  plantId: z.string(),
  resolvedAt: isoInstant.nullable(),
  severity: z.enum(alertSeverities),
  status: z.enum(alertStatuses),
  /** The monitoring alert type (Device Fault, Zero Generation, ...). */
  type: z.string(),
  updatedAt: isoInstant,
});
export type PlantAlert = z.infer<typeof plantAlertSchema>;

export const plantGroupSchema = z.object({
  createdAt: isoInstant,
  description: z.string().nullable(),
  id: z.uuid(),
  name: z.string(),
  organizationId: z.uuid(),
  updatedAt: isoInstant,
});
export type PlantGroup = z.infer<typeof plantGroupSchema>;

export const plantGroupDetailSchema = plantGroupSchema.extend({ plantIds: z.array(z.uuid()) });
export type PlantGroupDetail = z.infer<typeof plantGroupDetailSchema>;

export const createGroupInput = z.strictObject({
  name: z.string().trim().min(1).max(100),
  description: z.string().trim().max(2000).nullable().optional(),
  organizationId: z.uuid().optional(),
});
export const updateGroupInput = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    description: z.string().trim().max(2000).nullable(),
  })
  .partial();

export const plantDetailSchema = plantSchema.extend({
  alerts: z.array(plantAlertSchema),
  plantGroups: z.array(plantGroupSchema),
  capacityKwh: z.number().nullable(),
  configEnabled: z.boolean(),
  description: z.string().nullable(),
  esiState: z.string().nullable(),
  externalPlantId: z.string().nullable(),
  fvePeakPowerKwp: z.number().nullable(),
  latitude: z.number().nullable(),
  longitude: z.number().nullable(),
  plantWithLoad: z.boolean(),
  tag: z.string().nullable(),
});
export type PlantDetail = z.infer<typeof plantDetailSchema>;

export const certificateStatsSchema = z.object({
  active: z.number().int(),
  atRiskPlants: z.array(
    z.object({
      authMethod: z.enum(authMethods),
      certificateExpiresAt: isoInstant.nullable(),
      id: z.uuid(),
      lifecycleStatus: z.enum(lifecycleStatuses),
      name: z.string(),
      serialNumber: z.string(),
    }),
  ),
  expired: z.number().int(),
  expiringSoon: z.number().int(),
  nextRenewalAt: isoInstant.nullable(),
  revoked: z.number().int(),
});
export type CertificateStats = z.infer<typeof certificateStatsSchema>;

export const energyTodaySchema = z.object({
  date: z.string(),
  exported: z.number(),
  imported: z.number(),
  produced: z.number(),
  selfConsumptionPct: z.number(),
});
export type EnergyToday = z.infer<typeof energyTodaySchema>;
