// Device Fault alerts: faults and status messages a device reports
// (POST /api/components/{id}/events now, MQTT status messages later). Every
// event is kept in component_events; an `active` event opens an alert for
// its code (or changes the open one's priority and descriptions), a
// `cleared` event with the same code closes it at the event's time.
//
// Events are applied in timestamp order. One older than the newest event
// already received for its code (a logger replaying history that the server
// has seen past) is kept in the history but changes no alert: it would
// otherwise reopen a fault that has since cleared.
import { authorize } from '../../auth/principal.js';
import type { ServiceContext } from '../../context.js';
import { notFound, validationError } from '../../errors.js';
import { parseId, parseInput } from '../../validation.js';
import { deviceEvent, deviceEventsBody, type DeviceEvent, type Priority, type RecordEventsResult } from './schema.js';
import { loadSite } from './site-data.js';
import {
  alertsByIds,
  lockOpenAlerts,
  lockSite,
  writeAlerts,
  type AlertRow,
  type AlertWrite,
  type ChangeAlert,
  type OpenAlert,
} from './writer.js';

/** How far ahead of the server's clock an event may be stamped (device clocks drift, but not by hours). */
export const MAX_EVENT_CLOCK_AHEAD_MS = 60 * 60_000;

function parseEvents(input: unknown, now: Date): DeviceEvent[] {
  const many = input !== null && typeof input === 'object' && !Array.isArray(input) && 'events' in input;
  const events = many ? parseInput(deviceEventsBody, input).events : [parseInput(deviceEvent, input)];
  const limit = now.getTime() + MAX_EVENT_CLOCK_AHEAD_MS;
  const future = events.flatMap((e, i) =>
    Date.parse(e.ts) > limit
      ? [
          {
            path: many ? `events[${i}].ts` : 'ts',
            message: `${e.ts} is more than an hour ahead of the server's clock`,
            issue: 'future_timestamp',
          },
        ]
      : [],
  );
  if (future.length > 0) throw validationError(`invalid input: ${future.map((d) => `${d.path}: ${d.message}`).join('; ')}`, future);
  return events;
}

interface ComponentRow {
  organisation_id: string;
  site_id: string;
  is_conceptual_node: boolean;
}

/** The state of one code's alert while a batch is applied: the open row, or one this batch opens. */
interface CodeState {
  existing?: AlertRow;
  change?: ChangeAlert;
  pending?: OpenAlert;
}

/**
 * Records a component's events and applies them to its Device Fault alerts:
 * one event `{ts, code, state, priority?, descriptionShort?, descriptionLong?}`
 * or `{events: [...]}` (up to 1000). Technicians and above. All or nothing:
 * any bad event refuses the request and nothing is written.
 */
