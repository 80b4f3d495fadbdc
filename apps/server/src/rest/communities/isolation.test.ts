// Tenancy over HTTP: another organisation's community key, member key, POD
// or sensor id, in a path, a query or a body, gives no data: the answers are
// those of an unknown key or id, byte for byte, and another tenant's rows
// are never written. Roles below admin manage nothing; no credentials, 401.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../../test-engines.js';
import type { InjectResponse } from '../../testing.js';
import { NOT_FOUND_COUNT_HEADER } from './lookups.js';
import {
  callerOf,
  communityTestApp,
  expectError,
  expectProblems,
  importOk,
  registrySnapshot,
  sampleBundle,
  type CommunityTestApp,
  type Json,
} from './testing.js';

describeEachEngine('community registry API: isolation between organisations', (engine) => {
  let c: CommunityTestApp;
  beforeAll(async () => {
    c = await communityTestApp(engine);
    const solar = sampleBundle('solar', { tag: 'IA', alice: c.alice.id, bob: c.bob.id });
    (solar['members'] as Json)['m-only-a'] = { name: 'Only in A', role: 'consumer', area: 'south', status: 'active' };
    await importOk(c.asA, solar);
    await importOk(c.asB, sampleBundle('other', { tag: 'IB', alice: c.dave.id }));
  });
  afterAll(() => c.t.close());

  const same = (res: InjectResponse, twin: InjectResponse) => {
    expect(res.statusCode).toBe(twin.statusCode);
    expect(res.body).toBe(twin.body);
  };

  it("answers every route under another organisation's community key exactly as under an unknown key", async () => {
    const tails = [
      '',
      '/topology',
      '/members',
      '/members/m-alice',
      `/members/by-user-id/${c.alice.id}`,
      '/members/m-alice/delivery-points',
      '/delivery-points',
      '/delivery-points/by-id/IT001EIAA',
      '/assets',
      '/assets/mt-a',
      '/assets/by-sensor-id/IA/SEN-A',
      '/meters',
    ];
    for (const tail of tails) {
      const res = await c.asB('GET', `/admin/communities/solar${tail}`);
      expectError(res, 404, 'NOT_FOUND', 'Community not found');
      same(res, await c.asB('GET', `/admin/communities/no-such${tail}`));
    }
  });

  it("finds none of A's members, delivery points or assets inside B's own community", async () => {
    const base = '/admin/communities/other';
    same(await c.asB('GET', `${base}/members/m-only-a`), await c.asB('GET', `${base}/members/m-nobody`));
    expectError(await c.asB('GET', `${base}/members/m-only-a`), 404, 'NOT_FOUND', 'Member not found');
    expectError(await c.asB('GET', `${base}/members/by-user-id/${c.alice.id}`), 404, 'NOT_FOUND', 'Member not found');
    expectError(await c.asB('GET', `${base}/members/m-only-a/delivery-points`), 404, 'NOT_FOUND', 'Member not found');
    expectError(await c.asB('GET', `${base}/delivery-points/by-id/IT001EIAA`), 404, 'NOT_FOUND', 'Delivery point not found');
    expectError(await c.asB('GET', `${base}/assets/by-sensor-id/IA/SEN-A`), 404, 'NOT_FOUND', 'Asset not found');
    same(await c.asB('GET', `${base}/assets/by-sensor-id/IA/SEN-A`), await c.asB('GET', `${base}/assets/by-sensor-id/IA/SEN-Z`));
  });

  it("looks up none of A's user ids, sensor ids and PODs for B, answering as for unknown ones", async () => {
    const probes: [string, string][] = [
      [`/admin/lookup/community-by-user-id/${c.alice.id}`, '/admin/lookup/community-by-user-id/nobody'],
      [`/admin/lookup/member-by-user-id/${c.alice.id}`, '/admin/lookup/member-by-user-id/nobody'],
      ['/admin/lookup/community-by-sensor-id/IA/SEN-A', '/admin/lookup/community-by-sensor-id/IA/SEN-Z'],
      ['/admin/lookup/asset-by-sensor-id/IA-SEN-B', '/admin/lookup/asset-by-sensor-id/IA-SEN-Z'],
      ['/admin/lookup/community-by-delivery-point/IT001EIAA', '/admin/lookup/community-by-delivery-point/IT001EZZZ'],
    ];
    for (const [theirs, unknown] of probes) {
      const res = await c.asB('GET', theirs);
      expect(res.statusCode, theirs).toBe(404);
      same(res, await c.asB('GET', unknown));
    }
  });

  it("gives no data for A's keys and ids in a query or a body", async () => {
    expect((await c.asB('GET', '/admin/communities?key=solar')).json()).toEqual({ items: [], next_cursor: null });
    expect((await c.asB('GET', '/admin/communities')).json<{ items: Json[] }>().items.map((x) => x['key'])).toEqual(['other']);
    expect((await c.asB('GET', '/admin/communities/other/assets?owner=m-only-a')).json()).toEqual({ items: [], next_cursor: null });
    expectError(await c.asB('GET', '/admin/export?community=solar'), 404, 'NOT_FOUND', 'Community not found: solar');
    expectError(await c.asB('GET', '/admin/export?key=solar'), 404, 'NOT_FOUND', 'Community not found: solar');
    expect((await c.asB('GET', '/admin/export')).body).not.toMatch(/solar|IT001EIA|IA\/SEN/);

    const batch = await c.asB('POST', '/admin/lookup/assets-by-sensor-ids', { sensor_ids: ['IA/SEN-A', 'IA-SEN-B', 'IB/SEN-A'] });
    expect(batch.json<Json[]>().map((a) => a['sensor_id'])).toEqual(['IB/SEN-A']);
    expect(batch.headers[NOT_FOUND_COUNT_HEADER]).toBe('2');
    // A's cursor is no key into B's list: refused, not followed.
    const cursor = (await c.asA('GET', '/admin/communities/solar/members?limit=1')).json<{ next_cursor: string }>().next_cursor;
    expect(
      expectProblems(await c.asB('GET', `/admin/communities/other/members?limit=1&cursor=${encodeURIComponent(cursor)}`), 400)[0]!.loc,
    ).toEqual(['query', 'cursor']);
  });

  it("cannot import over A's community, nor take A's PODs and sensor ids, nor link A's site: 422, and nothing of A's changes", async () => {
    const site = await c.asA('POST', '/api/sites', { siteName: 'A roof' });
    expect(site.statusCode, site.body).toBe(201);
    const before = await registrySnapshot(c.t.services.db);

    const overA = sampleBundle('solar', { tag: 'IZ' });
    const taken = expectProblems(await c.asB('POST', '/admin/import', { bundle: overA }), 422);
    expect(taken).toEqual([expect.objectContaining({ loc: ['body', 'bundle', 'community', 'id'], type: 'taken' })]);
    const yaml = await c.asB('POST', '/admin/import/yaml', JSON.stringify(overA), { 'content-type': 'application/yaml' });
    expect(yaml.statusCode, yaml.body).toBe(422);
    expect(yaml.json()).toMatchObject({ reports: [], failed: [{ doc: 0 }], detail: [expect.objectContaining({ type: 'taken' })] });

    // B's own community, naming A's POD and sensor id, and linking A's site.
    const grab = sampleBundle('other', { tag: 'IB', alice: c.dave.id }) as Json & { members: Record<string, Json & { assets: Json }> };
    (grab.members['m-bob']!['delivery_points'] as Json[])[0]!['id'] = 'IT001EIAA';
    const meter = (grab.members['m-bob']!.assets['meter'] as Record<string, Json>)['mt-b']!;
    Object.assign(meter, { sensor_id: 'IA/SEN-A', pod: 'IT001EIAA', site_id: site.json<{ id: string }>().id });
    const problems = expectProblems(await c.asB('POST', '/admin/import', grab), 422);
    expect(problems.map((p) => [p.loc.slice(1).join('.'), p.type])).toEqual(
      expect.arrayContaining([
        ['members.m-bob.delivery_points.0.id', 'taken'],
        ['members.m-bob.assets.meter.mt-b.sensor_id', 'taken'],
        ['members.m-bob.assets.meter.mt-b.site_id', 'dangling_reference'],
      ]),
    );
    // The messages name nobody: "taken" is all B learns.
    expect(JSON.stringify(problems)).not.toMatch(/solar|m-alice|Community solar/);
    expect(await registrySnapshot(c.t.services.db)).toEqual(before);
  });

  it('lets only owners and admins manage: other roles see no community and may not import', async () => {
    for (const role of ['technician', 'viewer'] as const) {
      const as = c.as(c.a.keys[role]);
      expect((await as('GET', '/admin/communities')).json()).toEqual({ items: [], next_cursor: null });
      expectError(await as('GET', '/admin/communities/solar'), 403, 'FORBIDDEN');
      expect((await as('GET', '/admin/export')).body).toBe('');
      expectError(await as('POST', '/admin/import', { bundle: sampleBundle('fresh', { tag: 'IR' }) }), 403, 'FORBIDDEN');
      expectError(await as('POST', '/admin/import', { bundle: sampleBundle('solar', { tag: 'IA' }) }), 403, 'FORBIDDEN');
      expect((await as('POST', '/admin/lookup/assets-by-sensor-ids', ['IA/SEN-A'])).json()).toEqual([]);
    }
    const owner = c.as(c.a.keys.owner);
    expect((await owner('GET', '/admin/communities/solar')).statusCode).toBe(200);
  });

  it('refuses every route without credentials (401), and takes a bearer token as well as an API key', async () => {
    const routes: [string, string][] = [
      ['GET', '/user'],
      ['GET', '/user/member'],
      ['GET', '/user/community'],
      ['GET', '/user/assets'],
      ['GET', '/user/assets/mt-a'],
      ['GET', '/user/delivery-points'],
      ['GET', '/admin/communities'],
      ['GET', '/admin/communities/solar'],
      ['GET', '/admin/communities/solar/members/by-user-id/x/y'],
      ['GET', '/admin/lookup/asset-by-sensor-id/IA/SEN-A'],
      ['GET', '/admin/export'],
      ['POST', '/admin/import'],
      ['POST', '/admin/import/yaml'],
      ['POST', '/admin/lookup/assets-by-sensor-ids'],
    ];
    for (const [method, url] of routes) {
      expectError(await c.anonymous(method as 'GET' | 'POST', url), 401, 'UNAUTHORIZED');
      expectError(await c.as('hk_wrong')(method as 'GET' | 'POST', url), 401, 'UNAUTHORIZED');
    }
    // A user's bearer token (the owner's), and an API key sent as a bearer token.
    expect((await c.ownerOfA('GET', '/admin/communities/solar')).statusCode).toBe(200);
    const apiKeyAsBearer = callerOf(c.t, { authorization: `Bearer ${c.a.keys.admin}` });
    expect((await apiKeyAsBearer('GET', '/admin/communities/solar')).statusCode).toBe(200);
  });
});
