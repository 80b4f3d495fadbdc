// Test fixture for the /v3 API: an app with two partners, each with a
// portfolio, a site in it and one outside any, a small component tree, and
// OAuth tokens to call as.
import { alerts, portfolios, readings, sites, systemPrincipal, type ServiceContext } from '@helio/core';
import type { Db, Engine } from '@helio/db';
import { serviceContext } from '../../services.js';
import {
  createTenant,
  createTestApp,
  createTestClient,
  postTokenForm,
  type InjectResponse,
  type TestApp,
  type TestTenant,
} from '../../testing.js';

export interface LocusPartner {
  tenant: TestTenant;
  /** client_credentials token of a client bound to the organisation as viewer. */
  token: string;
  /** The client behind `token`. */
  client: { clientId: string; clientSecret: string };
  ids: {
    partner: number;
    unassigned: number;
    portfolio: number;
    site: number;
    looseSite: number;
    meter: number;
    inverter: number;
    strings: number[];
    station: number;
  };
  uuids: { organisation: string; site: string; looseSite: string; meter: string; inverter: string; station: string };
}

export interface LocusWorld {
  t: TestApp;
  a: LocusPartner;
  b: LocusPartner;
  /** GET `url` with a bearer token (A's unless another is given). */
  get(url: string, token?: string, headers?: Record<string, string>): Promise<InjectResponse>;
}

/** A component written straight into its table: the fixture relies on the schema only. */
export async function insertComponent(
  db: Db,
  c: { organisationId: string; siteId: string; parentId?: string | null; nodeId: string; name: string; nodeType: string } & Partial<{
    application: string;
    oem: string;
    model: string;
    serialNumber: string;
    description: string;
    conceptual: boolean;
  }>,
): Promise<{ id: string; locusId: number }> {
  const id = crypto.randomUUID();
  const { rows } = await db.query<{ locus_id: number }>(
    `INSERT INTO components (id, organisation_id, site_id, parent_id, node_id, name, node_type, application, generation_type,
                             oem, model, is_conceptual_node, serial_number, description, change_seq)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'SOLAR', $9, $10, $11, $12, $13, 0) RETURNING locus_id`,
    [
      id,
      c.organisationId,
      c.siteId,
      c.parentId ?? null,
      c.nodeId,
      c.name,
      c.nodeType,
      c.application ?? 'GENERATION',
      c.oem ?? null,
      c.model ?? null,
      c.conceptual ?? false,
      c.serialNumber ?? null,
      c.description ?? null,
    ],
  );
  return { id, locusId: rows[0]!.locus_id };
}

async function locusIdOf(db: Db, table: 'organisations' | 'portfolios' | 'sites', id: string, column = 'locus_id'): Promise<number> {
  return (await db.query<{ v: number }>(`SELECT ${column} AS v FROM ${table} WHERE id = $1`, [id])).rows[0]!.v;
}

export async function clientCredentialsToken(t: TestApp, client: { clientId: string; clientSecret: string }): Promise<string> {
  const res = await postTokenForm(t, { grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret });
  if (res.statusCode !== 200) throw new Error(`token request failed: ${res.body}`);
  return res.json<{ access_token: string }>().access_token;
}

