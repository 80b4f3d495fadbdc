// The shapes of readings ingest, for documentation (OpenAPI) and for the
// callers of `ingestReadings`. The input itself is checked by parse.ts, which
// names the row and column of every problem; these schemas describe it.
import { z } from 'zod';
import { storedFields } from '../fields.js';
import { MAX_ROWS_PER_REQUEST } from './parse.js';

export { MAX_ROWS_PER_REQUEST };

/** One row: a timestamp and any stored base fields (null or absent: no value). */
export const readingRow = z
  .object({
    ts: z
      .string()
      .describe(
        'ISO-8601 with an explicit UTC offset (`2024-05-01T12:00:00Z`, `2024-05-01T14:00:00+02:00`); at most one day after the server time; kept to the millisecond',
      ),
    ...Object.fromEntries(
      storedFields.map((f) => [
        f.baseField,
        z
          .number()
          .nullable()
          .optional()
          .describe(
            `${f.longName}${f.unit ? ` (${f.unit})` : ''}${f.baseField === 'Wh' ? ': the energy of the interval that starts at ts' : ''}`,
          ),
      ]),
    ),
  })
  .strict()
  .meta({ id: 'ReadingRow' });

export const ingestReadingsBody = z
  .object({ readings: z.array(readingRow).max(MAX_ROWS_PER_REQUEST) })
  .strict()
  .meta({ id: 'IngestReadings' });

/** What an ingest did. Counts are of values (a row with W and Wh holds two). */
export const ingestResult = z
  .object({
    componentId: z.uuid(),
    rows: z.number().int().describe('Rows accepted (a row with only ts counts, and stores nothing)'),
    stored: z.number().int().describe('Values new for their (component, field, ts)'),
    unchanged: z.number().int().describe('Values already held with the same number (re-sent), or given twice in the request'),
    replaced: z.number().int().describe('Values that replaced a different number held for the same (component, field, ts)'),
    from: z.string().nullable().describe('The earliest ts of the request (ISO, UTC), or null without rows'),
    to: z.string().nullable().describe('The latest ts of the request (ISO, UTC), or null without rows'),
  })
  .meta({ id: 'IngestResult' });

export type IngestResult = z.infer<typeof ingestResult>;

/**
 * What `ingestReadings` resolves to: the result, plus `alertsError` when the
 * alert rules failed after the readings were stored (the readings stand; the
 * scheduled evaluation catches up).
 */
export interface IngestSummary extends IngestResult {
  alertsError?: string;
}
