// Words for a community registry's enumerations and fields. Each map is typed
// by the router's own input type, so a value core adds is a type error here
// until it has a label.
import type { Inputs, Outputs } from '../../client.js';

export type Registry = Outputs['communities']['registry'];
export type CommunitySummary = Outputs['communities']['list'][number];
export type RegistryCommunity = Registry['community'];
export type Member = Registry['members'][number];
export type DeliveryPoint = Registry['delivery_points'][number];
export type Asset = Registry['assets'][number];

export type MemberInput = Inputs['communities']['members']['create'];
export type MemberPatch = Inputs['communities']['members']['update']['patch'];
export type DeliveryPointInput = Inputs['communities']['deliveryPoints']['create'];
export type DeliveryPointPatch = Inputs['communities']['deliveryPoints']['update']['patch'];
export type AssetInput = Inputs['communities']['assets']['create'];
export type AssetPatch = Inputs['communities']['assets']['update']['patch'];
export type MemberRole = MemberInput['role'];
export type MemberStatus = MemberInput['status'];
export type DeliveryPointType = DeliveryPointInput['type'];
export type AssetType = AssetInput['asset_type'];

export const roleLabels: Record<MemberRole, string> = {
  consumer: 'Consumer',
  prosumer: 'Prosumer',
  producer: 'Producer',
  operator: 'Operator',
  admin: 'Admin',
};

export const statusLabels: Record<MemberStatus, string> = {
  pending: 'Pending',
  active: 'Active',
  suspended: 'Suspended',
  inactive: 'Inactive',
};

export const deliveryPointTypeLabels: Record<DeliveryPointType, string> = {
  pod: 'POD',
  cups: 'CUPS',
  prm: 'PRM',
  malo: 'MaLo',
  ean: 'EAN',
  mpan: 'MPAN',
  other: 'Other',
};

/** In the order bundles list asset types. */
export const assetTypeLabels: Record<AssetType, string> = {
  pv: 'PV',
  storage: 'Storage',
  meter: 'Meter',
  ev_charger: 'EV charger',
  heat_pump: 'Heat pump',
  load: 'Load',
};

/** A label for a stored value, which a newer server may hold beyond the lists above. */
export function labelOf(labels: Record<string, string>, value: string): string {
  return labels[value] ?? value;
}

export const memberFieldLabels: Record<string, string> = {
  key: 'Member key',
  name: 'Name',
  role: 'Role',
  status: 'Status',
  area: 'Area',
  user_id: 'User id',
  type: 'Kind of member',
  community_id: 'Community',
};

export const deliveryPointFieldLabels: Record<string, string> = {
  pod: 'POD code',
  type: 'Code type',
  member_id: 'Member',
  active: 'Active',
  topology_node: 'Grid node',
  description: 'Description',
  address: 'Address',
  tariff: 'Tariff',
  community_id: 'Community',
};

export const assetFieldLabels: Record<string, string> = {
  key: 'Asset key',
  name: 'Name',
  asset_type: 'Asset type',
  member_id: 'Owner',
  sensor_id: 'Sensor id',
  pod: 'Delivery point',
  site_id: 'Helio site',
  component_id: 'Helio component',
  plant_id: 'Helio plant',
  properties: 'Properties',
  device: 'Device',
  relationships: 'Relationships',
  community_id: 'Community',
};
