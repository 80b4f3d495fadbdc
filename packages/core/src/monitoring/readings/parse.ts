// Ingest input, checked whole before anything is written: JSON rows
// (`{readings: [{ts, W, Wh, ...}]}`) or CSV text (`{csv}`), into one value per
// (field, ts), sorted by field then time. Every problem is reported with where
// it is (`readings[12].W`, `line 14, column W`) and a stable issue code; the
// caller refuses the whole request if there is any.
import { validationError, type DomainError, type ErrorDetail } from '../../errors.js';
import { fieldByCode, storedField } from '../fields.js';
import { CsvSyntaxError, parseCsv } from './csv.js';

/** Rows (JSON objects or CSV records) one request may carry. */
export const MAX_ROWS_PER_REQUEST = 10_000;

/** A timestamp later than this after the server's clock is refused (a logger with a wrong clock). */
export const MAX_FUTURE_MS = 24 * 60 * 60 * 1000;

/** Readings before 1970 are refused: a logger whose clock was reset, never real history. */
export const EARLIEST_TS_MS = 0;

/** Problems listed in one error at most; the message says how many more there were. */
const MAX_DETAILS = 100;

/** The stable codes in an ingest error's `details[].issue`. */
export type ReadingIssue =
  | 'invalid_body'
  | 'too_many_readings'
  | 'not_an_object'
  | 'missing_ts'
  | 'invalid_ts'
  | 'ts_without_offset'
  | 'ts_in_future'
  | 'ts_too_early'
  | 'unknown_field'
  | 'not_a_number'
  | 'not_finite'
  | 'duplicate_reading'
  | 'csv_syntax'
  | 'missing_header'
  | 'missing_ts_column'
  | 'duplicate_column'
  | 'wrong_cell_count';

/** One request's values, columnar and sorted by (field, ts): what storage inserts. */
export interface ReadingBatch {
  /** Rows accepted, those with only a timestamp included. */
  rows: number;
  field: Int16Array;
  /** Milliseconds since the epoch. */
  ts: Float64Array;
  value: Float64Array;
  /** Values given twice with the same number (kept once, counted as unchanged). */
  duplicates: number;
  /** Earliest and latest timestamp of any row, or null without rows. */
  firstTs: number | null;
  lastTs: number | null;
  /** Latest timestamp of a row with a value, or null. */
  lastValueTs: number | null;
  /** Earliest timestamp of an energy (Wh) value, or null. */
  firstEnergyTs: number | null;
}

/** Where a problem is, in the caller's terms. */
type Locate = (row: number, column?: string) => Pick<ErrorDetail, 'path'> & Record<string, unknown>;

class Problems {
  readonly details: ErrorDetail[] = [];
  total = 0;

  add(where: ReturnType<Locate>, issue: ReadingIssue, message: string): void {
    this.total += 1;
    if (this.details.length < MAX_DETAILS) this.details.push({ ...where, message, issue });
  }

  error(what: string): DomainError {
    const shown = this.details
      .slice(0, 3)
      .map((d) => `${d.path}: ${d.message}`)
      .join('; ');
    const more = this.total > 3 ? `; and ${this.total - 3} more` : '';
    const details =
      this.total > this.details.length
        ? [...this.details, { message: `${this.total - this.details.length} more problems not listed`, issue: 'more' }]
        : this.details;
    return validationError(`invalid ${what}, nothing was stored: ${shown}${more}`, details);
  }
}

// YYYY-MM-DD, T or a space, hh:mm[:ss[.fraction]], then Z or ±hh[:mm] (or nothing, which is refused).
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

type Parsed = { ms: number } | { issue: ReadingIssue; message: string };

const EXAMPLE = 'e.g. 2024-05-01T12:00:00Z or 2024-05-01T14:00:00+02:00';

