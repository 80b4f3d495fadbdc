import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemPrincipal, type Principal } from '../auth/principal.js';
import type { Role } from '../auth/roles.js';
import type { ServiceContext } from '../context.js';
import { DomainError } from '../errors.js';
import { contextFor } from '../testing.js';
import { communityForAdmin, manageableOrganisations } from './access.js';
import {
  getAsset,
  getAssetBySensorId,
  getCommunity,
  getDeliveryPoint,
  getMember,
  getMemberByUserId,
  getMemberDeliveryPoints,
  getTopology,
  listAssets,
  listCommunities,
  listDeliveryPoints,
  listMembers,
  listMeters,
} from './queries.js';
import { seedReadFixture, type ReadFixture } from './reads.fixture.js';

/** The error a call fails with (code and message), for comparing two failures. */
async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  return { code: (err as DomainError).code, message: (err as DomainError).message };
}

const user = (memberships: [string, Role][]): Principal => ({ kind: 'user', userId: 'u', memberships: new Map(memberships) });

describe('manageable organisations', () => {
  it('are those where the principal is owner or admin; all of them for the system', () => {
    expect(manageableOrganisations(systemPrincipal)).toBeNull();
    expect(
      manageableOrganisations(
        user([
          ['o1', 'owner'],
          ['o2', 'admin'],
          ['o3', 'technician'],
          ['o4', 'viewer'],
        ]),
      ),
    ).toEqual(['o1', 'o2']);
    expect(manageableOrganisations(user([]))).toEqual([]);
    expect(manageableOrganisations({ kind: 'apiKey', keyId: 'k', userId: null, memberships: new Map([['o5', 'admin' as Role]]) })).toEqual([
      'o5',
    ]);
  });
});

