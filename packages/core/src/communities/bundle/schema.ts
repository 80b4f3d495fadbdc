// The community bundle: one community with its members, their delivery points
// and assets, as `POST /admin/import` takes it (JSON), as each document of
// `POST /admin/import/yaml` holds it, and as `GET /admin/export` writes it.
// The shapes are those of the community registry API's published schema
// (RegistryBundleIn, CommunityIn, MemberIn, DeliveryPointIn,
// AssetCollectionIn: assets keyed by type then by key, areas and operators
// keyed by their key, members keyed by theirs), with field names as there.
//
// Where Helio is stricter than that schema, it says so here:
// - unknown fields are refused (the published schema keeps them);
// - roles, statuses, delivery point types, meter types and topology node
//   types are closed lists;
// - keys are URL-safe (they go into paths).
// Helio adds, and never changes:
// - `user_id` may be left out (a member need not be a Helio user);
// - every asset may carry `sensor_id` (required of meters) and `pod` (the
//   delivery point it sits behind; a meter's pod is in the published schema);
// - assets may link to a Helio site, component or plant (`site_id`,
//   `component_id`, `plant_id`);
// - a delivery point may name the topology node it hangs from
//   (`topology_node`).
//
// This one zod schema is the bundle's definition: it is published as JSON
// Schema (json-schema.ts) and in the OpenAPI document.
import { z } from 'zod';

/** Keys in paths: a community's, a member's, an asset's, an area's, an operator's, a topology node's. */
export const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,99}$/;
const keyMessage = 'must be 1 to 100 characters: letters, digits and . _ ~ -, starting with a letter or digit';
export const bundleKey = z.string().regex(KEY_PATTERN, keyMessage);

/** Free text: no control characters but tab, newline and carriage return. */
const text = (max: number) =>
  z
    .string()
    .max(max)
    // eslint-disable-next-line no-control-regex
    .regex(/^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$/, 'must not hold control characters');
const name = text(200).min(1);
const optionalText = (max = 500) => text(max).nullable().optional();

/** An identifier from outside (a POD code, a sensor id, a user id): printable, no spaces at either end. */
const identifier = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(
      // eslint-disable-next-line no-control-regex
      /^[^\s\u0000-\u001F\u007F](?:[^\u0000-\u001F\u007F]*[^\s\u0000-\u001F\u007F])?$/,
      'must be printable, without spaces at either end',
    );

export const podCode = identifier(64);
export const sensorId = identifier(200);
export const userId = identifier(200);

const quantity = z.number().finite().nonnegative();
const number = z.number().finite();

export const memberRoles = ['consumer', 'prosumer', 'producer', 'operator', 'admin'] as const;
export const memberStatuses = ['pending', 'active', 'suspended', 'inactive'] as const;
export const assetTypes = ['pv', 'storage', 'meter', 'ev_charger', 'heat_pump', 'load'] as const;
export const deliveryPointTypes = ['pod', 'cups', 'prm', 'malo', 'ean', 'mpan', 'other'] as const;
export const meterTypes = ['consumption', 'production', 'bidirectional', 'import', 'export'] as const;
export const topologyNodeTypes = [
  'primary_substation',
  'secondary_substation',
  'substation',
  'transformer',
  'feeder',
  'cabinet',
  'busbar',
  'other',
] as const;

export type AssetType = (typeof assetTypes)[number];

/** GeoJSON geometry, kept as given (objects only). */
const geometry = z.record(z.string(), z.unknown());

export const metadataIn = z.strictObject({
  created: optionalText(100),
  updated: optionalText(100),
  updated_by: optionalText(200),
  description: optionalText(2000),
});

export const locationIn = z.strictObject({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) });

export const areaIn = z.strictObject({
  name,
  topology: z.array(bundleKey).max(10_000).optional(),
  location: locationIn.nullable().optional(),
  geometry: geometry.nullable().optional(),
});

export const operatorIn = z.strictObject({
  name,
  country: optionalText(2),
  contact: optionalText(500),
});

