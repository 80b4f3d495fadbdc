import { describe, expect, it } from 'vitest';
import { DomainError } from '../../errors.js';
import { MAX_PROBLEMS, parseJsonImport, parseJsonText, parseYamlBundles, problemToDetail, type BundleProblem } from './parse.js';
import { bundlesToYaml } from './serialize.js';
import { minimalBundle } from './test-bundles.js';
import { MAX_ALIAS_EXPANSION, MAX_YAML_DOCUMENTS } from './yaml-ast.js';

/** Line and column (1-based) where `needle` first occurs in `text` (after `after`, when given). */
function pos(text: string, needle: string, after = ''): { line: number; column: number } {
  const offset = text.indexOf(needle, after ? text.indexOf(after) : 0);
  if (offset < 0) throw new Error(`${needle} not in the text`);
  const before = text.slice(0, offset);
  return { line: before.split('\n').length, column: offset - before.lastIndexOf('\n') };
}

function thrown(f: () => unknown): DomainError {
  try {
    f();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a DomainError');
}

const only = (p: BundleProblem[]) => p.map(({ loc, type }) => `${loc.join('.')}:${type}`);

const BAD = `community:
  id: rec-1
  name: REC
  areas:
    north: { name: North }
  topology:
    - { id: ps-1, type: primary_substation, operator_id: dso }
members:
  m-1:
    name: Alice
    role: king
    area: south
    status: active
    colour: blue
    delivery_points:
      - { id: IT001, type: pod }
    assets:
      meter:
        mt-1: { name: Meter, meter_type: import, pod: IT999 }
  bad key:
    name: Bob
`;

describe('parseYamlBundles', () => {
  it('reads every document, skipping empty ones but counting them', () => {
    const text = `--- # nothing here\n${bundlesToYaml([minimalBundle('a')])}---\n---\n${bundlesToYaml([minimalBundle('b')]).slice(4)}`;
    const docs = parseYamlBundles(text);
    expect(docs.map((d) => [d.index, d.bundle?.community.id, d.problems])).toEqual([
      [1, 'a', []],
      [3, 'b', []],
    ]);
  });

  it('reports every problem of a document at once, by path, line and column', () => {
    const [doc] = parseYamlBundles(BAD);
    expect(doc!.bundle).toBeNull();
    const expected: [string, string, { line: number; column: number }][] = [
      ['community.topology.0.operator_id', 'dangling_reference', pos(BAD, 'dso }')],
      ['members.m-1.role', 'invalid_value', pos(BAD, 'king')],
      ['members.m-1.area', 'dangling_reference', pos(BAD, 'south')],
      ['members.m-1.colour', 'unrecognized_keys', pos(BAD, 'colour')],
      ['members.m-1.assets.meter.mt-1.sensor_id', 'missing', pos(BAD, '{ name: Meter')],
      ['members.m-1.assets.meter.mt-1.pod', 'dangling_reference', pos(BAD, 'IT999')],
      ['members.bad key', 'invalid_key', pos(BAD, 'bad key')],
    ];
    expect(doc!.problems.map((p) => [p.loc.join('.'), p.type, { line: p.line, column: p.column }])).toEqual(expected);
    expect(doc!.problems.every((p) => p.doc === 0 && p.msg.length > 0)).toBe(true);
  });

  it('yields the valid documents beside a bad one, each on its own', () => {
    const text = `${bundlesToYaml([minimalBundle('a')])}---\n${BAD}${bundlesToYaml([minimalBundle('c')])}`;
    const docs = parseYamlBundles(text);
    expect(docs.map((d) => [d.index, d.bundle?.community.id ?? null])).toEqual([
      [0, 'a'],
      [1, null],
      [2, 'c'],
    ]);
    expect(docs[1]!.problems[0]).toMatchObject({ doc: 1, ...pos(text, 'dso }') });
  });

  it("reports a repeated key as a duplicate where it is repeated, with the document's other problems", () => {
    const text = `community: { id: r, name: R, areas: { a: { name: A } } }
members:
  m-1: { name: A, role: consumer, area: a, status: active }
  m-1: { name: B, role: consumer, area: a, status: active }
  m-2: { name: C, name: D, role: consumer, area: a, status: bogus }
`;
    const [doc] = parseYamlBundles(text);
    expect(doc!.bundle).toBeNull();
    expect(doc!.problems.map((p) => [p.loc.join('.'), p.type, p.line, p.column])).toEqual([
      ['members.m-1', 'duplicate_key', 4, 3],
      ['members.m-2.name', 'duplicate_key', ...Object.values(pos(text, 'name: D'))],
      ['members.m-2.status', 'invalid_value', ...Object.values(pos(text, 'bogus'))],
    ]);
  });

  it('names a document by its community key when that is a string, even when the document is invalid', () => {
    const text = '--- {community: {id: named, name: 3}}\n--- {community: {id: 7}}\n--- [1]\n';
    expect(parseYamlBundles(text).map((d) => [d.bundle, d.communityKey])).toEqual([
      [null, 'named'],
      [null, null],
      [null, null],
    ]);
    expect(parseYamlBundles(bundlesToYaml([minimalBundle('ok')]))[0]!.communityKey).toBe('ok');
  });

  it('refuses a YAML bomb quickly, as a malformed body, without expanding it', { timeout: 5000 }, () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [prev, name] of [...'abcdefgh'].map((c, i) => [c, 'bcdefghi'[i]!]))
      lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    const err = thrown(() => parseYamlBundles(lines.join('\n')));
    expect(err.code).toBe('MALFORMED_REQUEST');
    expect(err.details[0]).toMatchObject({ type: 'too_large', doc: 0, line: 7 });
  });

  it("refuses a body whose documents' aliases, each within the budget, together expand beyond it", { timeout: 5000 }, () => {
    // Each document's aliases add 123,400 nodes: eight fit in the body's budget of MAX_ALIAS_EXPANSION, nine do not.
    const lines = [`a: &a [${Array(10).fill('lol').join(',')}]`];
    for (const [prev, name] of [...'abcd'].map((c, i) => [c, 'bcde'[i]!]))
      lines.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(',')}]`);
    const bomb = `---\n${lines.join('\n')}\n`;
    expect(parseYamlBundles(bomb.repeat(8))).toHaveLength(8);

    const err = thrown(() => parseYamlBundles(bomb.repeat(9)));
    expect(err.code).toBe('MALFORMED_REQUEST');
    expect(err.message).toBe(`the YAML body's aliases expand too far: by more than ${MAX_ALIAS_EXPANSION} nodes, its documents together`);
    expect(err.details).toEqual([
      expect.objectContaining({
        type: 'too_large',
        doc: 8,
        // Document 8's last line (each is six), where its aliases go past what the eight before left.
        line: 8 * 6 + 6,
        message: `aliases expand the body by more than ${MAX_ALIAS_EXPANSION} nodes, its documents together`,
      }),
    ]);
  });

  it("keeps refusing a single document over the budget as the document's bomb, whatever follows it", () => {
    const lines = ['a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol,lol]'];
    for (const [prev, name] of [...'abcdef'].map((c, i) => [c, 'bcdefg'[i]!]))
      lines.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(',')}]`);
    const err = thrown(() => parseYamlBundles(`${lines.join('\n')}\n---\nx: &x [1, 2]\ny: *x\n`));
    expect(err.message).toBe(`the body is not valid YAML: aliases expand the document by more than ${MAX_ALIAS_EXPANSION} nodes`);
    expect(err.details).toEqual([expect.objectContaining({ type: 'too_large', doc: 0, line: 6 })]);
  });

  it(`refuses a body of more than ${MAX_YAML_DOCUMENTS} documents, empty ones included, before reading them`, () => {
    const last = bundlesToYaml([minimalBundle('last')]);
    const full = '---\n'.repeat(MAX_YAML_DOCUMENTS - 1) + last;
    expect(parseYamlBundles(full).map((d) => [d.index, d.bundle?.community.id])).toEqual([[MAX_YAML_DOCUMENTS - 1, 'last']]);

    const err = thrown(() => parseYamlBundles(`---\n${full}`));
    expect(err.code).toBe('MALFORMED_REQUEST');
    expect(err.message).toBe(`the YAML body holds more than ${MAX_YAML_DOCUMENTS} documents`);
    expect(err.details).toEqual([
      {
        path: '',
        loc: [],
        message: `the body holds more than ${MAX_YAML_DOCUMENTS} documents`,
        type: 'too_many_documents',
        doc: MAX_YAML_DOCUMENTS,
        line: MAX_YAML_DOCUMENTS + 1,
        column: 1,
      },
    ]);
    // Tiny documents by the hundred thousand (each a small bomb or nothing) are refused just the same.
    expect(thrown(() => parseYamlBundles('--- [&a x, *a]\n'.repeat(130_000))).details[0]).toMatchObject({ type: 'too_many_documents' });
  });

  it('refuses nesting too deep to read safely, in flow and block style', () => {
    for (const text of ['['.repeat(200_000), '- '.repeat(50_000) + 'x', '{a: '.repeat(150) + '1' + '}'.repeat(150)]) {
      const err = thrown(() => parseYamlBundles(text));
      expect(err.code).toBe('MALFORMED_REQUEST');
      expect(err.details[0]).toMatchObject({ type: 'too_deep', doc: 0, line: 1 });
    }
  });

  it('expands aliases used in moderation', () => {
    const text = `community: { id: r, name: R, areas: { a: { name: A } } }
