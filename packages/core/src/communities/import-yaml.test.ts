import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOrganisation, type TestOrganisation } from '../testing.js';
import { bundlesToYaml } from './bundle/serialize.js';
import { exportYaml } from './export.js';
import { importBundle, importYaml } from './import.js';
import { sampleBundle } from './import/testing.js';

const clone = <T>(v: T): T => structuredClone(v);

for (const engine of testEngines) {
  describe(`importing a multi-document YAML body [${engine}]`, () => {
    let db: TestDb;
    let a: TestOrganisation;
    let b: TestOrganisation;
    beforeAll(async () => {
      db = await freshTestDb(engine);
      a = await seedOrganisation(db, 'Yaml A');
      b = await seedOrganisation(db, 'Yaml B');
    });
    afterAll(() => db.dispose());

    const communityKeys = async () =>
      (await db.query<{ key: string }>('SELECT key FROM communities WHERE deleted_at IS NULL ORDER BY key')).rows.map((r) => r.key);

    it('imports each good document on its own and reports the bad ones with document, path, line and column', async () => {
      await importBundle(b.as.admin, sampleBundle('foreign'));
      const taken = clone(sampleBundle('y-taken'));
      taken.members!['m-2']!.assets!.meter!['mt-2']!.sensor_id = 'foreign-S-2';
      const good = bundlesToYaml([sampleBundle('y-one'), taken, sampleBundle('y-two')]);
      const bad =
        '---\ncommunity:\n  id: y-bad\n  name: Bad\nmembers:\n  m-1:\n    name: X\n    role: king\n    area: nowhere\n    status: active\n';
      // An empty document counts in the numbering.
      const text = `${good}${bad}---\n`;
      const report = await importYaml(a.as.admin, `---\n${text}`);
      expect(report.reports.map((r) => r.community_key)).toEqual(['y-one', 'y-two']);
      expect(report.dry_run).toBe(false);
      expect(report.failed.map((f) => [f.doc, f.community_key])).toEqual([
        [2, 'y-taken'],
        // Invalid, but its community key is readable: the report names it.
        [4, 'y-bad'],
      ]);
      const [takenFailure, badFailure] = report.failed;
      const lines = `---\n${text}`.split('\n');
      expect(takenFailure!.problems).toEqual([
        {
          doc: 2,
          loc: ['members', 'm-2', 'assets', 'meter', 'mt-2', 'sensor_id'],
          msg: 'sensor_id foreign-S-2 is taken by another community',
          type: 'taken',
          line: expect.any(Number),
          column: expect.any(Number),
        },
      ]);
      const at = takenFailure!.problems[0]!;
      expect(lines[at.line! - 1]!.slice(at.column! - 1)).toBe('foreign-S-2');
      expect(badFailure!.problems.map((p) => [p.doc, p.loc.join('.'), p.line !== undefined])).toEqual([
        [4, 'members.m-1.role', true],
        [4, 'members.m-1.area', true],
      ]);
      expect(await communityKeys()).toEqual(['foreign', 'y-one', 'y-two']);
    });

    it('checks every document on a dry run and writes none', async () => {
      const text = bundlesToYaml([sampleBundle('dry-1'), sampleBundle('dry-2')]);
      const before = await communityKeys();
      const report = await importYaml(a.as.admin, text, { dryRun: true });
      expect(report.dry_run).toBe(true);
      expect(report.reports.map((r) => [r.community_key, r.dry_run, r.created.asset])).toEqual([
        ['dry-1', true, 7],
        ['dry-2', true, 7],
      ]);
      expect(await communityKeys()).toEqual(before);
    });

    it('follows the documents in order on a dry run: a POD released by one document is free for the next, one claimed is taken', async () => {
      await importBundle(a.as.admin, sampleBundle('leaving'));
      const leaving = clone(sampleBundle('leaving'));
      delete leaving.members!['m-2'];
      const arriving = clone(sampleBundle('arriving'));
      arriving.members!['m-2']!.delivery_points![0]!.id = 'leaving-POD-2';
      arriving.members!['m-2']!.assets!.meter!['mt-2'] = {
        name: 'M',
        sensor_id: 'leaving-S-2',
        meter_type: 'import',
        pod: 'leaving-POD-2',
      };
      const late = clone(sampleBundle('late'));
      late.members!['m-1']!.delivery_points![1]!.id = 'leaving-POD-2';
      const text = bundlesToYaml([leaving, arriving, late]);
      const dry = await importYaml(a.as.admin, text, { dryRun: true });
      expect(dry.reports.map((r) => r.community_key)).toEqual(['leaving', 'arriving']);
      expect(dry.failed.map((f) => [f.doc, f.problems.map((p) => [p.loc.join('.'), p.type])])).toEqual([
        [2, [['members.m-1.delivery_points.1.id', 'taken']]],
      ]);
      const real = await importYaml(a.as.admin, text);
      expect(real.reports.map((r) => ({ ...r, dry_run: true, community_id: null }))).toEqual(
        dry.reports.map((r) => ({ ...r, community_id: null })),
      );
      expect(real.failed).toEqual(dry.failed);
    });

    it('refuses the whole body before writing when the caller may not manage one document’s community', async () => {
      await importBundle(a.as.admin, sampleBundle('managed'));
      const text = bundlesToYaml([sampleBundle('first-new'), sampleBundle('managed')]);
      await expect(importYaml(a.as.technician, text)).rejects.toMatchObject({ code: 'FORBIDDEN' });
      expect(await communityKeys()).not.toContain('first-new');
    });

    it('throws MALFORMED_REQUEST for text that is not YAML, and imports nothing', async () => {
      await expect(importYaml(a.as.admin, 'community: [unclosed\n')).rejects.toMatchObject({ code: 'MALFORMED_REQUEST' });
      await expect(importYaml(a.as.admin, '')).rejects.toMatchObject({ code: 'MALFORMED_REQUEST' });
    });

    it('round-trips what it imported', async () => {
      const text = await exportYaml(a.as.admin, { keys: ['y-one', 'y-two'] });
      const again = await importYaml(a.as.admin, text);
      expect(again.reports.map((r) => r.unchanged)).toEqual([
        { community: 1, member: 3, delivery_point: 3, asset: 7 },
        { community: 1, member: 3, delivery_point: 3, asset: 7 },
      ]);
      expect(await exportYaml(a.as.admin, { keys: ['y-one', 'y-two'] })).toBe(text);
    });
  });
}