/** An ISO-8601 timestamp with an explicit UTC offset, to the millisecond (finer digits are dropped). */
export function parseTimestamp(text: string, nowMs: number): Parsed {
  const m = TIMESTAMP.exec(text);
  if (!m) return { issue: 'invalid_ts', message: `${JSON.stringify(text)} is not an ISO-8601 timestamp with a UTC offset (${EXAMPLE})` };
  const [, y, mo, d, h, mi, s, frac, z, sign, oh, om] = m;
  if (!z && !sign) {
    return { issue: 'ts_without_offset', message: `${JSON.stringify(text)} has no UTC offset: add Z or ±HH:MM (${EXAMPLE})` };
  }
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 1 : 0;
  const offsetMinutes = sign ? (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om ?? 0)) : 0;
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > DAYS_IN_MONTH[month - 1]! + leap ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s ?? 0) > 59 ||
    Number(om ?? 0) > 59 ||
    Math.abs(offsetMinutes) > 18 * 60
  ) {
    return { issue: 'invalid_ts', message: `${JSON.stringify(text)} is not a valid date and time` };
  }
  const millis = frac ? Number(frac.slice(0, 3).padEnd(3, '0')) : 0;
  const ms = Date.UTC(year, month - 1, day, Number(h), Number(mi), Number(s ?? 0), millis) - offsetMinutes * 60_000;
  if (ms > nowMs + MAX_FUTURE_MS) {
    return { issue: 'ts_in_future', message: `${text} is more than one day after the server's time (${new Date(nowMs).toISOString()})` };
  }
  if (ms < EARLIEST_TS_MS) return { issue: 'ts_too_early', message: `${text} is before 1970-01-01T00:00:00Z` };
  return { ms };
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NOT_FINITE_WORD = /^[+-]?(?:nan|inf|infinity)$/i;

/** Per field, the (ts, value, row) triples in row order, to be sorted and merged. */
class Collector {
  private readonly byField = new Map<number, { ts: number[]; value: number[]; row: number[] }>();
  rows = 0;
  firstTs: number | null = null;
  lastTs: number | null = null;
  lastValueTs: number | null = null;
  firstEnergyTs: number | null = null;

  row(ts: number): void {
    this.rows += 1;
    if (this.firstTs === null || ts < this.firstTs) this.firstTs = ts;
    if (this.lastTs === null || ts > this.lastTs) this.lastTs = ts;
  }

  value(code: number, ts: number, value: number, row: number): void {
    let f = this.byField.get(code);
    if (!f) this.byField.set(code, (f = { ts: [], value: [], row: [] }));
    f.ts.push(ts);
    f.value.push(value);
    f.row.push(row);
    if (this.lastValueTs === null || ts > this.lastValueTs) this.lastValueTs = ts;
    if (code === WH_CODE && (this.firstEnergyTs === null || ts < this.firstEnergyTs)) this.firstEnergyTs = ts;
  }

  /** Sorted by (field, ts); a (field, ts) given twice is kept once if the values agree and reported if not. */
  finish(problems: Problems, locate: Locate): ReadingBatch {
    let total = 0;
    for (const f of this.byField.values()) total += f.ts.length;
    const field = new Int16Array(total);
    const ts = new Float64Array(total);
    const value = new Float64Array(total);
    let n = 0;
    let duplicates = 0;
    for (const code of [...this.byField.keys()].sort((a, b) => a - b)) {
      const f = this.byField.get(code)!;
      const name = fieldName(code);
      let order: number[] | undefined;
      // Loggers send in time order; sort only a field that is not.
      for (let i = 1; i < f.ts.length; i++) {
        if (f.ts[i]! <= f.ts[i - 1]!) {
          order = f.ts.map((_, j) => j).sort((a, b) => f.ts[a]! - f.ts[b]! || a - b);
          break;
        }
      }
      let previous = -1;
      for (let k = 0; k < f.ts.length; k++) {
        const j = order ? order[k]! : k;
        const t = f.ts[j]!;
        const v = f.value[j]!;
        if (previous !== -1 && f.ts[previous] === t) {
          if (f.value[previous] === v) duplicates += 1;
          else {
            const other = locate(f.row[previous]!, name).path;
            problems.add(
              locate(f.row[j]!, name),
              'duplicate_reading',
              `${name} at ${new Date(t).toISOString()} is given another value at ${other} (${f.value[previous]} here ${v}); send one value per field and time`,
            );
          }
          continue;
        }
        field[n] = code;
        ts[n] = t;
        value[n] = v;
        n += 1;
        previous = j;
      }
    }
    return {
      rows: this.rows,
      field: field.subarray(0, n),
      ts: ts.subarray(0, n),
      value: value.subarray(0, n),
      duplicates,
      firstTs: this.firstTs,
      lastTs: this.lastTs,
      lastValueTs: this.lastValueTs,
      firstEnergyTs: this.firstEnergyTs,
    };
  }
}

