import { z } from 'zod';

/** The alert types of the Locus v3 API, spelt as it spells them. */
export const alertTypes = ['Device Fault', 'Performance Index', 'Strings Performance', 'System Disconnect', 'Zero Generation'] as const;
export type AlertType = (typeof alertTypes)[number];

export const priorities = ['High', 'Medium', 'Low'] as const;
export type Priority = (typeof priorities)[number];

const isoInstant = z.iso.datetime({ offset: true });

/** An alert as Helio's own API (tRPC, the desktop) shows it. */
export const alert = z.object({
  id: z.uuid(),
  /** The Locus id; null while only a placeholder exists (never on the server, where alerts are made). */
  locusId: z.number().int().positive().nullable(),
  organisationId: z.uuid(),
  siteId: z.uuid(),
  componentId: z.uuid(),
  componentName: z.string().nullable(),
  alertType: z.enum(alertTypes),
  priority: z.enum(priorities),
  /** Tells apart several open alerts of one type on one component (a device fault's code); "" otherwise. */
  conditionKey: z.string(),
  startedAt: isoInstant,
  endedAt: isoInstant.nullable(),
  descriptionShort: z.string().nullable(),
  descriptionLong: z.string().nullable(),
  /** What the rule saw: its settings and the measurements that raised the alert. */
  details: z.record(z.string(), z.unknown()).nullable(),
  acknowledgedAt: isoInstant.nullable(),
  acknowledgedBy: z.uuid().nullable(),
  /** The acknowledging user's name, as the server or the device's directory knows it. */
  acknowledgedByName: z.string().nullable(),
  createdAt: isoInstant,
  updatedAt: isoInstant,
});
export type Alert = z.infer<typeof alert>;

/** A site's alerts for the desktop: the open ones, and those closed within the last `recentDays` days. */
export const listSiteAlertsInput = z.strictObject({
  siteId: z.uuid(),
  recentDays: z.int().min(0).max(90).default(7),
});

export const acknowledgeAlertInput = z.strictObject({
  id: z.uuid(),
  /** false withdraws an acknowledgement. */
  acknowledged: z.boolean().default(true),
});

/**
 * What a device (through sync) or a caller writes on an alert: the only
 * fields of an alert anyone but the server's rules may set. `acknowledgedBy`
 * must be the writer's own user id (absent: filled in with it); a time in
 * the future is taken as now.
 */
export const acknowledgementFields = z.strictObject({
  acknowledgedAt: isoInstant.nullable().optional(),
  acknowledgedBy: z.uuid().nullable().optional(),
});

/** One fault or status message of a device. */
export const deviceEvent = z.strictObject({
  ts: isoInstant.describe('When the device raised or cleared the condition, ISO-8601 with an offset'),
  code: z.string().trim().min(1).max(100).describe("The device's fault code; a `cleared` event with the same code closes the alert"),
  state: z.enum(['active', 'cleared']),
  priority: z
    .string()
    .transform((p) => p.charAt(0).toUpperCase() + p.slice(1).toLowerCase())
    .pipe(z.enum(priorities))
    .optional()
    .describe('High, Medium (the default) or Low, any case; ignored on `cleared` events'),
  descriptionShort: z.string().trim().min(1).max(200).optional(),
  descriptionLong: z.string().trim().min(1).max(4000).optional(),
});
export type DeviceEvent = z.output<typeof deviceEvent>;

export const MAX_EVENTS_PER_REQUEST = 1000;

/** Several events at once: the body of POST /api/components/{id}/events is one event, or this. */
export const deviceEventsBody = z.strictObject({ events: z.array(deviceEvent).min(1).max(MAX_EVENTS_PER_REQUEST) });

export const recordEventsResult = z.object({
  /** Events stored (all of them: the history keeps even those that changed nothing). */
  stored: z.int(),
  opened: z.int(),
  updated: z.int(),
  closed: z.int(),
  /** Events older than the newest one already received for their code: kept, but they change no alert. */
  outOfOrder: z.int(),
  /** The alerts these events opened, changed or closed. */
  alerts: z.array(alert),
});
export type RecordEventsResult = z.infer<typeof recordEventsResult>;

/** An alert as the Locus v3 API returns it. */
export const locusAlert = z.object({
  id: z.number().int().describe('The unique identifier for the alert'),
  componentId: z.number().int().describe('The component that has the alert'),
  componentName: z.string(),
  siteId: z.number().int(),
  siteName: z.string(),
  alertType: z.enum(alertTypes),
  priority: z.enum(priorities),
  start: z.string().describe('Start time, in the requested tz, with its offset (±HH:MM)'),
  end: z.string().optional().describe('End time; absent while the alert is open'),
  updated: z.string().describe('When the alert last changed (opened, changed, closed or acknowledged)'),
  descriptionShort: z.string().optional(),
  descriptionLong: z.string().optional(),
});
export type LocusAlert = z.infer<typeof locusAlert>;

/**
 * The Locus alert filters, as the query string gives them, for one scope
 * (an organisation = partner, a site or a component, by UUID: the Locus
 * facade resolves the integer ids and checks tenancy first).
 */
export const listAlertsInput = z.strictObject({
  organisationId: z.uuid().optional(),
  siteId: z.uuid().optional(),
  componentId: z.uuid().optional(),
  tz: z.string().min(1).max(64),
  updatedSince: z.string().optional(),
  openDuringMin: z.string().optional(),
  openDuringMax: z.string().optional(),
  alertType: z.string().optional(),
  priority: z.string().optional(),
  status: z.string().optional(),
});
export type ListAlertsInput = z.input<typeof listAlertsInput>;
