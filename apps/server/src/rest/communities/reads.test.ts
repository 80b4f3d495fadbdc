// The admin's reads over HTTP: communities, topology, members, delivery
// points, assets and meters, in the published shapes; filters; cursor
// pagination (stable while rows come and go, 400 for a bad cursor, 422 for a
// bad limit).
import { communities as s } from '@helio/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../../test-engines.js';
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

type Page = { items: Json[]; next_cursor: string | null };

describeEachEngine('community registry API: admin reads', (engine) => {
  let c: CommunityTestApp;
  const get = (url: string) => c.asA('GET', url);
  const base = '/admin/communities/solar';
  beforeAll(async () => {
    c = await communityTestApp(engine);
    await importOk(c.asA, sampleBundle('solar', { tag: 'R', alice: c.alice.id, bob: c.bob.id }));
    await importOk(c.asA, sampleBundle('wind', { tag: 'RW' }));
  });
  afterAll(() => c.t.close());

  /** Every item of a list, page by page (`limit` each), checking the envelope. */
  async function walk(url: string, limit: number, between?: (page: number) => Promise<void>): Promise<Json[]> {
    const items: Json[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 100; page++) {
      const sep = url.includes('?') ? '&' : '?';
      const res = await get(`${url}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json<Page>();
      expect(body.items.length).toBeLessThanOrEqual(limit);
      items.push(...body.items);
      if (body.next_cursor === null) return items;
      cursor = body.next_cursor;
      await between?.(page);
    }
    throw new Error('the walk did not end');
  }

  it('lists the communities by key, filters by key, and pages through them', async () => {
    const res = await get('/admin/communities');
    expect(res.statusCode).toBe(200);
    const page = expectShape(s.paginatedResponse(s.communityListItem), res.json());
    expect(page.items.map((x) => x.key)).toEqual(['solar', 'wind']);
    expect(page.next_cursor ?? null).toBeNull();
    expect(page.items[0]!.areas).toMatchObject({ north: { name: 'North', location: { lat: 45.1, lon: 11.2 } }, south: { name: 'South' } });
    expect((await get('/admin/communities?key=wind')).json<Page>().items.map((x) => x['key'])).toEqual(['wind']);
    expect((await walk('/admin/communities', 1)).map((x) => x['key'])).toEqual(['solar', 'wind']);
  });

  it('gives a community with its details and operators, and its topology with the operator', async () => {
    const detail = expectShape(s.communityDetail, (await get(base)).json());
    expect(detail).toMatchObject({
      key: 'solar',
      name: 'Community solar',
      description: 'Neighbours sharing a roof',
      legal: { legal_form: 'APS', vat: 'IT0123456789' },
      contact: { email: 'info@example.org' },
      settings: { timezone: 'Europe/Rome', currency: 'EUR' },
      extra: { operators: { dso: { name: 'Example DSO', country: 'IT' } } },
    });
    expect(detail.topology?.map((n) => n.id)).toEqual(['ps-1', 'tr-1']);
    const topology = expectShape(s.topologyResponse, (await get(`${base}/topology`)).json());
    expect(topology.topology).toEqual([
      expect.objectContaining({ id: 'ps-1', type: 'primary_substation', operator: 'dso', operator_id: 'dso' }),
      expect.objectContaining({ id: 'tr-1', type: 'transformer', parent: 'ps-1' }),
    ]);
  });

  it('lists members with their delivery point counts, filtered by role, status and area', async () => {
    const page = expectShape(s.paginatedResponse(s.memberListItem), (await get(`${base}/members`)).json());
    expect(page.items.map((m) => [m.key, m.role, m.delivery_points_count])).toEqual([
      ['m-alice', 'prosumer', 1],
      ['m-bob', 'consumer', 1],
      ['m-carol', 'producer', 1],
    ]);
    expect(page.items[0]!.user_id).toBe(c.alice.id);
    const keys = async (q: string) => (await get(`${base}/members?${q}`)).json<Page>().items.map((m) => m['key']);
    expect(await keys('role=consumer')).toEqual(['m-bob']);
    expect(await keys('status=pending')).toEqual(['m-carol']);
    expect(await keys('area=north')).toEqual(['m-alice', 'm-carol']);
    expect(await keys('area=north&status=active')).toEqual(['m-alice']);
    expect(await keys('area=east')).toEqual([]);
    expect(expectProblems(await get(`${base}/members?role=boss`), 422)[0]).toMatchObject({ loc: ['query', 'role'] });
    expect(expectProblems(await get(`${base}/members?colour=red`), 422)[0]!.loc[0]).toBe('query');
  });

  it('gives a member by key and by user id, with its delivery points', async () => {
    const alice = expectShape(s.memberDetail, (await get(`${base}/members/m-alice`)).json());
    expect(alice).toMatchObject({ key: 'm-alice', user_id: c.alice.id, name: 'Alice', extra: { type: 'schema:Person' } });
    expect(alice.delivery_points).toEqual([expect.objectContaining({ id: 'IT001ERA', type: 'pod', active: true, topology_node: 'tr-1' })]);
    expect((await get(`${base}/members/by-user-id/${c.alice.id}`)).json()).toEqual(alice);
    expect((await get(`${base}/members/by-user-id/ext-carol-R`)).json()).toMatchObject({ key: 'm-carol' });
    const dps = expectShape(s.deliveryPointsResponse, (await get(`${base}/members/m-carol/delivery-points`)).json());
    expect(dps.delivery_points).toEqual([expect.objectContaining({ id: 'IT001ERC', type: 'cups', active: false })]);
    expectError(await get(`${base}/members/m-zed`), 404, 'NOT_FOUND', 'Member not found');
    expectError(await get(`${base}/members/by-user-id/nobody`), 404, 'NOT_FOUND', 'Member not found');
    expectError(await get(`${base}/members/m-zed/delivery-points`), 404, 'NOT_FOUND', 'Member not found');
  });

  it('lists delivery points with their member, filtered by type and active, and finds one by POD', async () => {
    const page = expectShape(s.paginatedResponse(s.deliveryPointWithOwner), (await get(`${base}/delivery-points`)).json());
    expect(page.items.map((d) => [d.id, d.key, d.member_key, d.member_name])).toEqual([
      ['IT001ERA', 'IT001ERA', 'm-alice', 'Alice'],
      ['IT001ERB', 'IT001ERB', 'm-bob', 'Bob'],
      ['IT001ERC', 'IT001ERC', 'm-carol', 'Carol'],
    ]);
    const ids = async (q: string) => (await get(`${base}/delivery-points?${q}`)).json<Page>().items.map((d) => d['id']);
    expect(await ids('active=false')).toEqual(['IT001ERC']);
    expect(await ids('active=1&type=pod')).toEqual(['IT001ERA', 'IT001ERB']);
    expect(expectProblems(await get(`${base}/delivery-points?active=perhaps`), 422)[0]).toMatchObject({ loc: ['query', 'active'] });
    const found = expectShape(s.deliveryPointLookup, (await get(`${base}/delivery-points/by-id/IT001ERB`)).json());
    expect(found).toMatchObject({
      delivery_point: { id: 'IT001ERB', type: 'pod' },
      member: { key: 'm-bob', user_id: c.bob.id, name: 'Bob' },
    });
    expectError(await get(`${base}/delivery-points/by-id/IT001EXX`), 404, 'NOT_FOUND', 'Delivery point not found');
  });

  it('lists assets by key, filtered by type and owner, and gives one by key and by sensor id (a sensor id holding "/" too)', async () => {
    const page = expectShape(s.paginatedResponse(s.assetListItem), (await get(`${base}/assets`)).json());
    expect(page.items.map((a) => [a.key, a.asset_type, a.owner_key])).toEqual([
      ['ev-a', 'ev_charger', 'm-alice'],
      ['hp-a', 'heat_pump', 'm-alice'],
      ['ld-a', 'load', 'm-alice'],
      ['mt-a', 'meter', 'm-alice'],
      ['mt-b', 'meter', 'm-bob'],
      ['pv-a', 'pv', 'm-alice'],
      ['st-a', 'storage', 'm-alice'],
    ]);
    expect(page.items.find((a) => a.key === 'pv-a')).toMatchObject({ device_type: 'fronius', owner_user_id: c.alice.id });
    const keys = async (q: string) => (await get(`${base}/assets?${q}`)).json<Page>().items.map((a) => a['key']);
    expect(await keys('asset_type=meter')).toEqual(['mt-a', 'mt-b']);
    expect(await keys('owner=m-bob')).toEqual(['mt-b']);
    expect(expectProblems(await get(`${base}/assets?asset_type=windmill`), 422)[0]).toMatchObject({ loc: ['query', 'asset_type'] });

    const meter = expectShape(s.assetDetail, (await get(`${base}/assets/mt-a`)).json());
    expect(meter).toMatchObject({ key: 'mt-a', asset_type: 'meter', sensor_id: 'R/SEN-A', pod: 'IT001ERA' });
    expect(meter.properties).toMatchObject({ meter_type: 'bidirectional' });
    // The sensor id holds a "/": raw (as the published service's {sensor_id:path} takes it) or encoded.
    expect((await get(`${base}/assets/by-sensor-id/R/SEN-A`)).json()).toEqual(meter);
    expect((await get(`${base}/assets/by-sensor-id/R%2FSEN-A`)).json()).toEqual(meter);
    expectError(await get(`${base}/assets/nope`), 404, 'NOT_FOUND', 'Asset not found');
    expectError(await get(`${base}/assets/by-sensor-id/R/SEN-Z`), 404, 'NOT_FOUND', 'Asset not found');
  });

  it('lists meters with their POD and meter type, filtered by owner', async () => {
    const page = expectShape(s.paginatedResponse(s.meterListItem), (await get(`${base}/meters`)).json());
    expect(page.items.map((m) => [m.key, m.sensor_id, m.pod, m.meter_type, m.owner_key])).toEqual([
      ['mt-a', 'R/SEN-A', 'IT001ERA', 'bidirectional', 'm-alice'],
      ['mt-b', 'R-SEN-B', 'IT001ERB', 'consumption', 'm-bob'],
    ]);
    expect((await get(`${base}/meters?owner=m-bob`)).json<Page>().items.map((m) => m['key'])).toEqual(['mt-b']);
  });

  it('pages through members without skipping or repeating one while members are added and removed between pages', async () => {
    const keys = Array.from({ length: 12 }, (_, i) => `p-${String(i).padStart(2, '0')}`);
    const bundle = (memberKeys: string[]) => {
      const b = sampleBundle('paging', { tag: 'P' });
      b['members'] = Object.fromEntries(memberKeys.map((k) => [k, { name: k, role: 'consumer', area: 'north', status: 'active' }]));
      return b;
    };
    await importOk(c.asA, bundle(keys));
    let current = [...keys];
    const seen = await walk('/admin/communities/paging/members', 3, async (page) => {
      // After each page, remove a member ahead and add one behind and one ahead.
      current = current.filter((k) => k !== `p-${String(page * 3 + 5).padStart(2, '0')}`);
      current.push(`p-${String(page * 3).padStart(2, '0')}x`, `p-${String(page * 3 + 7).padStart(2, '0')}y`);
      await importOk(c.asA, bundle(current));
    });
    const seenKeys = seen.map((m) => m['key'] as string);
    expect(new Set(seenKeys).size).toBe(seenKeys.length);
    expect([...seenKeys].sort()).toEqual(seenKeys);
    // Every member present from start to end was seen.
    const survivors = keys.filter((k) => current.includes(k));
    expect(seenKeys).toEqual(expect.arrayContaining(survivors));
  });

  it('answers 400 for a tampered cursor or one of another list, and 422 for a limit out of 1–500', async () => {
    const first = (await get(`${base}/members?limit=1`)).json<Page>();
    const cursor = first.next_cursor!;
    expect(cursor).toEqual(expect.any(String));
    const tampered = `${cursor.slice(0, -2)}${cursor.endsWith('A') ? 'BB' : 'AA'}`;
    for (const url of [
      `${base}/members?limit=1&cursor=${encodeURIComponent(tampered)}`,
      `${base}/members?limit=1&cursor=garbage`,
      `${base}/assets?limit=1&cursor=${encodeURIComponent(cursor)}`,
      `${base}/members?limit=1&role=prosumer&cursor=${encodeURIComponent(cursor)}`,
      `/admin/communities/wind/members?limit=1&cursor=${encodeURIComponent(cursor)}`,
    ]) {
      expect(expectProblems(await get(url), 400)[0], url).toMatchObject({ loc: ['query', 'cursor'] });
    }
    for (const limit of ['0', '501', 'abc', '2.5']) {
      expect(expectProblems(await get(`${base}/members?limit=${limit}`), 422)[0], limit).toMatchObject({ loc: ['query', 'limit'] });
    }
    expect((await get(`${base}/members?limit=500`)).statusCode).toBe(200);
  });

  it("answers an unknown /admin or /user route with FastAPI's 404 body", async () => {
    expectError(await get('/admin/nothing-here'), 404, 'NOT_FOUND', 'Not Found');
    expectError(await c.alice.call('GET', '/user/nothing-here'), 404, 'NOT_FOUND', 'Not Found');
  });
});
