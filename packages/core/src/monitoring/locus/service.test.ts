import type { Db } from '@helio/db';
import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceContext } from '../../context.js';
import { DomainError } from '../../errors.js';
import { createPortfolios } from '../../portfolios/service.js';
import { createSite } from '../../sites/service.js';
import { contextFor, seedOrganisation, type TestOrganisation } from '../../testing.js';
import * as locus from './service.js';

/** A component written straight into the table (the components service is another domain's). */
async function insertComponent(
  db: Db,
  fields: { organisationId: string; siteId: string; parentId?: string; nodeId: string; name: string; nodeType: string } & Partial<{
    oem: string;
    model: string;
    serialNumber: string;
    description: string;
    conceptual: boolean;
    deleted: boolean;
  }>,
): Promise<{ id: string; locusId: number }> {
  const id = crypto.randomUUID();
  const { rows } = await db.query<{ locus_id: number }>(
    `INSERT INTO components (id, organisation_id, site_id, parent_id, node_id, name, node_type, application, generation_type,
                             oem, model, is_conceptual_node, serial_number, description, deleted_at, change_seq)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'GENERATION', 'SOLAR', $8, $9, $10, $11, $12, $13, 0) RETURNING locus_id`,
    [
      id,
      fields.organisationId,
      fields.siteId,
      fields.parentId ?? null,
      fields.nodeId,
      fields.name,
      fields.nodeType,
      fields.oem ?? null,
      fields.model ?? null,
      fields.conceptual ?? false,
      fields.serialNumber ?? null,
      fields.description ?? null,
      fields.deleted ? new Date() : null,
    ],
  );
  return { id, locusId: rows[0]!.locus_id };
}

async function locusIdOf(db: Db, table: 'organisations' | 'portfolios' | 'sites', id: string): Promise<number> {
  return (await db.query<{ locus_id: number }>(`SELECT locus_id FROM ${table} WHERE id = $1`, [id])).rows[0]!.locus_id;
}

async function expectNotFound(promise: Promise<unknown>): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code: 'NOT_FOUND' });
}

