// A YAML writer for plain data (objects, arrays, strings, numbers, booleans,
// null), block style, deterministic. The `yaml` package reads bundles; it
// does not write them: its writer is general (comments, styles, folding) and
// about fifty times slower than JSON.stringify, which for an export of tens
// of thousands of assets is the whole time of the export.
//
// A string is written plain only when every YAML reader reads it back as the
// same string: YAML 1.2 (this parser) and YAML 1.1 (PyYAML, which the
// published registry's Python clients use, reads `yes`, `on`, `2023-05-01`,
// `1_000` or `1:20` as something else). Anything else is double-quoted with
// JSON's escapes, which YAML's double-quoted style shares, plus escapes for
// the characters YAML does not allow raw. Multi-line strings are therefore
// one double-quoted line: no folding, no block scalars whose meaning hangs
// on trailing spaces.

/** Characters YAML allows raw (c-printable, YAML 1.2 §5.1) minus the BOM, without line breaks and tab. */
const PRINTABLE = /^[\u0020-\u007E\u00A0-\uD7FF\uE000-\uFEFE\uFF00-\uFFFD\u{10000}-\u{10FFFF}]*$/u;
/** First characters that make a plain scalar something else (indicators, YAML 1.2 §5.3), and spaces. */
const BAD_START = /^[\s\-?:,[\]{}#&*!|>'"%@`]/;
/** Plain scalars YAML 1.2's core schema or YAML 1.1 reads as null, a boolean, a number, a date, a merge or value key. */
const NOT_A_STRING = new RegExp(
  [
    '^(?:~|null|Null|NULL|<<|=)$',
    '^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$',
    '^[-+]?(?:[0-9][0-9_]*|0b[01_]+|0o[0-7]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*(?::[0-5]?[0-9])+)$',
    // Wider than the readers' float rules (it also takes `.`, `+`, `e5`): a few strings more quoted, none misread.
    '^[-+]?(?:[0-9][0-9_]*)?(?:\\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?$',
    '^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*$',
    '^[-+]?\\.(?:inf|Inf|INF)$|^\\.(?:nan|NaN|NAN)$',
    '^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \\t]+)[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\\.[0-9]*)?(?:[ \\t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?$',
  ].join('|'),
);
/** Characters JSON.stringify leaves raw that YAML forbids raw or YAML 1.1 reads as line breaks. */
const ESCAPE_TOO = /[\u007F-\u009F\u2028\u2029\uFEFF\uFFFE\uFFFF]/g;

/** Most strings (keys, codes, names without spaces): a letter, then letters, digits and a few marks. */
const SIMPLE = /^[A-Za-z][A-Za-z0-9._/@+-]*$/;
/** The only SIMPLE strings that are no strings to a YAML reader (`e5` is a float to the \`yaml\` package's YAML 1.1 schema). */
const WORDS = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|[eE][-+]?[0-9]+)$/;

function plain(s: string): boolean {
  if (SIMPLE.test(s)) return !WORDS.test(s);
  return (
    s.length > 0 &&
    !BAD_START.test(s) &&
    !/\s$/.test(s) &&
    !s.endsWith(':') &&
    !s.includes(': ') &&
    !s.includes(' #') &&
    !s.startsWith('...') &&
    PRINTABLE.test(s) &&
    !NOT_A_STRING.test(s)
  );
}

function quoted(s: string): string {
  return JSON.stringify(s).replace(ESCAPE_TOO, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const text = (s: string) => (plain(s) ? s : quoted(s));

function scalar(v: unknown): string {
  if (typeof v === 'string') return text(v);
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return '.nan';
    if (!Number.isFinite(v)) return v > 0 ? '.inf' : '-.inf';
    if (Object.is(v, -0)) return '-0';
    // YAML 1.1's float needs a dot (PyYAML reads 1e-7 as a string): 1.0e-7, as JavaScript reads it too.
    const n = String(v);
    return /^-?\d+e/.test(n) ? n.replace('e', '.0e') : n;
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return '[]';
  if (typeof v === 'object' && v !== null) return '{}';
  return 'null';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNested = (v: unknown) => (Array.isArray(v) ? v.length > 0 : isObject(v) && Object.keys(v).length > 0);

/** A YAML implicit key may be at most 1024 characters long (YAML 1.2 §7.4); longer ones are written explicit (`? key`). */
const MAX_IMPLICIT_KEY = 1000;

export type KeyOrder = (obj: Record<string, unknown>) => string[];

function writeMap(obj: Record<string, unknown>, indent: string, keys: KeyOrder, out: string[]): void {
  for (const key of keys(obj)) {
    const value = obj[key];
    if (value === undefined) continue;
    const k = text(key);
    if (k.length > MAX_IMPLICIT_KEY) {
      out.push(`${indent}? ${k}\n${indent}:`);
      if (isNested(value)) {
        out.push('\n');
        writeNested(value, `${indent}  `, keys, out);
      } else out.push(` ${scalar(value)}\n`);
    } else if (isNested(value)) {
      out.push(`${indent}${k}:\n`);
      writeNested(value, `${indent}  `, keys, out);
    } else out.push(`${indent}${k}: ${scalar(value)}\n`);
  }
}

function writeSeq(items: unknown[], indent: string, keys: KeyOrder, out: string[]): void {
  for (const item of items) {
    if (isNested(item)) {
      // The item's first line goes on the dash's line: `- key: value` or `- - value`.
      const start = out.length;
      writeNested(item, `${indent}  `, keys, out);
      out[start] = `${indent}- ${out[start]!.slice(indent.length + 2)}`;
    } else out.push(`${indent}- ${scalar(item)}\n`);
  }
}

function writeNested(value: unknown, indent: string, keys: KeyOrder, out: string[]): void {
  if (Array.isArray(value)) writeSeq(value, indent, keys, out);
  else writeMap(value as Record<string, unknown>, indent, keys, out);
}

/** `value` (an object) as a block-style YAML document body, keys in the order `keys` gives; ends with a newline. */
export function yamlText(value: Record<string, unknown>, keys: KeyOrder = Object.keys): string {
  const out: string[] = [];
  writeMap(value, '', keys, out);
  return out.length === 0 ? '{}\n' : out.join('');
}
