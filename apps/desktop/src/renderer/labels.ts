// Human labels for core's enumerations. Each map is typed by the router's own
// input type, so a value core adds is a type error here until it has a label.
import type { Inputs } from './client.js';
import { assetFieldLabels, deliveryPointFieldLabels, memberFieldLabels } from './screens/communities/community-labels.js';

export type CapacityUnit = NonNullable<Inputs['sites']['update']['patch']['unit']>;
export type DocumentType = NonNullable<Inputs['capture']['document']['documentType']>;
export type SiteField = keyof Inputs['sites']['update']['patch'];
export type PortfolioField = Exclude<keyof Inputs['portfolios']['update'], 'id'>;

export const capacityUnitLabels: Record<CapacityUnit, string> = {
  W: 'W',
  kW: 'kW',
  MW: 'MW',
  GW: 'GW',
  Wp: 'Wp',
  kWp: 'kWp',
  MWp: 'MWp',
  GWp: 'GWp',
  kWh: 'kWh',
  MWh: 'MWh',
};

export const documentTypeLabels: Record<DocumentType, string> = {
  ppa: 'Power purchase agreement',
  mcs_certificate: 'MCS certificate',
  string_layout: 'String layout',
  om_ticket: 'O&M ticket',
  invoice: 'Invoice',
  equipment_register: 'Equipment register',
  warranty_information: 'Warranty information',
  handover_document: 'Handover document',
  ppm: 'Planned maintenance (PPM)',
  epc: 'EPC contract',
  finance_agreements: 'Finance agreement',
  insurance: 'Insurance',
  land_lease: 'Land lease',
  om_contract: 'O&M contract',
  spare_parts: 'Spare parts',
  other: 'Other',
};

/** The API's field names (as sync reports them in conflicts and refused changes), as the site form labels them. */
export const siteFieldLabels: Record<SiteField, string> = {
  siteName: 'Site name',
  address: 'Address',
  capacity: 'Capacity',
  unit: 'Capacity unit',
  latitude: 'Latitude',
  longitude: 'Longitude',
  portfolioId: 'Portfolio',
  siteManager: 'Site manager',
  coverImageUrl: 'Cover image URL',
  timezone: 'Time zone',
  address1: 'Address line 1',
  address2: 'Address line 2',
  locale3: 'City',
  locale1: 'State or region',
  localeCode1: 'State or region code',
  postalCode: 'Postal code',
  countryCode: 'Country code',
  installer: 'Installer',
  installCrew: 'Install crew',
  installDate: 'Install date',
  ptoDate: 'Permission to operate date',
  startupDate: 'Startup date',
  uninstallCrew: 'Uninstall crew',
  uninstallDate: 'Uninstall date',
  sizeKw: 'System size (kW DC)',
  mismatch: 'Mismatch (%)',
  diodesAndConnections: 'Diodes and connections (%)',
  dcWiring: 'DC wiring (%)',
  soiling: 'Soiling (%)',
  sunTracking: 'Sun tracking (%)',
  nameplate: 'Nameplate rating (%)',
  acWiring: 'AC wiring (%)',
  transformer: 'Transformer (%)',
  tmy3Id: 'TMY3 station',
  expectedMonthly: 'Expected monthly energy',
  alertSettings: 'Alert settings',
};

export const portfolioFieldLabels: Record<PortfolioField, string> = {
  name: 'Portfolio name',
  tz: 'Time zone',
  firstName: 'Contact first name',
  lastName: 'Contact last name',
  email: 'Contact email',
};

export const documentFieldLabels: Record<string, string> = {
  filename: 'File name',
};

/** A synced field's label; a field core adds later shows its API name until it has one. */
export function fieldLabel(table: string, field: string): string {
  const byTable: Record<string, Record<string, string>> = {
    sites: siteFieldLabels,
    portfolios: portfolioFieldLabels,
    documents: documentFieldLabels,
    community_members: memberFieldLabels,
    community_delivery_points: deliveryPointFieldLabels,
    community_assets: assetFieldLabels,
  };
  const labels = byTable[table] ?? {};
  return labels[field] ?? field;
}

export const tableLabels: Record<string, string> = {
  sites: 'site',
  portfolios: 'portfolio',
  documents: 'document',
  community_members: 'community member',
  community_delivery_points: 'delivery point',
  community_assets: 'community asset',
  sync_conflicts: 'conflict',
};

export const operationLabels: Record<string, string> = {
  create: 'Create',
  update: 'Change',
  delete: 'Delete',
  restore: 'Restore',
  resolve: 'Resolve',
};

export function entries<K extends string>(labels: Record<K, string>): [K, string][] {
  return Object.entries(labels) as [K, string][];
}

/** IANA zone names for the time zone pickers; the browser's own zone first. */
export const timeZones: string[] = (() => {
  const local = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const all = Intl.supportedValuesOf('timeZone');
  return [local, ...all.filter((z) => z !== local), ...(all.includes('UTC') || local === 'UTC' ? [] : ['UTC'])];
})();

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
