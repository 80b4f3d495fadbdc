// /admin/lookup over HTTP: by user id, sensor id and POD across the
// caller's communities, and the batch lookup (both body forms, the 1,000 cap,
// ids that match nothing counted in a header, never added to the array).
import { communities as s } from '@helio/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { describeEachEngine } from '../../test-engines.js';
import { NOT_FOUND_COUNT_HEADER } from './lookups.js';
import {
  communityTestApp,
  expectError,
  expectProblems,
  expectShape,
  importOk,
  sampleBundle,
  type CommunityTestApp,
  type Json,
} from './testing.js';

describeEachEngine('community registry API: lookups', (engine) => {
  let c: CommunityTestApp;
  const get = (url: string) => c.asA('GET', url);
  const batch = (body: unknown) => c.asA('POST', '/admin/lookup/assets-by-sensor-ids', body);
  beforeAll(async () => {
    c = await communityTestApp(engine);
    await importOk(c.asA, sampleBundle('solar', { tag: 'L', alice: c.alice.id, bob: c.bob.id }));
    // B's community: its ids must never answer A.
    await importOk(c.asB, sampleBundle('other', { tag: 'LB', alice: c.dave.id }));
  });
  afterAll(() => c.t.close());

  it('finds the community and member of a user id', async () => {
    const found = expectShape(s.lookupByUserIdResponse, (await get(`/admin/lookup/community-by-user-id/${c.bob.id}`)).json());
    expect(found).toMatchObject({
      community: { key: 'solar', name: 'Community solar' },
      member: { key: 'm-bob', user_id: c.bob.id, status: 'active' },
    });
    const member = expectShape(s.globalMemberLookup, (await get(`/admin/lookup/member-by-user-id/${c.alice.id}`)).json());
    expect(member).toMatchObject({ key: 'm-alice', community_key: 'solar', community_name: 'Community solar', area: 'north' });
    expect(member.delivery_points).toEqual([expect.objectContaining({ id: 'IT001ELA' })]);
    expectError(await get('/admin/lookup/community-by-user-id/nobody'), 404, 'NOT_FOUND', 'User not found in any community');
    expectError(await get('/admin/lookup/member-by-user-id/nobody'), 404, 'NOT_FOUND', 'Member not found');
  });

  it('finds the community, member and asset of a sensor id, raw "/" or encoded', async () => {
    for (const id of ['L/SEN-A', 'L%2FSEN-A']) {
      const found = expectShape(s.lookupBySensorIdResponse, (await get(`/admin/lookup/community-by-sensor-id/${id}`)).json());
      expect(found).toMatchObject({
        community: { key: 'solar' },
        member: { key: 'm-alice' },
        asset: { key: 'mt-a', asset_type: 'meter', sensor_id: 'L/SEN-A' },
      });
      const asset = expectShape(s.globalAssetLookup, (await get(`/admin/lookup/asset-by-sensor-id/${id}`)).json());
      expect(asset).toMatchObject({
        key: 'mt-a',
        community_key: 'solar',
        owner_key: 'm-alice',
        owner_user_id: c.alice.id,
        pod: 'IT001ELA',
      });
    }
    expectError(await get('/admin/lookup/community-by-sensor-id/L/SEN-Z'), 404, 'NOT_FOUND', 'Sensor not found in any community');
    expectError(await get('/admin/lookup/asset-by-sensor-id/L-SEN-Z'), 404, 'NOT_FOUND', 'Asset not found');
  });

  it("takes a sensor id longer than the router's 100-character parameter limit", async () => {
    const long = `${'x'.repeat(150)}`;
    expectError(await get(`/admin/lookup/asset-by-sensor-id/${long}`), 404, 'NOT_FOUND', 'Asset not found');
  });

  it('finds the community and member of a delivery point', async () => {
    const found = expectShape(s.lookupByDeliveryPointResponse, (await get('/admin/lookup/community-by-delivery-point/IT001ELC')).json());
    expect(found).toMatchObject({
      community: { key: 'solar' },
      member: { key: 'm-carol', user_id: 'ext-carol-L' },
      delivery_point: { id: 'IT001ELC', type: 'cups', active: false },
    });
    expectError(
      await get('/admin/lookup/community-by-delivery-point/IT001EZZ'),
      404,
      'NOT_FOUND',
      'Delivery point not found in any community',
    );
  });

  it('looks up many sensor ids, as {"sensor_ids": [...]} or a bare array: the found assets once each, the others counted in a header', async () => {
    const asked = ['L/SEN-A', 'L-SEN-B', 'unknown-1', 'L/SEN-A', 'LB/SEN-A'];
    for (const body of [{ sensor_ids: asked }, asked]) {
      const res = await batch(body);
      expect(res.statusCode, res.body).toBe(200);
      const items = expectShape(z.array(s.globalAssetLookup), res.json());
      expect(items.map((a) => a.sensor_id).sort()).toEqual(['L-SEN-B', 'L/SEN-A']);
      expect(items.every((a) => a.community_key === 'solar')).toBe(true);
      // unknown-1 and B's sensor: not found, the same way.
      expect(res.headers[NOT_FOUND_COUNT_HEADER]).toBe('2');
    }
    const empty = await batch({ sensor_ids: [] });
    expect([empty.statusCode, empty.json(), empty.headers[NOT_FOUND_COUNT_HEADER]]).toEqual([200, [], '0']);
  });

  it('takes up to 1,000 sensor ids, refuses 1,001 (422), and refuses bodies that are no list of ids', async () => {
    const ids = (n: number) => Array.from({ length: n }, (_, i) => `bulk-${i}`);
    const max = await batch({ sensor_ids: ids(1000) });
    expect([max.statusCode, max.headers[NOT_FOUND_COUNT_HEADER]]).toEqual([200, '1000']);
    expect(expectProblems(await batch({ sensor_ids: ids(1001) }), 422)[0]).toMatchObject({ loc: ['body', 'sensor_ids'] });
    expect(expectProblems(await batch(ids(1001)), 422)[0]!.loc[0]).toBe('body');
    const wrong: [unknown, (string | number)[]][] = [
      [{ sensor_ids: 'L/SEN-A' }, ['body', 'sensor_ids']],
      [{ sensor_ids: [42] }, ['body', 'sensor_ids', 0]],
      [{ sensors: ['L/SEN-A'] }, ['body']],
      [
        ['ok', ''],
        ['body', 1],
      ],
    ];
    for (const [body, loc] of wrong) {
      const problems = expectProblems(await batch(body), 422);
      expect(
        problems.map((p) => p.loc),
        JSON.stringify(body),
      ).toContainEqual(loc);
    }
    expect(expectProblems(await batch('{"sensor_ids": ['), 400)[0]).toMatchObject({ type: 'json_invalid' });
  });

  it('answers 404 "Not Found" for a lookup route without an id', async () => {
    const res = await get('/admin/lookup/asset-by-sensor-id');
    expect([res.statusCode, res.json<Json>()['code']]).toEqual([404, 'NOT_FOUND']);
  });
});
