// The plants tables' rows as the database returns them (snake_case), and
// their conversion to the API's shapes.
import type { LifecycleStatus } from './lifecycle.js';
import type {
  AuthMethod,
  ConnectionStatus,
  Plant,
  PlantGroup,
  PlantType,
  Signal,
  Template,
  TemplateAction,
  TemplateLevel,
} from './schema.js';

/** A row of `plants`. */
export interface PlantRow {
  id: string;
  organisation_id: string;
  site_id: string | null;
  component_id: string | null;
  template_id: string | null;
  name: string;
  serial_number: string;
  type: PlantType;
  auth_method: AuthMethod;
  lifecycle_status: LifecycleStatus;
  status: ConnectionStatus;
  metadata: Record<string, unknown>;
  external_plant_id: string | null;
  description: string | null;
  tag: string | null;
  latitude: number | null;
  longitude: number | null;
  capacity_kwh: number | null;
  fve_peak_power_kwp: number | null;
  config_enabled: boolean;
  plant_with_load: boolean;
  esi_state: string | null;
  activated_at: Date | null;
  last_seen_at: Date | null;
  /** The plant's connection, or its last one: the gateway (MQTT broker id) that held it, which connection, since when. */
  connected_via: string | null;
  connection_id: string | null;
  connected_at: Date | null;
  auth_failure_count: number;
  last_auth_failure_at: Date | null;
  dropped_message_count: number;
  last_dropped_at: Date | null;
  last_drop_reason: string | null;
  certificate_fingerprint: string | null;
  certificate_serial_number: string | null;
  certificate_expires_at: Date | null;
  password_hash: string | null;
  hmac_secret_enc: string | null;
  previous_hmac_secret_enc: string | null;
  previous_hmac_until: Date | null;
  secret_rotated_at: Date | null;
  tokens_valid_after: Date | null;
  counters: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

/** Every column of `plants`, for `SELECT ${PLANT_COLUMNS}` (prefix with an alias through `plantColumns('p')`). */
export const PLANT_COLUMN_NAMES = [
  'id',
  'organisation_id',
  'site_id',
  'component_id',
  'template_id',
  'name',
  'serial_number',
  'type',
  'auth_method',
  'lifecycle_status',
  'status',
  'metadata',
  'external_plant_id',
  'description',
  'tag',
  'latitude',
  'longitude',
  'capacity_kwh',
  'fve_peak_power_kwp',
  'config_enabled',
  'plant_with_load',
  'esi_state',
  'activated_at',
  'last_seen_at',
  'connected_via',
  'connection_id',
  'connected_at',
  'auth_failure_count',
  'last_auth_failure_at',
  'dropped_message_count',
  'last_dropped_at',
  'last_drop_reason',
  'certificate_fingerprint',
  'certificate_serial_number',
  'certificate_expires_at',
  'password_hash',
  'hmac_secret_enc',
  'previous_hmac_secret_enc',
  'previous_hmac_until',
  'secret_rotated_at',
  'tokens_valid_after',
  'counters',
  'created_at',
  'updated_at',
  'deleted_at',
] as const;

export const PLANT_COLUMNS = PLANT_COLUMN_NAMES.join(', ');

export function plantColumns(alias: string): string {
  return PLANT_COLUMN_NAMES.map((c) => `${alias}.${c}`).join(', ');
}

/** A row of `device_templates`. */
export interface TemplateRow {
  id: string;
  organisation_id: string | null;
  name: string;
  level: TemplateLevel;
  type: string;
  is_system: boolean;
  version: number;
  signals: Signal[];
  actions: TemplateAction[];
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

export const TEMPLATE_COLUMNS =
  'id, organisation_id, name, level, type, is_system, version, signals, actions, created_at, updated_at, deleted_at';

export function templateColumns(alias: string): string {
  return TEMPLATE_COLUMNS.split(', ')
    .map((c) => `${alias}.${c}`)
    .join(', ');
}

/** A row of `plant_groups`. */
export interface GroupRow {
  id: string;
  organisation_id: string;
  name: string;
  description: string | null;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

export const GROUP_COLUMNS = 'id, organisation_id, name, description, created_at, updated_at, deleted_at';

export function iso(d: Date | string | null): string | null {
  if (d === null) return null;
  return (d instanceof Date ? d : new Date(d)).toISOString();
}

function isoRequired(d: Date | string): string {
  return (d instanceof Date ? d : new Date(d)).toISOString();
}

/** Signals as stored, with the defaults filled in (scale 1). */
function storedSignals(raw: unknown): Signal[] {
  if (!Array.isArray(raw)) return [];
  return (raw as Signal[]).map((s) => ({ ...s, scale: typeof s.scale === 'number' ? s.scale : 1 }));
}

export function toTemplate(r: TemplateRow): Template {
  return {
    actions: Array.isArray(r.actions) ? r.actions : [],
    createdAt: isoRequired(r.created_at),
    id: r.id,
    isSystem: r.is_system,
    level: r.level,
    name: r.name,
    signals: storedSignals(r.signals),
    type: r.type,
    updatedAt: isoRequired(r.updated_at),
    version: r.version,
    organizationId: r.organisation_id,
  };
}

export function toGroup(r: GroupRow): PlantGroup {
  return {
    createdAt: isoRequired(r.created_at),
    description: r.description,
    id: r.id,
    name: r.name,
    organizationId: r.organisation_id,
    updatedAt: isoRequired(r.updated_at),
  };
}

/** A plant row in the API's shape, with its template (null when it has none, or the caller did not load it). */
export function toPlant(r: PlantRow, template: Template | null = null): Plant {
  return {
    activatedAt: iso(r.activated_at),
    authFailureCount: r.auth_failure_count,
    authMethod: r.auth_method,
    certificateExpiresAt: iso(r.certificate_expires_at),
    certificateFingerprint: r.certificate_fingerprint,
    certificateSerialNumber: r.certificate_serial_number,
    createdAt: isoRequired(r.created_at),
    id: r.id,
    lastAuthFailureAt: iso(r.last_auth_failure_at),
    lastSeenAt: iso(r.last_seen_at),
    lifecycleStatus: r.lifecycle_status,
    metadata: r.metadata ?? {},
    name: r.name,
    organizationId: r.organisation_id,
    secretRotatedAt: iso(r.secret_rotated_at),
    serialNumber: r.serial_number,
    status: r.status,
    template: template && template.id === r.template_id ? template : null,
    templateId: r.template_id,
    type: r.type,
    updatedAt: isoRequired(r.updated_at),
    siteId: r.site_id,
    componentId: r.component_id,
    droppedMessageCount: r.dropped_message_count,
    lastDropReason: r.last_drop_reason,
  };
}
