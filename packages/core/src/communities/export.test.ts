import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemPrincipal } from '../auth/principal.js';
import { createSite } from '../sites/service.js';
import { contextFor, lastChangeSeq, seedOrganisation, type TestOrganisation } from '../testing.js';
import { parseYamlBundles } from './bundle/parse.js';
import type { RegistryBundleIn } from './bundle/schema.js';
import { bundlesToYaml, canonicalBundle } from './bundle/serialize.js';
import { exportBundles, exportYaml } from './export.js';
import { importBundle, importYaml } from './import.js';
import { largeBundle, sampleBundle } from './import/testing.js';

const clone = <T>(v: T): T => structuredClone(v);

for (const engine of testEngines) {
  describe(`exporting communities [${engine}]`, () => {
    let db: TestDb;
    let a: TestOrganisation;
    let b: TestOrganisation;
    beforeAll(async () => {
      db = await freshTestDb(engine);
      a = await seedOrganisation(db, 'Export A');
      b = await seedOrganisation(db, 'Export B');
    });
    afterAll(() => db.dispose());

    it('exports what was imported, canonical', async () => {
      const bundle = clone(sampleBundle('same'));
      const site = await createSite(a.as.admin, { siteName: 'Export site' });
      bundle.members!['m-1']!.assets!.pv!['pv-1']!.site_id = site.id;
      // Nulls and empty values are left out of an export.
      bundle.community.legal = { ...bundle.community.legal, vat: null, name: null };
      bundle.members!['m-2']!.assets!.load!['ld-1']!.relationships = { measures: [] };
      await importBundle(a.as.admin, bundle);
      expect(await exportBundles(a.as.admin, { keys: ['same'] })).toEqual([canonicalBundle(bundle)]);
    });

    it('gives the same bytes after an export is imported again, and changes nothing', async () => {
      await importBundle(a.as.admin, sampleBundle('trip-b'));
      await importBundle(a.as.admin, sampleBundle('trip-a'));
      await importBundle(a.as.admin, largeBundle('trip-large', 40, 50, 90));
      const first = await exportYaml(a.as.admin);
      expect(first.startsWith('---\n')).toBe(true);
      expect(first.indexOf('id: trip-a')).toBeLessThan(first.indexOf('id: trip-b'));
      const seq = await lastChangeSeq(db, a.id);
      const report = await importYaml(a.as.admin, first);
      expect(report.failed).toEqual([]);
      expect(report.reports.map((r) => r.community_key)).toEqual(['same', 'trip-a', 'trip-b', 'trip-large']);
      for (const r of report.reports) {
        expect(r.created).toEqual({ community: 0, member: 0, delivery_point: 0, asset: 0 });
        expect(r.updated).toEqual({ community: 0, member: 0, delivery_point: 0, asset: 0 });
      }
      expect(await lastChangeSeq(db, a.id)).toBe(seq);
      expect(await exportYaml(a.as.admin)).toBe(first);
    });

    it('gives the same bytes after an export is imported into a fresh database', async () => {
      const source = clone(sampleBundle('moved'));
      source.members!['m-9'] = { name: 'Zed: "quoted", #hash', role: 'operator', area: 'south', status: 'suspended' };
      await importBundle(a.as.admin, source);
      const first = await exportYaml(a.as.admin, { keys: ['moved'] });
      const other = await freshTestDb(engine);
      try {
        const org = await seedOrganisation(other, 'Elsewhere');
        const report = await importYaml(org.as.admin, first);
        expect(report.reports.map((r) => r.created.member)).toEqual([4]);
        expect(await exportYaml(org.as.admin)).toBe(first);
      } finally {
        await other.dispose();
      }
    });

    it('exports only the communities the caller manages, and exactly those asked for, in key order', async () => {
      await importBundle(b.as.admin, sampleBundle('b-only'));
      const keys = (bundles: RegistryBundleIn[]) => bundles.map((x) => x.community.id);
      expect(keys(await exportBundles(b.as.owner))).toEqual(['b-only']);
      expect(keys(await exportBundles(a.as.admin, { keys: ['trip-b', 'same', 'trip-b'] }))).toEqual(['same', 'trip-b']);
      expect(keys(await exportBundles(contextFor(db, systemPrincipal), { keys: ['b-only', 'same'] }))).toEqual(['b-only', 'same']);
      await expect(exportBundles(a.as.admin, { keys: ['same', 'b-only'] })).rejects.toMatchObject({
        code: 'NOT_FOUND',
        message: 'Community not found: b-only',
      });
      await expect(exportBundles(a.as.admin, { keys: ['nope', 'b-only'] })).rejects.toMatchObject({ message: 'Community not found: nope' });
      // Members of the organisation who may not manage it see no community.
      expect(await exportBundles(a.as.technician)).toEqual([]);
      await expect(exportBundles(a.as.viewer, { keys: ['same'] })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('writes an empty text for no community, and documents that parse back into the bundles', async () => {
      const lonely = await seedOrganisation(db, 'Export none');
      expect(await exportYaml(lonely.as.admin)).toBe('');
      const text = await exportYaml(a.as.admin, { keys: ['trip-a', 'trip-b'] });
      const parsed = parseYamlBundles(text);
      expect(parsed.map((d) => d.problems)).toEqual([[], []]);
      expect(bundlesToYaml(parsed.map((d) => d.bundle!))).toBe(text);
    });

    it('leaves removed rows out', async () => {
      const smaller = clone(sampleBundle('trip-b'));
      delete smaller.members!['m-2'];
      await importBundle(a.as.admin, smaller);
      const [exported] = await exportBundles(a.as.admin, { keys: ['trip-b'] });
      expect(Object.keys(exported!.members!)).toEqual(['m-1', 'm-3']);
      expect(exported).toEqual(canonicalBundle(smaller));
    });

    it('changes nothing when a bundle without version lines and with nulls in its metadata comes back as its export', async () => {
      const noVersion = clone(sampleBundle('headless'));
      delete noVersion.version;
      delete noVersion.schema_version;
      noVersion.metadata = { description: 'Headless registry', updated_by: null };
      // Metadata of nulls only is no metadata at all in an export.
      const nullMetadata: RegistryBundleIn = { ...clone(sampleBundle('header-nulls')), schema_version: '2.0', metadata: { created: null } };
      delete nullMetadata.version;
      for (const bundle of [noVersion, nullMetadata]) await importBundle(a.as.admin, bundle);
      const seq = await lastChangeSeq(db, a.id);
      const keys = ['header-nulls', 'headless'];
      const bundles = await exportBundles(a.as.admin, { keys });
      expect(bundles.map(({ version, schema_version, metadata }) => ({ version, schema_version, metadata }))).toEqual([
        { version: '1.0', schema_version: '2.0', metadata: undefined },
        { version: '1.0', schema_version: '1.0', metadata: { description: 'Headless registry' } },
      ]);
      const exported = await exportYaml(a.as.admin, { keys });
      const none = { community: 0, member: 0, delivery_point: 0, asset: 0 };
      const again = await importYaml(a.as.admin, exported);
      expect(again.failed).toEqual([]);
      expect(again.reports.map((r) => [r.community_key, r.updated, r.unchanged])).toEqual(
        keys.map((key) => [key, none, { community: 1, member: 3, delivery_point: 3, asset: 7 }]),
      );
      // The bundles as first written are still the stored ones too.
      for (const original of [noVersion, nullMetadata]) {
        expect(await importBundle(a.as.admin, original)).toMatchObject({ updated: none, unchanged: { community: 1 } });
      }
      expect(await lastChangeSeq(db, a.id)).toBe(seq);
      expect(await exportYaml(a.as.admin, { keys })).toBe(exported);
    });

    it('takes a header stored as given (before headers were stored as exported) for the same header', async () => {
      await importBundle(a.as.admin, sampleBundle('old-header'));
      await db.query(`UPDATE communities SET bundle = '{"metadata": {"created": null}}' WHERE key = 'old-header'`);
      const seq = await lastChangeSeq(db, a.id);
      const [exported] = await exportBundles(a.as.admin, { keys: ['old-header'] });
      expect(exported).toMatchObject({ version: '1.0', schema_version: '1.0' });
      expect(exported!.metadata).toBeUndefined();
      const report = await importBundle(a.as.admin, exported!);
      expect(report.unchanged.community).toBe(1);
      expect(await lastChangeSeq(db, a.id)).toBe(seq);
    });
  });
}