for (const engine of testEngines) {
  describe(`Locus reads [${engine}]`, () => {
    let db: TestDb;
    let a: TestOrganisation;
    let b: TestOrganisation;
    let viewer: ServiceContext;
    const ids = {} as {
      partner: number;
      unassigned: number;
      portfolio: number;
      emptyPortfolio: number;
      placed: number;
      loose: number;
      meter: number;
      inverter: number;
      station: number;
      gone: number;
      bPartner: number;
      bClient: number;
      bSite: number;
      bComponent: number;
    };

    beforeAll(async () => {
      db = await freshTestDb(engine);
      a = await seedOrganisation(db, 'A');
      b = await seedOrganisation(db, 'B');
      viewer = a.as.viewer;
      const [portfolio, empty] = await createPortfolios(a.as.admin, [{ name: 'North' }, { name: 'Empty' }]);
      await db.query(
        `UPDATE portfolios SET tz = 'US/Eastern', first_name = 'Test', last_name = 'System', email = 'test@example.com' WHERE id = $1`,
        [portfolio!.id],
      );
      const placed = await createSite(a.as.admin, {
        siteName: 'Test Site',
        portfolioId: portfolio!.id,
        timezone: 'America/Los_Angeles',
        latitude: 37.78,
        longitude: -122.4,
      });
      await db.query(
        `UPDATE sites SET address1 = '657 Mission St', locale3 = 'San Francisco', locale1 = 'California', locale_code1 = 'CA',
           postal_code = '94105', country_code = 'US', installer = 'ABC Solar', install_date = '2014-05-08', startup_date = '2014-05-14',
           size_kw = 1023.4, soiling = 95, tmy3_id = 724095
         WHERE id = $1`,
        [placed.id],
      );
      const loose = await createSite(a.as.admin, { siteName: 'Loose', address: '2 Hudson Place, Hoboken' });
      const meter = await insertComponent(db, {
        organisationId: a.id,
        siteId: placed.id,
        nodeId: 'OB.001EC1111DC9.1',
        name: 'PV Meter',
        nodeType: 'METER',
        oem: 'Locus Energy',
        model: 'LGate 120',
        serialNumber: 'ABC123',
        description: 'revenue grade meter',
      });
      const inverter = await insertComponent(db, {
        organisationId: a.id,
        siteId: placed.id,
        parentId: meter.id,
        nodeId: 'OB_TESTNODE.44',
        name: 'AE Inverter E1',
        nodeType: 'INVERTER',
      });
      const station = await insertComponent(db, {
        organisationId: a.id,
        siteId: loose.id,
        nodeId: 'WS.1',
        name: 'Weather',
        nodeType: 'WEATHERSTATION',
        conceptual: true,
      });
      const gone = await insertComponent(db, {
        organisationId: a.id,
        siteId: loose.id,
        nodeId: 'OLD.1',
        name: 'Old',
        nodeType: 'METER',
        deleted: true,
      });
      const bSite = await createSite(b.as.admin, { siteName: 'B site' });
      const bComponent = await insertComponent(db, {
        organisationId: b.id,
        siteId: bSite.id,
        nodeId: 'OB.B.1',
        name: 'B meter',
        nodeType: 'METER',
      });
      Object.assign(ids, {
        partner: await locusIdOf(db, 'organisations', a.id),
        unassigned: (await db.query<{ u: number }>('SELECT unassigned_client_locus_id AS u FROM organisations WHERE id = $1', [a.id]))
          .rows[0]!.u,
        portfolio: await locusIdOf(db, 'portfolios', portfolio!.id),
        emptyPortfolio: await locusIdOf(db, 'portfolios', empty!.id),
        placed: await locusIdOf(db, 'sites', placed.id),
        loose: await locusIdOf(db, 'sites', loose.id),
        meter: meter.locusId,
        inverter: inverter.locusId,
        station: station.locusId,
        gone: gone.locusId,
        bPartner: await locusIdOf(db, 'organisations', b.id),
        bClient: (await db.query<{ u: number }>('SELECT unassigned_client_locus_id AS u FROM organisations WHERE id = $1', [b.id])).rows[0]!
          .u,
        bSite: await locusIdOf(db, 'sites', bSite.id),
        bComponent: bComponent.locusId,
      });
    });
    afterAll(() => db.dispose());

    it('lists the partner’s portfolios and its client of sites without a portfolio, by id', async () => {
      const clients = await locus.partnerClients(viewer, String(ids.partner));
      expect(clients).toEqual(
        [
          { id: ids.unassigned, partnerId: ids.partner, tz: 'UTC', firstName: 'Sites without a portfolio', lastName: '', email: '' },
          { id: ids.portfolio, partnerId: ids.partner, tz: 'US/Eastern', firstName: 'Test', lastName: 'System', email: 'test@example.com' },
          { id: ids.emptyPortfolio, partnerId: ids.partner, tz: 'UTC', firstName: 'Empty', lastName: '', email: '' },
        ].sort((x, y) => x.id - y.id),
      );
      expect(await locus.getClient(viewer, ids.portfolio)).toEqual(clients.find((c) => c.id === ids.portfolio));
      expect(await locus.getClient(viewer, ids.unassigned)).toEqual(clients.find((c) => c.id === ids.unassigned));
    });

    it('answers sites in the Locus shape, with the portfolio or the unassigned client as clientId', async () => {
      const placed = {
        id: ids.placed,
        clientId: ids.portfolio,
        name: 'Test Site',
        address1: '657 Mission St',
        address2: '',
        locale3: 'San Francisco',
        locale1: 'California',
        localeCode1: 'CA',
        postalCode: '94105',
        countryCode: 'US',
        latitude: 37.78,
        longitude: -122.4,
        locationTimezone: 'America/Los_Angeles',
      };
      // No structured address: the free-text one stands in as address1; no coordinates: none returned.
      const loose = {
        id: ids.loose,
        clientId: ids.unassigned,
        name: 'Loose',
        address1: '2 Hudson Place, Hoboken',
        address2: '',
        locale3: '',
        locale1: '',
        localeCode1: '',
        postalCode: '',
        countryCode: '',
        locationTimezone: 'UTC',
      };
      expect(await locus.partnerSites(viewer, ids.partner)).toEqual([placed, loose]);
      expect(await locus.getSite(viewer, ids.placed)).toEqual(placed);
      expect(await locus.clientSites(viewer, ids.portfolio)).toEqual([placed]);
      expect(await locus.clientSites(viewer, ids.unassigned)).toEqual([loose]);
      expect(await locus.clientSites(viewer, ids.emptyPortfolio)).toEqual([]);
    });

    it('answers the component tree with parents as COMPONENT or SITE, and optional attributes only when set', async () => {
      const meter = {
        id: ids.meter,
        siteId: ids.placed,
        clientId: ids.portfolio,
        parentId: ids.placed,
        parentType: 'SITE',
        nodeId: 'OB.001EC1111DC9.1',
        name: 'PV Meter',
        nodeType: 'METER',
        application: 'GENERATION',
        generationType: 'SOLAR',
        oem: 'Locus Energy',
        model: 'LGate 120',
        isConceptualNode: false,
        serialNumber: 'ABC123',
        description: 'revenue grade meter',
      };
      const inverter = {
        id: ids.inverter,
        siteId: ids.placed,
        clientId: ids.portfolio,
        parentId: ids.meter,
        parentType: 'COMPONENT',
        nodeId: 'OB_TESTNODE.44',
        name: 'AE Inverter E1',
        nodeType: 'INVERTER',
        application: 'GENERATION',
        generationType: 'SOLAR',
        oem: '',
        model: '',
        isConceptualNode: false,
      };
      const station = expect.objectContaining({ id: ids.station, clientId: ids.unassigned, parentId: ids.loose, isConceptualNode: true });
      expect(await locus.getComponent(viewer, ids.meter)).toEqual(meter);
      expect(await locus.siteComponents(viewer, ids.placed)).toEqual([meter, inverter]);
      expect(await locus.clientComponents(viewer, ids.portfolio)).toEqual([meter, inverter]);
      expect(await locus.clientComponents(viewer, ids.unassigned)).toEqual([station]);
      // The deleted component is nowhere.
      expect(await locus.partnerComponents(viewer, ids.partner)).toEqual([meter, inverter, station]);
      await expectNotFound(locus.getComponent(viewer, ids.gone));
    });

    it('looks components up by nodeId with % as the only wildcard, and by notes in the description', async () => {
      const nodeIds = async (filter: Record<string, string>) =>
        (await locus.partnerComponents(viewer, ids.partner, filter)).map((c) => c.nodeId);
      expect(await nodeIds({ nodeId: 'OB.001EC1111DC9.1' })).toEqual(['OB.001EC1111DC9.1']);
      expect(await nodeIds({ nodeId: 'OB%' })).toEqual(['OB.001EC1111DC9.1', 'OB_TESTNODE.44']);
      expect(await nodeIds({ nodeId: '%.1' })).toEqual(['OB.001EC1111DC9.1', 'WS.1']);
      // `_` is a character like any other: it matches only itself.
      expect(await nodeIds({ nodeId: 'OB_%' })).toEqual(['OB_TESTNODE.44']);
      expect(await nodeIds({ nodeId: 'OB.B.1' })).toEqual([]);
      expect(await nodeIds({ notes: '%revenue%' })).toEqual(['OB.001EC1111DC9.1']);
      expect(await nodeIds({ notes: 'nothing like it' })).toEqual([]);
      await expect(locus.partnerComponents(viewer, ids.partner, { nodeid: 'OB%' })).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
        message: expect.stringMatching(/nodeid/),
      });
    });

    it('answers install info with only what is set, and model settings with their defaults', async () => {
      expect(await locus.siteInstallInfo(viewer, ids.placed)).toEqual({
        installer: 'ABC Solar',
        installDate: '2014-05-08',
        startupDate: '2014-05-14',
      });
      expect(await locus.siteInstallInfo(viewer, ids.loose)).toEqual({});
      expect(await locus.siteModelSettings(viewer, ids.placed)).toEqual({
        size: 1023.4,
        mismatch: 98,
        diodesAndConnections: 99,
        dcWiring: 98,
        soiling: 95,
        sunTracking: 100,
        nameplate: 99,
        acWiring: 99,
        transformer: 100,
        tmy3Id: 724095,
      });
      expect(await locus.siteModelSettings(viewer, ids.loose)).not.toHaveProperty('size');
    });

    it('answers not found for every id of another partner, and for ids nobody has', async () => {
      const other = b.as.owner;
      const calls: [string, () => Promise<unknown>][] = [
        ['partner clients', () => locus.partnerClients(other, ids.partner)],
        ['partner sites', () => locus.partnerSites(other, ids.partner)],
        ['partner components', () => locus.partnerComponents(other, ids.partner, { nodeId: '%' })],
        ['client', () => locus.getClient(other, ids.portfolio)],
        ['unassigned client', () => locus.getClient(other, ids.unassigned)],
        ['client sites', () => locus.clientSites(other, ids.unassigned)],
        ['client components', () => locus.clientComponents(other, ids.portfolio)],
        ['site', () => locus.getSite(other, ids.placed)],
        ['site components', () => locus.siteComponents(other, ids.placed)],
        ['install info', () => locus.siteInstallInfo(other, ids.placed)],
        ['model settings', () => locus.siteModelSettings(other, ids.placed)],
        ['component', () => locus.getComponent(other, ids.meter)],
        ['resolve component', () => locus.resolveComponent(other, ids.meter)],
        // An id of the wrong kind is not found either: a site id is no component.
        ['site id as component', () => locus.getComponent(viewer, ids.placed)],
        ['unknown id', () => locus.getSite(viewer, 999_999_999)],
      ];
      for (const [name, call] of calls) {
        const err = await call().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err, name).toBeInstanceOf(DomainError);
        expect((err as DomainError).code, name).toBe('NOT_FOUND');
      }
      // B still reads its own, and only its own.
      expect((await locus.partnerComponents(other, ids.bPartner)).map((c) => c.id)).toEqual([ids.bComponent]);
      expect((await locus.clientSites(other, ids.bClient)).map((s) => s.id)).toEqual([ids.bSite]);
      // The operator (system principal) reads any partner.
      expect((await locus.partnerSites(contextFor(db), ids.bPartner)).map((s) => s.id)).toEqual([ids.bSite]);
    });

    it('refuses an id that is not a positive integer with VALIDATION_ERROR naming the parameter', async () => {
      for (const bad of ['abc', '0', '-5', '1.5', '1e3', '99999999999999999', '']) {
        await expect(locus.getSite(viewer, bad), bad).rejects.toMatchObject({
          code: 'VALIDATION_ERROR',
          message: 'siteId must be a positive integer (a Locus id)',
        });
      }
    });
  });
}
