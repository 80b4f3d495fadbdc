// The register metadata the Locus shapes need: Locus ids, the structured
// address, install info, model settings, the expected monthly table and alert
// settings of sites, and the client fields of portfolios. One database per
// engine for the file; each test seeds organisations of its own.
import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listOrganisations } from '../organisations/service.js';
import {
  addSitesToPortfolio,
  createPortfolios,
  deletePortfolio,
  getPortfolio,
  listPortfolios,
  listPortfoliosWithSites,
  removeSiteFromPortfolio,
  updatePortfolio,
} from '../portfolios/service.js';
import { SyncClient } from '../sync/client.js';
import { directTransport } from '../sync/testing.js';
import { contextFor, lastChangeSeq, seedOrganisation, type TestOrganisation } from '../testing.js';
import { MODEL_SETTING_DEFAULTS, type UpdateSiteInput } from './schema.js';
import { createSite, getSite, listSites, updateSite } from './service.js';

const fullYear = (whE: (month: number) => number = (m) => 100_000 * m) =>
  Array.from({ length: 12 }, (_, i) => ({ month: i + 1, Wh_e: whE(i + 1), GHIh_t: 40_000 + i }));

for (const engine of testEngines) {
  describe(`site and client metadata [${engine}]`, () => {
    let db: TestDb;
    beforeAll(async () => {
      db = await freshTestDb(engine);
    });
    afterAll(() => db.dispose());

    const organisationOf = async (org: TestOrganisation) => (await listOrganisations(org.as.viewer)).find((o) => o.id === org.id)!;

    it('gives a new site the PVWatts model settings, no other metadata, and Locus ids', async () => {
      const org = await seedOrganisation(db, 'Defaults');
      const site = await createSite(org.as.technician, { siteName: 'Plain' });
      expect(site).toMatchObject({
        ...MODEL_SETTING_DEFAULTS,
        sizeKw: null,
        tmy3Id: null,
        address1: null,
        countryCode: null,
        installDate: null,
        expectedMonthly: null,
        alertSettings: null,
        timezone: 'UTC',
      });
      // The migration's column defaults and the constant that documents them agree.
      expect(MODEL_SETTING_DEFAULTS).toEqual({
        mismatch: 98,
        diodesAndConnections: 99,
        dcWiring: 98,
        soiling: 98,
        sunTracking: 100,
        nameplate: 99,
        acWiring: 99,
        transformer: 100,
      });
      expect(site.locusId).toEqual(expect.any(Number));
      expect(site.locusId).toBeGreaterThan(0);
      expect(site.clientLocusId).toBe((await organisationOf(org)).unassignedClientId);
    });

    it('stores every metadata field and reads it back the same from every read', async () => {
      const org = await seedOrganisation(db, 'Full');
      const metadata = {
        address1: '657 Mission St',
        address2: '',
        locale3: 'San Francisco',
        locale1: 'California',
        localeCode1: 'CA',
        postalCode: '94105',
        countryCode: 'us',
        latitude: 37.787,
        longitude: -122.4,
        timezone: 'America/Los_Angeles',
        installer: 'ABC Solar',
        installCrew: 'Crew 7',
        installDate: '2014-05-08',
        ptoDate: '2014-05-14',
        startupDate: '2014-05-14',
        uninstallCrew: null,
        uninstallDate: '2024-02-29',
        sizeKw: 1023.4,
        soiling: 95,
        nameplate: 100,
        tmy3Id: 724095,
        // Given out of order, without GHIh_t for one month: stored sorted, that month's GHIh_t null.
        expectedMonthly: [...fullYear().slice(6), ...fullYear().slice(0, 6)].map((m) => (m.month === 3 ? { month: 3, Wh_e: 0 } : m)),
        alertSettings: { systemDisconnect: { afterMinutes: 30 }, performanceIndex: { enabled: false, threshold: 0.5 } },
      };
      const created = await createSite(org.as.technician, { siteName: 'Mission', ...metadata });
      const expected = {
        ...metadata,
        countryCode: 'US',
        expectedMonthly: fullYear().map((m) => (m.month === 3 ? { month: 3, Wh_e: 0, GHIh_t: null } : m)),
        mismatch: 98,
        transformer: 100,
      };
      expect(created).toMatchObject(expected);
      expect(await getSite(org.as.viewer, created.id)).toEqual(created);
      expect(await listSites(org.as.viewer, { siteId: created.id })).toEqual([created]);
      const { rows } = await db.query<{ install_date: string; expected_monthly: unknown; size_kw: number }>(
        "SELECT to_char(install_date, 'YYYY-MM-DD') AS install_date, expected_monthly, size_kw FROM sites WHERE id = $1",
        [created.id],
      );
      expect(rows[0]).toEqual({ install_date: '2014-05-08', expected_monthly: expected.expectedMonthly, size_kw: 1023.4 });

      // A partial update changes only what it names; null clears.
      const updated = await updateSite(org.as.technician, created.id, { installer: null, soiling: 97, sizeKw: null, alertSettings: null });
      expect(updated).toMatchObject({ ...expected, installer: null, soiling: 97, sizeKw: null, alertSettings: null });
      expect(updated.locusId).toBe(created.locusId);
    });

    it('refuses bad metadata with VALIDATION_ERROR naming the field, and writes nothing', async () => {
      const org = await seedOrganisation(db, 'Strict');
      const site = await createSite(org.as.technician, { siteName: 'Strict', expectedMonthly: fullYear() });
      const seq = await lastChangeSeq(db, org.id);
      const months = fullYear();
      const cases: [string, UpdateSiteInput | Record<string, unknown>, string][] = [
        ['a date that does not exist', { installDate: '2023-02-29' }, 'installDate'],
        ['a month 13', { ptoDate: '2024-13-01' }, 'ptoDate'],
        ['a date not written YYYY-MM-DD', { startupDate: '2024-1-5' }, 'startupDate'],
        ['a timestamp for a date', { uninstallDate: '2024-01-05T00:00:00Z' }, 'uninstallDate'],
        ['a percentage above 110', { mismatch: 111 }, 'mismatch'],
        ['a negative percentage', { dcWiring: -1 }, 'dcWiring'],
        ['a fractional percentage', { soiling: 97.5 }, 'soiling'],
        ['a cleared percentage', { transformer: null }, 'transformer'],
        ['a negative size', { sizeKw: -1 }, 'sizeKw'],
        ['a fractional TMY3 id', { tmy3Id: 1.5 }, 'tmy3Id'],
        ['a country code of digits', { countryCode: '12' }, 'countryCode'],
        ['the Locus id', { locusId: 5 }, ''],
        ['eleven months', { expectedMonthly: months.slice(1) }, 'expectedMonthly'],
        [
          'a month 13 in the table',
          { expectedMonthly: [...months.slice(1), { month: 13, Wh_e: 1, GHIh_t: null }] },
          'expectedMonthly[11].month',
        ],
        [
          'a month given twice',
          { expectedMonthly: [...months.slice(0, 11), { month: 4, Wh_e: 1, GHIh_t: 1 }] },
          'expectedMonthly[11].month',
        ],
        [
          'a negative expected energy',
          { expectedMonthly: months.map((m, i) => (i === 2 ? { ...m, Wh_e: -5 } : m)) },
          'expectedMonthly[2].Wh_e',
        ],
        [
          'a negative insolation',
          { expectedMonthly: months.map((m, i) => (i === 0 ? { ...m, GHIh_t: -1 } : m)) },
          'expectedMonthly[0].GHIh_t',
        ],
        ['an unknown key in a month', { expectedMonthly: months.map((m, i) => (i === 0 ? { ...m, Wh: 1 } : m)) }, 'expectedMonthly[0]'],
        ['an unknown alert rule', { alertSettings: { lowVoltage: {} } }, 'alertSettings'],
        ['a threshold above 1', { alertSettings: { performanceIndex: { threshold: 1.5 } } }, 'alertSettings.performanceIndex.threshold'],
        [
          'a disconnect after 4 minutes',
          { alertSettings: { systemDisconnect: { afterMinutes: 4 } } },
          'alertSettings.systemDisconnect.afterMinutes',
        ],
        ['a string for enabled', { alertSettings: { deviceFault: { enabled: 'yes' } } }, 'alertSettings.deviceFault.enabled'],
      ];
      for (const [name, patch, path] of cases) {
        const refused = await updateSite(org.as.technician, site.id, patch).then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(refused, name).toMatchObject({
          code: 'VALIDATION_ERROR',
          details: expect.arrayContaining([expect.objectContaining({ path })]),
        });
        await expect(createSite(org.as.technician, { siteName: 'New', ...patch }), name).rejects.toMatchObject({
          code: 'VALIDATION_ERROR',
        });
      }
      expect(await getSite(org.as.viewer, site.id)).toEqual(site);
      expect((await listSites(org.as.viewer)).map((s) => s.id)).toEqual([site.id]);
      expect(await lastChangeSeq(db, org.id)).toBe(seq);
    });

    it("answers a site's client Locus id from its portfolio, or the organisation's unassigned client, wherever it moves", async () => {
      const org = await seedOrganisation(db, 'Clients');
      const { unassignedClientId } = await organisationOf(org);
      const ctx = org.as.technician;
      const [p, q] = await createPortfolios(ctx, [{ name: 'P' }, { name: 'Q' }]);
      const inP = await createSite(ctx, { siteName: 'In P', portfolioId: p!.id });
      const loose = await createSite(ctx, { siteName: 'Loose' });
      expect(inP.clientLocusId).toBe(p!.locusId);
      expect(loose.clientLocusId).toBe(unassignedClientId);

      const clientOf = async (siteId: string) => (await getSite(org.as.viewer, siteId)).clientLocusId;
      expect((await updateSite(ctx, loose.id, { portfolioId: q!.id })).clientLocusId).toBe(q!.locusId);
      expect(await clientOf(loose.id)).toBe(q!.locusId);
      await addSitesToPortfolio(ctx, p!.id, { siteIds: [loose.id] });
      expect(await clientOf(loose.id)).toBe(p!.locusId);
      const grouped = await listPortfoliosWithSites(org.as.viewer);
      expect(grouped.map((g) => [g.locusId, g.sites.map((s) => s.clientLocusId)])).toEqual([
        [p!.locusId, [p!.locusId, p!.locusId]],
        [q!.locusId, []],
      ]);
      await removeSiteFromPortfolio(ctx, p!.id, { siteId: loose.id });
      expect(await clientOf(loose.id)).toBe(unassignedClientId);
      await deletePortfolio(ctx, p!.id);
      expect(await clientOf(inP.id)).toBe(unassignedClientId);
      expect((await listSites(org.as.viewer)).map((s) => [s.siteName, s.clientLocusId])).toEqual([
        ['In P', unassignedClientId],
        ['Loose', unassignedClientId],
      ]);
    });

    it('hands out Locus ids unique across every kind, and keeps each through updates and moves', async () => {
      const a = await seedOrganisation(db, 'Ids A');
      const b = await seedOrganisation(db, 'Ids B');
      const portfolios = [
        ...(await createPortfolios(a.as.admin, [{ name: 'A1' }, { name: 'A2' }])),
        ...(await createPortfolios(b.as.admin, [{ name: 'B1' }])),
      ];
      const sites = [
        await createSite(a.as.admin, { siteName: 'a1', portfolioId: portfolios[0]!.id }),
        await createSite(a.as.admin, { siteName: 'a2' }),
        await createSite(b.as.admin, { siteName: 'b1' }),
      ];
      const orgs = [await organisationOf(a), await organisationOf(b)];
      const ids = [
        ...orgs.flatMap((o) => [o.partnerId, o.unassignedClientId]),
        ...portfolios.map((p) => p.locusId),
        ...sites.map((s) => s.locusId),
      ];
      expect(ids.every((id) => Number.isInteger(id) && id! > 0)).toBe(true);
      expect(new Set(ids).size).toBe(ids.length);

      await updateSite(a.as.admin, sites[0]!.id, { siteName: 'renamed', portfolioId: portfolios[1]!.id, soiling: 90 });
      await updatePortfolio(a.as.admin, portfolios[0]!.id, { name: 'A1 renamed', tz: 'Europe/Berlin' });
      expect((await getSite(a.as.viewer, sites[0]!.id)).locusId).toBe(sites[0]!.locusId);
      expect((await getPortfolio(a.as.viewer, portfolios[0]!.id)).locusId).toBe(portfolios[0]!.locusId);
      expect(await organisationOf(a)).toEqual(orgs[0]);
    });

    it("shows a device's placeholder Locus ids (at or below 0) as not assigned yet", async () => {
      const org = await seedOrganisation(db, 'Placeholders');
      const [p] = await createPortfolios(org.as.admin, [{ name: 'Offline' }]);
      const site = await createSite(org.as.admin, { siteName: 'Offline', portfolioId: p!.id });
      await db.query('UPDATE portfolios SET locus_id = -3 WHERE id = $1', [p!.id]);
      await db.query('UPDATE sites SET locus_id = 0 WHERE id = $1', [site.id]);
      expect(await getSite(org.as.viewer, site.id)).toMatchObject({ locusId: null, clientLocusId: null });
      expect(await getPortfolio(org.as.viewer, p!.id)).toMatchObject({ locusId: null });
    });

    it("keeps a portfolio's client fields: zone (UTC by default), contact name and email, partially updated", async () => {
      const org = await seedOrganisation(db, 'Portfolio fields');
      const [plain, full] = await createPortfolios(org.as.admin, [
        { name: 'Plain' },
        { name: 'Full', tz: 'us/eastern', firstName: ' Test ', lastName: 'System', email: 'test@example.com' },
      ]);
      expect(plain).toMatchObject({ tz: 'UTC', firstName: null, lastName: null, email: null });
      expect(full).toMatchObject({ tz: 'America/New_York', firstName: 'Test', lastName: 'System', email: 'test@example.com' });

      const updated = await updatePortfolio(org.as.admin, full!.id, { email: null, firstName: 'Ada' });
      expect(updated).toMatchObject({ name: 'Full', tz: 'America/New_York', firstName: 'Ada', lastName: 'System', email: null });
      expect(updated.locusId).toBe(full!.locusId);

      const seq = await lastChangeSeq(db, org.id);
      const cases: [string, unknown, string | undefined][] = [
        ['nothing to change', {}, undefined],
        ['a malformed email', { email: 'not-an-email' }, 'email'],
        ['an unknown zone', { tz: 'Mars/Olympus' }, 'tz'],
        ['a cleared zone', { tz: null }, 'tz'],
        ['a cleared name', { name: null }, 'name'],
        ['the Locus id', { locusId: 1 }, ''],
      ];
      for (const [name, patch, path] of cases) {
        const refused = await updatePortfolio(org.as.admin, full!.id, patch).then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(refused, name).toMatchObject({ code: 'VALIDATION_ERROR' });
        if (path !== undefined)
          expect(
            (refused as { details: { path?: string }[] }).details.map((d) => d.path),
            name,
          ).toContain(path);
      }
      await expect(createPortfolios(org.as.admin, [{ name: 'Bad', email: 'nobody' }])).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
      expect(await lastChangeSeq(db, org.id)).toBe(seq);
      expect((await listPortfolios(org.as.viewer)).map((p) => p.name)).toEqual(['Plain', 'Full']);
      expect(await getPortfolio(org.as.viewer, full!.id)).toEqual(updated);
    });

    it('syncs the metadata a device writes offline, and the server assigns the Locus ids', async () => {
      const org = await seedOrganisation(db, 'Offline');
      const userId = (org.as.technician.principal as { userId: string }).userId;
      const local = await freshTestDb('pglite');
      try {
        const client = await SyncClient.open({
          db: local,
          clock: { now: () => new Date() },
          ids: contextFor(local).ids,
          userId,
          transport: directTransport(db, userId),
        });
        await client.sync();
        const { unassignedClientId } = await organisationOf(org);
        const fields = {
          siteName: 'Offline roof',
          countryCode: 'de',
          installDate: '2021-06-30',
          sizeKw: 9.6,
          soiling: 96,
          tmy3Id: 103840,
          expectedMonthly: fullYear(),
          alertSettings: { zeroGeneration: { minIrradiance: 200 }, deviceFault: { enabled: false } },
        };
        const { id } = await client.write({ table: 'sites', op: 'create', organisationId: org.id, fields });
        const p = await client.write({
          table: 'portfolios',
          op: 'create',
          organisationId: org.id,
          fields: { name: 'Offline client', tz: 'Europe/Berlin', email: 'o@example.com' },
        });
        // Before the server has seen them: no Locus ids yet, but the organisation's (pulled) unassigned client.
        const offline = await getSite(await client.context(), id);
        expect(offline).toMatchObject({ ...fields, countryCode: 'DE', locusId: null, clientLocusId: unassignedClientId, mismatch: 98 });
        expect(await getPortfolio(await client.context(), p.id)).toMatchObject({ locusId: null, tz: 'Europe/Berlin' });
        // A site created offline, then put into a portfolio the server has deleted meanwhile: the server
        // takes the site and refuses the move, and the device rebuilds the site from its own create alone,
        // with the defaults the service would have filled in (model settings, a Locus id placeholder).
        const [gone] = await createPortfolios(org.as.admin, [{ name: 'Gone' }]);
        await client.sync();
        await deletePortfolio(org.as.admin, gone!.id);
        const refused = await client.write({ table: 'sites', op: 'create', organisationId: org.id, fields: { siteName: 'Refused move' } });
        await client.write({ table: 'sites', op: 'update', id: refused.id, organisationId: org.id, fields: { portfolioId: gone!.id } });

        await client.sync();
        const onServer = await getSite(org.as.viewer, id);
        expect(onServer).toMatchObject({ ...fields, countryCode: 'DE', clientLocusId: unassignedClientId });
        expect(onServer.locusId).toBeGreaterThan(0);
        expect(await getSite(await client.context(), id)).toEqual(onServer);
        expect(await getPortfolio(await client.context(), p.id)).toEqual(await getPortfolio(org.as.viewer, p.id));
        expect(await getSite(org.as.viewer, refused.id)).toMatchObject({ ...MODEL_SETTING_DEFAULTS, portfolioId: null });
        expect(await getSite(await client.context(), refused.id)).toEqual(await getSite(org.as.viewer, refused.id));

        // The server and the device write the same values meanwhile: no conflict to choose between.
        await updateSite(org.as.admin, id, { installDate: '2021-07-01', expectedMonthly: fullYear((m) => 7 * m) });
        await client.write({
          table: 'sites',
          op: 'update',
          id,
          organisationId: org.id,
          fields: { installDate: '2021-07-01', expectedMonthly: fullYear((m) => 7 * m) },
        });
        await client.sync();
        const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM sync_conflicts WHERE row_id = $1', [id]);
        expect(rows[0]!.n).toBe(0);
        expect(await getSite(await client.context(), id)).toEqual(await getSite(org.as.viewer, id));
      } finally {
        await local.dispose();
      }
    });

    it('lists organisations with their partner and unassigned client ids', async () => {
      const org = await seedOrganisation(db, 'Partner');
      const [found] = (await listOrganisations(contextFor(db))).filter((o) => o.id === org.id);
      expect(found).toMatchObject({ id: org.id, name: 'Partner', partnerId: expect.any(Number), unassignedClientId: expect.any(Number) });
      const { rows } = await db.query<{ locus_id: number; unassigned_client_locus_id: number }>(
        'SELECT locus_id, unassigned_client_locus_id FROM organisations WHERE id = $1',
        [org.id],
      );
      expect([found!.partnerId, found!.unassignedClientId]).toEqual([rows[0]!.locus_id, rows[0]!.unassigned_client_locus_id]);
    });
  });
}
