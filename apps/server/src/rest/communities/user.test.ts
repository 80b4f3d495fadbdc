// /user over HTTP, as signed-in users (bearer tokens from the password
// grant): each member sees their own membership, assets and delivery points
// and nobody else's; a user who is no member gets 404; a caller that is no
// user (a bare API key) gets 403.
import { communities as s } from '@helio/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../../test-engines.js';
import { communityTestApp, expectError, expectProblems, expectShape, importOk, sampleBundle, type CommunityTestApp } from './testing.js';

const NOT_MEMBER = 'You are not a member of any community';

describeEachEngine('community registry API: /user', (engine) => {
  let c: CommunityTestApp;
  beforeAll(async () => {
    c = await communityTestApp(engine);
    await importOk(c.asA, sampleBundle('solar', { tag: 'U', alice: c.alice.id, bob: c.bob.id }));
    // Erin is a user of B, named as a member of A's community: not A's user, so not her membership.
    await importOk(c.asA, sampleBundle('wind', { tag: 'UW', alice: c.erin.id }));
    await importOk(c.asB, sampleBundle('other', { tag: 'UB', bob: c.dave.id }));
  });
  afterAll(() => c.t.close());

  it('gives the profile and membership summary with asset counts by type', async () => {
    const me = expectShape(s.userMeResponse, (await c.alice.call('GET', '/user')).json());
    expect(me.profile).toMatchObject({ sub: c.alice.id, email: c.alice.email, name: 'Alice', preferred_username: c.alice.email });
    expect(me.membership).toMatchObject({
      member: { key: 'm-alice', name: 'Alice', role: 'prosumer', area: 'north', status: 'active' },
      community: { key: 'solar', name: 'Community solar' },
      delivery_points_count: 1,
      assets_count: { pv: 1, storage: 1, meter: 1, ev_charger: 1, heat_pump: 1, load: 1 },
    });
    const bob = expectShape(s.userMeResponse, (await c.bob.call('GET', '/user')).json());
    expect(bob.membership?.assets_count).toEqual({ meter: 1 });
  });

  it("gives the caller's member record, community, assets and delivery points", async () => {
    const member = expectShape(s.userMemberDetail, (await c.alice.call('GET', '/user/member')).json());
    expect(member).toMatchObject({ key: 'm-alice', name: 'Alice' });
    expect(member).not.toHaveProperty('user_id');
    expect(member.delivery_points).toEqual([expect.objectContaining({ id: 'IT001EUA' })]);
    const community = expectShape(s.userCommunityDetail, (await c.bob.call('GET', '/user/community')).json());
    expect(community).toMatchObject({ key: 'solar', your_area: 'south', your_role: 'consumer' });
    const assets = expectShape(s.userAssetsResponse, (await c.alice.call('GET', '/user/assets')).json());
    expect([assets.total, assets.items.map((a) => a.key)]).toEqual([6, ['ev-a', 'hp-a', 'ld-a', 'mt-a', 'pv-a', 'st-a']]);
    const meters = (await c.alice.call('GET', '/user/assets?asset_type=meter')).json<{ items: { key: string }[]; total: number }>();
    expect([meters.total, meters.items.map((a) => a.key)]).toEqual([1, ['mt-a']]);
    expect(expectProblems(await c.alice.call('GET', '/user/assets?asset_type=windmill'), 422)[0]).toMatchObject({
      loc: ['query', 'asset_type'],
    });
    const asset = expectShape(s.userAssetDetail, (await c.alice.call('GET', '/user/assets/mt-a')).json());
    expect(asset).toMatchObject({ key: 'mt-a', asset_type: 'meter', sensor_id: 'U/SEN-A' });
    const dps = expectShape(s.userDeliveryPointsResponse, (await c.bob.call('GET', '/user/delivery-points')).json());
    expect([dps.total, dps.items.map((d) => d.id)]).toEqual([1, ['IT001EUB']]);
  });

  it("cannot read another member's asset: it is not found, as a missing one", async () => {
    expectError(await c.alice.call('GET', '/user/assets/mt-b'), 404, 'NOT_FOUND', 'Asset not found or not owned by you');
    expectError(await c.bob.call('GET', '/user/assets/mt-a'), 404, 'NOT_FOUND', 'Asset not found or not owned by you');
    expectError(await c.bob.call('GET', '/user/assets/nope'), 404, 'NOT_FOUND', 'Asset not found or not owned by you');
    // B's member's asset of the same key, in another organisation.
    expectError(await c.alice.call('GET', '/user/assets/mt-b'), 404, 'NOT_FOUND');
    // Nothing of others in any list.
    const bobAssets = (await c.bob.call('GET', '/user/assets')).json<{ items: { key: string }[] }>();
    expect(bobAssets.items.map((a) => a.key)).toEqual(['mt-b']);
  });

  it("answers 404 on every /user route to a user who is no member (named in another organisation's bundle does not count)", async () => {
    for (const url of ['/user', '/user/member', '/user/community', '/user/assets', '/user/assets/mt-a', '/user/delivery-points']) {
      expectError(await c.erin.call('GET', url), 404, 'NOT_FOUND', NOT_MEMBER);
    }
  });

  it("serves B's member from B's community only", async () => {
    const dave = expectShape(s.userMeResponse, (await c.dave.call('GET', '/user')).json());
    expect(dave.membership).toMatchObject({ member: { key: 'm-bob' }, community: { key: 'other' } });
    expect((await c.dave.call('GET', '/user/assets')).json()).toMatchObject({ total: 1, items: [{ key: 'mt-b', sensor_id: 'UB-SEN-B' }] });
  });

  it('refuses callers that are no user (403) and anonymous ones (401)', async () => {
    expectError(await c.asA('GET', '/user'), 403, 'FORBIDDEN');
    expectError(await c.anonymous('GET', '/user'), 401, 'UNAUTHORIZED');
    expectError(await c.as('not-a-token', 'bearer')('GET', '/user/member'), 401, 'UNAUTHORIZED');
  });

  it('keeps the /user routes away from /admin: a member who is a viewer cannot browse the registry', async () => {
    // Alice is a viewer of A: she manages nothing, so lists are empty and a community is forbidden.
    expect((await c.alice.call('GET', '/admin/communities')).json()).toEqual({ items: [], next_cursor: null });
    expectError(await c.alice.call('GET', '/admin/communities/solar/members'), 403, 'FORBIDDEN');
    expectError(await c.alice.call('GET', `/admin/lookup/member-by-user-id/${c.bob.id}`), 404, 'NOT_FOUND');
  });
});
