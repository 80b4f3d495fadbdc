import { describe, expect, it } from 'vitest';
import { isDomainError, type DomainError } from '../../errors.js';
import { parseCsv, splitCsv } from './csv.js';
import { MAX_ROWS_PER_REQUEST, parseIngestInput, parseReadingRows, parseReadingsCsv, parseTimestamp } from './parse.js';

const NOW = Date.parse('2024-06-15T12:00:00Z');

function refusal(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (err) {
    if (isDomainError(err)) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('timestamps', () => {
  it('reads ISO-8601 with Z or an offset, to the millisecond', () => {
    expect(parseTimestamp('2024-05-01T12:00:00Z', NOW)).toEqual({ ms: Date.parse('2024-05-01T12:00:00Z') });
    expect(parseTimestamp('2024-05-01T14:00:00+02:00', NOW)).toEqual({ ms: Date.parse('2024-05-01T12:00:00Z') });
    expect(parseTimestamp('2024-05-01T06:45:00-0515', NOW)).toEqual({ ms: Date.parse('2024-05-01T12:00:00Z') });
    expect(parseTimestamp('2024-05-01 17:45+05:45', NOW)).toEqual({ ms: Date.parse('2024-05-01T12:00:00Z') });
    expect(parseTimestamp('2024-05-01T12:00:00.1234567Z', NOW)).toEqual({ ms: Date.parse('2024-05-01T12:00:00.123Z') });
    expect(parseTimestamp('2024-02-29T00:00:00Z', NOW)).toEqual({ ms: Date.parse('2024-02-29T00:00:00Z') });
  });

  it('refuses a time without an offset, an impossible date, and one more than a day ahead', () => {
    expect(parseTimestamp('2024-05-01T12:00:00', NOW)).toMatchObject({ issue: 'ts_without_offset' });
    expect(parseTimestamp('2024-05-01', NOW)).toMatchObject({ issue: 'invalid_ts' });
    expect(parseTimestamp('yesterday', NOW)).toMatchObject({ issue: 'invalid_ts' });
    expect(parseTimestamp('2023-02-29T00:00:00Z', NOW)).toMatchObject({ issue: 'invalid_ts' });
    expect(parseTimestamp('2024-04-31T00:00:00Z', NOW)).toMatchObject({ issue: 'invalid_ts' });
    expect(parseTimestamp('2024-05-01T24:00:00Z', NOW)).toMatchObject({ issue: 'invalid_ts' });
    expect(parseTimestamp('2024-05-01T12:00:00+19:00', NOW)).toMatchObject({ issue: 'invalid_ts' });
    expect(parseTimestamp('2024-06-16T12:00:00Z', NOW)).toEqual({ ms: NOW + 86_400_000 });
    expect(parseTimestamp('2024-06-16T12:00:00.001Z', NOW)).toMatchObject({ issue: 'ts_in_future' });
    expect(parseTimestamp('1969-12-31T23:59:59Z', NOW)).toMatchObject({ issue: 'ts_too_early' });
  });
});

describe('JSON rows', () => {
  it('keeps one value per field and time, sorted by field then time, and the request bounds', () => {
    const batch = parseReadingRows(
      [
        { ts: '2024-05-01T12:05:00Z', W: 2, Wh: 20 },
        { ts: '2024-05-01T12:00:00Z', W: 1, Wh: null },
        { ts: '2024-05-01T13:00:00+01:00', W: 1 }, // 12:00 again, the same value: kept once
        { ts: '2024-05-01T11:00:00Z' },
      ],
      NOW,
    );
    expect(Array.from(batch.field)).toEqual([1, 1, 2]);
    expect(Array.from(batch.ts)).toEqual(['2024-05-01T12:00:00Z', '2024-05-01T12:05:00Z', '2024-05-01T12:05:00Z'].map(Date.parse));
    expect(Array.from(batch.value)).toEqual([1, 2, 20]);
    expect(batch).toMatchObject({
      rows: 4,
      duplicates: 1,
      firstTs: Date.parse('2024-05-01T11:00:00Z'),
      lastTs: Date.parse('2024-05-01T12:05:00Z'),
      lastValueTs: Date.parse('2024-05-01T12:05:00Z'),
      firstEnergyTs: Date.parse('2024-05-01T12:05:00Z'),
    });
  });

  it('names the row and field of every problem, with a stable issue code', () => {
    const err = refusal(() =>
      parseReadingRows(
        [
          { ts: '2024-05-01T12:00:00Z', W: 1 },
          { ts: '2024-05-01T12:00:00', W: 1 },
          { ts: '2024-05-01T12:00:00Z', Watts: 1, W: '5' },
          'W=1',
          { W: 1 },
          { ts: '2030-01-01T00:00:00Z', W: 1 },
          { ts: '2024-05-01T12:00:00Z', W: Infinity, Wh: 1 },
          { ts: '2024-05-01T12:00:00Z', Wh: 2 },
        ],
        NOW,
      ),
    );
    expect(err.code).toBe('VALIDATION_ERROR');
    expect(err.details.map((d) => [d.path, d['issue']])).toEqual([
      ['readings[1].ts', 'ts_without_offset'],
      ['readings[2].Watts', 'unknown_field'],
      ['readings[2].W', 'not_a_number'],
      ['readings[3]', 'not_an_object'],
      ['readings[4].ts', 'missing_ts'],
      ['readings[5].ts', 'ts_in_future'],
      ['readings[6].W', 'not_finite'],
      ['readings[7].Wh', 'duplicate_reading'],
    ]);
    expect(err.message).toMatch(/^invalid readings, nothing was stored: readings\[1\]\.ts: "2024-05-01T12:00:00" has no UTC offset/);
    expect(err.details[7]!.message).toMatch(/given another value at readings\[6\]\.Wh/);
  });

  it('refuses more than 10,000 rows before looking at them', () => {
    const rows = Array.from({ length: MAX_ROWS_PER_REQUEST + 1 }, () => ({ ts: 'x' }));
    const err = refusal(() => parseReadingRows(rows, NOW));
    expect(err.details).toEqual([expect.objectContaining({ path: 'readings', issue: 'too_many_readings' })]);
    expect(
      parseReadingRows(
        rows.slice(1).map((_, i) => ({ ts: new Date(NOW - i * 1000).toISOString() })),
        NOW,
      ).rows,
    ).toBe(MAX_ROWS_PER_REQUEST);
  });

  it('lists the first hundred problems and counts the rest', () => {
    const err = refusal(() =>
      parseReadingRows(
        Array.from({ length: 150 }, () => ({ ts: 'bad' })),
        NOW,
      ),
    );
    expect(err.details).toHaveLength(101);
    expect(err.details[100]).toMatchObject({ message: '50 more problems not listed' });
    expect(err.message).toMatch(/and 147 more$/);
  });

  it('takes exactly one of readings and csv', () => {
    for (const input of [{}, [], null, 'ts,W', { readings: [], csv: '' }, { readings: {} }, { csv: 5 }]) {
      expect(refusal(() => parseIngestInput(input, NOW)).details).toEqual([expect.objectContaining({ issue: 'invalid_body' })]);
    }
    expect(parseIngestInput({ readings: [] }, NOW).rows).toBe(0);
  });
});

describe('CSV', () => {
  it('splits quoted cells, CRLF line ends and blank lines as RFC 4180 does', () => {
    const text =
      '\uFEFFts,W\r\n"2024-05-01T12:00:00Z", "1.5"\r\n\r\n2024-05-01T12:01:00Z,"say ""hi""\nthere"\n 2024-05-01T12:02:00Z , 3 \n';
    expect(parseCsv(text).map((r) => [r.line, r.cells])).toEqual([
      [1, ['ts', 'W']],
      [2, ['2024-05-01T12:00:00Z', '1.5']],
      [4, ['2024-05-01T12:01:00Z', 'say "hi"\nthere']],
      [6, ['2024-05-01T12:02:00Z', '3']],
    ]);
    expect(() => parseCsv('ts,W\n"2024,1\n')).toThrow(/line 2: a quoted cell is not closed/);
    expect(() => parseCsv('ts,W\nx,1"2\n')).toThrow(/line 2: a quote inside an unquoted cell/);
  });

  it('reads a header of ts and stored fields, where an empty cell is no value', () => {
    const batch = parseReadingsCsv('ts,W,Wh\n2024-05-01T12:00:00Z,1.5,\n2024-05-01T12:05:00Z,,2e3\n2024-05-01T12:10:00Z,,\n', NOW);
    expect(batch.rows).toBe(3);
    expect(Array.from(batch.field)).toEqual([1, 2]);
    expect(Array.from(batch.value)).toEqual([1.5, 2000]);
  });

  it('names the line and column of every problem', () => {
    const err = refusal(() =>
      parseReadingsCsv(
        [
          'ts,W,Wh',
          '2024-05-01T12:00:00Z,1,2',
          '2024-05-01T12:01:00Z,1,5,9',
          '2024-05-01T12:02:00Z,abc,1,5',
          '2024-05-01T12:02:00Z,"1,5",',
          '2024-05-01T12:03:00Z,NaN,-Infinity',
          '2024-05-01T12:04:00Z,1e999,',
          ',1,',
          '2024-05-01T12:00:00+00:00,2,',
        ].join('\n'),
        NOW,
        100,
      ),
    );
    expect(err.details.map((d) => [d.path, d['issue']])).toEqual([
      ['line 103', 'wrong_cell_count'],
      ['line 104', 'wrong_cell_count'],
      ['line 105, column W', 'not_a_number'],
      ['line 106, column W', 'not_finite'],
      ['line 106, column Wh', 'not_finite'],
      ['line 107, column W', 'not_finite'],
      ['line 108, column ts', 'missing_ts'],
      ['line 109, column W', 'duplicate_reading'],
    ]);
    expect(err.details[2]!.message).toMatch(/use a dot as the decimal separator/);
    expect(err.details[0]).toMatchObject({ line: 103 });
  });

  it('checks the header first: unknown and repeated columns, no ts', () => {
    expect(refusal(() => parseReadingsCsv('ts,W,Power,W\n', NOW)).details.map((d) => [d.path, d['issue']])).toEqual([
      ['line 1, column Power', 'unknown_field'],
      ['line 1, column W', 'duplicate_column'],
    ]);
    expect(refusal(() => parseReadingsCsv('time,W\n', NOW)).details).toEqual([
      expect.objectContaining({ path: 'line 1, column time', issue: 'unknown_field' }),
      expect.objectContaining({ path: 'line 1', issue: 'missing_ts_column' }),
    ]);
    expect(refusal(() => parseReadingsCsv('\n\n', NOW)).details).toEqual([expect.objectContaining({ issue: 'missing_header' })]);
    expect(refusal(() => parseReadingsCsv('ts,W\n"x,1\n', NOW)).details).toEqual([
      expect.objectContaining({ path: 'line 2', issue: 'csv_syntax' }),
    ]);
  });

  it('cuts a file into pieces of whole records whose line numbers map back to the file', () => {
    const text = 'ts,W\n\n2024-05-01T12:00:00Z,1\n2024-05-01T12:01:00Z,"2"\n2024-05-01T12:02:00Z,x\n2024-05-01T12:03:00Z,4\n';
    const { rows, chunks } = splitCsv(text, 2);
    expect(rows).toBe(4);
    expect(chunks.map((c) => c.rows)).toEqual([2, 2]);
    expect(chunks[1]!.csv).toBe('ts,W\n2024-05-01T12:02:00Z,x\n2024-05-01T12:03:00Z,4\n');
    const err = refusal(() => parseReadingsCsv(chunks[1]!.csv, NOW, chunks[1]!.lineOffset));
    expect(err.details).toEqual([expect.objectContaining({ path: 'line 5, column W' })]);
    expect(parseCsv(text)[3]!.line).toBe(5);
    expect(splitCsv('', 2)).toEqual({ rows: 0, chunks: [] });
    // A quoted cell over two lines stays in its record, and the next piece's lines still map back.
    const quoted = 'ts,W\r\n"2024-05-01T12:00:00Z","1\r\n"\r\n2024-05-01T12:01:00Z,2\r\n2024-05-01T12:02:00Z,y\r\n';
    const pieces = splitCsv(quoted, 1);
    expect(pieces.rows).toBe(3);
    expect(pieces.chunks[0]!.csv).toBe('ts,W\n"2024-05-01T12:00:00Z","1\r\n"\n');
    const last = pieces.chunks[2]!;
    expect(refusal(() => parseReadingsCsv(last.csv, NOW, last.lineOffset)).details).toEqual([
      expect.objectContaining({ path: 'line 5, column W' }),
    ]);
  });
});
