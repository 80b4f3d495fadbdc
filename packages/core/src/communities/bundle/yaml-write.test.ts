import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { yamlText } from './yaml-write.js';

/** What a YAML 1.2 reader (this parser) and a YAML 1.1 reader (as PyYAML) read back. */
function readBoth(text: string): [unknown, unknown] {
  return [parse(text, { version: '1.2' }), parse(text, { version: '1.1' })];
}

describe('yamlText', () => {
  it('writes block style: nested maps, lists of maps and of lists, empty collections, scalars', () => {
    const value = {
      name: 'North',
      count: 3,
      ratio: -0.5,
      on: true,
      none: null,
      list: ['a', { id: 'x', type: 'pod' }, ['b', 'c']],
      nested: { deep: { x: 1 } },
      empty: {},
      none_listed: [],
    };
    expect(yamlText(value)).toBe(
      [
        'name: North',
        'count: 3',
        'ratio: -0.5',
        '"on": true',
        'none: null',
        'list:',
        '  - a',
        '  - id: x',
        '    type: pod',
        '  - - b',
        '    - c',
        'nested:',
        '  deep:',
        '    x: 1',
        'empty: {}',
        'none_listed: []',
        '',
      ].join('\n'),
    );
    expect(readBoth(yamlText(value))).toEqual([value, value]);
  });

  it('quotes exactly the strings a YAML 1.2 or 1.1 reader would read as something else', () => {
    const quotedOnes = [
      '',
      ' x',
      'x ',
      'yes',
      'No',
      'on',
      'y',
      'null',
      '~',
      '<<',
      '=',
      '1',
      '-1',
      '0x1F',
      '0o17',
      '010',
      '1_000',
      '1:20',
      '0:0',
      '1.5',
      '.5',
      '1e3',
      '.inf',
      '.NaN',
      '.',
      '+',
      'e5',
      'E-1',
      '1.',
    ];
    const more = [
      '2023-05-01',
      '2024-01-01T10:00:00Z',
      '2024-1-1 1:2:3',
      '2024-01-01t10:00:00.5 +01:00',
      'a: b',
      'a #b',
      'a:',
      '- x',
      '-x',
      '? x',
      '#x',
      '&x',
      '*x',
      '!x',
      '|x',
      '>x',
      "'x",
      '"x',
      '%x',
      '@x',
      '`x',
      '[x',
      '{x',
      ',x',
      '...x',
    ];
    const special = ['a\nb', 'tab\there', 'del\u007F', 'nel\u0085', 'ls\u2028', 'bom\uFEFF', 'bell\u0007', 'lone\uD800'];
    for (const s of [...quotedOnes, ...more, ...special]) {
      const line = yamlText({ k: s });
      expect(line, s).toMatch(/^k: "/);
      expect(readBoth(line), s).toEqual([{ k: s }, { k: s }]);
    }
    const plainOnes = [
      'IT001E0001',
      'schema:Person',
      'https://example.org/a?b=1#c',
      'Via Roma 1, 00100 Roma',
      'a#b',
      '1.2.3',
      'Ünïcødé 名前 😀',
      '+39 0123 456789',
      'x-y_z.~1',
    ];
    for (const s of plainOnes) {
      expect(yamlText({ k: s }), s).toBe(`k: ${s}\n`);
      expect(readBoth(`k: ${s}\n`), s).toEqual([{ k: s }, { k: s }]);
    }
  });

  it('writes numbers as both readers read them back', () => {
    for (const n of [0, -0, 1, -1, 0.1, 1e21, 1e-7, 5e-324, Number.MAX_VALUE, 123456789.123]) {
      const [v12] = readBoth(yamlText({ n }));
      expect(Object.is((v12 as { n: number }).n, n), String(n)).toBe(true);
    }
  });

  it('writes an exponent with a dot in its mantissa, as a YAML 1.1 reader (PyYAML) needs to read a float', () => {
    // yaml.org/type/int and yaml.org/type/float (YAML 1.1), without the sexagesimal forms.
    const int11 = /^[-+]?(0|[1-9][0-9_]*)$/;
    const float11 = /^[-+]?([0-9][0-9_]*)?\.[0-9.]*([eE][-+][0-9]+)?$/;
    expect(yamlText({ x: 1e-7 })).toBe('x: 1.0e-7\n');
    expect(yamlText({ x: 1e21 })).toBe('x: 1.0e+21\n');
    expect(yamlText({ x: 1.5e-7 })).toBe('x: 1.5e-7\n');
    for (const n of [0, 1, -1, 0.1, 1e21, -1e21, 1e-7, 2.5e-8, 5e-324, Number.MAX_VALUE, 123456789.123]) {
      const written = yamlText({ x: n }).slice(3, -1);
      expect(int11.test(written) || float11.test(written), written).toBe(true);
      expect(readBoth(`x: ${written}\n`), written).toEqual([{ x: n }, { x: n }]);
    }
  });

  it('writes keys longer than YAML allows implicit keys as explicit keys', () => {
    const long = 'k'.repeat(2000);
    const value = { [long]: 'v', [`${long}2`]: { a: [1] } };
    const text = yamlText(value);
    expect(text.startsWith(`? ${long}\n: v\n`)).toBe(true);
    expect(parse(text)).toEqual(value);
  });

  it('round-trips any string, in keys and values, for both readers (property)', () => {
    // Strings near numbers, booleans and dates are where readers disagree: generated often.
    const numberish = fc.string({ unit: fc.constantFrom(...'0123456789.eE+-_:xobTtYyNn~ '), maxLength: 6 });
    const anyText = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 20 }),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.string({ maxLength: 20 }),
      numberish,
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(anyText, anyText), { maxLength: 5 }), fc.array(anyText, { maxLength: 4 }), (pairs, list) => {
        const value: Record<string, unknown> = Object.fromEntries(pairs);
        value.list = list;
        const [v12, v11] = readBoth(yamlText(value));
        expect(v12).toEqual(value);
        expect(v11).toEqual(value);
      }),
      { numRuns: 1000 },
    );
  });

  it('writes a text far longer than the pieces it encodes at a time, multi-byte characters and all', () => {
    // Megabytes: the writer encodes every 16 Ki characters into a buffer it grows from 64 KiB.
    const items = Array.from({ length: 60_000 }, (_, i) => `é€😀-${i}`);
    const text = yamlText({ items, after: 'end' });
    expect(text).toBe(`items:\n${items.map((s) => `  - ${s}\n`).join('')}after: end\n`);
    expect(Buffer.byteLength(text)).toBeGreaterThan(1 << 20);
  });
});
