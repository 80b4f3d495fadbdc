// The values schedules write into a community's registry: small pools of
// keys, PODs and sensor ids, so that writers on two devices (or two
// organisations) now and then want the same one and the server must refuse
// the second; references (a member, a POD, an asset named in relationships)
// that may be gone by the time a write arrives; and the invalid values the
// entity services must refuse. Values are canonical: what a read returns is
// what was written.

/** A placeholder resolved when a write runs: a member, a POD or a site of the row's organisation. */
export type Placeholder = 'member' | 'pod' | 'site';

export const memberPools: Record<string, readonly unknown[]> = {
  name: ['Ana', 'Bo', 'Cy', 'Dee'],
  status: ['active', 'pending', 'suspended', 'inactive'],
  role: ['consumer', 'prosumer', 'producer'],
  key: ['m-1', 'm-2', 'm-3'],
  area: ['north', 'south'],
  user_id: [null, 'ext-1', 'ext-2'],
  type: [null, 'schema:Person', 'schema:LocalBusiness'],
};

export const deliveryPointPools: Record<string, readonly unknown[]> = {
  tariff: [null, 'D1', 'D2'],
  active: [true, false],
  pod: ['POD-1', 'POD-2', 'POD-3'],
  member_id: ['member', 'member'],
  topology_node: [null, 'sub-1', 'feeder-1'],
  description: [null, 'Roof', 'Garage'],
  type: ['pod', 'cups'],
  address: [null, '1 Via Roma'],
};

export const assetPools: Record<string, readonly unknown[]> = {
  name: ['Roof PV', 'Battery', 'Heat store', 'Carport'],
  pod: [null, 'pod', 'pod'],
  key: ['a-1', 'a-2', 'a-3'],
  sensor_id: [null, 'S-1', 'S-2'],
  properties: [{}, { installation_date: '2024-05-01' }],
  device: [{}, { model: 'X1' }, { model: 'X1', serial_number: 'SN-7' }],
  asset_type: ['pv', 'storage'],
  relationships: [{}, { paired_with: 'a-1' }, { measures: ['a-2'] }],
  member_id: ['member'],
  site_id: [null, 'site'],
};

/** What a create of each table must name, besides the pools' picks; `first` makes keys and PODs mostly its own. */
export function communityCreate(table: string, first: number, community: string, member: string): Record<string, unknown> {
  if (table === 'community_members')
    return { community_id: community, key: `M-${first}`, name: 'New member', role: 'consumer', area: 'north', status: 'pending' };
  if (table === 'community_delivery_points') return { community_id: community, member_id: member, pod: `POD-N${first}`, type: 'pod' };
  return { community_id: community, member_id: member, key: `A-${first}`, asset_type: 'pv', name: 'New asset' };
}

/** Values the services refuse, one per kind of mistake; 'foreign' is another organisation's community or member. */
export const invalidCommunityValues: Record<string, readonly Record<string, unknown>[]> = {
  community_members: [
    { key: '' },
    { role: 'boss' },
    { area: 'west' },
    { bogus: 1 },
    { name: '' },
    { community_id: 'foreign' },
    { status: 'gone' },
    { user_id: ' padded ' },
  ],
  community_delivery_points: [
    { pod: '' },
    { type: 'socket' },
    { topology_node: 'nowhere' },
    { bogus: 1 },
    { member_id: 'foreign' },
    { active: 'yes' },
    { community_id: 'foreign' },
    { pod: 'x'.repeat(65) },
  ],
  community_assets: [
    { asset_type: 'toaster' },
    { properties: { rated_power: -1 } },
    { pod: 'NOPE' },
    { member_id: 'foreign' },
    { key: 'bad key' },
    { properties: { name: 'x' } },
    { device: null },
    { relationships: { measures: ['nobody'] } },
  ],
};
