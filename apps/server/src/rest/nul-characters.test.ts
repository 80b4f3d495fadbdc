// PostgreSQL (and so PGlite) stores no NUL character in text: such input used
// to fail in the database as a 500. Every API refuses it as invalid input
// instead, naming the field, and writes nothing.
import { apiKeys, createCaller, type AppRouter } from '@helio/core';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { serviceContext } from '../services.js';
import { describeEachEngine } from '../test-engines.js';
import {
  createTenant,
  createTestApp,
  createTestClient,
  postTokenForm,
  registerSnapshot,
  type TestApp,
  type TestTenant,
} from '../testing.js';

const NUL = '\u0000';
const nulDetail = (path: string) => ({ path, message: 'must not contain the NUL character (U+0000)', issue: 'nul_character' });

describeEachEngine('text with a NUL character', (engine) => {
  let t: TestApp;
  let a: TestTenant;
  beforeEach(async () => {
    t = await createTestApp(engine);
    a = await createTenant(t.services);
  });
  afterEach(() => t.close());

  /** Everything a refused request could have written: the asset register, documents, OAuth tokens. */
  async function written() {
    const docs = await t.db.query('SELECT id FROM documents ORDER BY id');
    const tokens = await t.db.query('SELECT id FROM oauth_tokens ORDER BY id');
    return { register: await registerSnapshot(t.db), documents: docs.rows, tokens: tokens.rows };
  }

  it('is refused by the REST API as VALIDATION_ERROR naming the field, and nothing is written', async () => {
    const headers = { 'x-api-key': a.keys.admin };
    const site = (await t.app.inject({ method: 'POST', url: '/api/sites', headers, payload: { siteName: 'Kept' } })).json<{ id: string }>();
    const portfolio = (await t.app.inject({ method: 'POST', url: '/api/portfolios', headers, payload: [{ name: 'Kept' }] })).json<
      { id: string }[]
    >()[0]!;
    const before = await written();

    const cases: [string, 'POST' | 'PUT', string, unknown, string[]][] = [
      ['a site name', 'POST', '/api/sites', { siteName: `Solar${NUL}Farm` }, ['siteName']],
      [
        'an address and a site manager',
        'POST',
        '/api/sites',
        { siteName: 'Ok', address: `x${NUL}`, siteManager: NUL },
        ['address', 'siteManager'],
      ],
      ['a site update', 'PUT', `/api/sites/${site.id}`, { address: `Main St${NUL}` }, ['address']],
      ['a portfolio name in a bulk create', 'POST', '/api/portfolios', [{ name: 'North' }, { name: `South${NUL}` }], ['[1].name']],
      ['a portfolio rename', 'PUT', `/api/portfolios/${portfolio.id}`, { name: `${NUL}` }, ['name']],
      [
        'a document file name',
        'POST',
        '/api/docs/bulk-upload-url',
        {
          siteId: site.id,
          fileType: 'documents',
          files: [{ filename: `a${NUL}.pdf`, mimeType: 'application/pdf', fileSize: 10, documentType: 'ppa' }],
        },
        ['files[0].filename'],
      ],
    ];
    for (const [name, method, url, payload, paths] of cases) {
      const res = await t.app.inject({ method, url, headers, payload: payload as object });
      expect(res.statusCode, `${name}: ${res.body}`).toBe(400);
      expect(res.json(), name).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: expect.stringMatching(/^invalid input: .*must not contain the NUL character/),
        code: 'VALIDATION_ERROR',
        details: paths.map(nulDetail),
      });
    }
    // The same refusal when the field was also malformed otherwise: one detail per field.
    const query = await t.app.inject({ url: `/api/sites?siteId=${encodeURIComponent(NUL)}`, headers });
    expect(query.statusCode).toBe(400);
    expect(query.json()).toMatchObject({ code: 'VALIDATION_ERROR', details: [nulDetail('siteId')] });
    expect(await written()).toEqual(before);
  });

  it('is refused by POST /oauth/token, in the form or in HTTP Basic, as invalid_request naming the field', async () => {
    const client = await createTestClient(t.services, { grants: ['password'] });
    const before = await written();
    const password = { grant_type: 'password', client_id: client.clientId, client_secret: client.clientSecret, password: a.owner.password };
    const inForm: [Record<string, string>, string[]][] = [
      [{ ...password, username: `${a.owner.email}${NUL}` }, ['username']],
      [{ ...password, client_id: `${client.clientId}${NUL}`, username: a.owner.email }, ['client_id']],
      [{ ...password, username: a.owner.email, password: `${NUL}` }, ['password']],
    ];
    for (const [form, paths] of inForm) {
      const res = await postTokenForm(t, form);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid_request', code: 'VALIDATION_ERROR', details: paths.map(nulDetail) });
      expect(res.json().error_description).toMatch(/NUL character/);
    }
    const basic = Buffer.from(`${encodeURIComponent(`${client.clientId}${NUL}`)}:${client.clientSecret}`).toString('base64');
    const viaBasic = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
      payload: new URLSearchParams({ grant_type: 'password', username: a.owner.email, password: a.owner.password }).toString(),
    });
    expect(viaBasic.statusCode, viaBasic.body).toBe(400);
    expect(viaBasic.json()).toMatchObject({ error: 'invalid_request', code: 'VALIDATION_ERROR', details: [nulDetail('client_id')] });
    expect(await written()).toEqual(before);
  });

  it('is refused by tRPC, over HTTP and in-process, with the path of the field as the caller sent it', async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/trpc`;
    const client = createTRPCClient<AppRouter>({ links: [httpLink({ url, headers: { authorization: `Bearer ${a.keys.admin}` } })] });
    const site = await client.sites.create.mutate({ siteName: 'Kept' });
    const before = await written();

    // Each call starts only when its turn comes: a refusal nobody awaits yet would be an unhandled rejection.
    const refusals: [string, () => Promise<unknown>, string[]][] = [
      ['sites.create', () => client.sites.create.mutate({ siteName: `a${NUL}`, address: `b${NUL}` }), ['siteName', 'address']],
      ['sites.update', () => client.sites.update.mutate({ id: site.id, patch: { siteManager: `${NUL}` } }), ['patch.siteManager']],
      ['portfolios.create', () => client.portfolios.create.mutate([{ name: `P${NUL}` }]), ['[0].name']],
    ];
    for (const [name, call, paths] of refusals) {
      const err = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, name).toBeInstanceOf(TRPCClientError);
      const { message, data } = err as TRPCClientError<AppRouter>;
      expect(message, name).toMatch(/^invalid input: .*must not contain the NUL character/);
      expect(data, name).toMatchObject({
        code: 'BAD_REQUEST',
        httpStatus: 400,
        helioCode: 'VALIDATION_ERROR',
        details: paths.map(nulDetail),
      });
    }

    const principal = await apiKeys.authenticateApiKey(t.services, a.keys.admin);
    const caller = createCaller({ authenticate: async () => serviceContext(t.services, principal) });
    await expect(caller.sites.create({ siteName: `In-process${NUL}` })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      cause: { code: 'VALIDATION_ERROR', details: [nulDetail('siteName')] },
    });
    expect(await written()).toEqual(before);
  });
});