export const topologyNodeIn = z.strictObject({
  id: bundleKey,
  type: z.enum(topologyNodeTypes),
  name: optionalText(200),
  operator_id: bundleKey.nullable().optional(),
  parent: bundleKey.nullable().optional(),
  area: geometry.nullable().optional(),
});

export const legalInfoIn = z.strictObject({
  name: optionalText(),
  vat: optionalText(100),
  fiscal_code: optionalText(100),
  legal_form: optionalText(200),
  registration_number: optionalText(200),
  registered_office: optionalText(),
});

export const linksIn = z.strictObject({
  website: optionalText(2000),
  logo: optionalText(2000),
  privacy_policy: optionalText(2000),
  terms: optionalText(2000),
  statute: optionalText(2000),
  regulations: optionalText(2000),
});

export const contactIn = z.strictObject({
  email: optionalText(320),
  pec: optionalText(320),
  phone: optionalText(100),
  address: optionalText(),
});

export const settingsIn = z.strictObject({
  timezone: optionalText(100),
  currency: optionalText(10),
  energy_unit: optionalText(20),
  power_unit: optionalText(20),
});

export const communityIn = z.strictObject({
  /** The community's key. */
  id: bundleKey,
  name,
  description: optionalText(2000),
  legal: legalInfoIn.nullable().optional(),
  links: linksIn.nullable().optional(),
  contact: contactIn.nullable().optional(),
  settings: settingsIn.nullable().optional(),
  operators: z.record(bundleKey, operatorIn).optional(),
  areas: z.record(bundleKey, areaIn).optional(),
  topology: z.array(topologyNodeIn).max(10_000).optional(),
});

export const deliveryPointIn = z.strictObject({
  /** The POD (CUPS, PRM, ...) code. */
  id: podCode,
  type: z.enum(deliveryPointTypes),
  description: optionalText(),
  address: optionalText(),
  tariff: optionalText(100),
  active: z.boolean().optional(),
  /** Helio: the topology node (its id) the delivery point hangs from. */
  topology_node: bundleKey.nullable().optional(),
});

export const deviceIn = z.strictObject({
  type: optionalText(100),
  model: optionalText(200),
  serial_number: optionalText(200),
  mac_address: optionalText(100),
  firmware_version: optionalText(100),
});

export const assetRelationshipsIn = z.strictObject({
  measures: z.array(bundleKey).max(1000).optional(),
  paired_with: bundleKey.nullable().optional(),
});

/** What every asset type carries besides its own fields. */
const assetCommon = {
  name,
  device: deviceIn.nullable().optional(),
  relationships: assetRelationshipsIn.optional(),
  /** Helio: the sensor reporting the asset (required of meters); unique in the installation. */
  sensor_id: sensorId.nullable().optional(),
  /** Helio: the delivery point (its POD code) the asset sits behind; for meters, the published schema's pod. */
  pod: podCode.nullable().optional(),
  /** Helio: links to the site, component or plant the asset is in Helio. */
  site_id: z.uuid().nullable().optional(),
  component_id: z.uuid().nullable().optional(),
  plant_id: z.uuid().nullable().optional(),
};

export const pvAssetIn = z.strictObject({
  ...assetCommon,
  rated_power: quantity.nullable().optional(),
  panel_type: optionalText(100),
  inverter_power: quantity.nullable().optional(),
  orientation: number.nullable().optional(),
  tilt_angle: number.nullable().optional(),
  installation_date: optionalText(40),
});

export const storageAssetIn = z.strictObject({
  ...assetCommon,
  capacity: quantity.nullable().optional(),
  max_charge_power: quantity.nullable().optional(),
  max_discharge_power: quantity.nullable().optional(),
  battery_type: optionalText(100),
  round_trip_efficiency: quantity.nullable().optional(),
  installation_date: optionalText(40),
});

export const meterAssetIn = z.strictObject({
  ...assetCommon,
  sensor_id: sensorId,
  meter_type: z.enum(meterTypes),
  protocol: optionalText(100),
  installation_date: optionalText(40),
});

