// Readings in, and kept: a component's readings (JSON rows or CSV), checked
// whole, stored once per (component, field, ts) in monthly partitions, with
// rollups kept exact in the same transaction, then the alert rules.
//
// Readings are not synced rows: no change sequence, no field clocks, and never
// the organisation's change-counter lock, which would serialise every reading
// of an organisation. Concurrent ingests of one component stay exact by the
// lock order described in storage.ts.
import { DbError, type Queryable } from '@helio/db';
import { authorize, readableOrganisations } from '../../auth/principal.js';
import type { ServiceContext } from '../../context.js';
import { notFound, validationError } from '../../errors.js';
import { parseId } from '../../validation.js';
import { evaluateAfterIngest } from '../alerts/evaluate.js';
import { parseIngestInput } from './parse.js';
import { ensurePartitions, forgetPartitions, isMissingPartition, monthsOf } from './partitions.js';
import type { IngestResult, IngestSummary } from './schema.js';
import { writeBatch, writeFresh } from './storage.js';

export { settleAllRollups, settleRollups } from './settle.js';

export interface IngestOptions {
  /**
   * For CSV sent in pieces (the CLI's import): added to the line numbers of
   * the records in errors, so that they name lines of the whole file.
   */
  csvLineOffset?: number;
}

interface ComponentTarget {
  organisation_id: string;
  site_id: string;
  is_conceptual_node: boolean;
  /** The component's newest reading (ms), as held now. */
  newest: number | null;
}

/** A live component (on a live site), or NOT_FOUND. */
async function loadComponent(q: Queryable, id: string): Promise<ComponentTarget> {
  const { rows } = await q.query<ComponentTarget>(
    `SELECT c.organisation_id, c.site_id, c.is_conceptual_node,
       (SELECT (extract(epoch FROM st.last_reading_ts) * 1000)::float8 FROM component_status st WHERE st.component_id = c.id) AS newest
     FROM components c
     WHERE c.id = $1 AND c.deleted_at IS NULL
       AND EXISTS (SELECT 1 FROM sites s WHERE s.id = c.site_id AND s.deleted_at IS NULL)`,
    [id],
  );
  if (!rows[0]) throw notFound('component', id);
  return rows[0];
}

// A deadlock or serialisation failure should not happen (storage.ts takes
// its locks in one order), but if one does, the transaction rolled back
// whole and can run again.
const ATTEMPTS = 3;

/**
 * Stores a component's readings: `{readings: [{ts, W, Wh, ...}]}` or
 * `{csv: "ts,W,Wh\n..."}`. Technicians and above. All or nothing: any bad row
 * refuses the whole request (VALIDATION_ERROR naming each problem). Sending a
 * reading again changes nothing; a different value for the same
 * (component, field, ts) replaces the one held.
 *
 * The alert rules run after the readings committed; if they fail, the
 * readings stand and the summary says why in `alertsError`.
 */
export async function ingestReadings(
  ctx: ServiceContext,
  componentId: string,
  input: unknown,
  options: IngestOptions = {},
): Promise<IngestSummary> {
  parseId(componentId, 'componentId');
  const component = await loadComponent(ctx.db, componentId);
  authorize(ctx.principal, component.organisation_id, 'write', 'component', componentId);
  if (component.is_conceptual_node) {
    throw validationError(
      `component ${componentId} is a conceptual node (isConceptualNode): it has no readings of its own; send them to the physical components under it`,
      [{ path: 'componentId', message: 'a conceptual component takes no readings', issue: 'conceptual_component' }],
    );
  }
  const now = ctx.clock.now();
  const batch = parseIngestInput(input, now.getTime(), options.csvLineOffset ?? 0);
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const result: IngestResult = {
    componentId,
    rows: batch.rows,
    stored: 0,
    unchanged: 0,
    replaced: 0,
    from: iso(batch.firstTs),
    to: iso(batch.lastTs),
  };
  // Nothing at all: nothing to write, and nothing the rules have not seen.
  if (batch.rows === 0) return result;

  for (let attempt = 1; ; attempt++) {
    try {
      await ensurePartitions(ctx.db, monthsOf(batch.ts));
      // Fresh readings (the common case) in one statement; any already held, in a transaction of steps.
      const fresh =
        batch.field.length > 0 ? await writeFresh(ctx.db, componentId, component.organisation_id, batch, now, component.newest) : null;
      Object.assign(
        result,
        fresh ?? (await ctx.db.transaction((tx) => writeBatch(tx, componentId, component.organisation_id, batch, now))),
      );
      break;
    } catch (err) {
      if (attempt >= ATTEMPTS) throw err;
      // A partition dropped under us (retention): forget what we knew and make it again.
      if (isMissingPartition(err)) forgetPartitions(ctx.db);
      else if (!(err instanceof DbError && err.kind === 'serialization_failure')) throw err;
    }
  }

  const summary: IngestSummary = { ...result };
  try {
    await evaluateAfterIngest(ctx, { ...result, siteId: component.site_id });
  } catch (err) {
    summary.alertsError = err instanceof Error ? err.message : String(err);
  }
  return summary;
}

/**
 * Checks readings as `ingestReadings` would, writing nothing: an importer
 * checks a whole file before it sends any of it. Resolves to the rows and
 * values the input holds.
 */
export function checkReadings(ctx: ServiceContext, input: unknown, options: IngestOptions = {}): { rows: number; values: number } {
  const batch = parseIngestInput(input, ctx.clock.now().getTime(), options.csvLineOffset ?? 0);
  return { rows: batch.rows, values: batch.field.length + batch.duplicates };
}

/**
 * The component a CLI argument names: its id, or a nodeId, looked up among
 * the organisations the principal reads (all of them for the system
 * principal), or in `organisationId` alone when given. A nodeId used in
 * several of those organisations is refused: name the organisation.
 */
export async function resolveComponent(
  ctx: ServiceContext,
  ref: string,
  organisationId?: string,
): Promise<{ id: string; organisationId: string; nodeId: string; name: string }> {
  const readable = organisationId ? [parseId(organisationId, 'organisationId')] : readableOrganisations(ctx.principal);
  const isId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ref);
  const { rows } = await ctx.db.query<{ id: string; organisation_id: string; node_id: string; name: string }>(
    `SELECT c.id, c.organisation_id, c.node_id, c.name FROM components c
     WHERE c.deleted_at IS NULL AND ($1::uuid[] IS NULL OR c.organisation_id = ANY($1::uuid[]))
       AND ${isId ? 'c.id = $2::uuid' : 'c.node_id = $2'}
       AND EXISTS (SELECT 1 FROM sites s WHERE s.id = c.site_id AND s.deleted_at IS NULL)
     ORDER BY c.organisation_id`,
    [readable, ref],
  );
  const found = rows.filter((r) => ctx.principal.kind === 'system' || ctx.principal.memberships.has(r.organisation_id));
  if (found.length === 0) throw notFound('component', ref);
  if (found.length > 1) {
    throw validationError(`nodeId ${ref} names components in ${found.length} organisations: give the organisation`, [
      { path: 'component', message: `in organisations ${found.map((r) => r.organisation_id).join(', ')}`, issue: 'ambiguous_node_id' },
    ]);
  }
  const c = found[0]!;
  return { id: c.id, organisationId: c.organisation_id, nodeId: c.node_id, name: c.name };
}