members:
  m-1:
    name: A
    role: consumer
    area: a
    status: active
    assets:
      meter:
        x: { name: X, sensor_id: S1, meter_type: import, device: &d { type: shelly, model: pro3em } }
        y: { name: Y, sensor_id: S2, meter_type: import, device: *d }
`;
    const [doc] = parseYamlBundles(text);
    expect(doc!.problems).toEqual([]);
    expect(doc!.bundle!.members!['m-1']!.assets!.meter!.y!.device).toEqual({ type: 'shelly', model: 'pro3em' });
  });

  it('refuses an alias inside its own anchor, an unknown alias and broken syntax, naming document, line and column', () => {
    const ok = bundlesToYaml([minimalBundle()]);
    const cases: [string, string, number][] = [
      [`${ok}---\na: &x [1, *x]\n`, 'too_large', 1],
      [`b: *nowhere\n`, 'yaml_syntax', 0],
      [`${ok}---\ncommunity: { id: "x, name: y }\n`, 'yaml_syntax', 1],
      [`community:\n  id: x\n name: y\n`, 'yaml_syntax', 0],
    ];
    for (const [text, type, doc] of cases) {
      const err = thrown(() => parseYamlBundles(text));
      expect(err.code).toBe('MALFORMED_REQUEST');
      expect(err.details[0]).toMatchObject({ type, doc });
      expect(err.details[0]!.line).toBeGreaterThan(0);
      expect(err.details[0]!.column).toBeGreaterThan(0);
    }
  });

  it('refuses a body with no document', () => {
    for (const text of ['', '\n\n', '# only a comment\n', '---\n', '---\n...\n---\n']) {
      const err = thrown(() => parseYamlBundles(text));
      expect(err.code).toBe('MALFORMED_REQUEST');
      expect(err.message).toMatch(/no document/);
    }
  });

  it('keeps keys as written, even those YAML reads as numbers or booleans', () => {
    const b = minimalBundle();
    const text = bundlesToYaml([b]).replace(
      '  m-1:',
      '  001:\n    name: Z\n    role: consumer\n    area: north\n    status: active\n  1e3:\n    name: Y\n    role: consumer\n    area: north\n    status: active\n  true:',
    );
    const [doc] = parseYamlBundles(text);
    expect(doc!.problems).toEqual([]);
    expect(Object.keys(doc!.bundle!.members!).sort()).toEqual(['001', '1e3', 'true']);
  });

  it('tells keys apart as the bundle reads them: 1 and 001 are two keys, a and "a" one', () => {
    const member = '{ name: X, role: consumer, area: a, status: active }';
    const text = `community: { id: r, name: R, areas: { a: { name: A } } }\nmembers:\n  1: ${member}\n  001: ${member}\n  m: ${member}\n  "m": ${member}\n`;
    const [doc] = parseYamlBundles(text);
    expect(doc!.problems.map((p) => [p.loc.join('.'), p.type, p.line])).toEqual([['members.m', 'duplicate_key', 6]]);
  });

  it('reports a value of the wrong type where it is written (an unquoted number for a code)', () => {
    const text = bundlesToYaml([minimalBundle()]) + '    delivery_points:\n      - id: 001\n        type: pod\n';
    const [doc] = parseYamlBundles(text);
    expect(doc!.problems).toEqual([
      {
        doc: 0,
        loc: ['members', 'm-1', 'delivery_points', 0, 'id'],
        msg: expect.stringMatching(/expected string/),
        type: 'invalid_type',
        ...pos(text, '001'),
      },
    ]);
  });

  it('reports an unknown tag, a document that is not a map, and a NUL character in GeoJSON', () => {
    const tagged = bundlesToYaml([minimalBundle()]).replace('name: Alice', 'name: !secret Alice');
    expect(only(parseYamlBundles(tagged)[0]!.problems)).toEqual(['members.m-1.name:yaml_warning']);
    expect(only(parseYamlBundles('- a\n- b\n')[0]!.problems)).toEqual([':invalid_type']);
    const nul = bundlesToYaml([minimalBundle()]).replace('name: North', 'name: North\n      geometry: { type: "Po\\0int" }');
    expect(parseYamlBundles(nul)[0]!.problems).toMatchObject([
      { loc: ['community', 'areas', 'north', 'geometry', 'type'], type: 'nul_character', ...pos(nul, '"Po') },
    ]);
  });

  it(`lists at most ${MAX_PROBLEMS} problems of a document, then how many more`, () => {
    const b = minimalBundle();
    for (let i = 0; i < MAX_PROBLEMS + 20; i++) b.members![`m${i}`] = { name: 'x', role: 'consumer', area: 'nowhere', status: 'active' };
    const [doc] = parseYamlBundles(bundlesToYaml([b]));
    expect(doc!.problems).toHaveLength(MAX_PROBLEMS + 1);
    expect(doc!.problems.at(-1)).toMatchObject({ type: 'too_many_problems', msg: expect.stringMatching(/and 20 more/) });
  });
});