export const evChargerAssetIn = z.strictObject({
  ...assetCommon,
  max_power: quantity,
  charger_type: text(100).min(1),
  connector_types: z.array(text(100)).max(20).optional(),
  smart_charging: z.boolean().nullable().optional(),
  bidirectional: z.boolean().nullable().optional(),
  num_ports: z.number().int().nonnegative().max(1000).nullable().optional(),
  installation_date: optionalText(40),
});

export const heatPumpAssetIn = z.strictObject({
  ...assetCommon,
  thermal_power: quantity,
  electrical_power: quantity.nullable().optional(),
  cop: quantity.nullable().optional(),
  eer: quantity.nullable().optional(),
  scop: quantity.nullable().optional(),
  seer: quantity.nullable().optional(),
  heat_pump_type: optionalText(100),
  reversible: z.boolean().nullable().optional(),
  refrigerant: optionalText(100),
  installation_date: optionalText(40),
});

export const loadAssetIn = z.strictObject({
  ...assetCommon,
  load_type: optionalText(100),
  rated_power: quantity.nullable().optional(),
  min_power: quantity.nullable().optional(),
  controllable: z.boolean().nullable().optional(),
  priority: optionalText(40),
  flexibility_kw: quantity.nullable().optional(),
});

/** Each asset type's schema, in the order bundles list them. */
export const assetSchemas = {
  pv: pvAssetIn,
  storage: storageAssetIn,
  meter: meterAssetIn,
  ev_charger: evChargerAssetIn,
  heat_pump: heatPumpAssetIn,
  load: loadAssetIn,
} as const satisfies Record<AssetType, z.ZodType>;

/** The fields every asset type shares: kept in columns, not in `properties`. */
export const ASSET_COMMON_FIELDS = ['name', 'device', 'relationships', 'sensor_id', 'pod', 'site_id', 'component_id', 'plant_id'] as const;

export const assetCollectionIn = z.strictObject({
  pv: z.record(bundleKey, pvAssetIn).optional(),
  storage: z.record(bundleKey, storageAssetIn).optional(),
  meter: z.record(bundleKey, meterAssetIn).optional(),
  ev_charger: z.record(bundleKey, evChargerAssetIn).optional(),
  heat_pump: z.record(bundleKey, heatPumpAssetIn).optional(),
  load: z.record(bundleKey, loadAssetIn).optional(),
});

export const memberIn = z.strictObject({
  /** The member's identity; a Helio user's id links the member to that user. */
  user_id: userId.nullable().optional(),
  name,
  type: optionalText(100),
  role: z.enum(memberRoles),
  /** An area key of the community. */
  area: bundleKey,
  status: z.enum(memberStatuses),
  delivery_points: z.array(deliveryPointIn).max(10_000).optional(),
  assets: assetCollectionIn.optional(),
});

export const registryBundleIn = z.strictObject({
  version: text(20).min(1).optional(),
  schema_version: text(20).min(1).optional(),
  metadata: metadataIn.nullable().optional(),
  community: communityIn,
  members: z.record(bundleKey, memberIn).optional(),
});

/** The JSON import's body as the published client sends it: the bundle wrapped, with `dry_run`. */
export const importRequest = z.strictObject({
  bundle: registryBundleIn,
  dry_run: z.boolean().optional(),
});

/** The batch lookup's body. */
export const MAX_SENSOR_IDS = 1000;
export const sensorIdsBatchRequest = z.strictObject({
  sensor_ids: z.array(sensorId).max(MAX_SENSOR_IDS),
});

export type RegistryBundleIn = z.infer<typeof registryBundleIn>;
export type CommunityIn = z.infer<typeof communityIn>;
export type MemberIn = z.infer<typeof memberIn>;
export type DeliveryPointIn = z.infer<typeof deliveryPointIn>;
export type AssetCollectionIn = z.infer<typeof assetCollectionIn>;
export type AreaIn = z.infer<typeof areaIn>;
export type TopologyNodeIn = z.infer<typeof topologyNodeIn>;
export type OperatorIn = z.infer<typeof operatorIn>;
/** Any one asset as a bundle holds it (its type is the collection it sits in). */
export type AssetIn = z.infer<(typeof assetSchemas)[AssetType]>;
