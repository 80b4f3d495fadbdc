import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemPrincipal } from '../auth/principal.js';
import { createPlant, decommissionPlant } from '../plants/service.js';
import { createSite, deleteSite } from '../sites/service.js';
import { contextFor, lastChangeSeq, seedOrganisation, type TestOrganisation } from '../testing.js';
import { addMember, createUser, membershipsOf } from '../users/service.js';
import type { RegistryBundleIn } from './bundle/schema.js';
import { bundlesToYaml } from './bundle/serialize.js';
import { exportYaml } from './export.js';
import { importBundle, importYaml } from './import.js';
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

    it('tells a technician or viewer that the registry is its owners’ and admins’, not that users and keys are', async () => {
      await importBundle(a.as.admin, sampleBundle('told'));
      const refusal = (role: 'technician' | 'viewer') =>
        expect.objectContaining({
          code: 'FORBIDDEN',
          message: `role ${role} may not change a community's registry: its owners and admins do`,
        });
      for (const role of ['technician', 'viewer'] as const) {
        // An existing community, a new one, and a new one in the organisation named.
        await expect(importBundle(a.as[role], sampleBundle('told'))).rejects.toEqual(refusal(role));
        await expect(importBundle(a.as[role], sampleBundle('told-new'))).rejects.toEqual(refusal(role));
        await expect(importBundle(a.as[role], sampleBundle('told-new'), { organisationId: a.id })).rejects.toEqual(refusal(role));
        await expect(importYaml(a.as[role], bundlesToYaml([sampleBundle('told')]))).rejects.toEqual(refusal(role));
      }
    });

    it('keeps a community in its organisation: one named for an existing key is that of new communities only', async () => {
      const system = contextFor(db, systemPrincipal);
      await importBundle(system, sampleBundle('stays'), { organisationId: a.id });
      // A caller admin in both organisations.
      const both = a.as.admin.principal as { userId: string };
      await addMember(system, { organisationId: b.id, userId: both.userId, role: 'admin' });
      const admin = contextFor(db, { kind: 'user', userId: both.userId, memberships: await membershipsOf(system, both.userId) });
      const seqs = [await lastChangeSeq(db, a.id), await lastChangeSeq(db, b.id)];
      expect(await importBundle(admin, sampleBundle('stays'), { organisationId: b.id })).toMatchObject({
        organisation_id: a.id,
        unchanged: { community: 1, member: 3, delivery_point: 3, asset: 7 },
      });
      expect((await importBundle(admin, sampleBundle('stays'), { organisationId: a.id })).unchanged.community).toBe(1);
      // Left out, the community's own organisation is used, though the caller has two.
      expect((await importBundle(admin, sampleBundle('stays'))).organisation_id).toBe(a.id);
      expect([await lastChangeSeq(db, a.id), await lastChangeSeq(db, b.id)]).toEqual(seqs);
      // A change is written where the community is, under its organisation's change numbers.
      const renamed = clone(sampleBundle('stays'));
      renamed.community.name = 'Stays, renamed';
      expect(await importBundle(admin, renamed, { organisationId: b.id })).toMatchObject({
        organisation_id: a.id,
        updated: { community: 1 },
      });
      expect(await lastChangeSeq(db, a.id)).toBe(seqs[0]! + 1);
      expect(await lastChangeSeq(db, b.id)).toBe(seqs[1]);
      const { rows } = await db.query<{ organisation_id: string; name: string }>(
        "SELECT organisation_id, name FROM communities WHERE key = 'stays' AND deleted_at IS NULL",
      );
      expect(rows).toEqual([{ organisation_id: a.id, name: 'Stays, renamed' }]);
    });

    it('imports an export of two organisations’ communities back with one of them named, each staying in its own', async () => {
      const system = contextFor(db, systemPrincipal);
      await importBundle(a.as.admin, sampleBundle('two-a'));
      await importBundle(b.as.admin, sampleBundle('two-b'));
      const exported = await exportYaml(system, { keys: ['two-a', 'two-b'] });
      const before = await snapshot();
      const seqs = [await lastChangeSeq(db, a.id), await lastChangeSeq(db, b.id)];
      // `helio community export | helio community import --organisation A -`, with a new community added.
      const report = await importYaml(system, exported + bundlesToYaml([sampleBundle('two-new')]), { organisationId: a.id });
      expect(report.failed).toEqual([]);
      expect(report.reports.map((r) => [r.community_key, r.organisation_id, r.unchanged.community, r.created.community])).toEqual([
        ['two-a', a.id, 1, 0],
        ['two-b', b.id, 1, 0],
        ['two-new', a.id, 0, 1],
      ]);
      expect(await lastChangeSeq(db, b.id)).toBe(seqs[1]);
      expect(await exportYaml(system, { keys: ['two-a', 'two-b'] })).toBe(exported);
      const { rows } = await db.query<{ key: string; organisation_id: string }>(
        "SELECT key, organisation_id FROM communities WHERE key LIKE 'two-%' AND deleted_at IS NULL ORDER BY key",
      );
      expect(rows).toEqual([
        { key: 'two-a', organisation_id: a.id },
        { key: 'two-b', organisation_id: b.id },
        { key: 'two-new', organisation_id: a.id },
      ]);
      // The two communities' rows as they were (ids, change numbers, clocks), and the new one's beside them.
      const after = await snapshot();
      expect(after.map((t) => t.length)).toEqual(before.map((t, i) => t.length + [1, 3, 3, 7][i]!));
      before.forEach((rows, i) => expect(after[i]).toEqual(expect.arrayContaining(rows)));
    });

    it('reports a community of an organisation the caller is not in as taken, whichever organisation is named', async () => {
      await importBundle(b.as.admin, sampleBundle('not-mine'));
      const before = await snapshot();
      for (const opts of [{}, { organisationId: a.id }]) {
        const problems = await problemsOf(importBundle(a.as.admin, sampleBundle('not-mine'), opts));
        expect(problems).toContainEqual({ path: 'community.id', type: 'taken', message: 'community key not-mine is taken' });
        expect(JSON.stringify(problems)).not.toContain(b.id);
      }
      expect(await snapshot()).toEqual(before);
      // A technician of the community's organisation, admin of the one named: its role there decides.
      const system = contextFor(db, systemPrincipal);
      const user = await createUser(system, { email: `tech-b-admin-a-${engine}@example.com`, name: 'Two roles' });
      await addMember(system, { organisationId: a.id, userId: user.id, role: 'admin' });
      await addMember(system, { organisationId: b.id, userId: user.id, role: 'technician' });
      const twoRoles = contextFor(db, { kind: 'user', userId: user.id, memberships: await membershipsOf(system, user.id) });
      await expect(importBundle(twoRoles, sampleBundle('not-mine'), { organisationId: a.id })).rejects.toMatchObject({
        code: 'FORBIDDEN',
        message: "role technician may not change a community's registry: its owners and admins do",
      });
      expect(await snapshot()).toEqual(before);
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