describe('parseJsonImport', () => {
  it('reads the wrapper the published client sends, and a bare bundle', () => {
    expect(parseJsonImport({ bundle: minimalBundle(), dry_run: true })).toEqual({
      bundle: minimalBundle(),
      dryRun: true,
      problems: [],
      wrapped: true,
    });
    expect(parseJsonImport({ bundle: minimalBundle() })).toMatchObject({ dryRun: false, problems: [], wrapped: true });
    expect(parseJsonImport(minimalBundle())).toEqual({ bundle: minimalBundle(), dryRun: false, problems: [], wrapped: false });
  });

  it("reports every problem at once: the wrapper's relative to the body, the bundle's relative to the bundle", () => {
    const bundle = { ...minimalBundle(), extra: 1, community: { id: 'bad key', name: '' } };
    const result = parseJsonImport({ bundle, dry_run: 'yes', dryrun: true });
    expect(result.bundle).toBeNull();
    expect(result.problems.map((p) => [p.loc.join('.'), p.type, p.wrapper ?? false])).toEqual([
      ['dryrun', 'unrecognized_keys', true],
      ['dry_run', 'invalid_type', true],
      ['community.id', 'invalid_format', false],
      ['community.name', 'too_small', false],
      ['extra', 'unrecognized_keys', false],
      ['members.m-1.area', 'dangling_reference', false],
    ]);
  });

  it('reports a body that is no object as a problem of the whole bundle', () => {
    for (const body of [null, [], 'text', 3]) {
      const result = parseJsonImport(body);
      expect(result.bundle).toBeNull();
      expect(only(result.problems)).toEqual([':invalid_type']);
    }
    expect(only(parseJsonImport({ bundle: null }).problems)).toEqual([':invalid_type']);
  });

  it('refuses a NUL character anywhere, even in free-form GeoJSON keys', () => {
    const b = minimalBundle();
    b.community.areas!.north!.geometry = { ['ty\u0000pe']: 'Point' };
    b.members!['m-1']!.name = 'A\u0000';
    expect(only(parseJsonImport(b).problems)).toEqual([
      'members.m-1.name:invalid_format',
      'community.areas.north.geometry.ty\u0000pe:nul_character',
    ]);
  });

  it('refuses a lone surrogate, which no database stores as given, in any text or key', () => {
    const b = minimalBundle();
    b.members!['m-1']!.name = 'A\uD800';
    b.community.description = 'ok 😀 \uDC00';
    b.community.areas!.north!.geometry = { ['k\uDBFF']: 1, fine: '😀' };
    expect(only(parseJsonImport(b).problems)).toEqual([
      'community.areas.north.geometry.k\uDBFF:invalid_unicode',
      'community.description:invalid_unicode',
      'members.m-1.name:invalid_unicode',
    ]);
  });
});

