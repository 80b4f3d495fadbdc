import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../../test-engines.js';
import { postTokenForm, createTestClient } from '../../testing.js';
import { createLocusWorld, type LocusWorld } from './testing.js';

type Json = Record<string, unknown>;

// The spec's own examples (../shared/specs/locus-v3-api.txt), trimmed to one object each: what a Locus client parses.
const specComponent = {
  id: 54369,
  siteId: 3393714,
  clientId: 419010,
  parentId: 3393714,
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
  description: 'This is a revenue grade meter',
};
const specListedSite = {
  statusCode: 200,
  id: 123,
  clientId: 456,
  name: 'Test Site',
  address1: '657 Mission St',
  address2: '',
  locale3: 'San Francisco',
  locale1: 'California',
  localeCode1: 'CA',
  postalCode: '94105',
  countryCode: 'US',
  locationTimezone: 'America/Los_Angeles',
};
const specClient = { id: 123, partnerId: 456, tz: 'US/Eastern', firstName: 'Test', lastName: 'System', email: 'test@aol.com' };
const specInstallInfo = {
  statusCode: 200,
  installer: 'ABC Solar',
  installCrew: 'Crew',
  installDate: '2014-05-08',
  ptoDate: '2014-05-14',
  startupDate: '2014-05-14',
  uninstallCrew: 'Crew',
  uninstallDate: '2014-06-01',
};
const specModelSettings = {
  statusCode: 200,
  size: 1023.4,
  mismatch: 98,
  diodesAndConnections: 99,
  dcWiring: 98,
  soiling: 95,
  sunTracking: 100,
  nameplate: 100,
  acWiring: 99,
  transformer: 100,
  tmy3Id: 724095,
};

/** Same keys as the spec's example, each of the same JSON type; `optional` keys of the spec may be absent. */
function expectSpecShape(actual: unknown, example: Json, optional: string[] = []): void {
  const obj = actual as Json;
  const required = Object.keys(example).filter((k) => !optional.includes(k));
  expect(Object.keys(obj).sort()).toEqual(expect.arrayContaining(required.sort()));
  for (const key of Object.keys(obj)) {
    expect(Object.keys(example), `unexpected attribute ${key}`).toContain(key);
    expect(typeof obj[key], key).toBe(typeof example[key]);
  }
}

