import { parseId, readings, readingSchemas } from '@helio/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { commonErrors, errorBodySchema, type OperationDoc } from '../../openapi/describe.js';
import type { AppServices } from '../../services.js';

/**
 * The largest body of this route: 10,000 rows of every stored field written
 * at full precision fit, with room for pretty-printing. The server-wide
 * limit (bodyLimitBytes, 1 MiB by default) stays for every other route, and
 * applies here too when set higher.
 */
export const READINGS_BODY_LIMIT_BYTES = 16 * 1024 * 1024;

const componentParams = z.object({ componentId: z.uuid().describe('The component (a device, not a conceptual node)') });
const IngestResult = readingSchemas.ingestResult;

/** The OpenAPI entries of the routes below. */
export const readingOperations = {
  ingest: {
    method: 'post',
    path: '/api/components/{componentId}/readings',
    tag: 'Alentis',
    summary: "Send a component's readings",
    description: [
      'JSON `{"readings": [{"ts": "2024-05-01T12:00:00Z", "W": 1234.5, "Wh": 10.2}, ...]}`, or the same as `Content-Type: text/csv`',
      '(header `ts,W,Wh,...`; an empty cell is no value; quoted cells and CRLF allowed; numbers with a dot).',
      'Keys: `ts` and any stored base field (`W`, `Wh`, `A`, `Hz`, `PF`, `PPV`, `PhV`, `VA`, `VAR`, `WphA`, `WphB`, `WphC`, `DCA`, `DCV`, `DCW`,',
      '`GHI`, `POA`, `TmpAmb`, `TmpMod`, `WhImp`, `WhExp`); `Wh`, `WhImp` and `WhExp` are the energy of the interval that starts at `ts`. `ts` is ISO-8601 with an explicit offset',
      '(`Z` or `±HH:MM`), at most one day after the server time. At most 10,000 rows per request (a row with only `ts` counts and stores nothing).',
      'Idempotent: one value per (component, field, ts); the same value again changes nothing (`unchanged`), a different one replaces it',
      '(`replaced`), and every aggregate follows. All or nothing: any bad row is a 400 naming each problem',
      '(`details[].path` is `readings[12].W` or `line 14, column W`, `details[].issue` a stable code) and nothing is stored.',
      'A conceptual component takes no readings (400, issue `conceptual_component`). Always 200, even when nothing was new.',
      `Bodies up to ${READINGS_BODY_LIMIT_BYTES / 1024 / 1024} MiB. Role technician or above.`,
    ].join(' '),
    auth: 'credentials',
    params: componentParams,
    body: readingSchemas.ingestReadingsBody,
    responses: {
      200: { description: 'What the request stored, counted in values (a row with W and Wh holds two)', schema: IngestResult },
      ...commonErrors([413]),
      400: {
        description:
          'A bad row (VALIDATION_ERROR; issues: unknown_field, not_a_number, not_finite, missing_ts, invalid_ts, ts_without_offset, ' +
          'ts_in_future, ts_too_early, duplicate_reading, too_many_readings, not_an_object, invalid_body, csv_syntax, missing_header, ' +
          'missing_ts_column, duplicate_column, wrong_cell_count, conceptual_component); nothing was stored',
        schema: errorBodySchema,
      },
    },
  },
} satisfies Record<string, OperationDoc>;

export function readingRoutes(app: FastifyInstance, services: AppServices): void {
  const bodyLimit = Math.max(services.config.bodyLimitBytes, READINGS_BODY_LIMIT_BYTES);
  // A plugin of its own, so that the CSV parser serves this route alone.
  void app.register(async (scope) => {
    scope.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit }, (_req, body, done) => done(null, { csv: body as string }));
    scope.post<{ Params: { componentId: string } }>('/components/:componentId/readings', { bodyLimit }, async (req) => {
      const { alertsError, ...result } = await readings.ingestReadings(req.ctx, parseId(req.params.componentId, 'componentId'), req.body);
      // The readings are stored; the scheduled evaluation will see them.
      if (alertsError) req.log.warn({ componentId: result.componentId, alertsError }, 'the alert rules failed after an ingest');
      return result;
    });
  });
}