describe('parseJsonText', () => {
  it('parses JSON, with or without a byte order mark', () => {
    expect(parseJsonText('{"a": [1, 2]}')).toEqual({ a: [1, 2] });
    expect(parseJsonText('\uFEFF{"a": 1}')).toEqual({ a: 1 });
  });

  it('names the line and column of the first error', () => {
    const cases: [string, string][] = [
      ['{\n  "a": [1, 2,]\n}', ']'],
      ['{\n  "a": "open\n}', '\n}'],
      ['{"a": 1} x', 'x'],
      ['{"a": 01}', '1}'],
      ['{"a": "\\q"}', 'q'],
      ['{\n  a: 1}', 'a:'],
      ['{"a" 1}', '1'],
    ];
    for (const [text, at] of cases) {
      const err = thrown(() => parseJsonText(text));
      expect(err.code).toBe('MALFORMED_REQUEST');
      expect(err.details[0]).toMatchObject({ type: 'json_invalid', loc: [], ...pos(text, at, at === '1}' ? '01' : '') });
    }
    expect(thrown(() => parseJsonText('{"a": [')).details[0]).toMatchObject({
      line: 1,
      column: 8,
      message: 'unexpected end of input at line 1, column 8',
    });
    expect(thrown(() => parseJsonText('')).details[0]).toMatchObject({ line: 1, column: 1 });
  });

  it('survives deeply nested text', () => {
    expect(thrown(() => parseJsonText('['.repeat(500_000))).details[0]).toMatchObject({ line: 1, column: 500_001 });
  });
});

describe('problemToDetail', () => {
  it("gives the error detail: dotted path, message, and the problem's fields", () => {
    expect(
      problemToDetail({ doc: 2, loc: ['members', 'm-1', 'delivery_points', 0, 'id'], msg: 'taken', type: 'taken', line: 4, column: 9 }),
    ).toEqual({
      path: 'members.m-1.delivery_points.0.id',
      message: 'taken',
      loc: ['members', 'm-1', 'delivery_points', 0, 'id'],
      type: 'taken',
      doc: 2,
      line: 4,
      column: 9,
    });
    expect(problemToDetail({ loc: [], msg: 'm', type: 't' })).toEqual({ path: '', message: 'm', loc: [], type: 't' });
  });
});
