// Bundles in and out over HTTP: the JSON import (wrapper and bare bundle,
// dry runs), the YAML import (content types, several documents, one bad
// document among good ones), the export (selection, byte-for-byte round
// trip) and the bundle's JSON Schema.
import { systemPrincipal, users } from '@helio/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { serviceContext } from '../../services.js';
import { describeEachEngine } from '../../test-engines.js';
import { createTenant } from '../../testing.js';
import { ImportReport, MultiImportReport } from './management-docs.js';
import {
  communityTestApp,
  expectError,
  expectProblems,
  expectShape,
  importOk,
  registrySnapshot,
  sampleBundle,
  type CommunityTestApp,
  type Json,
} from './testing.js';

const zero = { community: 0, member: 0, delivery_point: 0, asset: 0 };
const sampleCounts = { community: 1, member: 3, delivery_point: 3, asset: 7 };

describeEachEngine('community registry API: import and export', (engine) => {
  let c: CommunityTestApp;
  beforeAll(async () => {
    c = await communityTestApp(engine);
  });
  afterAll(() => c.t.close());

  const yaml = (text: string | Buffer, contentType?: string, query = '') =>
    c.asA('POST', `/admin/import/yaml${query}`, text, contentType === undefined ? {} : { 'content-type': contentType });
  const stripContentType = async (text: string) =>
    c.t.app.inject({ method: 'POST', url: '/admin/import/yaml', payload: text, headers: { 'x-api-key': c.a.keys.admin } });

  it('imports a wrapped JSON bundle, reporting counts per kind, then finds it unchanged the second time (ids kept)', async () => {
    const bundle = sampleBundle('json-wrapped', { tag: 'W1' });
    const first = expectShape(ImportReport, await importOk(c.asA, bundle));
    expect(first).toMatchObject({
      community_key: 'json-wrapped',
      inserted: sampleCounts,
      deleted: zero,
      created: sampleCounts,
      updated: zero,
      unchanged: zero,
      warnings: [],
      dry_run: false,
      organisation_id: c.a.organisationId,
    });
    const before = await registrySnapshot(c.t.services.db);
    // A bare bundle is the same import: nothing to do, nothing written.
    const again = await c.asA('POST', '/admin/import', bundle);
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({
      community_id: first.community_id,
      created: zero,
      updated: zero,
      deleted: zero,
      unchanged: sampleCounts,
    });
    expect(await registrySnapshot(c.t.services.db)).toEqual(before);
  });

  it('dry runs from the body or the query write nothing and report what would be done', async () => {
    const before = await registrySnapshot(c.t.services.db);
    const bundle = sampleBundle('json-dry', { tag: 'D1' });
    const fromBody = await c.asA('POST', '/admin/import', { bundle, dry_run: true });
    expect(fromBody.statusCode, fromBody.body).toBe(200);
    expect(fromBody.json()).toMatchObject({ dry_run: true, community_id: null, created: sampleCounts, inserted: sampleCounts });
    for (const q of ['true', '1', 'yes', 'on', 'TRUE']) {
      const fromQuery = await c.asA('POST', `/admin/import?dry_run=${q}`, bundle);
      expect(fromQuery.statusCode, fromQuery.body).toBe(200);
      expect(fromQuery.json()).toMatchObject({ dry_run: true });
    }
    // The query asks for a dry run though the body does not: never written.
    expect((await c.asA('POST', '/admin/import?dry_run=true', { bundle, dry_run: false })).json()).toMatchObject({ dry_run: true });
    expect(await registrySnapshot(c.t.services.db)).toEqual(before);
  });

  it('refuses a bad dry_run and an unknown query parameter (422, located in the query), writing nothing', async () => {
    const before = await registrySnapshot(c.t.services.db);
    const bundle = sampleBundle('json-query', { tag: 'Q1' });
    expect(expectProblems(await c.asA('POST', '/admin/import?dry_run=maybe', bundle), 422)).toEqual([
      expect.objectContaining({ loc: ['query', 'dry_run'] }),
    ]);
    expect(expectProblems(await c.asA('POST', '/admin/import?dryrun=true', bundle), 422)).toEqual([
      expect.objectContaining({ loc: ['query', 'dryrun'], type: 'unrecognized_keys' }),
    ]);
    expect(expectProblems(await yaml('community: {}', 'application/yaml', '?dry_run=2'), 422)[0]!.loc).toEqual(['query', 'dry_run']);
    expect(await registrySnapshot(c.t.services.db)).toEqual(before);
  });

  it('puts a new community in the organisation x-organisation-id names, for a caller in several (422 without it)', async () => {
    const system = serviceContext(c.t.services, systemPrincipal);
    const password = 'correct horse battery staple';
    const email = `both-${c.a.organisationId}@example.com`;
    const user = await users.createUser(system, { email, name: 'Both', password });
    for (const tenant of [c.a, c.b])
      await users.addMember(system, { organisationId: tenant.organisationId, userId: user.id, role: 'admin' });
    const both = await c.signIn(email, password);
    const bundle = sampleBundle('two-orgs', { tag: 'O1' });
    expect(expectProblems(await both('POST', '/admin/import', { bundle }), 422)).toEqual([
      expect.objectContaining({ loc: ['header', 'x-organisation-id'] }),
    ]);
    const res = await both('POST', '/admin/import', { bundle }, { 'x-organisation-id': c.b.organisationId });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ organisation_id: c.b.organisationId, created: sampleCounts });
    expect((await c.asB('GET', '/admin/communities/two-orgs')).statusCode).toBe(200);
    expectError(await c.asA('GET', '/admin/communities/two-orgs'), 404, 'NOT_FOUND', 'Community not found');
    // Replaced later, it stays in its organisation, header or not.
    expect((await both('POST', '/admin/import', { bundle })).json()).toMatchObject({
      organisation_id: c.b.organisationId,
      unchanged: sampleCounts,
    });
  });

  it('takes YAML as application/yaml, text/yaml, application/x-yaml, text/x-yaml, text/plain, with a charset, or unlabelled', async () => {
    const bundle = sampleBundle('yaml-types', { tag: 'Y1' });
    const text = `---\n${JSON.stringify(bundle)}\n`; // JSON is YAML
    const first = await yaml(text, 'application/yaml');
    expect(first.statusCode, first.body).toBe(200);
    const report = expectShape(MultiImportReport, first.json());
    expect(report).toMatchObject({ dry_run: false, failed: [], reports: [{ community_key: 'yaml-types', created: sampleCounts }] });
    for (const type of ['text/yaml', 'application/x-yaml', 'text/x-yaml', 'text/plain', 'application/yaml; charset=utf-8']) {
      const res = await yaml(text, type);
      expect(res.statusCode, `${type}: ${res.body}`).toBe(200);
      expect(res.json()).toMatchObject({ reports: [{ unchanged: sampleCounts }] });
    }
    const unlabelled = await stripContentType(text);
    expect(unlabelled.statusCode, unlabelled.body).toBe(200);
  });

  it('refuses another content type 415 before reading the body, on the YAML and the JSON import alike', async () => {
    const before = await registrySnapshot(c.t.services.db);
    expectError(await yaml('community: {}', 'application/xml'), 415, 'UNSUPPORTED_MEDIA_TYPE', /application\/xml.*application\/yaml/);
    expectError(await yaml('{}', 'application/json'), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectError(
      await c.asA('POST', '/admin/import', 'community: {}', { 'content-type': 'application/yaml' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectError(await c.asA('POST', '/admin/import', '{}', { 'content-type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(await registrySnapshot(c.t.services.db)).toEqual(before);
  });

  it('imports each YAML document on its own: a bad one is reported (422) with its document, path, line and column, the good ones are in', async () => {
    const good = sampleBundle('yaml-good', { tag: 'G1' });
    const text = [
      '---',
      JSON.stringify(good),
      '---', // an empty document: skipped, but counted
      '---',
      'community:',
      '  id: yaml-bad',
      '  name: Bad',
      '  areas: {main: {name: Main}}',
      'members:',
      '  m-1:',
      '    name: One',
      '    role: boss', // line 12: not a role
      '    area: main',
      '    status: active',
      '',
    ].join('\n');
    const res = await yaml(text, 'text/yaml');
    expect(res.statusCode, res.body).toBe(422);
    const body = res.json<Json & { detail: unknown[] }>();
    expect(body.code).toBe('VALIDATION_ERROR');
    expectShape(MultiImportReport, body);
    expect(body['reports']).toEqual([expect.objectContaining({ community_key: 'yaml-good', created: sampleCounts })]);
    expect(body['failed']).toEqual([
      expect.objectContaining({ doc: 2, problems: [expect.objectContaining({ doc: 2, loc: ['members', 'm-1', 'role'], line: 12 })] }),
    ]);
    expect(body.detail).toEqual([
      expect.objectContaining({
        loc: ['body', 'members', 'm-1', 'role'],
        doc: 2,
        line: 12,
        column: expect.any(Number),
        type: expect.any(String),
      }),
    ]);
    // The good document is in, the bad one is not.
    expect((await c.asA('GET', '/admin/communities/yaml-good')).statusCode).toBe(200);
    expectError(await c.asA('GET', '/admin/communities/yaml-bad'), 404, 'NOT_FOUND', 'Community not found');
  });

  it('dry runs a YAML import with ?dry_run=true, writing nothing', async () => {
    const before = await registrySnapshot(c.t.services.db);
    const text = `---\n${JSON.stringify(sampleBundle('yaml-dry-1', { tag: 'YD1' }))}\n---\n${JSON.stringify(sampleBundle('yaml-dry-2', { tag: 'YD2' }))}\n`;
    const res = await yaml(text, 'application/yaml', '?dry_run=true');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      dry_run: true,
      failed: [],
      reports: [{ community_key: 'yaml-dry-1' }, { community_key: 'yaml-dry-2' }],
    });
    expect(await registrySnapshot(c.t.services.db)).toEqual(before);
  });

  it("exports the caller's communities as text/plain YAML, by key; `community` (repeatable) and `key` pick some", async () => {
    const all = await c.asA('GET', '/admin/export');
    expect(all.statusCode).toBe(200);
    expect(all.headers['content-type']).toBe('text/plain; charset=utf-8');
    const keysOf = (text: string) => [...text.matchAll(/^ {2}id: (.+)$/gm)].map((m) => m[1]);
    expect(keysOf(all.body)).toEqual(['json-wrapped', 'yaml-good', 'yaml-types']);
    expect(all.body.startsWith('---\n')).toBe(true);
    const two = await c.asA('GET', '/admin/export?community=yaml-types&community=json-wrapped');
    expect(keysOf(two.body)).toEqual(['json-wrapped', 'yaml-types']);
    expect(keysOf((await c.asA('GET', '/admin/export?key=yaml-good')).body)).toEqual(['yaml-good']);
    expect(keysOf((await c.asA('GET', '/admin/export?key=yaml-good&community=yaml-types')).body)).toEqual(['yaml-good', 'yaml-types']);
    // An organisation with no community: an empty body.
    const third = await createTenant(c.t.services);
    const none = await c.as(third.keys.admin)('GET', '/admin/export');
    expect([none.statusCode, none.body]).toEqual([200, '']);
  });

  it('answers 404 for an unknown key in the export, and 422 for an unknown parameter', async () => {
    expectError(await c.asA('GET', '/admin/export?community=json-wrapped&community=nope'), 404, 'NOT_FOUND', 'Community not found: nope');
    expect(expectProblems(await c.asA('GET', '/admin/export?communities=x'), 422)[0]).toMatchObject({ loc: ['query', 'communities'] });
  });

  it('round-trips: exporting, importing the export and exporting again gives the same bytes, and the import changes nothing', async () => {
    const first = await c.asA('GET', '/admin/export');
    const before = await registrySnapshot(c.t.services.db);
    const reimport = await yaml(first.body, 'application/yaml');
    expect(reimport.statusCode, reimport.body).toBe(200);
    for (const report of reimport.json<{ reports: Json[] }>().reports) {
      expect(report).toMatchObject({ created: zero, updated: zero, deleted: zero });
    }
    expect(await registrySnapshot(c.t.services.db)).toEqual(before);
    const second = await c.asA('GET', '/admin/export');
    expect(second.body).toBe(first.body);
  });

  it('serves the bundle JSON Schema', async () => {
    const res = await c.asA('GET', '/admin/bundle-schema');
    expect(res.statusCode).toBe(200);
    const schema = res.json<{ type: string; required: string[]; properties: Record<string, unknown> }>();
    expect(schema.type).toBe('object');
    expect(schema.required).toContain('community');
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['version', 'schema_version', 'metadata', 'community', 'members']),
    );
    expectError(await c.anonymous('GET', '/admin/bundle-schema'), 401, 'UNAUTHORIZED');
  });

  it('describes every route in the OpenAPI document, with the published operation ids and the bundle schema', async () => {
    const doc = (await c.t.app.inject({ url: '/openapi.json' })).json<{
      paths: Record<string, Record<string, { operationId: string; requestBody?: { content: Record<string, unknown> } }>>;
      components: { schemas: Record<string, unknown> };
    }>();
    const ours = Object.entries(doc.paths).filter(([path]) => path.startsWith('/user') || path.startsWith('/admin'));
    expect(ours.flatMap(([, item]) => Object.keys(item)).length).toBe(29);
    expect(doc.paths['/user']!['get']!.operationId).toBe('get_me_user_get');
    expect(doc.paths['/admin/lookup/assets-by-sensor-ids']!['post']!.operationId).toBe('lookup_assets_by_sensor_ids');
    expect(Object.keys(doc.paths['/admin/import/yaml']!['post']!.requestBody!.content)).toEqual(['application/yaml']);
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining([
        'RegistryBundleIn',
        'ImportRequest',
        'ImportReport',
        'MultiImportReport',
        'HTTPValidationError',
        'CommunityDetail',
      ]),
    );
  });
});
