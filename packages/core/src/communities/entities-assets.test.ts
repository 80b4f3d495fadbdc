// Assets one at a time: checked whole against their type's bundle schema, a
// key once per community and a sensor id once per installation, a pod and
// relationships that name what the community has, and links to the
// organisation's own sites, components and plants.
import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createComponent } from '../monitoring/components/service.js';
import { createPlant } from '../plants/service.js';
import { createSite, deleteSite } from '../sites/service.js';
import { contextFor, seedOrganisation, type TestOrganisation } from '../testing.js';
import {
  createCommunityAsset,
  createCommunityDeliveryPoint,
  createCommunityMember,
  getCommunityAsset,
  listCommunityRegistry,
  listRegistryCommunities,
  removeCommunityAsset,
  restoreCommunityAsset,
  updateCommunityAsset,
} from './entities.js';
import { seedCommunity, type SeededCommunity } from './entities/testing.js';

for (const engine of testEngines) {
  describe(`community assets on ${engine}`, () => {
    let db: TestDb;
    let org: TestOrganisation;
    let other: TestOrganisation;
    let n = 0;
    beforeAll(async () => {
      db = await freshTestDb(engine);
      org = await seedOrganisation(db, 'Solar Commons');
      other = await seedOrganisation(db, 'Elsewhere');
    });
    afterAll(async () => {
      await db.dispose();
    });

    type Community = SeededCommunity & { memberId: string };
    const community = async (of: TestOrganisation = org): Promise<Community> => {
      const c = await seedCommunity(contextFor(db), of.id, `c-${++n}`);
      const m = await createCommunityMember(of.as.admin, {
        community_id: c.id,
        key: 'm-1',
        name: 'M',
        role: 'prosumer',
        area: 'north',
        status: 'active',
      });
      return { ...c, memberId: m.id };
    };
    const asset = (c: Community, key: string, fields: Record<string, unknown>, as = org) =>
      createCommunityAsset(as.as.admin, { community_id: c.id, member_id: c.memberId, key, name: `Asset ${key}`, ...fields });

    it("stores a meter's own fields in properties without nulls, and its device and relationships as given", async () => {
      const c = await community();
      await asset(c, 'pv-1', { asset_type: 'pv', properties: { rated_power: 6.5 } });
      const meter = await asset(c, 'meter-1', {
        asset_type: 'meter',
        sensor_id: `sensor-${n}`,
        properties: { meter_type: 'bidirectional', protocol: null, installation_date: '2024-03-01' },
        device: { model: 'EM24', serial_number: null },
        relationships: { measures: ['pv-1'], paired_with: null },
      });
      expect(meter).toMatchObject({
        asset_type: 'meter',
        sensor_id: `sensor-${n}`,
        properties: { meter_type: 'bidirectional', installation_date: '2024-03-01' },
        device: { model: 'EM24' },
        relationships: { measures: ['pv-1'] },
        pod: null,
        site_id: null,
      });
      expect(await getCommunityAsset(org.as.viewer, meter.id)).toEqual(meter);
    });

    it("refuses what the type's schema refuses, each problem at its path", async () => {
      const c = await community();
      await expect(asset(c, 'm', { asset_type: 'meter', properties: { meter_type: 'production' } })).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
        details: [{ path: 'sensor_id' }],
      });
      await expect(asset(c, 'ev', { asset_type: 'ev_charger', properties: { max_power: -1, capacity: 3 } })).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
        details: expect.arrayContaining([
          expect.objectContaining({ path: 'properties.max_power' }),
          expect.objectContaining({ path: 'properties.charger_type' }),
          expect.objectContaining({ path: 'properties' }),
        ]),
      });
      await expect(asset(c, 'pv', { asset_type: 'pv', properties: { name: 'dup' } })).rejects.toMatchObject({
        details: [expect.objectContaining({ path: 'properties.name', type: 'unrecognized_keys' })],
      });
      await expect(asset(c, 'x', { asset_type: 'toaster' })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
      await expect(asset(c, 'pv', { asset_type: 'pv', device: null })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
      // Changing the type checks the asset whole again: a pv's rated power is no storage field.
      const pv = await asset(c, 'pv-2', { asset_type: 'pv', properties: { rated_power: 3 } });
      await expect(updateCommunityAsset(org.as.admin, pv.id, { asset_type: 'storage' })).rejects.toMatchObject({
        details: [expect.objectContaining({ path: 'properties' })],
      });
      await expect(
        updateCommunityAsset(org.as.admin, pv.id, { asset_type: 'storage', properties: { capacity: 10 } }),
      ).resolves.toMatchObject({ asset_type: 'storage', properties: { capacity: 10 } });
    });

    it('refuses a key used in the community and a sensor id used anywhere, naming no other tenant', async () => {
      const c = await community();
      const sensor = `S-${n}`;
      await asset(c, 'pv-1', { asset_type: 'pv', sensor_id: sensor });
      await expect(asset(c, 'pv-1', { asset_type: 'pv' })).rejects.toMatchObject({ code: 'CONFLICT', details: [{ path: 'key' }] });
      await expect(asset(c, 'pv-2', { asset_type: 'pv', sensor_id: sensor })).rejects.toMatchObject({
        details: [{ path: 'sensor_id', message: `sensor ${sensor} is the sensor of asset pv-1` }],
      });
      const foreign = await community(other);
      await expect(asset(foreign, 'pv-1', { asset_type: 'pv', sensor_id: sensor }, other)).rejects.toMatchObject({
        details: [{ path: 'sensor_id', message: `sensor ${sensor} is already in use` }],
      });
      await expect(asset(foreign, 'pv-1', { asset_type: 'pv' }, other)).resolves.toMatchObject({ key: 'pv-1' });
    });

    it('checks the pod and relationships against the community, and keeps a named asset until nothing names it', async () => {
      const c = await community();
      await expect(asset(c, 'pv-1', { asset_type: 'pv', pod: 'NOPE' })).rejects.toMatchObject({
        details: [{ path: 'pod', type: 'dangling_reference' }],
      });
      await createCommunityDeliveryPoint(org.as.admin, { community_id: c.id, member_id: c.memberId, pod: `P-${n}`, type: 'pod' });
      const pv = await asset(c, 'pv-1', { asset_type: 'pv', pod: `P-${n}` });
      await expect(asset(c, 'bat', { asset_type: 'storage', relationships: { paired_with: 'pv-9' } })).rejects.toMatchObject({
        details: [{ path: 'relationships', message: 'no asset of this community has key pv-9' }],
      });
      const battery = await asset(c, 'bat', { asset_type: 'storage', relationships: { paired_with: 'pv-1' } });
      await expect(removeCommunityAsset(org.as.admin, pv.id)).rejects.toMatchObject({ code: 'CONFLICT', details: [{ path: 'key' }] });
      await expect(updateCommunityAsset(org.as.admin, pv.id, { key: 'pv-renamed' })).rejects.toMatchObject({ code: 'CONFLICT' });
      await updateCommunityAsset(org.as.admin, battery.id, { relationships: {} });
      await removeCommunityAsset(org.as.admin, pv.id);
      await expect(updateCommunityAsset(org.as.admin, battery.id, { relationships: { measures: ['pv-1'] } })).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
      });
      await expect(restoreCommunityAsset(org.as.admin, pv.id)).resolves.toMatchObject({ key: 'pv-1', pod: `P-${n}` });
      // An asset naming itself follows its own renaming only when its relationships do too.
      const self = await asset(c, 'self', { asset_type: 'storage', relationships: { paired_with: 'self' } });
      await expect(updateCommunityAsset(org.as.admin, self.id, { key: 'self-2' })).rejects.toMatchObject({
        details: [{ path: 'relationships', message: 'no asset of this community has key self' }],
      });
      await expect(
        updateCommunityAsset(org.as.admin, self.id, { key: 'self-2', relationships: { paired_with: 'self-2' } }),
      ).resolves.toMatchObject({ key: 'self-2' });
    });

    it("links an asset to the organisation's live site, component and plant, and to no other's", async () => {
      const c = await community();
      const site = await createSite(org.as.admin, { organisationId: org.id, siteName: `Site ${n}` });
      const component = await createComponent(org.as.admin, { siteId: site.id, nodeId: `M.${n}`, name: 'Meter', nodeType: 'METER' });
      const plant = await createPlant(org.as.technician, { name: 'Logger', serialNumber: `SN-${n}`, type: 'GATEWAY' });
      const foreignSite = await createSite(other.as.admin, { organisationId: other.id, siteName: 'Theirs' });
      const linked = await asset(c, 'pv-1', { asset_type: 'pv', site_id: site.id, component_id: component.id, plant_id: plant.id });
      expect(linked).toMatchObject({ site_id: site.id, component_id: component.id, plant_id: plant.id });
      await expect(asset(c, 'pv-2', { asset_type: 'pv', site_id: foreignSite.id })).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
        details: [{ path: 'site_id', type: 'dangling_reference' }],
      });
      await deleteSite(org.as.admin, site.id);
      // A link already made stays (an edit of something else does not check it again); a new link to a gone site is refused.
      await expect(updateCommunityAsset(org.as.admin, linked.id, { name: 'Renamed' })).resolves.toMatchObject({ site_id: site.id });
      await expect(asset(c, 'pv-3', { asset_type: 'pv', component_id: component.id })).rejects.toMatchObject({
        details: [{ path: 'component_id' }],
      });
    });

    it('lists the communities of the caller and one community whole, live rows in byte order', async () => {
      const c = await community();
      await asset(c, 'b', { asset_type: 'load' });
      const removed = await asset(c, 'a', { asset_type: 'load' });
      await asset(c, 'C', { asset_type: 'load' });
      await removeCommunityAsset(org.as.admin, removed.id);
      const registry = await listCommunityRegistry(org.as.technician, c.id);
      expect(registry.community).toMatchObject({ id: c.id, key: c.key, areas: { north: { name: 'North' } } });
      expect(registry.community.topology.map((t) => t.id)).toEqual(['sub-1', 'feeder-1', 'cabinet-1']);
      expect(registry.assets.map((a) => a.key)).toEqual(['C', 'b']);
      const listed = await listRegistryCommunities(org.as.viewer);
      expect(listed.find((x) => x.id === c.id)).toMatchObject({ key: c.key, members: 1, delivery_points: 0, assets: 2 });
      expect(listed.every((x) => x.organisation_id === org.id)).toBe(true);
      await expect(listRegistryCommunities(org.as.viewer, { organisation_id: other.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });
  });
}
