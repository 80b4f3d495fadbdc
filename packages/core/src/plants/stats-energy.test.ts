import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceContext } from '../context.js';
import { createComponent } from '../monitoring/components/service.js';
import { ingestReadings } from '../monitoring/readings/service.js';
import { createSite } from '../sites/service.js';
import { contextFor, seedOrganisation } from '../testing.js';
import { energyToday, selfConsumption } from './energy.js';
import { createPlant, decommissionPlant } from './service.js';
import { certificateStats } from './stats.js';
import { appRouter, createCaller } from '../trpc/router.js';

const DAY = 86_400_000;

for (const engine of testEngines) {
  describe(`plant certificate stats and energy [${engine}]`, () => {
    let db: TestDb;
    beforeAll(async () => {
      db = await freshTestDb(engine);
    });
    afterAll(() => db.dispose());

    let serial = 0;
    const nextSerial = () => `SE-${engine}-${++serial}`;
    /** A fixed clock for one context: the same principal at another time. */
    const at = (ctx: ServiceContext, now: Date): ServiceContext => ({ ...contextFor(ctx.db, ctx.principal, { now: () => now }) });

    async function certificate(plantId: string, notAfter: Date, state: 'active' | 'retired' | 'revoked') {
      const n = `${plantId}-${++serial}`;
      await db.query(
        `INSERT INTO plant_certificates (serial_number, plant_id, fingerprint, not_before, not_after, state, key_generated)
         VALUES ($1, $2, $3, $4, $5, $6, true)`,
        [n, plantId, `fp-${n}`, new Date(notAfter.getTime() - 365 * DAY), notAfter, state],
      );
      if (state === 'active') {
        await db.query(
          'UPDATE plants SET certificate_fingerprint = $2, certificate_serial_number = $3, certificate_expires_at = $4 WHERE id = $1',
          [plantId, `fp-${n}`, n, notAfter],
        );
      }
    }

    it('counts active, expired, expiring and revoked certificates of live plants and names the plants at risk', async () => {
      const org = await seedOrganisation(db, 'Certs');
      const other = await seedOrganisation(db, 'Certs other');
      const now = new Date('2030-06-01T12:00:00Z');
      const plant = (name: string, o = org) => createPlant(o.as.technician, { name, serialNumber: nextSerial(), type: 'SENSOR' });
      const healthy = await plant('Healthy');
      const soon = await plant('Soon');
      const sooner = await plant('Sooner');
      const expired = await plant('Expired');
      const revoked = await plant('Revoked');
      const gone = await plant('Gone');
      const theirs = await plant('Theirs', other);
      await certificate(healthy.id, new Date(now.getTime() - 400 * DAY), 'retired');
      await certificate(healthy.id, new Date(now.getTime() + 200 * DAY), 'active');
      await certificate(soon.id, new Date(now.getTime() + 20 * DAY), 'active');
      await certificate(sooner.id, new Date(now.getTime() + 3 * DAY), 'active');
      await certificate(expired.id, new Date(now.getTime() - DAY), 'active');
      await certificate(revoked.id, new Date(now.getTime() + 100 * DAY), 'revoked');
      await certificate(gone.id, new Date(now.getTime() + DAY), 'active');
      await certificate(theirs.id, new Date(now.getTime() + DAY), 'active');
      await decommissionPlant(org.as.admin, gone.id);

      const stats = await certificateStats(at(org.as.viewer, now));
      expect(stats).toEqual({
        active: 3,
        expired: 1,
        expiringSoon: 2,
        revoked: 1,
        nextRenewalAt: new Date(now.getTime() + 3 * DAY).toISOString(),
        atRiskPlants: [
          {
            id: expired.id,
            name: 'Expired',
            serialNumber: expired.serialNumber,
            authMethod: 'MTLS',
            lifecycleStatus: 'PENDING',
            certificateExpiresAt: new Date(now.getTime() - DAY).toISOString(),
          },
          expect.objectContaining({ id: sooner.id }),
          expect.objectContaining({ id: soon.id }),
        ],
      });
      // The other organisation sees its own certificate only.
      expect(await certificateStats(at(other.as.viewer, now))).toMatchObject({
        active: 1,
        expiringSoon: 1,
        atRiskPlants: [{ id: theirs.id }],
      });
      // Asking for one organisation: it must be one of the caller's.
      expect((await certificateStats(at(org.as.viewer, now), { organisationId: org.id })).active).toBe(3);
      await expect(certificateStats(org.as.viewer, { organisationId: other.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      // Thirty days on, the healthy one is at risk too.
      const later = await certificateStats(at(org.as.viewer, new Date(now.getTime() + 175 * DAY)));
      expect(later).toMatchObject({
        active: 1,
        expired: 3,
        expiringSoon: 1,
        nextRenewalAt: new Date(now.getTime() + 200 * DAY).toISOString(),
      });
      // Nothing at all: zeros and no renewal date.
      const empty = await seedOrganisation(db, 'Certs empty');
      expect(await certificateStats(empty.as.viewer)).toEqual({
        active: 0,
        expired: 0,
        expiringSoon: 0,
        revoked: 0,
        nextRenewalAt: null,
        atRiskPlants: [],
      });
    });

    it('sums today’s produced, imported and exported energy of the plant and its sub-devices, in kWh', async () => {
      const org = await seedOrganisation(db, 'Energy');
      const site = await createSite(org.as.admin, { siteName: 'Energy site' });
      const plant = await createPlant(org.as.technician, { name: 'E', serialNumber: nextSerial(), type: 'GATEWAY', siteId: site.id });
      const meter = await createComponent(org.as.technician, {
        siteId: site.id,
        parentId: plant.componentId!,
        nodeId: 'meter-1',
        name: 'Meter',
        nodeType: 'METER',
      });
      // Another plant's component on the same site: not counted.
      const stranger = await createPlant(org.as.technician, { name: 'S', serialNumber: nextSerial(), type: 'SENSOR', siteId: site.id });

      const now = new Date();
      const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
      const iso = (ms: number) => new Date(ms).toISOString();
      await ingestReadings(org.as.technician, plant.componentId!, {
        readings: [
          { ts: iso(midnight - 3_600_000), Wh: 99_000 }, // yesterday
          { ts: iso(midnight), Wh: 1500, W: 3000 },
          { ts: iso(midnight + 60_000), Wh: 2500.4 },
        ],
      });
      await ingestReadings(org.as.technician, meter.id, {
        readings: [
          { ts: iso(midnight - 60_000), WhImp: 50_000, WhExp: 50_000 },
          { ts: iso(midnight + 60_000), WhImp: 700, WhExp: 1000 },
          { ts: iso(midnight + 120_000), WhImp: 300 },
        ],
      });
      await ingestReadings(org.as.technician, stranger.componentId!, { readings: [{ ts: iso(midnight + 60_000), Wh: 7777, WhExp: 7777 }] });

      const today = await energyToday(org.as.viewer, plant.id);
      expect(today).toEqual({
        date: new Date(midnight).toISOString().slice(0, 10),
        produced: 4,
        imported: 1,
        exported: 1,
        // (4000.4 − 1000) / 4000.4 = 75.0 %
        selfConsumptionPct: 75,
      });

      // A plant without a site or readings: zeros.
      const bare = await createPlant(org.as.technician, { name: 'Bare', serialNumber: nextSerial(), type: 'SENSOR' });
      expect(await energyToday(org.as.viewer, bare.id)).toMatchObject({ produced: 0, imported: 0, exported: 0, selfConsumptionPct: 0 });

      const other = await seedOrganisation(db, 'Energy other');
      await expect(energyToday(other.as.viewer, plant.id)).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'Plant not found' });
      await expect(energyToday(org.as.viewer, 'x')).rejects.toMatchObject({ code: 'VALIDATION_ERROR', message: 'Invalid plant UUID' });
    });

    it('computes self-consumption within 0–100, to 0.1, and 0 without production', () => {
      expect(selfConsumption(0, 0)).toBe(0);
      expect(selfConsumption(0, 5)).toBe(0);
      expect(selfConsumption(3, 1)).toBe(66.7);
      expect(selfConsumption(3, 0)).toBe(100);
      expect(selfConsumption(1, 2)).toBe(0);
    });

    it('serves the registry through the tRPC router', async () => {
      expect(Object.keys(appRouter._def.procedures)).toEqual(
        expect.arrayContaining(['plants.list', 'plants.get', 'plants.create', 'plants.update', 'plants.energyToday']),
      );
      const org = await seedOrganisation(db, 'Trpc');
      const caller = createCaller({ authenticate: async () => org.as.technician });
      const created = await caller.plants.create({ name: 'Via tRPC', serialNumber: nextSerial(), type: 'SENSOR' });
      expect((await caller.plants.get({ id: created.id })).name).toBe('Via tRPC');
      expect((await caller.plants.update({ id: created.id, patch: { name: 'Renamed' } })).name).toBe('Renamed');
      expect((await caller.plants.list()).data.map((p) => p.id)).toEqual([created.id]);
      expect(await caller.plants.energyToday({ id: created.id })).toMatchObject({ produced: 0 });
      const viewer = createCaller({ authenticate: async () => org.as.viewer });
      await expect(viewer.plants.create({ name: 'No', serialNumber: nextSerial(), type: 'SENSOR' })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
    });
  });
}
