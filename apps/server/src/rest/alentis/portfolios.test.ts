import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachEngine as describeEach } from '../../test-engines.js';
import { registerSnapshot, twoTenantApp, type Requester, type TestApp, type TestTenant } from '../../testing.js';

type Json = Record<string, unknown>;
type Grouped = { id: string; name: string; sites: Json[] }[];

const siteIdsOf = (portfolio: { sites: Json[] }) => portfolio.sites.map((s) => s.id);

describeEach('Alentis portfolios', (engine) => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  let asA: Requester;
  let asB: Requester;
  beforeEach(async () => {
    ({ t, a, b, asA, asB } = await twoTenantApp(engine));
  });
  afterEach(() => t.close());

  async function site(as: Requester, siteName: string, portfolioId?: unknown): Promise<Json> {
    const res = await as('POST', '/api/sites', { siteName, ...(portfolioId ? { portfolioId } : {}) });
    expect(res.statusCode).toBe(201);
    return res.json() as Json;
  }

  async function portfolios(as: Requester, ...names: string[]): Promise<Json[]> {
    const res = await as(
      'POST',
      '/api/portfolios',
      names.map((name) => ({ name })),
    );
    expect(res.statusCode).toBe(201);
    return res.json() as Json[];
  }

  it('bulk-creates portfolios and lists them, with and without their sites', async () => {
    const created = await asA('POST', '/api/portfolios', [{ name: 'North' }, { name: 'South' }]);
    expect(created.statusCode).toBe(201);
    const [north, south] = created.json() as Json[];
    expect(north).toEqual({
      id: expect.any(String),
      name: 'North',
      organisationId: a.organisationId,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      // The Locus client fields Helio adds.
      locusId: expect.any(Number),
      tz: 'UTC',
      firstName: null,
      lastName: null,
      email: null,
    });
    // The wrapped and the single-object forms create too.
    expect((await asA('POST', '/api/portfolios', { portfolios: [{ name: 'East' }] })).statusCode).toBe(201);
    expect((await asA('POST', '/api/portfolios', { name: 'West' })).json()).toMatchObject([{ name: 'West' }]);

    const s1 = await site(asA, 'Alpha', north!.id);
    const s2 = await site(asA, 'Beta', south!.id);
    await site(asA, 'Loose');

    const listed = (await asA('GET', '/api/portfolios')).json() as Json[];
    expect(listed.map((p) => p.name)).toEqual(['North', 'South', 'East', 'West']);
    expect(listed[0]).toEqual(north);
    const grouped = (await asA('GET', '/api/portfolios/with-sites')).json() as Grouped;
    expect(grouped.map((p) => [p.name, siteIdsOf(p)])).toEqual([
      ['North', [s1.id]],
      ['South', [s2.id]],
      ['East', []],
      ['West', []],
    ]);
    expect(grouped[0]!.sites[0]).toEqual(s1);
    expect((await asA('GET', `/api/sites?portfolioId=${north!.id as string}`)).json()).toEqual([s1]);
    expect((await asB('GET', '/api/portfolios')).json()).toEqual([]);
    expect((await asB('GET', '/api/portfolios/with-sites')).json()).toEqual([]);
  });

  it('creates no portfolio at all when any item of a bulk request is bad', async () => {
    const [taken] = await portfolios(asB, 'B secret');
    const before = await registerSnapshot(t.db);
    const fixedId = '01900000-0000-7000-8000-000000000001';
    const cases: [string, unknown, number, string, RegExp][] = [
      ['malformed JSON', '[{"name": "ok"},', 400, 'MALFORMED_REQUEST', /malformed request body/i],
      ['a blank name', [{ name: 'ok' }, { name: ' ' }], 400, 'VALIDATION_ERROR', /\[1\]\.name/],
      ['a wrong type', [{ name: 'ok' }, { name: 5 }], 400, 'VALIDATION_ERROR', /\[1\]\.name/],
      ['an unknown field', [{ name: 'ok' }, { name: 'x', colour: 'red' }], 400, 'VALIDATION_ERROR', /colour/],
      ['a missing name', [{ name: 'ok' }, {}], 400, 'VALIDATION_ERROR', /\[1\]\.name/],
      ['a malformed id', [{ name: 'ok' }, { id: 'nope', name: 'x' }], 400, 'VALIDATION_ERROR', /\[1\]\.id/],
      ['an empty list', [], 400, 'VALIDATION_ERROR', /at least 1|>=1/i],
      ['too many portfolios', Array.from({ length: 101 }, (_, i) => ({ name: `P${i}` })), 400, 'VALIDATION_ERROR', /100/],
      ['another organisation', [{ name: 'ok' }, { name: 'x', organisationId: b.organisationId }], 404, 'NOT_FOUND', /not found/],
      [
        'the same id twice',
        [
          { id: fixedId, name: 'a' },
          { id: fixedId, name: 'b' },
        ],
        409,
        'CONFLICT',
        /already exists/,
      ],
      ["another organisation's portfolio id", [{ name: 'ok' }, { id: taken!.id, name: 'Hijack' }], 409, 'CONFLICT', /already exists/],
    ];
    for (const [name, payload, status, code, message] of cases) {
      const res = await asA('POST', '/api/portfolios', payload);
      expect(res.statusCode, name).toBe(status);
      expect(res.json(), name).toMatchObject({ statusCode: status, code, message: expect.stringMatching(message) });
      expect(res.body, name).not.toContain('B secret');
    }
    expect(await registerSnapshot(t.db)).toEqual(before);
    expect((await asA('GET', '/api/portfolios')).json()).toEqual([]);
  });

  it('renames a portfolio and refuses bad renames with 400, leaving it as it was', async () => {
    const [p] = await portfolios(asA, 'Old');
    const url = `/api/portfolios/${p!.id as string}`;
    const renamed = await asA('PUT', url, { name: 'New' });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toMatchObject({ id: p!.id, name: 'New', organisationId: a.organisationId, createdAt: p!.createdAt });

    const before = await registerSnapshot(t.db);
    const cases: [string, string, unknown, RegExp][] = [
      ['malformed JSON', url, '{"name": "x"', /malformed request body/i],
      ['a missing name', url, {}, /name/],
      ['a blank name', url, { name: '' }, /name/],
      ['a wrong type', url, { name: ['x'] }, /name/],
      ['an unknown field', url, { name: 'x', organisationId: b.organisationId }, /organisationId/],
      ['a malformed id in the path', '/api/portfolios/not-a-uuid', { name: 'x' }, /id must be a UUID/],
    ];
    for (const [name, path, payload, message] of cases) {
      const res = await asA('PUT', path, payload);
      expect(res.statusCode, name).toBe(400);
      expect(res.json().message, name).toMatch(message);
    }
    expect((await asA('DELETE', '/api/portfolios/xyz')).json()).toMatchObject({ statusCode: 400, message: 'id must be a UUID' });
    expect(await registerSnapshot(t.db)).toEqual(before);
  });

  it('deleting a portfolio keeps its sites and leaves them unassigned', async () => {
    const [p, q] = await portfolios(asA, 'Going', 'Staying');
    const s1 = await site(asA, 'One', p!.id);
    const s2 = await site(asA, 'Two', p!.id);
    const s3 = await site(asA, 'Three', q!.id);
    const url = `/api/portfolios/${p!.id as string}`;

    const deleted = await asA('DELETE', url);
    expect(deleted.statusCode).toBe(200);
    expect(deleted.json()).toEqual({ id: p!.id, deleted: true });

    expect((await asA('GET', '/api/portfolios')).json()).toEqual([q]);
    expect(((await asA('GET', '/api/portfolios/with-sites')).json() as Grouped).map((x) => [x.name, siteIdsOf(x)])).toEqual([
      ['Staying', [s3.id]],
    ]);
    const remaining = (await asA('GET', '/api/sites')).json() as Json[];
    expect(remaining.map((s) => [s.id, s.portfolioId])).toEqual([
      [s1.id, null],
      [s2.id, null],
      [s3.id, q!.id],
    ]);
    // The deleted portfolio is gone everywhere it could be named.
    expect((await asA('GET', `/api/sites?portfolioId=${p!.id as string}`)).statusCode).toBe(404);
    expect((await asA('PUT', `/api/sites/${s1.id as string}`, { portfolioId: p!.id })).statusCode).toBe(404);
    expect((await asA('POST', '/api/sites', { siteName: 'Late', portfolioId: p!.id })).statusCode).toBe(404);
    expect((await asA('POST', `${url}/sites`, { siteIds: [s1.id] })).statusCode).toBe(404);
    expect((await asA('PUT', url, { name: 'Back' })).statusCode).toBe(404);
    expect((await asA('DELETE', url)).json()).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
  });

  it('adds sites to a portfolio, moving them out of any other: a site is in one portfolio at most', async () => {
    const [p, q] = await portfolios(asA, 'P', 'Q');
    const s1 = await site(asA, 'In P', p!.id);
    const s2 = await site(asA, 'Loose');

    const added = await asA('POST', `/api/portfolios/${q!.id as string}/sites`, { siteIds: [s1.id, s2.id, s1.id] });
    expect(added.statusCode).toBe(200);
    expect(added.json()).toMatchObject({ id: q!.id, name: 'Q' });
    expect(siteIdsOf(added.json())).toEqual([s1.id, s2.id]);
    const grouped = (await asA('GET', '/api/portfolios/with-sites')).json() as Grouped;
    expect(grouped.map((x) => [x.name, siteIdsOf(x)])).toEqual([
      ['P', []],
      ['Q', [s1.id, s2.id]],
    ]);

    // `{siteId}` adds a single site.
    const back = await asA('POST', `/api/portfolios/${p!.id as string}/sites`, { siteId: s1.id });
    expect(siteIdsOf(back.json())).toEqual([s1.id]);
    const sites = (await asA('GET', '/api/sites')).json() as Json[];
    expect(sites.map((s) => s.portfolioId)).toEqual([p!.id, q!.id]);
  });

  it('removes one site from a portfolio by body or by query, keeping the site', async () => {
    const [p] = await portfolios(asA, 'P');
    const s1 = await site(asA, 'One', p!.id);
    const s2 = await site(asA, 'Two', p!.id);
    const url = `/api/portfolios/${p!.id as string}/sites`;

    const byBody = await asA('DELETE', url, { siteId: s1.id });
    expect(byBody.statusCode).toBe(200);
    expect(siteIdsOf(byBody.json())).toEqual([s2.id]);
    const byQuery = await asA('DELETE', `${url}?siteId=${s2.id as string}`);
    expect(byQuery.statusCode).toBe(200);
    expect(siteIdsOf(byQuery.json())).toEqual([]);
    const sites = (await asA('GET', '/api/sites')).json() as Json[];
    expect(sites.map((s) => [s.id, s.portfolioId])).toEqual([
      [s1.id, null],
      [s2.id, null],
    ]);
  });

  it('refuses bad site lists for a portfolio with 400 and moves no site', async () => {
    const [p, q] = await portfolios(asA, 'P', 'Q');
    const inQ = await site(asA, 'In Q', q!.id);
    const loose = await site(asA, 'Loose');
    const url = `/api/portfolios/${p!.id as string}/sites`;
    const before = await registerSnapshot(t.db);
    const cases: [string, 'POST' | 'DELETE', string, unknown, RegExp][] = [
      ['malformed JSON', 'POST', url, '{"siteIds": [', /malformed request body/i],
      ['no site ids', 'POST', url, { siteIds: [] }, /siteIds/],
      ['a missing siteIds', 'POST', url, {}, /siteIds/],
      ['a malformed site id', 'POST', url, { siteIds: [loose.id, 'nope'] }, /siteIds\[1\]/],
      ['a wrong type', 'POST', url, { siteIds: loose.id }, /siteIds/],
      ['an unknown field', 'POST', url, { siteIds: [loose.id], move: true }, /move/],
      ['a malformed portfolio id', 'POST', '/api/portfolios/nope/sites', { siteIds: [loose.id] }, /id must be a UUID/],
      ['a missing siteId', 'DELETE', url, {}, /^invalid input: siteId: /],
      ['a malformed siteId', 'DELETE', url, { siteId: 'nope' }, /siteId/],
      ['an unknown field', 'DELETE', url, { siteId: inQ.id, all: true }, /all/],
      ['a site of another portfolio', 'DELETE', url, { siteId: inQ.id }, /not in portfolio/],
      ['a malformed portfolio id', 'DELETE', '/api/portfolios/nope/sites', { siteId: inQ.id }, /id must be a UUID/],
    ];
    for (const [name, method, path, payload, message] of cases) {
      const res = await asA(method, path, payload);
      expect(res.statusCode, `${method} ${name}`).toBe(400);
      expect(res.json().message, `${method} ${name}`).toMatch(message);
    }
    expect(await registerSnapshot(t.db)).toEqual(before);
  });

  it("treats another organisation's portfolio as not found on every portfolio endpoint and leaves it unchanged", async () => {
    const [pB] = await portfolios(asB, 'B secret portfolio');
    const sB = await site(asB, 'B secret site', pB!.id);
    const [pA] = await portfolios(asA, 'A portfolio');
    const sA = await site(asA, 'A site');
    const foreign = `/api/portfolios/${pB!.id as string}`;
    const beforeB = await registerSnapshot(t.db, b.organisationId);

    const attempts: [string, 'PUT' | 'DELETE' | 'POST', string, unknown][] = [
      ['rename', 'PUT', foreign, { name: 'Stolen' }],
      ['delete', 'DELETE', foreign, undefined],
      ['add own site', 'POST', `${foreign}/sites`, { siteIds: [sA.id] }],
      ['remove its site by body', 'DELETE', `${foreign}/sites`, { siteId: sB.id }],
      ['remove its site by query', 'DELETE', `${foreign}/sites?siteId=${sB.id as string}`, undefined],
    ];
    for (const [name, method, path, payload] of attempts) {
      const res = await asA(method, path, payload);
      expect(res.statusCode, name).toBe(404);
      expect(res.json(), name).toMatchObject({ code: 'NOT_FOUND' });
      expect(res.body, name).not.toContain('B secret');
    }
    expect((await asA('GET', '/api/portfolios')).json()).toEqual([pA]);
    const grouped = (await asA('GET', '/api/portfolios/with-sites')).body;
    expect(grouped).not.toContain('B secret');
    expect(await registerSnapshot(t.db, b.organisationId)).toEqual(beforeB);
    expect((await asA('GET', '/api/sites')).json()).toEqual([sA]);
  });

  it("refuses to put another organisation's site into a portfolio and assigns none of the batch", async () => {
    const sB = await site(asB, 'B secret site');
    const [pA] = await portfolios(asA, 'A portfolio');
    const sA = await site(asA, 'A site');
    const url = `/api/portfolios/${pA!.id as string}/sites`;
    const before = await registerSnapshot(t.db);

    const added = await asA('POST', url, { siteIds: [sA.id, sB.id] });
    expect(added.statusCode).toBe(404);
    expect(added.json()).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining(sB.id as string) });
    expect(added.body).not.toContain(sA.id as string);
    expect(added.body).not.toContain('B secret');
    const single = await asA('POST', url, { siteId: sB.id });
    expect(single.statusCode).toBe(404);
    const removed = await asA('DELETE', url, { siteId: sB.id });
    expect(removed.statusCode).toBe(404);
    expect(await registerSnapshot(t.db)).toEqual(before);
  });
});
