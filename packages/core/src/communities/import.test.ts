import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createComponent } from '../monitoring/components/service.js';
import { createPlant } from '../plants/service.js';
import { createSite } from '../sites/service.js';
import { contextFor, lastChangeSeq, seedOrganisation, type TestOrganisation } from '../testing.js';
import { systemPrincipal } from '../auth/principal.js';
import type { RegistryBundleIn } from './bundle/schema.js';
import { importBundle } from './import.js';
import { CHUNK_ROWS } from './import/write.js';
import { largeBundle, sampleBundle } from './import/testing.js';

const clone = <T>(v: T): T => structuredClone(v);

interface RowState {
  id: string;
  key: string;
  change_seq: number;
  deleted: boolean;
}

for (const engine of testEngines) {
  describe(`importing a community bundle [${engine}]`, () => {
    let db: TestDb;
    let org: TestOrganisation;
    beforeAll(async () => {
      db = await freshTestDb(engine);
      org = await seedOrganisation(db, 'Import');
    });
    afterAll(() => db.dispose());

    /** Every row (live or removed) of a community's table, by key. */
    async function rowsOf(table: string, communityKey: string, keyColumn = 'key'): Promise<Map<string, RowState>> {
      const { rows } = await db.query<RowState>(
        `SELECT t.id, t.${keyColumn} AS key, t.change_seq, t.deleted_at IS NOT NULL AS deleted FROM ${table} t
         JOIN communities c ON c.id = t.community_id WHERE c.key = $1 AND c.deleted_at IS NULL ORDER BY t.deleted_at NULLS FIRST`,
        [communityKey],
      );
      const out = new Map<string, RowState>();
      for (const r of rows) out.set(`${r.key}${r.deleted ? ' (deleted)' : ''}`, r);
      return out;
    }

    it('creates the community with its members, delivery points and assets, and counts them', async () => {
      const report = await importBundle(org.as.admin, sampleBundle('create'));
      const created = { community: 1, member: 3, delivery_point: 3, asset: 7 };
      const none = { community: 0, member: 0, delivery_point: 0, asset: 0 };
      expect(report).toEqual({
        community_key: 'create',
        inserted: created,
        deleted: none,
        warnings: [],
        created,
        updated: none,
        unchanged: none,
        dry_run: false,
        community_id: expect.any(String),
        organisation_id: org.id,
      });
      const { rows } = await db.query<{ id: string; organisation_id: string; bundle: unknown; areas: Record<string, unknown> }>(
        "SELECT id, organisation_id, bundle, areas FROM communities WHERE key = 'create'",
      );
      expect(rows).toEqual([
        {
          id: report.community_id,
          organisation_id: org.id,
          bundle: { version: '1.0', schema_version: '1.0', metadata: { description: 'create registry', updated_by: 'tests' } },
          areas: expect.objectContaining({ north: expect.objectContaining({ topology: ['ps-1', 'tr-1'] }) }),
        },
      ]);
      const assets = await db.query<{ key: string; asset_type: string; properties: unknown; pod: string | null; member: string }>(
        `SELECT a.key, a.asset_type, a.properties, a.pod, m.key AS member FROM community_assets a
         JOIN community_members m ON m.id = a.member_id WHERE a.community_id = $1 ORDER BY a.key`,
        [report.community_id],
      );
      expect(assets.rows.find((a) => a.key === 'mt-1')).toEqual({
        key: 'mt-1',
        asset_type: 'meter',
        properties: { meter_type: 'bidirectional' },
        pod: 'create-POD-1',
        member: 'm-1',
      });
      expect(assets.rows.find((a) => a.key === 'ev-1')?.properties).toEqual({
        max_power: 22,
        charger_type: 'ac_level2',
        connector_types: ['type2'],
      });
    });

    it('writes nothing when the same bundle comes again: every row keeps its id and change sequence', async () => {
      await importBundle(org.as.admin, sampleBundle('again'));
      const before = [await rowsOf('community_members', 'again'), await rowsOf('community_assets', 'again')];
      const seq = await lastChangeSeq(db, org.id);
      const report = await importBundle(org.as.admin, sampleBundle('again'));
      expect(report.unchanged).toEqual({ community: 1, member: 3, delivery_point: 3, asset: 7 });
      expect(report.created).toEqual({ community: 0, member: 0, delivery_point: 0, asset: 0 });
      expect(report.updated).toEqual({ community: 0, member: 0, delivery_point: 0, asset: 0 });
      expect(await lastChangeSeq(db, org.id)).toBe(seq);
      expect([await rowsOf('community_members', 'again'), await rowsOf('community_assets', 'again')]).toEqual(before);
    });

    it('updates changed rows in place, creates new ones and removes the missing ones softly, each under a new change sequence', async () => {
      await importBundle(org.as.admin, sampleBundle('diff'));
      const members = await rowsOf('community_members', 'diff');
      const assets = await rowsOf('community_assets', 'diff');
      const pods = await rowsOf('community_delivery_points', 'diff', 'pod');
      const seq = await lastChangeSeq(db, org.id);

      const next = clone(sampleBundle('diff'));
      const m = next.members!;
      m['m-1']!.name = 'Alice B.';
      m['m-1']!.assets!.pv!['pv-1']!.rated_power = 6;
      // The bakery's second POD moves to Carol; the bakery leaves; Dave joins.
      m['m-3']!.delivery_points = m['m-2']!.delivery_points;
      delete m['m-2'];
      m['m-4'] = { name: 'Dave', role: 'producer', area: 'south', status: 'active' };
      const report = await importBundle(org.as.admin, next);
      expect(report).toMatchObject({
        created: { community: 0, member: 1, delivery_point: 0, asset: 0 },
        updated: { community: 0, member: 1, delivery_point: 1, asset: 1 },
        unchanged: { community: 1, member: 1, delivery_point: 2, asset: 2 },
        deleted: { community: 0, member: 1, delivery_point: 0, asset: 4 },
        inserted: { community: 0, member: 1, delivery_point: 0, asset: 0 },
      });
      expect(await lastChangeSeq(db, org.id)).toBe(seq + 9);

      const membersAfter = await rowsOf('community_members', 'diff');
      expect(membersAfter.get('m-1')).toMatchObject({ id: members.get('m-1')!.id });
      expect(membersAfter.get('m-1')!.change_seq).toBeGreaterThan(seq);
      expect(membersAfter.get('m-3')).toEqual(members.get('m-3'));
      expect(membersAfter.get('m-2 (deleted)')).toMatchObject({ id: members.get('m-2')!.id });
      expect(membersAfter.get('m-2 (deleted)')!.change_seq).toBeGreaterThan(seq);
      expect(membersAfter.get('m-4')!.change_seq).toBeGreaterThan(seq);

      const assetsAfter = await rowsOf('community_assets', 'diff');
      expect(assetsAfter.get('pv-1')).toMatchObject({ id: assets.get('pv-1')!.id });
      expect(assetsAfter.get('pv-1')!.change_seq).toBeGreaterThan(seq);
      expect(assetsAfter.get('mt-1')).toEqual(assets.get('mt-1'));
      for (const key of ['ev-1', 'hp-1', 'ld-1', 'mt-2'])
        expect(assetsAfter.get(`${key} (deleted)`)).toMatchObject({ id: assets.get(key)!.id });

      const podsAfter = await rowsOf('community_delivery_points', 'diff', 'pod');
      expect(podsAfter.get('diff-POD-2')).toMatchObject({ id: pods.get('diff-POD-2')!.id });
      expect(podsAfter.get('diff-POD-2')!.change_seq).toBeGreaterThan(seq);
      const { rows } = await db.query<{ member: string }>(
        "SELECT m.key AS member FROM community_delivery_points d JOIN community_members m ON m.id = d.member_id WHERE d.pod = 'diff-POD-2'",
      );
      expect(rows).toEqual([{ member: 'm-3' }]);
    });

    it('keeps a member’s user_id and an asset’s links when the bundle leaves them out, and clears them on an explicit null', async () => {
      const site = await createSite(org.as.admin, { siteName: 'Links site' });
      const component = await createComponent(org.as.admin, { siteId: site.id, nodeId: 'links.1', name: 'Inverter', nodeType: 'INVERTER' });
      const plant = await createPlant(org.as.admin, { name: 'Logger', serialNumber: `LINKS-${engine}`, type: 'GATEWAY' });
      const linked = clone(sampleBundle('links'));
      Object.assign(linked.members!['m-1']!.assets!.pv!['pv-1']!, {
        site_id: site.id.toUpperCase(),
        component_id: component.id,
        plant_id: plant.id,
      });
      await importBundle(org.as.admin, linked);
      const links = async () =>
        (
          await db.query<Record<string, string | null>>(
            `SELECT a.site_id, a.component_id, a.plant_id, m.user_id FROM community_assets a
             JOIN community_members m ON m.id = a.member_id JOIN communities c ON c.id = a.community_id
             WHERE c.key = 'links' AND a.key = 'pv-1' AND a.deleted_at IS NULL`,
          )
        ).rows[0];
      expect(await links()).toEqual({ site_id: site.id, component_id: component.id, plant_id: plant.id, user_id: 'links-alice' });

      const omitted = clone(sampleBundle('links'));
      delete omitted.members!['m-1']!.user_id;
      const kept = await importBundle(org.as.admin, omitted);
      expect(kept.unchanged).toEqual({ community: 1, member: 3, delivery_point: 3, asset: 7 });
      expect(await links()).toEqual({ site_id: site.id, component_id: component.id, plant_id: plant.id, user_id: 'links-alice' });

      const cleared = clone(omitted);
      cleared.members!['m-1']!.user_id = null;
      Object.assign(cleared.members!['m-1']!.assets!.pv!['pv-1']!, { site_id: null, plant_id: null });
      const report = await importBundle(org.as.admin, cleared);
      expect(report.updated).toMatchObject({ member: 1, asset: 1 });
      expect(await links()).toEqual({ site_id: null, component_id: component.id, plant_id: null, user_id: null });
    });

    it('stores text with quotes, backslashes and other scripts as given', async () => {
      const bundle = clone(sampleBundle('text'));
      bundle.members!['m-1']!.name = 'O\'Brien "the {first}", back\\slash, 日本, NULL';
      bundle.members!['m-1']!.assets!.storage!['bat-1']!.device = { model: '{"x": [1, 2]}', serial_number: 'NULL' };
      await importBundle(org.as.admin, bundle);
      const { rows } = await db.query<{ name: string; device: unknown }>(
        `SELECT m.name, a.device FROM community_members m JOIN community_assets a ON a.member_id = m.id
         JOIN communities c ON c.id = m.community_id WHERE c.key = 'text' AND m.key = 'm-1' AND a.key = 'bat-1'`,
      );
      expect(rows).toEqual([{ name: bundle.members!['m-1']!.name, device: { model: '{"x": [1, 2]}', serial_number: 'NULL' } }]);
      expect((await importBundle(org.as.admin, bundle)).unchanged.member).toBe(3);
    });

    it('writes nothing on a dry run, and reports what the real import then does', async () => {
      const seq = await lastChangeSeq(db, org.id);
      const dry = await importBundle(org.as.admin, sampleBundle('dry'), { dryRun: true });
      expect(dry).toMatchObject({ dry_run: true, community_id: null, created: { community: 1, member: 3, delivery_point: 3, asset: 7 } });
      expect(await lastChangeSeq(db, org.id)).toBe(seq);
      expect((await db.query("SELECT 1 FROM communities WHERE key = 'dry'")).rows).toEqual([]);
      const real = await importBundle(org.as.admin, sampleBundle('dry'));
      expect({ ...real, dry_run: true, community_id: null }).toEqual(dry);

      const changed = clone(sampleBundle('dry'));
      delete changed.members!['m-2'];
      const before = await rowsOf('community_members', 'dry');
      const dryAgain = await importBundle(org.as.admin, changed, { dryRun: true });
      expect(dryAgain).toMatchObject({ community_id: real.community_id, deleted: { member: 1, delivery_point: 1, asset: 4 } });
      expect(await rowsOf('community_members', 'dry')).toEqual(before);
    });

    it('reports progress and writes bundles larger than one statement’s chunk', async () => {
      const assets = CHUNK_ROWS + 7;
      const bundle = largeBundle('large', 300, 320, assets);
      const phases: string[] = [];
      let last = { done: 0, total: 0 };
      const report = await importBundle(contextFor(db, systemPrincipal), bundle, {
        organisationId: org.id,
        onProgress: (p) => {
          phases.push(p.phase);
          if (p.phase === 'write') last = { done: p.done, total: p.total };
        },
      });
      expect(report.created).toEqual({ community: 1, member: 300, delivery_point: 320, asset: assets });
      expect(last).toEqual({ done: 1 + 300 + 320 + assets, total: 1 + 300 + 320 + assets });
      expect(phases[0]).toBe('check');
      const { rows } = await db.query<{ n: number; seqs: number }>(
        'SELECT count(*)::int AS n, count(DISTINCT change_seq)::int AS seqs FROM community_assets WHERE community_id = $1',
        [report.community_id],
      );
      expect(rows[0]).toEqual({ n: assets, seqs: assets });
      const again = await importBundle(org.as.owner, bundle);
      expect(again.unchanged).toEqual({ community: 1, member: 300, delivery_point: 320, asset: assets });
    });

    it('refuses a bundle that fails the schema or its own references, naming every problem, and writes nothing', async () => {
      const bad = clone(sampleBundle('bad')) as unknown as { members: Record<string, Record<string, unknown>> };
      bad.members['m-1']!['role'] = 'king';
      bad.members['m-3']!['area'] = 'west';
      const err = await importBundle(org.as.admin, bad as unknown as RegistryBundleIn).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'VALIDATION_ERROR' });
      const details = (err as { details: { path: string; type: string }[] }).details;
      expect(details.map((d) => d.path).sort()).toEqual(['members.m-1.role', 'members.m-3.area']);
      expect((await db.query("SELECT 1 FROM communities WHERE key = 'bad'")).rows).toEqual([]);
    });
  });
}
