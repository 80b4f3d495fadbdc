// `helio community import` and `helio community export` through the
// dispatcher in this process, on each engine: the sample bundle in and out,
// byte for byte; dry runs; every problem of a refused document, placed by
// file, line, column and document; a multi-document file with one bad
// document; JSON files; the progress bar; usage and file errors.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { organisations } from '@helio/core';
import type { Engine } from '@helio/db';
import { beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../test-engines.js';
import type { CliIo } from './output.js';
import { run } from './run.js';
import { helioInProcess } from './spawn-helio.js';
import { cliTarget } from './test-target.js';

const TIMEOUT = 120_000;
const sample = resolve(import.meta.dirname, '../../../../examples/communities/solar-commons.yaml');

interface Counts {
  community: number;
  member: number;
  delivery_point: number;
  asset: number;
}
interface Report {
  community_key: string;
  created: Counts;
  updated: Counts;
  unchanged: Counts;
  deleted: Partial<Counts>;
  dry_run: boolean;
}
interface Multi {
  reports: Report[];
  dry_run: boolean;
  failed: { doc: number; community_key: string | null }[];
}
interface ErrorOut {
  code: string;
  message: string;
  details: { path: string; message: string; type: string; doc?: number; line?: number; column?: number }[];
}

const counts = (community: number, member: number, delivery_point: number, asset: number): Counts => ({
  community,
  member,
  delivery_point,
  asset,
});

/** A small community of `members` members, each with a delivery point and a meter, under keys and codes made from `tag`. */
function smallBundle(tag: string, members = 2): string {
  const lines = [
    '---',
    'community:',
    `  id: ${tag}`,
    `  name: Community ${tag}`,
    '  areas:',
    '    centre:',
    '      name: Centre',
    'members:',
  ];
  for (let i = 0; i < members; i++) {
    const n = String(i).padStart(5, '0');
    lines.push(
      `  m-${n}:`,
      `    name: Member ${n}`,
      '    role: consumer',
      '    area: centre',
      '    status: active',
      '    delivery_points:',
      `      - id: ${tag.toUpperCase()}-POD-${n}`,
      '        type: pod',
      '    assets:',
      '      meter:',
      `        mt-${n}:`,
      `          name: Meter ${n}`,
      `          sensor_id: ${tag}-sensor-${n}`,
      '          meter_type: consumption',
      `          pod: ${tag.toUpperCase()}-POD-${n}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

describeEachEngine('npx helio community', (engine: Engine) => {
  const target = cliTarget(engine, 'community', TIMEOUT);
  let orgId: string;

  /** Live communities by key, with their members' count. */
  const stored = () =>
    target.asSystem(async (ctx) => {
      const { rows } = await ctx.db.query<{ key: string; members: number }>(
        `SELECT c.key, (SELECT count(*)::int FROM community_members m WHERE m.community_id = c.id AND m.deleted_at IS NULL) AS members
           FROM communities c WHERE c.deleted_at IS NULL ORDER BY c.key COLLATE "C"`,
      );
      return rows;
    });

  const helio = (...args: string[]) => helioInProcess(target.work, [...args, ...target.args]);
  const file = (name: string, text: string) => {
    const path = join(target.work, name);
    writeFileSync(path, text);
    return path;
  };

  beforeAll(async () => {
    orgId = await target.asSystem(async (ctx) => (await organisations.createOrganisation(ctx, { name: 'Valle Verde' })).id);
  }, TIMEOUT);

  it(
    'imports the sample bundle, then again without a change, and exports it so that export, import, export gives the same bytes',
    async () => {
      const first = await helio('community', 'import', '--organisation', orgId, sample, '--json');
      expect(first.status, first.stderr).toBe(0);
      expect(first.stderr).toBe('');
      const report = JSON.parse(first.stdout) as Multi;
      expect(report).toMatchObject({ dry_run: false, failed: [] });
      expect(report.reports).toHaveLength(1);
      expect(report.reports[0]).toMatchObject({
        community_key: 'solar-commons',
        created: counts(1, 7, 8, 17),
        updated: counts(0, 0, 0, 0),
        unchanged: counts(0, 0, 0, 0),
      });

      const again = await helio('community', 'import', sample);
      expect(again.status, again.stderr).toBe(0);
      expect(again.stdout).toMatch(new RegExp(`^Imported 1 of 1 community from ${sample.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n`));
      expect(again.stdout).toMatch(/^KIND +CREATED +UPDATED +UNCHANGED +DELETED$/m);
      expect(again.stdout).toMatch(/^member +0 +0 +7 +0$/m);
      expect(again.stdout).toMatch(/^asset +0 +0 +17 +0$/m);

      const exported = await helio('community', 'export');
      expect(exported.status, exported.stderr).toBe(0);
      expect(exported.stdout.startsWith('---\n')).toBe(true);
      const out = join(target.work, 'export.yaml');
      const toFile = await helio('community', 'export', '--key', 'solar-commons', '--out', out, '--json');
      expect(toFile.status, toFile.stderr).toBe(0);
      expect(JSON.parse(toFile.stdout)).toEqual({
        out,
        communities: ['solar-commons'],
        documents: 1,
        bytes: Buffer.byteLength(exported.stdout),
      });
      expect(readFileSync(out, 'utf8')).toBe(exported.stdout);

      const reimported = await helio('community', 'import', out, '--json');
      expect(reimported.status, reimported.stderr).toBe(0);
      expect((JSON.parse(reimported.stdout) as Multi).reports[0]!.unchanged).toEqual(counts(1, 7, 8, 17));
      expect((await helio('community', 'export')).stdout).toBe(exported.stdout);

      // --json without --out: the bundles as POST /admin/import takes them.
      const json = await helio('community', 'export', '--key', 'solar-commons', '--json');
      const bundles = JSON.parse(json.stdout) as { community: { id: string }; members: Record<string, unknown> }[];
      expect(bundles.map((b) => b.community.id)).toEqual(['solar-commons']);
      expect(Object.keys(bundles[0]!.members)).toHaveLength(7);
    },
    TIMEOUT,
  );

  it(
    'checks without writing on --dry-run, exports several --key in key order, and refuses an unknown key',
    async () => {
      const bundle = file('dry.yaml', smallBundle('dry-one', 3));
      const dry = await helio('community', 'import', '--dry-run', '--org', orgId, bundle, '--json');
      expect(dry.status, dry.stderr).toBe(0);
      expect(JSON.parse(dry.stdout)).toMatchObject({ dry_run: true, reports: [{ community_key: 'dry-one', created: counts(1, 3, 3, 3) }] });
      expect((await stored()).map((c) => c.key)).not.toContain('dry-one');

      const text = await helio('community', 'import', '--dry-run', '--organisation', orgId, bundle);
      expect(text.stdout).toMatch(/^Checked 1 of 1 community from .*dry\.yaml \(dry run: nothing was written\)$/m);

      const two = file('two.yaml', smallBundle('b-two') + smallBundle('a-one'));
      expect((await helio('community', 'import', '--organisation', orgId, two)).status).toBe(0);
      const both = await helio('community', 'export', '--key', 'b-two', '--key', 'a-one', '--json');
      expect((JSON.parse(both.stdout) as { community: { id: string } }[]).map((b) => b.community.id)).toEqual(['a-one', 'b-two']);

      const unknown = await helio('community', 'export', '--key', 'a-one', '--key', 'no-such-community');
      expect(unknown.status).toBe(1);
      expect(unknown.stdout).toBe('');
      expect(unknown.stderr).toMatch(/^helio: NOT_FOUND: .*no-such-community/);
    },
    TIMEOUT,
  );

  it(
    'refuses a bad document with every problem placed by line, column and document, imports the good ones, and writes nothing of the bad',
    async () => {
      const good = smallBundle('good-one');
      const bad = [
        '---',
        'community:',
        '  id: bad-one',
        '  name: Bad one',
        '  areas:',
        '    centre: { name: Centre }',
        'members:',
        '  m-1:',
        '    name: Ada',
        '    role: consumer',
        '    area: nowhere',
        '    status: dormant',
        '    colour: blue',
        '',
      ].join('\n');
      // Document 1 (from 0) is an empty one: it is counted, as the REST API counts it.
      const mixed = file('mixed.yaml', `${good}---\n${bad}`);
      const before = await stored();

      const res = await helio('community', 'import', '--organisation', orgId, mixed);
      expect(res.status).toBe(1);
      expect(res.stdout).toMatch(/^Imported 1 of 2 communities from .*mixed\.yaml$/m);
      expect(res.stderr).toMatch(
        /^helio: VALIDATION_ERROR: document 3 \(bad-one\) has 3 problems and was not imported; the others were imported: good-one$/m,
      );
      // Lines as an editor counts them, in the whole file; the value's column, or the key's for an unknown field.
      const lineOf = (text: string) => readFileSync(mixed, 'utf8').split('\n').indexOf(text) + 1;
      const area = lineOf('    area: nowhere');
      expect(area).toBeGreaterThan(40);
      expect(res.stderr).toContain(`${mixed}:${area}:11 (document 3) members.m-1.area: `);
      expect(res.stderr).toContain(`${mixed}:${area + 1}:13 (document 3) members.m-1.status: `);
      expect(res.stderr).toContain(`${mixed}:${area + 2}:5 (document 3) members.m-1.colour: `);
      expect(res.stderr).toMatch(/^hint: /m);
      const after = await stored();
      expect(after.map((c) => c.key)).toEqual([...before.map((c) => c.key), 'good-one'].sort());

      const json = await helio('community', 'import', mixed, '--json');
      expect(json.status).toBe(1);
      expect(JSON.parse(json.stdout)).toMatchObject({ reports: [{ community_key: 'good-one', unchanged: counts(1, 2, 2, 2) }] });
      const error = (JSON.parse(json.stderr) as { error: ErrorOut }).error;
      expect(error.code).toBe('VALIDATION_ERROR');
      expect(error.details).toHaveLength(3);
      expect(error.details).toContainEqual(
        expect.objectContaining({
          path: 'members.m-1.area',
          type: 'dangling_reference',
          doc: 2,
          line: lineOf('    area: nowhere'),
          column: 11,
        }),
      );

      // Only bad documents: nothing on stdout.
      const onlyBad = await helio('community', 'import', file('bad.yaml', bad));
      expect(onlyBad.status).toBe(1);
      expect(onlyBad.stdout).toBe('');
      expect(onlyBad.stderr).toMatch(/^helio: VALIDATION_ERROR: document 1 \(bad-one\) has 3 problems: nothing was imported$/m);
      expect((await stored()).map((c) => c.key)).not.toContain('bad-one');
    },
    TIMEOUT,
  );

  it(
    'says where a file that is not YAML breaks, and refuses a new community without an organisation, a missing file and bad usage',
    async () => {
      const broken = await helio('community', 'import', file('broken.yaml', 'community:\n  id: x\n  name: [unclosed\n'));
      expect(broken.status).toBe(1);
      expect(broken.stderr).toMatch(/^helio: MALFORMED_REQUEST: .*broken\.yaml: /);
      expect(broken.stderr).toMatch(/broken\.yaml:\d+:\d+ /);

      const orphan = await helio('community', 'import', file('orphan.yaml', smallBundle('orphan-one')));
      expect(orphan.status).toBe(1);
      expect(orphan.stderr).toMatch(/^helio: VALIDATION_ERROR: .*--organisation/);
      expect((await stored()).map((c) => c.key)).not.toContain('orphan-one');

      const unknownOrg = await helio('community', 'import', '--organisation', '01990000-0000-7000-8000-000000000000', sample);
      expect(unknownOrg.status).toBe(1);
      expect(unknownOrg.stderr).toMatch(/^helio: NOT_FOUND: /);

      const missing = await helio('community', 'import', join(target.work, 'nope.yaml'));
      expect(missing.status).toBe(1);
      expect(missing.stderr).toMatch(/^helio: VALIDATION_ERROR: cannot read .*nope\.yaml/);

      expect((await helio('community', 'import')).status).toBe(2);
      const both = await helio('community', 'import', '--org', orgId, '--organisation', orgId, sample);
      expect(both.status).toBe(2);
      expect(both.stderr).toMatch(/^helio: USAGE_ERROR: give --organisation or --org, not both/);
      expect((await helio('community', 'export', '--nope')).status).toBe(2);

      const help = await helio('community', 'export', '--help');
      expect(help.stdout).toContain('[--key <key>]...');
      expect(help.stdout).toMatch(/--key <key> +A community to export \(default: all\) \(repeatable\)/);
    },
    TIMEOUT,
  );

  it(
    'refuses a file that is not UTF-8, naming the file and where its first bad byte is, and writes nothing',
    async () => {
      // "Café" as Latin-1 writes: read leniently, it would be imported as "Caf\uFFFD".
      const text = smallBundle('latin-one').replace('name: Member 00001', 'name: Caf\xe9 00001');
      const offset = text.indexOf('\xe9');
      const line = text.slice(0, offset).split('\n').length;
      const column = offset - text.lastIndexOf('\n', offset);
      const latin1 = join(target.work, 'latin1.yaml');
      writeFileSync(latin1, Buffer.from(text, 'latin1'));

      const res = await helio('community', 'import', '--organisation', orgId, latin1);
      expect(res.status).toBe(1);
      expect(res.stdout).toBe('');
      const message = `byte 0xE9 at offset ${offset} is not valid UTF-8`;
      expect(res.stderr).toMatch(/^helio: MALFORMED_REQUEST: /);
      expect(res.stderr).toContain(`helio: MALFORMED_REQUEST: ${latin1} is not UTF-8: ${message}; nothing was imported\n`);
      expect(res.stderr).toContain(`  ${latin1}:${line}:${column}: ${message}\n`);

      const json = await helio('community', 'import', '--organisation', orgId, latin1, '--json');
      expect(json.status).toBe(1);
      expect((JSON.parse(json.stderr) as { error: ErrorOut }).error).toMatchObject({
        code: 'MALFORMED_REQUEST',
        details: [{ path: '', message, type: 'utf8_invalid', offset, line, column }],
      });

      // A JSON file too, and a bad byte in the middle of a character (the bytes of "é" cut short).
      const before = Buffer.from('{"community": {"id": "cut-one", "name": "Caf');
      const cut = join(target.work, 'cut.json');
      writeFileSync(cut, Buffer.concat([before, Buffer.from([0xc3]), Buffer.from('", "areas": {}}}')]));
      const badJson = await helio('community', 'import', '--organisation', orgId, cut);
      expect(badJson.status).toBe(1);
      expect(badJson.stderr).toContain(
        `helio: MALFORMED_REQUEST: ${cut} is not UTF-8: byte 0xC3 at offset ${before.length} is not valid UTF-8; nothing was imported\n`,
      );
      expect(badJson.stderr).toContain(`  ${cut}:1:${before.length + 1}: `);
      expect((await stored()).map((c) => c.key)).not.toContain('latin-one');
      expect((await stored()).map((c) => c.key)).not.toContain('cut-one');

      // The same bytes as UTF-8 import as written.
      writeFileSync(latin1, text);
      expect((await helio('community', 'import', '--organisation', orgId, latin1)).status).toBe(0);
      expect((await stored()).map((c) => c.key)).toContain('latin-one');
    },
    TIMEOUT,
  );

  it(
    'imports a JSON bundle, bare or wrapped as POST /admin/import takes it, and reads YAML from standard input',
    async () => {
      const bare = await helio('community', 'export', '--key', 'a-one', '--json');
      const bundle = (JSON.parse(bare.stdout) as { community: { name: string } }[])[0]!;
      bundle.community.name = 'Community a-one, renamed';
      const wrapped = file('wrapped.json', JSON.stringify({ bundle, dry_run: true }));
      const dry = await helio('community', 'import', wrapped, '--json');
      expect(dry.status, dry.stderr).toBe(0);
      expect(JSON.parse(dry.stdout)).toMatchObject({ dry_run: true, reports: [{ updated: counts(1, 0, 0, 0) }] });

      const real = await helio('community', 'import', file('bare.json', JSON.stringify(bundle)), '--json');
      expect(JSON.parse(real.stdout)).toMatchObject({
        dry_run: false,
        reports: [{ updated: counts(1, 0, 0, 0), unchanged: counts(0, 2, 2, 2) }],
      });

      const badJson = await helio('community', 'import', file('bad.json', '{"community": {"id": "x",}}'));
      expect(badJson.status).toBe(1);
      expect(badJson.stderr).toMatch(/^helio: MALFORMED_REQUEST: /);
      expect(badJson.stderr).toMatch(/bad\.json:1:\d+/);

      const invalid = await helio('community', 'import', file('invalid.json', JSON.stringify({ community: { id: 'x' } })), '--json');
      expect(invalid.status).toBe(1);
      expect((JSON.parse(invalid.stderr) as { error: ErrorOut }).error.details).toContainEqual(
        expect.objectContaining({ path: 'community.name', type: 'missing' }),
      );

      // A member key twice: JSON.parse would keep the second alone, so the import would delete the first's data.
      const member = (name: string) => `{"name": "${name}", "role": "consumer", "area": "a", "status": "active"}`;
      const repeated = file(
        'repeated.json',
        `{"community": {"id": "rep", "name": "Rep", "areas": {"a": {"name": "A"}}},\n "members": {"m-1": ${member('One')},\n  "m-1": ${member('Two')}}}`,
      );
      const twice = await helio('community', 'import', repeated);
      expect(twice.status).toBe(1);
      expect(twice.stderr).toMatch(/^helio: VALIDATION_ERROR: /);
      expect(twice.stderr).toContain(`${repeated}:3:3 members.m-1: duplicate key "m-1"`);
      expect((await stored()).map((c) => c.key)).not.toContain('rep');

      const fromStdin = await helioInProcess(target.work, ['community', 'import', '-', '--json', ...target.args], smallBundle('a-one'));
      expect(fromStdin.status, fromStdin.stderr).toBe(0);
      expect(JSON.parse(fromStdin.stdout)).toMatchObject({ reports: [{ community_key: 'a-one', updated: counts(1, 0, 0, 0) }] });
    },
    TIMEOUT,
  );

  it(
    'draws a progress bar on a terminal while a large bundle imports, and erases it',
    async () => {
      const big = file('big.yaml', smallBundle('big-one', 3000));
      let stdout = '';
      let stderr = '';
      const io: CliIo = {
        env: {},
        stdout: (t) => void (stdout += t),
        stderr: (t) => void (stderr += t),
        readStdin: () => Promise.resolve(''),
        stderrIsTTY: true,
      };
      const status = await run(['community', 'import', '--organisation', orgId, big, ...target.args], io);
      expect(status, stderr).toBe(0);
      expect(stderr).toMatch(/^\rimporting \[[#.]{30}\] \d+\/\d+/);
      expect(stderr.endsWith('\r\x1b[K')).toBe(true);
      expect(stdout).toMatch(/^member +3000 +0 +0 +0$/m);
      expect((await stored()).find((c) => c.key === 'big-one')?.members).toBe(3000);
    },
    TIMEOUT,
  );
});
