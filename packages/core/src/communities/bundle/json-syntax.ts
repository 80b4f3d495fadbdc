// Where a JSON text goes wrong. Node 20's JSON.parse says what went wrong but
// not where; a user fixing a large bundle file needs the line and column.
// This scanner only runs after JSON.parse failed. It is iterative (an
// explicit stack), so deeply nested text cannot exhaust the call stack.

export interface JsonSyntaxError {
  msg: string;
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units. */
  column: number;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPE = /^(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/;

/** The first syntax error of `text` as JSON (RFC 8259), or undefined when it is valid. */
export function jsonSyntaxError(text: string): JsonSyntaxError | undefined {
  const offset = firstErrorOffset(text);
  if (offset === undefined) return undefined;
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1) + 1;
  const found = offset >= text.length ? 'end of input' : JSON.stringify(String.fromCodePoint(text.codePointAt(offset)!));
  return { msg: `unexpected ${found} at line ${line}, column ${column}`, line, column };
}

type State = 'value' | 'valueOrClose' | 'key' | 'keyOrClose' | 'colon' | 'after';

function firstErrorOffset(s: string): number | undefined {
  const stack: ('{' | '[')[] = [];
  let state: State = 'value';
  let i = 0;
  for (;;) {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++;
    if (i >= s.length) return state === 'after' && stack.length === 0 ? undefined : i;
    const c = s[i]!;
    switch (state) {
      case 'value':
      case 'valueOrClose':
        if (state === 'valueOrClose' && c === ']') {
          stack.pop();
          i++;
          state = 'after';
        } else if (c === '{' || c === '[') {
          stack.push(c);
          i++;
          state = c === '{' ? 'keyOrClose' : 'valueOrClose';
        } else {
          const end = scalarEnd(s, i);
          if (end < 0) return -end - 1;
          i = end;
          state = 'after';
        }
        break;
      case 'key':
      case 'keyOrClose':
        if (state === 'keyOrClose' && c === '}') {
          stack.pop();
          i++;
          state = 'after';
        } else if (c === '"') {
          const end = stringEnd(s, i);
          if (end < 0) return -end - 1;
          i = end;
          state = 'colon';
        } else return i;
        break;
      case 'colon':
        if (c !== ':') return i;
        i++;
        state = 'value';
        break;
      case 'after': {
        const top = stack.at(-1);
        if (top === undefined) return i;
        if (c === ',') {
          i++;
          state = top === '{' ? 'key' : 'value';
        } else if (c === (top === '{' ? '}' : ']')) {
          stack.pop();
          i++;
        } else return i;
        break;
      }
    }
  }
}

/** The offset after the scalar at `i`, or -(error offset + 1). */
function scalarEnd(s: string, i: number): number {
  const c = s[i];
  if (c === '"') return stringEnd(s, i);
  for (const word of ['true', 'false', 'null']) if (s.startsWith(word, i)) return i + word.length;
  NUMBER.lastIndex = i;
  const m = NUMBER.exec(s);
  return m && m[0].length > 0 ? i + m[0].length : -(i + 1);
}

/** The offset after the string starting at `i` (a quote), or -(error offset + 1). */
function stringEnd(s: string, i: number): number {
  let j = i + 1;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c === 0x22) return j + 1;
    if (c < 0x20) return -(j + 1);
    if (c === 0x5c) {
      const m = ESCAPE.exec(s.slice(j + 1, j + 6));
      if (!m) return -(j + 2);
      j += 1 + m[0].length;
    } else j++;
  }
  return -(s.length + 1);
}
