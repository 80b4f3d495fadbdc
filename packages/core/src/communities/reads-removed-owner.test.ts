// Regression: the /admin reads and lookups showed delivery points and assets
// whose owning member was removed, while an export left them out. A member's
// removal takes its rows along, so such rows exist only when that invariant
// is broken; the test breaks it by hand, with SQL.
import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceContext } from '../context.js';
import { seedOrganisation } from '../testing.js';
import { exportBundles } from './export.js';
import { importBundle } from './import.js';
import { sampleBundle } from './import/testing.js';
import { lookupAssetBySensorId, lookupAssetsBySensorIds, lookupCommunityByDeliveryPoint, lookupCommunityBySensorId } from './lookups.js';
import { getAsset, getAssetBySensorId, getDeliveryPoint, listAssets, listDeliveryPoints, listMeters } from './queries.js';

/** The code and message of a refused read. */
async function refusal(work: Promise<unknown>): Promise<{ code: string; message: string }> {
  const err = (await work.then(
    () => ({ code: 'none', message: 'the read answered' }),
    (e: unknown) => e,
  )) as { code: string; message: string };
  return { code: err.code, message: err.message };
}

for (const engine of testEngines) {
  describe(`reads of a removed member’s rows [${engine}]`, () => {
    let db: TestDb;
    let admin: ServiceContext;
    beforeAll(async () => {
      db = await freshTestDb(engine);
      const org = await seedOrganisation(db, 'Removed owner');
      admin = org.as.admin;
      await importBundle(admin, sampleBundle('ghost'));
      // m-2 owns ghost-POD-2 and ev-1, hp-1, ld-1 and mt-2 (sensor ghost-S-2); its rows stay live.
      await db.query(
        `UPDATE community_members SET deleted_at = now()
          WHERE key = 'm-2' AND community_id = (SELECT id FROM communities WHERE key = 'ghost')`,
      );
    });
    afterAll(() => db.dispose());

    it('leaves them out of an export (as it did)', async () => {
      const [bundle] = await exportBundles(admin, { keys: ['ghost'] });
      expect(Object.keys(bundle!.members!)).toEqual(['m-1', 'm-3']);
    });

    it('leaves them out of the lists of assets, meters and delivery points', async () => {
      expect((await listAssets(admin, 'ghost')).items.map((a) => a.key)).toEqual(['bat-1', 'mt-1', 'pv-1']);
      expect((await listAssets(admin, 'ghost', { asset_type: 'meter' })).items.map((a) => a.key)).toEqual(['mt-1']);
      expect((await listMeters(admin, 'ghost')).items.map((a) => a.key)).toEqual(['mt-1']);
      expect((await listDeliveryPoints(admin, 'ghost')).items.map((d) => d.id)).toEqual(['ghost-POD-0', 'ghost-POD-1']);
    });

    it('answers them as not found by key, sensor id and POD', async () => {
      const assetNotFound = { code: 'NOT_FOUND', message: 'Asset not found' };
      expect(await refusal(getAsset(admin, 'ghost', 'mt-2'))).toEqual(assetNotFound);
      expect(await refusal(getAssetBySensorId(admin, 'ghost', 'ghost-S-2'))).toEqual(assetNotFound);
      expect(await refusal(getDeliveryPoint(admin, 'ghost', 'ghost-POD-2'))).toEqual({
        code: 'NOT_FOUND',
        message: 'Delivery point not found',
      });
      // The live member's rows still answer.
      expect((await getAsset(admin, 'ghost', 'mt-1')).owner_key).toBe('m-1');
      expect((await getAssetBySensorId(admin, 'ghost', 'ghost-S-1')).key).toBe('mt-1');
      expect((await getDeliveryPoint(admin, 'ghost', 'ghost-POD-1')).member.key).toBe('m-1');
    });

    it('finds them by no lookup', async () => {
      expect(await refusal(lookupCommunityBySensorId(admin, 'ghost-S-2'))).toEqual({
        code: 'NOT_FOUND',
        message: 'Sensor not found in any community',
      });
      expect(await refusal(lookupAssetBySensorId(admin, 'ghost-S-2'))).toEqual({ code: 'NOT_FOUND', message: 'Asset not found' });
      expect(await refusal(lookupCommunityByDeliveryPoint(admin, 'ghost-POD-2'))).toEqual({
        code: 'NOT_FOUND',
        message: 'Delivery point not found in any community',
      });
      const batch = await lookupAssetsBySensorIds(admin, { sensor_ids: ['ghost-S-2', 'ghost-S-1'] });
      expect(batch.items.map((a) => a.key)).toEqual(['mt-1']);
      expect(batch.notFound).toEqual(['ghost-S-2']);
      // The live member's rows are still found.
      expect((await lookupCommunityBySensorId(admin, 'ghost-S-1')).member.key).toBe('m-1');
      expect((await lookupAssetBySensorId(admin, 'ghost-S-1')).key).toBe('mt-1');
      expect((await lookupCommunityByDeliveryPoint(admin, 'ghost-POD-1')).member.key).toBe('m-1');
    });
  });
}
