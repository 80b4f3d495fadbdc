import { describe, expect, it } from 'vitest';
import { jsonDuplicateKeys } from './json-duplicates.js';
import { MAX_PROBLEMS, parseJsonImport, parseJsonText } from './parse.js';
import { minimalBundle } from './test-bundles.js';

/** Line and column (1-based) of the `nth` (from 0) occurrence of `needle` in `text`. */
function pos(text: string, needle: string, nth = 1): { line: number; column: number } {
  let offset = -1;
  for (let n = 0; n <= nth; n++) offset = text.indexOf(needle, offset + 1);
  if (offset < 0) throw new Error(`${needle} not in the text ${nth + 1} times`);
  const before = text.slice(0, offset);
  return { line: before.split('\n').length, column: offset - before.lastIndexOf('\n') };
}

const scan = (text: string, limit = 100) => jsonDuplicateKeys(text, limit);

describe('jsonDuplicateKeys', () => {
  it('finds a key repeated in one object, by path, at the line and column of the repeat', () => {
    const text = '{\n  "members": {\n    "m-1": {"name": "A"},\n    "m-2": {"name": "B"},\n    "m-1": {"name": "C"}\n  }\n}';
    expect(scan(text)).toEqual({ found: [{ loc: ['members', 'm-1'], ...pos(text, '"m-1"') }], total: 1 });
  });

  it('compares keys within one object only, and never values', () => {
    const text = '{"a": {"x": 1}, "b": {"x": "x", "a": "a"}, "c": [{"x": 1}, {"x": 2}], "x": {"a": {"a": 1}}}';
    expect(scan(text)).toEqual({ found: [], total: 0 });
  });

  it('names array items by index, in nested arrays and objects', () => {
    const text = '{"t": [{"id": 1}, [0, {"k": 1, "k": 2}], {"id": 2, "id": 3}]}';
    expect(scan(text).found).toEqual([
      { loc: ['t', 1, 1, 'k'], ...pos(text, '"k"') },
      { loc: ['t', 2, 'id'], ...pos(text, '"id"', 2) },
    ]);
  });

  it('reads keys as JSON.parse does: escapes decoded, escaped quotes and backslashes inside strings skipped', () => {
    const text = String.raw`{"a": "x\" , \"a\": 1", "b\\": "\\", "\u0061": 1, "b\u005c": 2, "q\"": 1, "q\"": 2}`;
    expect(scan(text).found.map((d) => d.loc)).toEqual([['a'], ['b\\'], ['q"']]);
    expect(Object.keys(JSON.parse(text) as object)).toEqual(['a', 'b\\', 'q"']);
  });

  it('counts columns in UTF-16 code units, after a byte order mark that is no column, and lines after CRLF', () => {
    const text = '\uFEFF{"é😀": 1,\r\n "k": 1, "k": 2}';
    expect(scan(text).found).toEqual([{ loc: ['k'], line: 2, column: 10 }]);
    expect(scan('{"😀": 1, "😀": 2}').found).toEqual([{ loc: ['😀'], line: 1, column: 11 }]);
  });

  it('lists the first `limit` repeats and counts them all', () => {
    const text = `{${Array.from({ length: 50 }, () => '"a": 1').join(', ')}}`;
    const { found, total } = scan(text, 10);
    expect(found).toHaveLength(10);
    expect(total).toBe(49);
  });

  it('survives deeply nested text', () => {
    const depth = 200_000;
    const text = `${'{"a": '.repeat(depth)}{"k": 1, "k": 2}${'}'.repeat(depth)}`;
    const { found } = scan(text);
    expect(found).toHaveLength(1);
    expect(found[0]!.loc).toHaveLength(depth + 1);
  });
});

describe('parseJsonImport with the text it was parsed from', () => {
  const read = (text: string) => parseJsonImport(parseJsonText(text), text);

  it('reports a repeated member key as duplicate_key, line and column, with every other problem', () => {
    const b = minimalBundle();
    const text = JSON.stringify(b, null, 2)
      .replace('"members": {', '"members": {\n    "m-1": {"name": "First", "role": "king", "area": "north", "status": "active"},')
      .replace('"name": "Minimal REC"', '"name": 5');
    const result = read(text);
    expect(result.bundle).toBeNull();
    expect(result.problems).toEqual([
      { loc: ['members', 'm-1'], msg: 'duplicate key "m-1"', type: 'duplicate_key', ...pos(text, '"m-1"') },
      expect.objectContaining({ loc: ['community', 'name'], type: 'invalid_type' }),
    ]);
  });

  it('locates repeats inside the wrapper relative to the bundle, and those of the wrapper itself relative to the body', () => {
    const bundle = JSON.stringify(minimalBundle()).replace('{"name":"North"}', '{"name":"North","name":"South"}');
    const text = `{"dry_run": true, "bundle": ${bundle}, "dry_run": false}`;
    const result = read(text);
    expect(result.bundle).toBeNull();
    expect(result.problems.map((p) => [p.loc.join('.'), p.type, p.wrapper ?? false, p.line, p.column])).toEqual([
      ['community.areas.north.name', 'duplicate_key', false, 1, pos(text, '"name":"South"', 0).column],
      ['dry_run', 'duplicate_key', true, 1, pos(text, '"dry_run"').column],
    ]);
  });

  it('accepts a bundle without repeats, and reads as before without the text', () => {
    const text = JSON.stringify({ bundle: minimalBundle() });
    expect(read(text)).toEqual({ bundle: minimalBundle(), dryRun: false, problems: [], wrapped: true });
    const repeated = '{"community": {"id": "x", "id": "x"}}';
    expect(parseJsonImport(JSON.parse(repeated)).problems.some((p) => p.type === 'duplicate_key')).toBe(false);
  });

  it(`lists at most ${MAX_PROBLEMS} problems, then how many more, repeats included`, () => {
    const members = Array.from(
      { length: MAX_PROBLEMS + 30 },
      () => '"m-1": {"name": "A", "role": "consumer", "area": "north", "status": "active"}',
    );
    const text = JSON.stringify(minimalBundle()).replace(/"members":\{/, `"members":{${members.join(',')},`);
    const { problems } = read(text);
    expect(problems).toHaveLength(MAX_PROBLEMS + 1);
    expect(problems.slice(0, MAX_PROBLEMS).every((p) => p.type === 'duplicate_key')).toBe(true);
    expect(problems.at(-1)).toMatchObject({ type: 'too_many_problems', msg: expect.stringMatching(/^and 30 more problems/) });
  });
});
