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

/** Whether the value is written as a block of its own (a list or an object that is not empty) rather than on its key's line. */
function isNested(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (!isObject(v)) return false;
  for (const _ in v) return true;
  return false;
}

/** A YAML implicit key may be at most 1024 characters long (YAML 1.2 §7.4); longer ones are written explicit (`? key`). */
const MAX_IMPLICIT_KEY = 1000;

/** The pending text is encoded once it is this long (characters). */
const FLUSH_AT = 16_384;

/**
 * Block-style YAML, written piece by piece. Short pieces are joined into a
 * pending string, which is encoded to UTF-8 every few kilobytes: an export
 * writes millions of pieces, and kept in a list to the end they would all
 * outlive the young generation, so that the garbage collector would spend
 * more time copying them than the writer spends making them.
 *
 * Each method that writes a line takes `lead`, what the line starts with in
 * place of `indent`: a list item's first line goes on its dash's line
 * (`- key: value`, `- - value`).
 */
export class YamlWriter {
  private bytes = new Uint8Array(1 << 16);
  private length = 0;
  private pending = '';
  private readonly encoder = new TextEncoder();

  /** Text as it is (a document marker). */
  raw(piece: string): void {
    this.pending += piece;
    if (this.pending.length >= FLUSH_AT) this.flush();
  }

  /** `key: value`, the value a scalar or an empty collection. */
  scalarEntry(lead: string, indent: string, key: string, value: unknown): void {
    const k = text(key);
    if (k.length > MAX_IMPLICIT_KEY) this.raw(`${lead}? ${k}\n${indent}: ${scalar(value)}\n`);
    else this.raw(`${lead}${k}: ${scalar(value)}\n`);
  }

  /** `key:`, its value's block to be written next, at `indent` plus two spaces. */
  blockEntry(lead: string, indent: string, key: string): void {
    const k = text(key);
    if (k.length > MAX_IMPLICIT_KEY) this.raw(`${lead}? ${k}\n${indent}:\n`);
    else this.raw(`${lead}${k}:\n`);
  }

  /** `key: value`, any value, nested collections in the key order `keys` gives. */
  entry(lead: string, indent: string, key: string, value: unknown, keys: KeyOrder): void {
    if (isNested(value)) {
      this.blockEntry(lead, indent, key);
      this.block(value, `${indent}  `, `${indent}  `, keys);
    } else this.scalarEntry(lead, indent, key, value);
  }

  /** `- value`, any value. */
  item(lead: string, indent: string, value: unknown, keys: KeyOrder): void {
    if (isNested(value)) this.block(value, `${indent}  `, `${lead}- `, keys);
    else this.raw(`${lead}- ${scalar(value)}\n`);
  }

  /** A non-empty list or object as a block at `indent`. */
  block(value: unknown, indent: string, lead: string, keys: KeyOrder): void {
    if (Array.isArray(value)) {
      for (const item of value) {
        this.item(lead, indent, item, keys);
        lead = indent;
      }
    } else {
      const obj = value as Record<string, unknown>;
      for (const key of keys(obj)) {
        const v = obj[key];
        if (v === undefined) continue;
        this.entry(lead, indent, key, v, keys);
        lead = indent;
      }
    }
  }

  get empty(): boolean {
    return this.length === 0 && this.pending.length === 0;
  }

  private flush(): void {
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    const needed = this.length + this.pending.length * 3;
    if (needed > this.bytes.length) {
      const grown = new Uint8Array(Math.max(needed, this.bytes.length * 2));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    }
    this.length += this.encoder.encodeInto(this.pending, this.bytes.subarray(this.length)).written;
    this.pending = '';
  }

  /** Everything written so far. */
  text(): string {
    this.flush();
    return new TextDecoder().decode(this.bytes.subarray(0, this.length));
  }
}

export type KeyOrder = (obj: Record<string, unknown>) => string[];

/** `value` (an object) as a block-style YAML document body, keys in the order `keys` gives; ends with a newline. */
export function yamlText(value: Record<string, unknown>, keys: KeyOrder = Object.keys): string {
  const out = new YamlWriter();
  out.block(value, '', '', keys);
  return out.empty ? '{}\n' : out.text();
}
