// Keys repeated in one JSON object. JSON.parse keeps the last of two equal
// keys and says nothing: two members "m-1" become one, and the full-replace
// import then deletes what the first one described. YAML refuses a repeated
// key (parse.ts reports it as a problem); this scan does the same for JSON,
// so both formats report it, by path, line and column.
//
// It runs on text JSON.parse has already accepted, so it only follows the
// structure, without checking it again. It is iterative (an explicit stack:
// deep nesting cannot exhaust the call stack) and skips string contents with
// indexOf, as it reads every import body (up to 32 MiB).

export interface JsonDuplicateKey {
  /** The path of the repeated key, from the root: e.g. ["bundle","members","m-1"]. */
  loc: (string | number)[];
  /** 1-based line of the repeated (second, third…) occurrence. */
  line: number;
  /** 1-based column of its opening quote, in UTF-16 code units. */
  column: number;
}

export interface JsonDuplicateKeys {
  /** The first `limit` repeated keys, in reading order. */
  found: JsonDuplicateKey[];
  /** How many there are in all. */
  total: number;
}

/** An object being read (`keys` set), or an array (`keys` null, `at` its current index). */
interface Frame {
  keys: Set<string> | null;
  at: string | number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The offset just past the string whose opening quote is at `i` (the text's length when it is not closed). */
function stringEnd(s: string, i: number): number {
  let j = s.indexOf('"', i + 1);
  for (;;) {
    if (j === -1) return s.length;
    // A quote preceded by an odd number of backslashes is escaped.
    let slashes = 0;
    while (s.charCodeAt(j - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return j + 1;
    j = s.indexOf('"', j + 1);
  }
}

/**
 * Every key that repeats an earlier key of the same object in `text` (a
 * valid JSON text; a leading byte order mark is skipped, and not counted as
 * a column). Keys are compared as JSON.parse reads them: `"a"` and
 * `"\u0061"` are the same key.
 */
export function jsonDuplicateKeys(text: string, limit: number): JsonDuplicateKeys {
  const found: JsonDuplicateKey[] = [];
  let total = 0;
  const stack: Frame[] = [];
  let expectKey = false;
  let line = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let lineStart = i;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      const top = stack.at(-1);
      if (expectKey && top?.keys) {
        const raw = text.slice(i + 1, end - 1);
        const key = raw.includes('\\') ? (JSON.parse(text.slice(i, end)) as string) : raw;
        top.at = key;
        if (top.keys.has(key)) {
          total++;
          if (found.length < limit) found.push({ loc: stack.map((f) => f.at), line, column: i - lineStart + 1 });
        } else top.keys.add(key);
        expectKey = false;
      }
      i = end;
      continue;
    }
    switch (c) {
      case 0x0a: // '\n': only between tokens (a JSON string holds no raw line break)
        line++;
        lineStart = i + 1;
        break;
      case 0x7b: // '{'
        stack.push({ keys: new Set(), at: '' });
        expectKey = true;
        break;
      case 0x5b: // '['
        stack.push({ keys: null, at: 0 });
        expectKey = false;
        break;
      case 0x7d: // '}'
      case 0x5d: // ']'
        stack.pop();
        expectKey = false;
        break;
      case 0x2c: {
        // ',': the next key of an object, or the next item of an array
        const top = stack.at(-1);
        if (top?.keys) expectKey = true;
        else if (top) top.at = (top.at as number) + 1;
        break;
      }
    }
    i++;
  }
  return { found, total };
}