const WH_CODE = storedField('Wh')!.code!;

function fieldName(code: number): string {
  return fieldByCode(code)?.baseField ?? String(code);
}

/** The stored field a key names, by its code; undefined for anything else (`ts` included). */
function fieldCode(name: string): number | undefined {
  return storedField(name)?.code;
}

function unknownFieldMessage(name: string): string {
  return `unknown field ${JSON.stringify(name)}: the keys are ts and the stored base fields (W, Wh, A, ...; see GET /openapi.json)`;
}

function tooMany(rows: number, what: string): DomainError {
  return validationError(`too many readings: ${rows} ${what} in one request, at most ${MAX_ROWS_PER_REQUEST}`, [
    {
      path: what === 'rows' ? 'readings' : 'csv',
      message: `at most ${MAX_ROWS_PER_REQUEST} ${what}; send the rest in further requests`,
      issue: 'too_many_readings',
    },
  ]);
}

/** Checks JSON rows; throws VALIDATION_ERROR naming every problem. */
export function parseReadingRows(rows: readonly unknown[], nowMs: number): ReadingBatch {
  if (rows.length > MAX_ROWS_PER_REQUEST) throw tooMany(rows.length, 'rows');
  const problems = new Problems();
  const collector = new Collector();
  const locate: Locate = (row, column) => ({ path: column === undefined ? `readings[${row}]` : `readings[${row}].${column}`, row });
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      problems.add(locate(r), 'not_an_object', 'each reading must be an object: {"ts": "...", "W": 1234.5, ...}');
      continue;
    }
    const record = row as Record<string, unknown>;
    const tsValue = record['ts'];
    let ms: number | undefined;
    if (tsValue === undefined || tsValue === null) problems.add(locate(r, 'ts'), 'missing_ts', 'ts is required');
    else if (typeof tsValue !== 'string') problems.add(locate(r, 'ts'), 'invalid_ts', `ts must be a string (${EXAMPLE})`);
    else {
      const parsed = parseTimestamp(tsValue, nowMs);
      if ('ms' in parsed) ms = parsed.ms;
      else problems.add(locate(r, 'ts'), parsed.issue, parsed.message);
    }
    if (ms !== undefined) collector.row(ms);
    for (const key of Object.keys(record)) {
      if (key === 'ts') continue;
      const code = fieldCode(key);
      if (code === undefined) {
        problems.add(locate(r, key), 'unknown_field', unknownFieldMessage(key));
        continue;
      }
      const v = record[key];
      if (v === null || v === undefined) continue; // no value for this field in this row
      if (typeof v !== 'number') {
        problems.add(locate(r, key), 'not_a_number', `must be a JSON number, not ${typeof v === 'string' ? 'a string' : typeof v}`);
      } else if (!Number.isFinite(v)) {
        problems.add(locate(r, key), 'not_finite', `must be a finite number, not ${v}`);
      } else if (ms !== undefined) collector.value(code, ms, v, r);
    }
  }
  const batch = collector.finish(problems, locate);
  if (problems.total > 0) throw problems.error('readings');
  return batch;
}

/**
 * Checks CSV text (header `ts,W,Wh,...`; an empty cell is no value);
 * `lineOffset` is added to the line numbers of the records (not the header)
 * when the text is one piece of a larger file.
 */