for (const engine of testEngines) {
  describe(`registry access [${engine}]`, () => {
    let db: TestDb;
    let fx: ReadFixture;
    let admin: ServiceContext;
    beforeAll(async () => {
      db = await freshTestDb(engine);
      fx = await seedReadFixture(db);
      admin = fx.a.as.admin;
    });
    afterAll(() => db.dispose());

    it("finds a community for its organisation's owners and admins, and for the system", async () => {
      for (const ctx of [fx.a.as.owner, fx.a.as.admin, contextFor(db, systemPrincipal)]) {
        expect((await communityForAdmin(ctx.db, ctx, 'alpha')).id).toBe(fx.alpha.id);
      }
    });

    it('forbids technicians and viewers of the organisation, and hides it from everyone else', async () => {
      for (const role of ['technician', 'viewer'] as const) {
        const f = await failure(getCommunity(fx.a.as[role], 'alpha'));
        expect(f.code).toBe('FORBIDDEN');
        expect(f.message).toBe(`role ${role} may not manage communities in this organisation`);
        expect((await failure(listMembers(fx.a.as[role], 'alpha'))).code).toBe('FORBIDDEN');
      }
      for (const role of ['owner', 'admin', 'technician', 'viewer'] as const) {
        expect(await failure(getCommunity(fx.b.as[role], 'alpha'))).toEqual({ code: 'NOT_FOUND', message: 'Community not found' });
      }
    });

    it("answers another organisation's community key exactly as a missing one, on every route", async () => {
      const calls: ((key: string) => Promise<unknown>)[] = [
        (k) => getCommunity(admin, k),
        (k) => getTopology(admin, k),
        (k) => listMembers(admin, k),
        (k) => getMember(admin, k, 'm-1'),
        (k) => getMemberByUserId(admin, k, fx.gammaUserId),
        (k) => getMemberDeliveryPoints(admin, k, 'm-1'),
        (k) => listDeliveryPoints(admin, k),
        (k) => getDeliveryPoint(admin, k, 'IT009B001'),
        (k) => listAssets(admin, k),
        (k) => getAsset(admin, k, 'mt-1'),
        (k) => getAssetBySensorId(admin, k, 'SEN-B-1'),
        (k) => listMeters(admin, k),
      ];
      for (const call of calls) {
        const foreign = await failure(call('gamma'));
        expect(foreign).toEqual({ code: 'NOT_FOUND', message: 'Community not found' });
        expect(foreign).toEqual(await failure(call('no-such-community')));
      }
      expect(await listCommunities(admin, { key: 'gamma' })).toEqual({ items: [], next_cursor: null });
    });

    it("answers another organisation's member key, user id, POD and sensor id as missing ones, inside the caller's community", async () => {
      // Thunks: each call starts when awaited, so no rejection waits unhandled.
      const pairs: [() => Promise<unknown>, () => Promise<unknown>][] = [
        [() => getMember(admin, 'alpha', 'm-b'), () => getMember(admin, 'alpha', 'm-zz')],
        [() => getMemberDeliveryPoints(admin, 'alpha', 'm-b'), () => getMemberDeliveryPoints(admin, 'alpha', 'm-zz')],
        [() => getMemberByUserId(admin, 'alpha', 'ext-identity-b'), () => getMemberByUserId(admin, 'alpha', 'ext-nobody')],
        [() => getMemberByUserId(admin, 'alpha', fx.gammaUserId), () => getMemberByUserId(admin, 'alpha', 'ext-nobody')],
        [() => getDeliveryPoint(admin, 'alpha', 'IT009B001'), () => getDeliveryPoint(admin, 'alpha', 'IT000NONE')],
        [() => getAsset(admin, 'alpha', 'pv-b'), () => getAsset(admin, 'alpha', 'zz-9')],
        [() => getAssetBySensorId(admin, 'alpha', 'SEN-B-1'), () => getAssetBySensorId(admin, 'alpha', 'SEN-NONE')],
        [() => getAssetBySensorId(admin, 'alpha', 'SEN-B-2'), () => getAssetBySensorId(admin, 'alpha', 'SEN-NONE')],
      ];
      for (const [foreign, missing] of pairs) {
        const f = await failure(foreign());
        expect(f.code).toBe('NOT_FOUND');
        expect(f).toEqual(await failure(missing()));
      }
      expect(await listAssets(admin, 'alpha', { owner: 'm-b' })).toEqual({ items: [], next_cursor: null });
      expect(await listMeters(admin, 'alpha', { owner: 'm-b' })).toEqual({ items: [], next_cursor: null });
    });

    it('reads the caller’s own row where another organisation uses the same keys', async () => {
      // gamma (organisation B) has a member m-1 and an asset mt-1 too.
      expect((await getMember(admin, 'alpha', 'm-1')).id).toBe(fx.alpha.members['m-1']!.id);
      expect((await getAsset(admin, 'alpha', 'mt-1')).sensor_id).toBe('SEN-A-1');
      expect((await getMember(fx.b.as.admin, 'gamma', 'm-1')).id).toBe(fx.gamma.members['m-1']!.id);
      expect((await getAsset(fx.b.as.admin, 'gamma', 'mt-1')).sensor_id).toBe('SEN-B-1');
      expect((await failure(getAsset(fx.b.as.admin, 'alpha', 'mt-1'))).code).toBe('NOT_FOUND');
    });

    it('answers values that could never be stored as not found, without a database error', async () => {
      const strange = ['', ' ', 'a b', 'a/b', 'a\u0000b', '../alpha', 'x'.repeat(300), 'é'];
      for (const value of strange) {
        expect((await failure(getCommunity(admin, value))).message).toBe('Community not found');
        expect((await failure(getMember(admin, 'alpha', value))).message).toBe('Member not found');
        expect((await failure(getMemberByUserId(admin, 'alpha', value))).message).toBe('Member not found');
        expect((await failure(getDeliveryPoint(admin, 'alpha', value))).message).toBe('Delivery point not found');
        expect((await failure(getAsset(admin, 'alpha', value))).message).toBe('Asset not found');
        expect((await failure(getAssetBySensorId(admin, 'alpha', value))).message).toBe('Asset not found');
      }
    });
  });
}