describeEachEngine('Locus v3 partners, clients, sites and components', (engine) => {
  let w: LocusWorld;
  beforeAll(async () => {
    w = await createLocusWorld(engine);
  });
  afterAll(() => w.t.close());

  const json = async (url: string, token?: string) => {
    const res = await w.get(url, token);
    expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = res.json<Json>();
    expect(body.statusCode).toBe(200);
    return body;
  };

  it('lists a partner’s clients: its portfolio and its client of sites without a portfolio', async () => {
    const { ids } = w.a;
    const body = await json(`/v3/partners/${ids.partner}/clients`);
    expect(Object.keys(body)).toEqual(['statusCode', 'clients']);
    const clients = body.clients as Json[];
    for (const c of clients) expectSpecShape(c, specClient);
    expect(clients).toEqual([
      { id: ids.unassigned, partnerId: ids.partner, tz: 'UTC', firstName: 'Sites without a portfolio', lastName: '', email: '' },
      { id: ids.portfolio, partnerId: ids.partner, tz: 'US/Eastern', firstName: 'Test', lastName: 'System', email: 'oa@example.com' },
    ]);
    expect(await json(`/v3/clients/${ids.portfolio}`)).toEqual({ statusCode: 200, ...clients[1] });
    expect(await json(`/v3/clients/${ids.unassigned}`)).toEqual({ statusCode: 200, ...clients[0] });
  });

  it('answers sites as the spec shows them, at partner, client and site level', async () => {
    const { ids } = w.a;
    const placed = {
      statusCode: 200,
      id: ids.site,
      clientId: ids.portfolio,
      name: 'Alpha Test Site',
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
    const partnerSites = await json(`/v3/partners/${ids.partner}/sites`);
    expect(Object.keys(partnerSites)).toEqual(['statusCode', 'sites']);
    const [first, second] = partnerSites.sites as Json[];
    expect(first).toEqual(placed);
    expectSpecShape(first, { ...specListedSite, latitude: 1.5, longitude: 1.5 }, ['latitude', 'longitude']);
    expect(second).toMatchObject({ id: ids.looseSite, clientId: ids.unassigned, locationTimezone: 'America/New_York' });
    expect(second).not.toHaveProperty('latitude');
    expectSpecShape(second, specListedSite);
    expect((await json(`/v3/clients/${ids.portfolio}/sites`)).sites).toEqual([placed]);
    expect((await json(`/v3/clients/${ids.unassigned}/sites`)).sites).toEqual([second]);
    // One site is the object itself, with the envelope's statusCode.
    expect(await json(`/v3/sites/${ids.site}`)).toEqual(placed);
  });

  it('answers a site’s install info and model settings', async () => {
    const { ids } = w.a;
    const info = await json(`/v3/sites/${ids.site}/installinfo`);
    expectSpecShape(info, specInstallInfo);
    expect(info).toEqual({
      statusCode: 200,
      installer: 'ABC Solar',
      installCrew: 'Crew 1',
      installDate: '2014-05-08',
      ptoDate: '2014-05-14',
      startupDate: '2014-05-14',
      uninstallCrew: 'Crew 2',
      uninstallDate: '2034-06-01',
    });
    expect(await json(`/v3/sites/${ids.looseSite}/installinfo`)).toEqual({ statusCode: 200 });
    const settings = await json(`/v3/sites/${ids.site}/modelsettings`);
    expectSpecShape(settings, specModelSettings);
    expect(settings).toEqual({
      statusCode: 200,
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
    const defaults = await json(`/v3/sites/${ids.looseSite}/modelsettings`);
    expectSpecShape(defaults, specModelSettings, ['size', 'tmy3Id']);
    expect(defaults).not.toHaveProperty('size');
  });

  it('answers the component tree at partner, client, site and component level', async () => {
    const { ids } = w.a;
    const meter = {
      id: ids.meter,
      siteId: ids.site,
      clientId: ids.portfolio,
      parentId: ids.site,
      parentType: 'SITE',
      nodeId: 'OA.001EC1111DC9.1',
      name: 'PV Meter',
      nodeType: 'METER',
      application: 'GENERATION',
      generationType: 'SOLAR',
      oem: 'Locus Energy',
      model: 'LGate 120',
      isConceptualNode: false,
      serialNumber: 'ABC123',
      description: 'Alpha revenue grade meter',
    };
    expect(await json(`/v3/components/${ids.meter}`)).toEqual({ statusCode: 200, ...meter });
    const siteComponents = (await json(`/v3/sites/${ids.site}/components`)).components as Json[];
    expect(siteComponents.map((c) => c.id)).toEqual([ids.meter, ids.inverter, ...ids.strings]);
    expect(siteComponents[0]).toEqual(meter);
    for (const c of siteComponents) expectSpecShape(c, specComponent, ['serialNumber', 'description']);
    expect(siteComponents[1]).toMatchObject({ parentId: ids.meter, parentType: 'COMPONENT', nodeType: 'INVERTER' });
    expect(siteComponents[2]).toMatchObject({ parentId: ids.inverter, parentType: 'COMPONENT', isConceptualNode: true });
    expect(siteComponents[1]).not.toHaveProperty('serialNumber');
    expect((await json(`/v3/clients/${ids.portfolio}/components`)).components).toEqual(siteComponents);
    const station = (await json(`/v3/clients/${ids.unassigned}/components`)).components as Json[];
    expect(station).toEqual([
      expect.objectContaining({ id: ids.station, siteId: ids.looseSite, clientId: ids.unassigned, parentType: 'SITE' }),
    ]);
    const all = (await json(`/v3/partners/${ids.partner}/components`)).components as Json[];
    expect(all.map((c) => c.id)).toEqual([...siteComponents.map((c) => c.id), ids.station]);
  });

  it('finds a component by nodeId, with %25 as a wildcard, and by notes', async () => {
    const { ids } = w.a;
    const nodeIds = async (query: string) =>
      ((await json(`/v3/partners/${ids.partner}/components?${query}`)).components as Json[]).map((c) => c.nodeId);
    expect(await nodeIds('nodeId=OA.001EC1111DC9.1')).toEqual(['OA.001EC1111DC9.1']);
    expect(await nodeIds('nodeId=OA.TESTNODE.44.S%25')).toEqual([
      'OA.TESTNODE.44.S1',
      'OA.TESTNODE.44.S2',
      'OA.TESTNODE.44.S3',
      'OA.TESTNODE.44.S4',
    ]);
    expect(await nodeIds('nodeId=%25.WS.%25')).toEqual(['OA.WS.1']);
    expect(await nodeIds('nodeId=NOPE')).toEqual([]);
    expect(await nodeIds('notes=%25revenue%25')).toEqual(['OA.001EC1111DC9.1']);
    expect(await nodeIds('nodeId=OA%25&notes=%25meter')).toEqual(['OA.001EC1111DC9.1']);
  });

  it('takes a password-grant token and an API key as well as a client_credentials token', async () => {
    const { ids, tenant } = w.a;
    const client = await createTestClient(w.t.services, { grants: ['password'] });
    const grant = await postTokenForm(w.t, {
      grant_type: 'password',
      client_id: client.clientId,
      client_secret: client.clientSecret,
      username: tenant.owner.email,
      password: tenant.owner.password,
    });
    const expected = await json(`/v3/sites/${ids.site}`);
    expect(await json(`/v3/sites/${ids.site}`, grant.json<{ access_token: string }>().access_token)).toEqual(expected);
    expect(await json(`/v3/sites/${ids.site}`, tenant.keys.viewer)).toEqual(expected);
    const viaHeader = await w.t.app.inject({ url: `/v3/sites/${ids.site}`, headers: { 'x-api-key': tenant.keys.viewer } });
    expect(viaHeader.json()).toEqual(expected);
  });

  it('refuses malformed ids and unknown or repeated parameters with 400, statusCode and a message naming them', async () => {
    const { ids } = w.a;
    const cases: [string, RegExp][] = [
      ['/v3/sites/abc', /^siteId must be a positive integer/],
      ['/v3/components/0', /^componentId must be a positive integer/],
      ['/v3/clients/-4/sites', /^clientId must be a positive integer/],
      ['/v3/partners/1.5/components', /^partnerId must be a positive integer/],
      [`/v3/partners/${ids.partner}/components?nodeid=OA%25`, /unknown query parameter nodeid: this call takes nodeId, notes/],
      [`/v3/sites/${ids.site}?tz=UTC`, /unknown query parameter tz: this call takes no query parameters/],
      [`/v3/partners/${ids.partner}/components?nodeId=a&nodeId=b`, /nodeId was sent more than once/],
      [`/v3/partners/${ids.partner}/components?nodeId=a%00b`, /nodeId: must not contain the NUL character/],
    ];
    for (const [url, message] of cases) {
      const res = await w.get(url);
      expect(res.statusCode, url).toBe(400);
      expect(res.json(), url).toMatchObject({ statusCode: 400, code: 'VALIDATION_ERROR', message: expect.stringMatching(message) });
    }
    const nowhere = await w.get('/v3/sites/1/weather');
    expect(nowhere.statusCode).toBe(404);
    expect(nowhere.json()).toMatchObject({ statusCode: 404, message: expect.any(String) });
  });
});
