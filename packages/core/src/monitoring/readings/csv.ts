// CSV as loggers and spreadsheets write it (RFC 4180): comma-separated cells,
// optionally in double quotes ("" for a quote inside), LF or CRLF line ends.
// Blank lines are skipped, so a trailing newline or a gap between pasted
// blocks is no error. Line numbers are the physical lines of the text (1 is
// the first), so an error points where an editor shows the row.

export interface CsvRecord {
  /** The physical line the record starts on. */
  line: number;
  cells: string[];
  /** Offsets of the record in the text: [start, end), the line end excluded. */
  start: number;
  end: number;
}

export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
    this.name = 'CsvSyntaxError';
  }
}

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

/** Every non-blank record of `text`; throws CsvSyntaxError for a broken quoted cell. */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  const length = text.length;
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a byte order mark from a spreadsheet export
  let line = 1;
  while (pos < length) {
    const start = pos;
    const startLine = line;
    // Most lines hold no quote: split them whole, which is several times faster than a cell-by-cell walk.
    let eol = text.indexOf('\n', pos);
    if (eol === -1) eol = length;
    const lineEnd = eol > pos && text.charCodeAt(eol - 1) === CR ? eol - 1 : eol;
    const raw = text.slice(pos, lineEnd);
    if (!raw.includes('"')) {
      pos = eol + 1;
      line += 1;
      if (raw.trim() === '') continue;
      records.push({ line: startLine, cells: raw.split(',').map((c) => c.trim()), start, end: lineEnd });
      continue;
    }
    const cells: string[] = [];
    let cell = '';
    let end = length;
    for (;;) {
      // At the start of a cell: skip blanks, then a quoted or a plain cell.
      while (pos < length && (text[pos] === ' ' || text[pos] === '\t')) pos++;
      if (text.charCodeAt(pos) === QUOTE) {
        pos++;
        cell = '';
        for (;;) {
          const q = text.indexOf('"', pos);
          if (q === -1) throw new CsvSyntaxError(startLine, `line ${startLine}: a quoted cell is not closed`);
          const part = text.slice(pos, q);
          for (let i = part.indexOf('\n'); i !== -1; i = part.indexOf('\n', i + 1)) line++;
          cell += part;
          if (text.charCodeAt(q + 1) === QUOTE) {
            cell += '"';
            pos = q + 2;
          } else {
            pos = q + 1;
            break;
          }
        }
        while (pos < length && (text[pos] === ' ' || text[pos] === '\t')) pos++;
        const next = text.charCodeAt(pos);
        if (pos < length && next !== COMMA && next !== LF && next !== CR) {
          throw new CsvSyntaxError(line, `line ${line}: unexpected text after a quoted cell`);
        }
      } else {
        let stop = pos;
        while (stop < length) {
          const c = text.charCodeAt(stop);
          if (c === COMMA || c === LF || c === CR) break;
          if (c === QUOTE)
            throw new CsvSyntaxError(line, `line ${line}: a quote inside an unquoted cell (quote the whole cell, doubling the quote)`);
          stop++;
        }
        cell = text.slice(pos, stop).trim();
        pos = stop;
      }
      cells.push(cell);
      const c = text.charCodeAt(pos);
      if (c === COMMA) {
        pos++;
        continue;
      }
      end = pos;
      if (c === CR) pos++;
      if (text.charCodeAt(pos) === LF) pos++;
      line++;
      break;
    }
    records.push({ line: startLine, cells, start, end });
  }
  return records;
}

export interface CsvChunk {
  /** The header line followed by at most `maxRows` records of the text, as written there. */
  csv: string;
  /** Add to a line number the chunk's ingest reports (beyond its header) to get the line in the whole text. */
  lineOffset: number;
  rows: number;
}

/**
 * Cuts a CSV text into pieces of at most `maxRows` data records, each with
 * the header, for an importer that sends one request per piece. Records are
 * cut whole (a quoted cell may span lines), and line numbers in an error
 * about a piece map back to the whole text through `lineOffset`. Only the
 * record boundaries are found here, not the cells: a file of millions of rows
 * is cut without holding them all parsed.
 */
export function splitCsv(text: string, maxRows: number): { rows: number; chunks: CsvChunk[] } {
  const chunks: CsvChunk[] = [];
  let header: string | undefined;
  let rows = 0;
  let pending: { start: number; line: number; end: number; rows: number } | undefined;
  const flush = () => {
    if (!pending) return;
    chunks.push({ csv: `${header}\n${text.slice(pending.start, pending.end)}\n`, lineOffset: pending.line - 2, rows: pending.rows });
    pending = undefined;
  };
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (pos < text.length) {
    const start = pos;
    const startLine = line;
    // A record ends at the first line end outside quotes: where the quotes seen so far are even.
    let quotes = 0;
    let end: number;
    for (;;) {
      let eol = text.indexOf('\n', pos);
      if (eol === -1) eol = text.length;
      for (let q = text.indexOf('"', pos); q !== -1 && q < eol; q = text.indexOf('"', q + 1)) quotes++;
      end = eol > pos && text.charCodeAt(eol - 1) === CR ? eol - 1 : eol;
      pos = eol + 1;
      line++;
      if (quotes % 2 === 0 || pos >= text.length) break;
    }
    const record = text.slice(start, end);
    if (record.trim() === '') continue;
    if (header === undefined) {
      header = record;
      continue;
    }
    rows++;
    if (pending && pending.rows === maxRows) flush();
    if (pending) {
      pending.end = end;
      pending.rows++;
    } else pending = { start, line: startLine, end, rows: 1 };
  }
  flush();
  return { rows, chunks };
}