async function seedPartner(t: TestApp, name: string, prefix: string): Promise<LocusPartner> {
  const db = t.services.db;
  const tenant = await createTenant(t.services, name);
  const organisationId = tenant.organisationId;
  const ctx: ServiceContext = serviceContext(t.services, systemPrincipal);
  const [portfolio] = await portfolios.createPortfolios(ctx, [{ organisationId, name: `${name} portfolio` }]);
  await db.query(`UPDATE portfolios SET tz = 'US/Eastern', first_name = 'Test', last_name = 'System', email = $2 WHERE id = $1`, [
    portfolio!.id,
    `${prefix.toLowerCase()}@example.com`,
  ]);
  const site = await sites.createSite(ctx, {
    organisationId,
    siteName: `${name} Test Site`,
    portfolioId: portfolio!.id,
    timezone: 'America/Los_Angeles',
    latitude: 37.78,
    longitude: -122.4,
  });
  await db.query(
    `UPDATE sites SET address1 = '657 Mission St', address2 = '', locale3 = 'San Francisco', locale1 = 'California', locale_code1 = 'CA',
       postal_code = '94105', country_code = 'US', installer = 'ABC Solar', install_crew = 'Crew 1', install_date = '2014-05-08',
       pto_date = '2014-05-14', startup_date = '2014-05-14', uninstall_crew = 'Crew 2', uninstall_date = '2034-06-01',
       size_kw = 1023.4, soiling = 95, tmy3_id = 724095
     WHERE id = $1`,
    [site.id],
  );
  const looseSite = await sites.createSite(ctx, { organisationId, siteName: `${name} Loose Site`, timezone: 'America/New_York' });
  const meter = await insertComponent(db, {
    organisationId,
    siteId: site.id,
    nodeId: `${prefix}.001EC1111DC9.1`,
    name: 'PV Meter',
    nodeType: 'METER',
    oem: 'Locus Energy',
    model: 'LGate 120',
    serialNumber: 'ABC123',
    description: `${name} revenue grade meter`,
  });
  const inverter = await insertComponent(db, {
    organisationId,
    siteId: site.id,
    parentId: meter.id,
    nodeId: `${prefix}.TESTNODE.44`,
    name: 'AE Inverter E1',
    nodeType: 'INVERTER',
    oem: 'Advanced Energy',
    model: 'AE 500NX 480V',
  });
  const strings: number[] = [];
  for (let i = 1; i <= 4; i++) {
    const s = await insertComponent(db, {
      organisationId,
      siteId: site.id,
      parentId: inverter.id,
      nodeId: `${prefix}.TESTNODE.44.S${i}`,
      name: `String ${i}`,
      nodeType: 'STRING',
      conceptual: true,
    });
    strings.push(s.locusId);
  }
  const station = await insertComponent(db, {
    organisationId,
    siteId: looseSite.id,
    nodeId: `${prefix}.WS.1`,
    name: 'Weather station',
    nodeType: 'WEATHERSTATION',
  });
  // 2024-01-01 in UTC, hourly: the meter sends Wh = 100·(h+1) and W = 1000 + h, the inverter 90·(h+1) and 900 + h.
  const hours = Array.from({ length: 24 }, (_, h) => ({ ts: `2024-01-01T${String(h).padStart(2, '0')}:00:00Z`, h }));
  await readings.ingestReadings(ctx, meter.id, { readings: hours.map(({ ts, h }) => ({ ts, Wh: 100 * (h + 1), W: 1000 + h })) });
  await readings.ingestReadings(ctx, inverter.id, { readings: hours.map(({ ts, h }) => ({ ts, Wh: 90 * (h + 1), W: 900 + h })) });
  await readings.ingestReadings(ctx, station.id, { readings: hours.map(({ ts, h }) => ({ ts, GHI: h >= 8 && h < 16 ? 500 : 0 })) });
  // A device fault that opened and closed, and one still open.
  await alerts.recordEvents(ctx, meter.id, {
    events: [
      {
        ts: '2024-01-01T10:00:00Z',
        code: 'VDC',
        state: 'active',
        priority: 'high',
        descriptionShort: 'VDC high',
        descriptionLong: 'DC bus voltage above 2100 V',
      },
      { ts: '2024-01-01T12:00:00Z', code: 'VDC', state: 'cleared' },
      { ts: '2024-01-01T13:00:00Z', code: 'GF', state: 'active', descriptionShort: 'Ground fault' },
    ],
  });
  const client = await createTestClient(t.services, { grants: ['client_credentials'], organisationId, role: 'viewer' });
  return {
    tenant,
    client,
    token: await clientCredentialsToken(t, client),
    ids: {
      partner: await locusIdOf(db, 'organisations', organisationId),
      unassigned: await locusIdOf(db, 'organisations', organisationId, 'unassigned_client_locus_id'),
      portfolio: await locusIdOf(db, 'portfolios', portfolio!.id),
      site: await locusIdOf(db, 'sites', site.id),
      looseSite: await locusIdOf(db, 'sites', looseSite.id),
      meter: meter.locusId,
      inverter: inverter.locusId,
      strings,
      station: station.locusId,
    },
    uuids: {
      organisation: organisationId,
      site: site.id,
      looseSite: looseSite.id,
      meter: meter.id,
      inverter: inverter.id,
      station: station.id,
    },
  };
}

/** An app with partners A and B (one database for a whole test file). */
export async function createLocusWorld(engine: Engine, options: Parameters<typeof createTestApp>[1] = {}): Promise<LocusWorld> {
  const t = await createTestApp(engine, options);
  const a = await seedPartner(t, 'Alpha', 'OA');
  const b = await seedPartner(t, 'Bravo', 'OB');
  return {
    t,
    a,
    b,
    get: (url, token = a.token, headers = {}) =>
      t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}`, ...headers } }),
  };
}
