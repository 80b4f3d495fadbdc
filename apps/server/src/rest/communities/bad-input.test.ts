// The bad input, over HTTP: malformed JSON and YAML, a YAML bomb,
// bytes that are not UTF-8, unknown fields, bad enums, duplicate keys and
// dangling references. Each gets a clear error with a stable code, every
// problem at once, and nothing is written: the registry's tables are the
// same before and after. (Bodies over the limit: body-limit.test.ts.)
import { communities } from '@helio/core';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeEachEngine } from '../../test-engines.js';
import {
  communityTestApp,
  expectError,
  expectProblems,
  importOk,
  registrySnapshot,
  sampleBundle,
  type CommunityTestApp,
  type Json,
  type Problem,
} from './testing.js';

describeEachEngine('community registry API: bad input writes nothing', (engine) => {
  let c: CommunityTestApp;
  let before: Record<string, unknown[]>;
  beforeAll(async () => {
    c = await communityTestApp(engine);
    await importOk(c.asA, sampleBundle('solar', { tag: 'BI' }));
  });
  beforeEach(async () => {
    before = await registrySnapshot(c.t.services.db);
  });
  afterAll(() => c.t.close());

  const unchanged = async () => expect(await registrySnapshot(c.t.services.db)).toEqual(before);
  const importJson = (body: unknown) => c.asA('POST', '/admin/import', body);
  const importYaml = (text: string | Buffer) => c.asA('POST', '/admin/import/yaml', text, { 'content-type': 'application/yaml' });
  const locsOf = (problems: Problem[]) => problems.map((p) => p.loc.join('.'));
  /** The sample bundle of `solar`, changed by `edit` (in place). */
  const edited = (
    edit: (b: Json & { community: Json; members: Record<string, Json & { assets: Record<string, Record<string, Json>> }> }) => void,
  ) => {
    const b = sampleBundle('solar', { tag: 'BI' }) as Parameters<typeof edit>[0];
    edit(b);
    return b;
  };

  it('refuses malformed JSON with 400 MALFORMED_REQUEST naming its line and column', async () => {
    const text = '{\n  "bundle": {\n    "community": {"id": "x",, "name": "X"}\n  }\n}';
    const [problem] = expectProblems(await importJson(text), 400);
    expect(problem).toMatchObject({ loc: ['body'], type: 'json_invalid', line: 3, column: 29 });
    for (const bad of ['{"bundle": ', '[1, 2', 'not json', '']) {
      expect(expectProblems(await importJson(bad), 400).length, bad).toBeGreaterThan(0);
    }
    await unchanged();
  });

  it('refuses malformed YAML with 400 naming its line and column', async () => {
    const text = 'community:\n  id: solar\n  name: [unclosed\nmembers: {}\n';
    const problems = expectProblems(await importYaml(text), 400);
    expect(problems[0]).toMatchObject({ loc: ['body'], type: 'yaml_syntax', doc: 0, line: expect.any(Number), column: expect.any(Number) });
    expect(expectProblems(await importYaml('   \n'), 400)[0]!.msg).toMatch(/no document|empty/);
    expect(expectProblems(await importYaml('- just\n- a list\n'), 422).length).toBeGreaterThan(0);
    await unchanged();
  });

  it('refuses a YAML bomb (aliases expanding without bound) without expanding it', async () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    const names = 'abcdefghijklmnop';
    for (let i = 1; i < names.length; i++) {
      const prev = names[i - 1];
      lines.push(`${names[i]}: &${names[i]} [${Array.from({ length: 10 }, () => `*${prev}`).join(',')}]`);
    }
    const problems = expectProblems(await importYaml(`${lines.join('\n')}\n`), 400);
    expect(problems[0]!.msg).toMatch(/alias/i);
    await unchanged();
  });

  /** A valid document: were the body not refused whole, this community would be written. */
  const freshDocument = () => communities.bundlesToYaml([sampleBundle('fresh', { tag: 'FR' }) as communities.RegistryBundleIn]);

  it("refuses a body whose documents' aliases, each within the budget, together expand beyond it, writing none of them", async () => {
    // Each document's aliases add 123,400 nodes: nine after a valid one are past the body's budget of 1,000,000.
    const lines = [`a: &a [${Array(10).fill('lol').join(',')}]`];
    for (const [prev, name] of [...'abcd'].map((c, i) => [c, 'bcde'[i]!]))
      lines.push(`${name}: &${name} [${Array.from({ length: 10 }, () => `*${prev}`).join(',')}]`);
    const problems = expectProblems(await importYaml(freshDocument() + `---\n${lines.join('\n')}\n`.repeat(9)), 400);
    expect(problems).toEqual([
      {
        loc: ['body'],
        msg: `aliases expand the body by more than ${communities.MAX_ALIAS_EXPANSION} nodes, its documents together`,
        type: 'too_large',
        doc: 9,
        line: expect.any(Number),
        column: expect.any(Number),
      },
    ]);
    await unchanged();
  });

  it(`refuses a body of more than ${communities.MAX_YAML_DOCUMENTS} documents, empty ones included, writing none of them`, async () => {
    const text = freshDocument() + '---\n'.repeat(communities.MAX_YAML_DOCUMENTS);
    expect(expectProblems(await importYaml(text), 400)).toEqual([
      {
        loc: ['body'],
        msg: `the body holds more than ${communities.MAX_YAML_DOCUMENTS} documents`,
        type: 'too_many_documents',
        doc: communities.MAX_YAML_DOCUMENTS,
        line: text.split('\n').length - 1,
        column: 1,
      },
    ]);
    await unchanged();
  });

  it('refuses bodies that are not UTF-8 with 400', async () => {
    const latin1 = Buffer.from('community:\n  id: caf\xe9\n', 'latin1');
    expect(expectProblems(await importYaml(latin1), 400)[0]).toMatchObject({ loc: ['body'], type: 'utf8_invalid' });
    const json = Buffer.concat([Buffer.from('{"bundle": {"community": {"id": "'), Buffer.from([0xff, 0xfe]), Buffer.from('"}}}')]);
    expect(expectProblems(await importJson(json), 400)[0]).toMatchObject({ loc: ['body'], type: 'utf8_invalid' });
    await unchanged();
  });

  it('refuses unknown fields (422), listing every one where it is', async () => {
    const bundle = edited((b) => {
      b.community['colour'] = 'green';
      b.members['m-alice']!['nickname'] = 'Al';
      b.members['m-alice']!.assets['pv']!['pv-a']!['colour'] = 'blue';
    });
    const problems = expectProblems(await importJson({ bundle, dry_run: false, force: true }), 422);
    expect(problems.every((p) => p.type === 'unrecognized_keys')).toBe(true);
    expect(locsOf(problems)).toEqual(
      expect.arrayContaining([
        'body.force',
        expect.stringMatching(/^body\.bundle\.community(\.colour)?$/),
        expect.stringMatching(/^body\.bundle\.members\.m-alice(\.nickname)?$/),
        expect.stringMatching(/^body\.bundle\.members\.m-alice\.assets\.pv\.pv-a(\.colour)?$/),
      ]),
    );
    expect(problems).toHaveLength(4);
    // A bare bundle: the same problems, located in the body itself.
    const bare = expectProblems(await importJson(bundle), 422);
    expect(bare.map((p) => p.loc[0])).toEqual(['body', 'body', 'body']);
    expect(bare.every((p) => p.loc[1] !== 'bundle')).toBe(true);
    await unchanged();
  });

  it('refuses values outside the closed lists (role, status, types, asset type), all at once', async () => {
    const bundle = edited((b) => {
      b.members['m-alice']!['role'] = 'boss';
      b.members['m-bob']!['status'] = 'retired';
      (b.members['m-carol']!['delivery_points'] as Json[])[0]!['type'] = 'plug';
      b.members['m-bob']!.assets['meter']!['mt-b']!['meter_type'] = 'smart';
      b.members['m-bob']!.assets['windmill'] = { 'wm-1': { name: 'Mill' } };
      (b.community['topology'] as Json[])[0]!['type'] = 'tower';
    });
    const problems = expectProblems(await importJson({ bundle }), 422);
    expect(locsOf(problems)).toEqual(
      expect.arrayContaining([
        'body.bundle.members.m-alice.role',
        'body.bundle.members.m-bob.status',
        'body.bundle.members.m-carol.delivery_points.0.type',
        'body.bundle.members.m-bob.assets.meter.mt-b.meter_type',
        expect.stringMatching(/^body\.bundle\.members\.m-bob\.assets(\.windmill)?$/),
        'body.bundle.community.topology.0.type',
      ]),
    );
    await unchanged();
  });

  it('refuses duplicate keys: a YAML map key twice, an asset key under two members, a POD and a sensor id twice', async () => {
    const yaml = ['community:', '  id: solar', '  name: One', '  name: Two', '  areas: {main: {name: Main}}', 'members: {}', ''].join('\n');
    const res = await importYaml(yaml);
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json<{ detail: Problem[] }>().detail).toEqual([
      expect.objectContaining({ loc: ['body', 'community', 'name'], type: 'duplicate_key', doc: 0, line: 4 }),
    ]);

    const bundle = edited((b) => {
      b.members['m-bob']!.assets['pv'] = { 'pv-a': { name: 'Same key as Alice' } };
      (b.members['m-bob']!['delivery_points'] as Json[]).push({ id: 'IT001EBIA', type: 'pod' });
      b.members['m-alice']!.assets['load']!['ld-a']!['sensor_id'] = 'BI-SEN-B';
    });
    const problems = expectProblems(await importJson({ bundle }), 422);
    expect(problems.every((p) => p.type === 'duplicate_key')).toBe(true);
    expect(locsOf(problems)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^body\.bundle\.members\.m-(alice|bob)\.assets\.pv\.pv-a$/),
        expect.stringMatching(/^body\.bundle\.members\.m-(alice|bob)\.delivery_points\.\d\.id$/),
        expect.stringMatching(/^body\.bundle\.members\.m-(alice|bob)\.assets\.(load\.ld-a|meter\.mt-b)\.sensor_id$/),
      ]),
    );
    await unchanged();
  });

  it('refuses a JSON key an object repeats (422, by line and column, with the other problems): JSON.parse would keep the last', async () => {
    // Alice twice: read as JSON.parse reads it, the second one alone would be imported, deleting the first's assets and PODs.
    const alice = '"m-alice": {"name": "Alice again", "role": "consumer", "area": "north", "status": "retired"}';
    const text = JSON.stringify({ bundle: sampleBundle('solar', { tag: 'BI' }) }, null, 2).replace(
      '"m-bob": {',
      `${alice},\n      "m-bob": {`,
    );
    const offset = text.indexOf('"m-alice"', text.indexOf('"m-alice"') + 1);
    const line = text.slice(0, offset).split('\n').length;
    const column = offset - text.lastIndexOf('\n', offset);
    expect(line).toBeGreaterThan(1);
    const problems = expectProblems(await importJson(text), 422);
    expect(problems).toEqual([
      { loc: ['body', 'bundle', 'members', 'm-alice'], msg: 'duplicate key "m-alice"', type: 'duplicate_key', line, column },
      // The second Alice's own problem: every problem at once.
      expect.objectContaining({ loc: ['body', 'bundle', 'members', 'm-alice', 'status'], type: 'invalid_value' }),
    ]);
    // A bare bundle, and a repeated key of the wrapper itself, are located in the body.
    const bare = text.replace(/^\{\s*"bundle": /, '').replace(/\}\s*$/, '');
    expect(expectProblems(await importJson(bare), 422)[0]).toMatchObject({ loc: ['body', 'members', 'm-alice'], type: 'duplicate_key' });
    const wrapper = `{"dry_run": true, "bundle": ${JSON.stringify(sampleBundle('solar', { tag: 'BI' }))}, "dry_run": false}`;
    expect(expectProblems(await importJson(wrapper), 422)).toEqual([
      {
        loc: ['body', 'dry_run'],
        msg: 'duplicate key "dry_run"',
        type: 'duplicate_key',
        line: 1,
        column: wrapper.lastIndexOf('"dry_run"') + 1,
      },
    ]);
    await unchanged();
  });

  it('refuses dangling references inside the bundle and to Helio objects, all at once', async () => {
    const bundle = edited((b) => {
      b.members['m-bob']!['area'] = 'east';
      b.members['m-bob']!.assets['meter']!['mt-b']!['pod'] = 'IT001ENOPE';
      b.members['m-alice']!.assets['pv']!['pv-a']!['relationships'] = { measures: ['nope'] };
      b.members['m-alice']!.assets['pv']!['pv-a']!['site_id'] = '00000000-0000-4000-a000-000000000001';
      (b.community['topology'] as Json[])[1]!['parent'] = 'ps-9';
    });
    const problems = expectProblems(await importJson({ bundle }), 422);
    expect(problems.every((p) => p.type === 'dangling_reference')).toBe(true);
    expect(locsOf(problems)).toEqual(
      expect.arrayContaining([
        'body.bundle.members.m-bob.area',
        'body.bundle.members.m-bob.assets.meter.mt-b.pod',
        expect.stringMatching(/^body\.bundle\.members\.m-alice\.assets\.pv\.pv-a\.relationships\.measures(\.0)?$/),
        'body.bundle.community.topology.1.parent',
      ]),
    );
    // The link to a site is a database check: reported once the bundle itself holds together.
    const linked = edited((b) => {
      b.members['m-alice']!.assets['pv']!['pv-a']!['site_id'] = '00000000-0000-4000-a000-000000000001';
    });
    expect(expectProblems(await importJson({ bundle: linked }), 422)).toEqual([
      expect.objectContaining({
        loc: ['body', 'bundle', 'members', 'm-alice', 'assets', 'pv', 'pv-a', 'site_id'],
        type: 'dangling_reference',
      }),
    ]);
    await unchanged();
  });

  it('refuses text with a NUL character (which no column can hold) as invalid input, in a body or a query, and finds nothing by it in a path', async () => {
    const bundle = edited((b) => {
      b.members['m-bob']!['name'] = 'Bo\u0000b';
    });
    expect(expectProblems(await importJson({ bundle }), 422)).toEqual([
      expect.objectContaining({ loc: ['body', 'bundle', 'members', 'm-bob', 'name'] }),
    ]);
    const lookup = await c.asA('POST', '/admin/lookup/assets-by-sensor-ids', { sensor_ids: ['BI-SEN-B\u0000'] });
    expect(expectProblems(lookup, 422)[0]!.loc.slice(0, 2)).toEqual(['body', 'sensor_ids']);
    expect(expectProblems(await c.asA('GET', '/admin/communities/solar/members?area=n%00'), 422)[0]!.loc).toEqual(['query', 'area']);
    expect((await c.asA('GET', '/admin/communities/sol%00ar')).statusCode).toBe(404);
    expect((await c.asA('GET', '/admin/lookup/asset-by-sensor-id/BI-SEN-B%00')).statusCode).toBe(404);
    await unchanged();
  });

  it("answers the export's community keys that cannot exist (a NUL character, a space) as not found, as a path's", async () => {
    for (const [query, key] of [
      ['key=%00', '\u0000'],
      ['key=sol%00ar', 'sol\u0000ar'],
      ['community=solar&community=solar%00', 'solar\u0000'],
      ['community=solar&key=so%20lar', 'so lar'],
    ]) {
      expectError(await c.asA('GET', `/admin/export?${query}`), 404, 'NOT_FOUND', `Community not found: ${key}`);
    }
    // An unknown parameter and a bad dry_run, NUL and all, are invalid input as any other is.
    expect(expectProblems(await c.asA('GET', '/admin/export?ke%00y=solar'), 422)[0]!.loc).toEqual(['query', 'ke\u0000y']);
    const dryRun = await c.asA('POST', '/admin/import?dry_run=tr%00ue', { bundle: sampleBundle('solar', { tag: 'BI' }) });
    expect(expectProblems(dryRun, 422)[0]!.loc).toEqual(['query', 'dry_run']);
    await unchanged();
  });

  it('locates the problems of a YAML document by line and column, every one of them', async () => {
    const text = [
      '---',
      'community:',
      '  id: solar',
      '  name: Solar',
      '  areas: {main: {name: Main}}',
      'members:',
      '  m-1:',
      '    name: One',
      '    role: boss',
      '    area: east',
      '    status: active',
      '    colour: red',
      '',
    ].join('\n');
    const res = await importYaml(text);
    expect(res.statusCode, res.body).toBe(422);
    const detail = res.json<{ detail: Problem[] }>().detail;
    expect(detail.map((p) => [p.loc.slice(1).join('.'), p.line])).toEqual(
      expect.arrayContaining([
        ['members.m-1.role', 9],
        ['members.m-1.area', 10],
        [expect.stringMatching(/^members\.m-1(\.colour)?$/), expect.any(Number)],
      ]),
    );
    expect(detail.every((p) => p.doc === 0 && typeof p.column === 'number')).toBe(true);
    await unchanged();
  });
});
