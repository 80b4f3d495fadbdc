import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemPrincipal } from '../auth/principal.js';
import { createPlant, decommissionPlant } from '../plants/service.js';
import { createSite, deleteSite } from '../sites/service.js';
import { contextFor, lastChangeSeq, seedOrganisation, type TestOrganisation } from '../testing.js';
import { addMember, membershipsOf } from '../users/service.js';
import type { RegistryBundleIn } from './bundle/schema.js';
import { importBundle } from './import.js';
import { sampleBundle } from './import/testing.js';

const clone = <T>(v: T): T => structuredClone(v);

interface Problem {
  path: string;
  type: string;
  message: string;
}

/** The problems of a refused import, by path. */
async function problemsOf(work: Promise<unknown>): Promise<Problem[]> {
  const err = (await work.then(
    () => {
      throw new Error('the import was not refused');
    },
    (e: unknown) => e,
  )) as { code: string; details: Problem[] };
  expect(err.code).toBe('VALIDATION_ERROR');
  return err.details.map(({ path, type, message }) => ({ path, type, message })).sort((a, b) => a.path.localeCompare(b.path));
}

for (const engine of testEngines) {
  describe(`checks of an import against the registry [${engine}]`, () => {
    let db: TestDb;
    let a: TestOrganisation;
    let b: TestOrganisation;
    beforeAll(async () => {
      db = await freshTestDb(engine);
      a = await seedOrganisation(db, 'Checks A');
      b = await seedOrganisation(db, 'Checks B');
    });
    afterAll(() => db.dispose());

    /** Everything stored of the registry: any write shows. */
    const snapshot = async () =>
      Promise.all(
        ['communities', 'community_members', 'community_delivery_points', 'community_assets'].map(
          async (t) => (await db.query(`SELECT id, change_seq, deleted_at, field_clocks FROM ${t} ORDER BY id`)).rows,
        ),
      );

    it('reports PODs and sensor ids held by another organisation’s community as taken, all at once, and writes nothing', async () => {
      await importBundle(b.as.admin, sampleBundle('theirs'));
      const mine = clone(sampleBundle('mine'));
      const m1 = mine.members!['m-1']!;
      m1.delivery_points![0]!.id = 'theirs-POD-1';
      m1.assets!.pv!['pv-1']!.pod = 'theirs-POD-1';
      m1.assets!.meter!['mt-1']!.pod = 'theirs-POD-1';
      mine.members!['m-2']!.assets!.meter!['mt-2']!.sensor_id = 'theirs-S-1';
      const before = await snapshot();
      const seq = await lastChangeSeq(db, a.id);
      expect(await problemsOf(importBundle(a.as.admin, mine))).toEqual([
        { path: 'members.m-1.delivery_points.0.id', type: 'taken', message: 'delivery point theirs-POD-1 is taken by another community' },
        { path: 'members.m-2.assets.meter.mt-2.sensor_id', type: 'taken', message: 'sensor_id theirs-S-1 is taken by another community' },
      ]);
      expect(await snapshot()).toEqual(before);
      expect(await lastChangeSeq(db, a.id)).toBe(seq);
    });

    it('frees a removed community member’s POD and sensor id for another community', async () => {
      await importBundle(a.as.admin, sampleBundle('giver'));
      const without = clone(sampleBundle('giver'));
      delete without.members!['m-2'];
      await importBundle(a.as.admin, without);
      const taker = clone(sampleBundle('taker'));
      taker.members!['m-2']!.delivery_points![0]!.id = 'giver-POD-2';
      taker.members!['m-2']!.assets!.meter!['mt-2'] = { name: 'M', sensor_id: 'giver-S-2', meter_type: 'consumption', pod: 'giver-POD-2' };
      expect((await importBundle(b.as.admin, taker)).created.delivery_point).toBe(3);
    });

    it('reports a community key another organisation holds as taken, and says nothing more of it', async () => {
      await importBundle(b.as.admin, sampleBundle('held'));
      const before = await snapshot();
      const problems = await problemsOf(importBundle(a.as.admin, sampleBundle('held')));
      expect(problems).toContainEqual({ path: 'community.id', type: 'taken', message: 'community key held is taken' });
      expect(JSON.stringify(problems)).not.toContain(b.id);
      expect(await snapshot()).toEqual(before);
    });

    it('lets only an owner or admin of the community’s organisation replace it', async () => {
      await importBundle(a.as.admin, sampleBundle('guarded'));
      await expect(importBundle(a.as.technician, sampleBundle('guarded'))).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(importBundle(a.as.viewer, sampleBundle('guarded'))).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(importBundle(a.as.technician, sampleBundle('guarded-new'))).rejects.toMatchObject({ code: 'FORBIDDEN' });
      expect((await importBundle(a.as.owner, sampleBundle('guarded'))).unchanged.member).toBe(3);
      // A new community goes to an organisation of the caller's, named when there are several.
      await expect(importBundle(a.as.admin, sampleBundle('guarded-b'), { organisationId: b.id })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      await expect(importBundle(contextFor(db, systemPrincipal), sampleBundle('guarded-sys'))).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
      });
    });

    it('keeps a community in its organisation: naming another one for an existing key makes it taken', async () => {
      const system = contextFor(db, systemPrincipal);
      await importBundle(system, sampleBundle('stays'), { organisationId: a.id });
      // A caller admin in both organisations.
      const both = a.as.admin.principal as { userId: string };
      await addMember(system, { organisationId: b.id, userId: both.userId, role: 'admin' });
      const admin = contextFor(db, { kind: 'user', userId: both.userId, memberships: await membershipsOf(system, both.userId) });
      expect(await problemsOf(importBundle(admin, sampleBundle('stays'), { organisationId: b.id }))).toContainEqual({
        path: 'community.id',
        type: 'taken',
        message: 'community key stays is taken',
      });
      expect((await importBundle(admin, sampleBundle('stays'), { organisationId: a.id })).unchanged.community).toBe(1);
      // Left out, the community's own organisation is used, though the caller has two.
      expect((await importBundle(admin, sampleBundle('stays'))).organisation_id).toBe(a.id);
    });

    it('refuses links to another organisation’s site, a removed site and a decommissioned plant', async () => {
      const theirs = await createSite(b.as.admin, { siteName: 'Their site' });
      const removed = await createSite(a.as.admin, { siteName: 'Removed site' });
      await deleteSite(a.as.admin, removed.id);
      const plant = await createPlant(a.as.admin, { name: 'Old logger', serialNumber: `OLD-${engine}`, type: 'GATEWAY' });
      await decommissionPlant(a.as.admin, plant.id);
      const bundle = clone(sampleBundle('linked'));
      const assets = bundle.members!['m-1']!.assets!;
      Object.assign(assets.pv!['pv-1']!, { site_id: theirs.id, component_id: '01900000-0000-7000-8000-000000000000' });
      Object.assign(assets.meter!['mt-1']!, { site_id: removed.id, plant_id: plant.id });
      const before = await snapshot();
      expect(await problemsOf(importBundle(a.as.admin, bundle))).toEqual([
        {
          path: 'members.m-1.assets.meter.mt-1.plant_id',
          type: 'dangling_reference',
          message: `no plant ${plant.id} in the community's organisation`,
        },
        {
          path: 'members.m-1.assets.meter.mt-1.site_id',
          type: 'dangling_reference',
          message: `no site ${removed.id} in the community's organisation`,
        },
        {
          path: 'members.m-1.assets.pv.pv-1.component_id',
          type: 'dangling_reference',
          message: "no component 01900000-0000-7000-8000-000000000000 in the community's organisation",
        },
        {
          path: 'members.m-1.assets.pv.pv-1.site_id',
          type: 'dangling_reference',
          message: `no site ${theirs.id} in the community's organisation`,
        },
      ]);
      expect(await snapshot()).toEqual(before);
    });

    it('imports back a link whose site has gone since, as long as it does not change', async () => {
      const site = await createSite(a.as.admin, { siteName: 'Going site' });
      const bundle = clone(sampleBundle('gone'));
      bundle.members!['m-1']!.assets!.pv!['pv-1']!.site_id = site.id;
      await importBundle(a.as.admin, bundle);
      await deleteSite(a.as.admin, site.id);
      expect((await importBundle(a.as.admin, bundle)).unchanged.asset).toBe(7);
    });

    it('refuses a user_id kept from a stored member that the bundle gives to another member', async () => {
      await importBundle(a.as.admin, sampleBundle('kept'));
      const bundle = clone(sampleBundle('kept'));
      delete bundle.members!['m-1']!.user_id;
      bundle.members!['m-3']!.user_id = 'kept-alice';
      expect(await problemsOf(importBundle(a.as.admin, bundle))).toEqual([
        {
          path: 'members.m-3.user_id',
          type: 'duplicate_key',
          message:
            'user_id kept-alice is kept by member m-1, which the bundle leaves without a user_id; give member m-1 another user_id or null',
        },
      ]);
    });

    it('lets one of concurrent imports claiming the same POD or community key win, and tells the others it is taken', async () => {
      const second = clone(sampleBundle('race-2'));
      second.members!['m-2']!.delivery_points![0]!.id = 'race-1-POD-2';
      second.members!['m-2']!.assets!.meter!['mt-2']!.pod = 'race-1-POD-2';
      // Each pair of the three collides: on the POD race-1-POD-2, and the first and third on the key race-1 too.
      const results = await Promise.allSettled([
        importBundle(a.as.admin, sampleBundle('race-1')),
        importBundle(b.as.admin, second),
        importBundle(b.as.admin, sampleBundle('race-1')),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect((r.reason as { details: Problem[] }).details.map((d) => d.type)).toContain('taken');
      }
      const { rows } = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM community_delivery_points WHERE pod = 'race-1-POD-2' AND deleted_at IS NULL",
      );
      expect(rows[0]!.n).toBe(1);
    });

    it('changes nothing of a stored community when its new bundle fails', async () => {
      await importBundle(a.as.admin, sampleBundle('atomic'));
      await importBundle(b.as.admin, sampleBundle('other'));
      const next = clone(sampleBundle('atomic')) as RegistryBundleIn;
      next.members!['m-1']!.name = 'Renamed';
      delete next.members!['m-3'];
      next.members!['m-9'] = { name: 'New', role: 'consumer', area: 'north', status: 'active' };
      next.members!['m-2']!.assets!.meter!['mt-2']!.sensor_id = 'other-S-2';
      const before = await snapshot();
      const seq = await lastChangeSeq(db, a.id);
      expect((await problemsOf(importBundle(a.as.admin, next))).map((p) => p.type)).toEqual(['taken']);
      expect(await snapshot()).toEqual(before);
      expect(await lastChangeSeq(db, a.id)).toBe(seq);
    });
  });
}
