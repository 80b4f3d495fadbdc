// The values schedules write: small pools, so that two writers often pick
// the same field (a conflict) and sometimes the same value (no conflict),
// all already in canonical form (what a read returns is what was written);
// and the invalid values the services must refuse.
import { assetPools, communityCreate, deliveryPointPools, invalidCommunityValues, memberPools } from './community-fields.js';
import type { FieldPicks, Table } from './schedule.js';

const sitePools: Record<string, readonly unknown[]> = {
  siteName: ['North roof', 'South field', 'Barn', 'Depot'],
  portfolioId: [null, 'portfolio', 'portfolio'],
  capacity: [null, 5, 12.5, 250],
  address: [null, '1 Main Street', 'Hill Farm'],
  unit: [null, 'kW', 'MWp'],
  latitude: [null, 51.5, -33.9],
  longitude: [null, -0.12, 151.2],
  siteManager: [null, 'Ana', 'Bo'],
  coverImageUrl: [null, 'https://img.example.com/a.png'],
  timezone: ['UTC', 'Europe/Berlin', 'America/New_York'],
};

const portfolioPools: Record<string, readonly unknown[]> = {
  name: ['Rooftops', 'Fields', 'Depots', 'North'],
};

// The first three are the hot ones: moves, renames, and nodeIds few enough that two writers now and then want one.
const componentPools: Record<string, readonly unknown[]> = {
  parentId: [null, 'component', 'component'],
  name: ['Meter', 'Inverter 1', 'Inverter 2', 'Weather station'],
  nodeId: ['N.1', 'N.2', 'N.3'],
  nodeType: ['METER', 'INVERTER', 'STRING', 'WEATHERSTATION'],
  application: ['GENERATION', 'NET-GRID'],
  generationType: ['SOLAR', 'WIND'],
  oem: [null, 'SMA', 'Fronius'],
  model: [null, 'Tripower 25000TL'],
  isConceptualNode: [false, true],
  serialNumber: [null, 'SN-1'],
  description: [null, 'East roof'],
};

/** Values every service refuses, one per kind of mistake. */
const invalidSite: readonly Record<string, unknown>[] = [
  { siteName: '' },
  { latitude: 200 },
  { timezone: 'Mars/Olympus' },
  { coverImageUrl: 'javascript:alert(1)' },
  { capacity: -1 },
  { bogus: 1 },
  { portfolioId: 'foreign' },
  { siteName: 'x'.repeat(201) },
];
const invalidPortfolio: readonly Record<string, unknown>[] = [{ name: '' }, { name: ' ' }, { bogus: true }, { name: 'y'.repeat(201) }];
const invalidComponent: readonly Record<string, unknown>[] = [
  { nodeId: '' },
  { nodeType: 'TOASTER' },
  { name: 'z'.repeat(201) },
  { bogus: 1 },
  { parentId: 'foreign' },
  { parentId: 'self' },
  { generationType: 'COAL' },
  { siteId: 'foreign site' },
];

export interface FieldContext {
  /** A live-or-not portfolio of the row's organisation, chosen by index, or undefined if it has none. */
  portfolio(pick: number): string | undefined;
  /** A portfolio of another organisation (or an id that exists nowhere). */
  foreignPortfolio(pick: number): string;
  /** A live-or-not site of the row's organisation (or an id that exists nowhere). */
  site(pick: number): string;
  /** A site of another organisation (or an id that exists nowhere). */
  foreignSite(pick: number): string;
  /** A live-or-not component of the site, or undefined if it has none. */
  component(pick: number, siteId: string): string | undefined;
  /** A component of another organisation (or an id that exists nowhere). */
  foreignComponent(pick: number): string;
  /** The community of the row's organisation (or an id that exists nowhere). */
  community(): string;
  /** A community of another organisation (or an id that exists nowhere). */
  foreignCommunity(): string;
  /** A live-or-not community member of the row's organisation (or an id that exists nowhere). */
  member(pick: number): string;
  /** A member of another organisation's community (or an id that exists nowhere). */
  foreignMember(pick: number): string;
  /** A POD of one of the organisation's community's first delivery points (it may have changed or gone since). */
  pod(pick: number): string | null;
  /** The row written (an update's), if it exists already. */
  row?: { id: string; siteId?: string };
}

const poolsOf: Record<Table, Record<string, readonly unknown[]>> = {
  sites: sitePools,
  portfolios: portfolioPools,
  components: componentPools,
  community_members: memberPools,
  community_delivery_points: deliveryPointPools,
  community_assets: assetPools,
};

const invalidOf: Record<Table, readonly Record<string, unknown>[]> = {
  sites: invalidSite,
  portfolios: invalidPortfolio,
  components: invalidComponent,
  community_members: invalidCommunityValues['community_members']!,
  community_delivery_points: invalidCommunityValues['community_delivery_points']!,
  community_assets: invalidCommunityValues['community_assets']!,
};

/** Another organisation's row for a field that names one ('foreign' in the invalid values). */
function foreignValue(field: string, context: FieldContext, invalid: number): string {
  if (field === 'portfolioId') return context.foreignPortfolio(invalid);
  if (field === 'community_id') return context.foreignCommunity();
  if (field === 'member_id') return context.foreignMember(invalid);
  return context.foreignComponent(invalid);
}

/** The fields a write sets, by API name; a create always names its required fields. */
export function fieldsFor(
  table: Table,
  picks: FieldPicks,
  create: boolean,
  context: FieldContext,
  invalid: number | null,
): Record<string, unknown> {
  const pools = poolsOf[table];
  const names = Object.keys(pools);
  const fields: Record<string, unknown> = {};
  const first = picks[0]?.[1] ?? 0;
  let siteId = context.row?.siteId;
  if (create && table === 'components') {
    // Under a site of the organisation, with a nodeId of its own mostly (the pool's are shared).
    siteId = context.site(first);
    Object.assign(fields, { siteId, nodeId: `C.${first}`, name: `Component ${first % 5}`, nodeType: 'INVERTER' });
  } else if (create && table.startsWith('community_')) {
    Object.assign(fields, communityCreate(table, first, context.community(), context.member(first)));
  } else if (create) {
    fields[names[0]!] = pools[names[0]!]![first % pools[names[0]!]!.length];
  }
  for (const [f, v] of picks) {
    const name = names[f % names.length]!;
    const pool = pools[name]!;
    let value = pool[v % pool.length];
    if (value === 'portfolio') value = context.portfolio(v) ?? null;
    if (value === 'component') value = (siteId && context.component(v, siteId)) ?? null;
    if (value === 'member') value = context.member(v);
    if (value === 'pod') value = context.pod(v);
    if (value === 'site' && table === 'community_assets') value = context.site(v);
    fields[name] = value;
  }
  if (invalid !== null) {
    const chosen = invalidOf[table][invalid % invalidOf[table].length]!;
    for (const [name, value] of Object.entries(chosen)) {
      fields[name] =
        value === 'foreign'
          ? foreignValue(name, context, invalid)
          : value === 'self'
            ? (context.row?.id ?? context.foreignComponent(invalid))
            : value === 'foreign site'
              ? context.foreignSite(invalid)
              : value;
    }
  }
  return fields;
}