export function parseReadingsCsv(text: string, nowMs: number, lineOffset = 0): ReadingBatch {
  let records;
  try {
    records = parseCsv(text);
  } catch (err) {
    if (!(err instanceof CsvSyntaxError)) throw err;
    const line = err.line > 1 ? err.line + lineOffset : err.line;
    throw validationError(`invalid CSV, nothing was stored: ${err.message.replace(/^line \d+/, `line ${line}`)}`, [
      { path: `line ${line}`, line, message: err.message.replace(/^line \d+: /, ''), issue: 'csv_syntax' },
    ]);
  }
  const header = records[0];
  if (!header) {
    throw validationError('invalid CSV, nothing was stored: no header line (ts,W,Wh,...)', [
      { path: 'line 1', line: 1, message: 'expected a header line such as ts,W,Wh', issue: 'missing_header' },
    ]);
  }
  if (records.length - 1 > MAX_ROWS_PER_REQUEST) throw tooMany(records.length - 1, 'CSV rows');

  const problems = new Problems();
  const lineOf = (r: number) => (r === 0 ? header.line : records[r]!.line + lineOffset);
  const locate: Locate = (r, column) => {
    const line = lineOf(r);
    return column === undefined ? { path: `line ${line}`, line } : { path: `line ${line}, column ${column}`, line, column };
  };
  const codes: (number | undefined)[] = [];
  let tsColumn = -1;
  const seen = new Set<string>();
  header.cells.forEach((name, i) => {
    if (seen.has(name)) problems.add(locate(0, name), 'duplicate_column', `column ${JSON.stringify(name)} appears twice in the header`);
    seen.add(name);
    if (name === 'ts') tsColumn = i;
    else {
      codes[i] = fieldCode(name);
      if (codes[i] === undefined) problems.add(locate(0, name), 'unknown_field', unknownFieldMessage(name));
    }
  });
  if (tsColumn === -1) problems.add(locate(0), 'missing_ts_column', 'the header has no ts column');
  if (problems.total > 0) throw problems.error('CSV header');

  const width = header.cells.length;
  const names = header.cells;
  const collector = new Collector();
  for (let r = 1; r < records.length; r++) {
    const cells = records[r]!.cells;
    if (cells.length !== width) {
      problems.add(locate(r), 'wrong_cell_count', `${cells.length} cells where the header has ${width}`);
      continue;
    }
    const tsText = cells[tsColumn]!;
    let ms: number | undefined;
    if (tsText === '') problems.add(locate(r, 'ts'), 'missing_ts', 'ts is required');
    else {
      const parsed = parseTimestamp(tsText, nowMs);
      if ('ms' in parsed) ms = parsed.ms;
      else problems.add(locate(r, 'ts'), parsed.issue, parsed.message);
    }
    if (ms !== undefined) collector.row(ms);
    for (let c = 0; c < width; c++) {
      const cell = cells[c]!;
      if (c === tsColumn || cell === '') continue;
      const name = names[c]!;
      if (!DECIMAL.test(cell)) {
        if (NOT_FINITE_WORD.test(cell)) problems.add(locate(r, name), 'not_finite', `must be a finite number, not ${cell}`);
        else if (/^[+-]?\d+,\d+$/.test(cell)) {
          problems.add(locate(r, name), 'not_a_number', `${JSON.stringify(cell)} is not a number: use a dot as the decimal separator`);
        } else problems.add(locate(r, name), 'not_a_number', `${JSON.stringify(cell)} is not a decimal number`);
        continue;
      }
      const v = Number(cell);
      if (!Number.isFinite(v)) problems.add(locate(r, name), 'not_finite', `${cell} is too large for a number`);
      else if (ms !== undefined) collector.value(codes[c]!, ms, v, r);
    }
  }
  const batch = collector.finish(problems, locate);
  if (problems.total > 0) throw problems.error('CSV');
  return batch;
}

/** `{readings: [...]}` or `{csv: "..."}`, nothing else. */
export function parseIngestInput(input: unknown, nowMs: number, lineOffset = 0): ReadingBatch {
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    const keys = Object.keys(input);
    const body = input as Record<string, unknown>;
    if (keys.length === 1 && Array.isArray(body['readings'])) return parseReadingRows(body['readings'], nowMs);
    if (keys.length === 1 && typeof body['csv'] === 'string') return parseReadingsCsv(body['csv'], nowMs, lineOffset);
  }
  throw validationError('invalid input: expected {"readings": [{"ts": "...", "W": ...}, ...]} or CSV text', [
    { path: 'readings', message: 'required: an array of readings (or a text/csv body)', issue: 'invalid_body' },
  ]);
}