export async function recordEvents(ctx: ServiceContext, componentId: string, input: unknown): Promise<RecordEventsResult> {
  parseId(componentId, 'componentId');
  const now = ctx.clock.now();
  const events = parseEvents(input, now);
  const { rows } = await ctx.db.query<ComponentRow>(
    'SELECT organisation_id, site_id, is_conceptual_node FROM components WHERE id = $1 AND deleted_at IS NULL',
    [componentId],
  );
  const component = rows[0];
  if (!component) throw notFound('component', componentId);
  authorize(ctx.principal, component.organisation_id, 'write', 'component', componentId);
  if (component.is_conceptual_node) {
    throw validationError(`component ${componentId} is a conceptual node (isConceptualNode): it is no device and reports no events`, [
      { path: 'componentId', message: 'a conceptual component reports no events', issue: 'conceptual_component' },
    ]);
  }

  return ctx.db.transaction(async (tx) => {
    await lockSite(tx, component.site_id, true);
    const codes = [...new Set(events.map((e) => e.code))];
    const { rows: newest } = await tx.query<{ code: string; ts: Date }>(
      'SELECT code, max(ts) AS ts FROM component_events WHERE component_id = $1 AND code = ANY($2::text[]) GROUP BY code',
      [componentId, codes],
    );
    await tx.query(
      `INSERT INTO component_events (id, organisation_id, component_id, ts, code, state, priority, description_short, description_long, received_at)
       SELECT e.id, $1, $2, e.ts, e.code, e.state, e.priority, e.description_short, e.description_long, $3
       FROM jsonb_to_recordset($4::jsonb) AS e(id uuid, ts timestamptz, code text, state text, priority text, description_short text, description_long text)`,
      [
        component.organisation_id,
        componentId,
        now,
        JSON.stringify(
          events.map((e) => ({
            id: ctx.ids.uuid(),
            ts: e.ts,
            code: e.code,
            state: e.state,
            priority: e.priority ?? null,
            description_short: e.descriptionShort ?? null,
            description_long: e.descriptionLong ?? null,
          })),
        ),
      ],
    );

    const result: RecordEventsResult = { stored: events.length, opened: 0, updated: 0, closed: 0, outOfOrder: 0, alerts: [] };
    const site = await loadSite(tx, component.site_id);
    if (!site?.settings.deviceFault.enabled) return result;

    const open = (await lockOpenAlerts(tx, component.site_id, componentId)).filter((a) => a.alert_type === 'Device Fault');
    const states = new Map<string, CodeState>(open.map((a) => [a.condition_key, { existing: a }]));
    const seen = new Map(newest.map((r) => [r.code, r.ts.getTime()]));
    const writes: AlertWrite[] = [];
    const ordered = events.map((e, i) => ({ e, i, ts: Date.parse(e.ts) })).sort((a, b) => a.ts - b.ts || a.i - b.i);

    for (const { e, ts } of ordered) {
      if (ts < (seen.get(e.code) ?? -Infinity)) {
        result.outOfOrder += 1;
        continue;
      }
      seen.set(e.code, ts);
      let state = states.get(e.code);
      if (!state) states.set(e.code, (state = {}));
      const current = state.pending ?? (state.existing && !state.change?.set.endedAt ? state.existing : undefined);
      if (e.state === 'cleared') {
        if (state.pending) {
          state.pending.endedAt = new Date(Math.max(ts, state.pending.startedAt.getTime()));
          writes.push(state.pending);
          state.pending = undefined;
        } else if (current && state.existing) {
          state.change ??= { kind: 'change', id: state.existing.id, set: {} };
          state.change.set.endedAt = new Date(Math.max(ts, state.existing.started_at.getTime()));
        }
        continue;
      }
      if (!current) {
        if (state.change) {
          writes.push(state.change);
          state.change = undefined;
          state.existing = undefined;
        }
        state.pending = {
          kind: 'open',
          siteId: component.site_id,
          componentId,
          alertType: 'Device Fault',
          conditionKey: e.code,
          priority: e.priority ?? 'Medium',
          startedAt: new Date(ts),
          descriptionShort: e.descriptionShort ?? null,
          descriptionLong: e.descriptionLong ?? null,
          details: { code: e.code },
        };
        continue;
      }
      // Still active: what the event says anew (a priority, a description) changes the alert; what it leaves out stays.
      const target: { priority: Priority; descriptionShort: string | null; descriptionLong: string | null } = state.pending ?? {
        priority: state.change?.set.priority ?? current.priority,
        descriptionShort:
          state.change?.set.descriptionShort !== undefined ? state.change.set.descriptionShort : (current as AlertRow).description_short,
        descriptionLong:
          state.change?.set.descriptionLong !== undefined ? state.change.set.descriptionLong : (current as AlertRow).description_long,
      };
      const next = {
        priority: e.priority ?? target.priority,
        descriptionShort: e.descriptionShort ?? target.descriptionShort,
        descriptionLong: e.descriptionLong ?? target.descriptionLong,
      };
      if (state.pending) {
        Object.assign(state.pending, next);
      } else if (
        next.priority !== target.priority ||
        next.descriptionShort !== target.descriptionShort ||
        next.descriptionLong !== target.descriptionLong
      ) {
        state.change ??= { kind: 'change', id: state.existing!.id, set: {} };
        Object.assign(state.change.set, next);
      }
    }
    for (const state of states.values()) {
      if (state.change) writes.push(state.change);
      if (state.pending) writes.push(state.pending);
    }
    for (const w of writes) {
      if (w.kind === 'open') {
        result.opened += 1;
        if (w.endedAt) result.closed += 1;
      } else if (w.set.endedAt) result.closed += 1;
      else result.updated += 1;
    }
    const ids = await writeAlerts(tx, ctx, component.organisation_id, writes, now);
    result.alerts = await alertsByIds(tx, ids);
    return result;
  });
}
