// Telemetry from plants into the monitoring domain's readings: the writer the
// MQTT gateway hands messages to once decoded (telemetry-decode.ts).
//
// The writer commits the messages of many plants together: those arriving
// within `maxDelayMs` of the first (or `maxBatch` of them) go into one
// transaction, and while one commits the next batch gathers. A message's
// `write` resolves only once its readings are committed, so the gateway's
// PUBACK (sent after it) never acknowledges a reading that a crash could lose.
// Readings are idempotent as every reading is (storage.ts): a message
// redelivered after a crash stores nothing twice; a different value for a
// (component, field, ts) replaces the one held, the later message winning.
//
// Lifetime counters become interval energy (counters.ts), their state kept
// on the plant row and written in the same transaction as the energy. The
// monitoring alert rules run after commit, in the background, each site at
// most once per `alertIntervalMs` (the schedule evaluates everything anyway);
// a failure there never undoes the readings.
import type { Db, Transaction } from '@helio/db';
import { DbError } from '@helio/db';
import { systemPrincipal } from '../auth/principal.js';
import type { ServiceContext } from '../context.js';
import { createUuidV7Generator, systemClock, type Clock } from '../ids.js';
import { evaluateAfterIngest, evaluateSite } from '../monitoring/alerts/evaluate.js';
import { storedField } from '../monitoring/fields.js';
import { writeComponentsReadings, type ComponentReadings } from '../monitoring/readings/batch.js';
import { ensurePartitions, forgetPartitions, isMissingPartition, monthIndex } from '../monitoring/readings/partitions.js';
import { advanceCounter, counterKey, parseCounterStates, type CounterStates } from './counters.js';
import type { DecodedTelemetry } from './telemetry-decode.js';
import { createComponentRouter, type ComponentInfo, type TelemetryPlant } from './telemetry-routing.js';

// Decoding (telemetry-decode.ts) and routing (telemetry-routing.ts) are imported from here with the writer.
export * from './telemetry-decode.js';
export { TelemetryRejectedError, type TelemetryPlant } from './telemetry-routing.js';

// ---------------------------------------------------------------- the writer

export interface TelemetryWriterOptions {
  /**
   * Messages per transaction at most (default 2000). Large batches matter
   * most when plants have several messages in flight: a plant's messages of
   * one batch add to the same rollup buckets, one update each.
   */
  maxBatch?: number;
  /** How long the first message of a batch waits for others (default 5 ms). */
  maxDelayMs?: number;
  /**
   * Batches written at once (default 1). More lets one batch gather while
   * another commits; measured on PostgreSQL it gained nothing over group
   * commit. Messages of one plant keep their order either way (see `takeTurn`).
   */
  maxInFlight?: number;
  /** A site's alert rules run at most this often after telemetry of its components (default 10 s; 0: after every batch). */
  alertIntervalMs?: number;
  /** Whether to run the alert rules after commit at all (default true). */
  alerts?: boolean;
  /**
   * How long what is known of a component (organisation, site, still live) is trusted (default 5 s): a
   * component or site deleted meanwhile takes readings for up to this long.
   */
  cacheTtlMs?: number;
  /** A plant's last_seen_at is written at most this often by its telemetry (default 5 s; 0: every message). */
  lastSeenIntervalMs?: number;
  clock?: Clock;
}

export interface TelemetryWriter {
  /**
   * Stores one decoded message of a plant; resolves once committed, to the
   * readings it holds (values and counter energy, new or held already).
   * Rejects with `TelemetryRejectedError`, its `reason` one of `no-site`
   * (the plant has no site, so no component), `no-component` (its component
   * is gone), `conceptual-component` (a conceptual node takes no readings) or
   * `bad-device` (the sub-device's component could not be made: no free
   * nodeId, or the monitoring domain refused it). Any other error (the
   * database unreachable, a deadlock, a failed statement, while finding the
   * components or writing) rejects as it is, and nothing of the message is
   * stored: the gateway must not acknowledge it, so the plant sends it again.
   */
  write(plant: TelemetryPlant, decoded: DecodedTelemetry): Promise<{ stored: number }>;
  /** Runs the alert rules now for every site waiting for them. */
  flushAlerts(): Promise<void>;
  /** Writes what is waiting, stops taking messages, waits for the alert rules that are running. */
  close(): Promise<void>;
}

interface Pending {
  plant: TelemetryPlant;
  decoded: DecodedTelemetry;
  resolve: (r: { stored: number }) => void;
  reject: (err: unknown) => void;
}

/** A message with where it goes. */
interface Routed {
  p: Pending;
  component: ComponentInfo;
  stored: number;
}

/** A plant's counter states, and its last provisioning (part of each counter's source). */
interface PlantCounters {
  states: CounterStates;
  provision: string | null;
}

/** A batch's place in the order batches take their locks in. */
interface Turn {
  /** Resolves once the batch before has taken its locks. */
  before: Promise<void>;
  /** Says that this batch has taken its locks (or will take none). */
  done: () => void;
}

const noTurn: Turn = { before: Promise.resolve(), done: () => undefined };

class MissingPartitions extends Error {
  constructor(readonly months: Set<number>) {
    super('partitions missing');
  }
}

const ATTEMPTS = 3;

export function createTelemetryWriter(db: Db, opts: TelemetryWriterOptions = {}): TelemetryWriter {
  const maxBatch = opts.maxBatch ?? 2000;
  const maxDelayMs = opts.maxDelayMs ?? 5;
  const maxInFlight = Math.max(1, opts.maxInFlight ?? 1);
  const alertIntervalMs = opts.alertIntervalMs ?? 10_000;
  const runAlerts = opts.alerts ?? true;
  const cacheTtlMs = opts.cacheTtlMs ?? 5_000;
  const lastSeenIntervalMs = opts.lastSeenIntervalMs ?? 5_000;
  const clock = opts.clock ?? systemClock;
  const system: ServiceContext = { db, clock, ids: createUuidV7Generator(clock), principal: systemPrincipal };

  const queue: Pending[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const router = createComponentRouter(system, cacheTtlMs);
  const ensuredMonths = new Set<number>();
  /** When this writer last wrote each plant's last_seen_at (ms, its clock). */
  const lastSeenWritten = new Map<string, number>();

  // ---- batching

  /** The batches being written. */
  const flights = new Set<Promise<void>>();
  /** Whether what waits may go now: its delay passed, or a batch finished while it waited (group commit). */
  let due = false;

  /**
   * Batches take their row locks one after the other, in the order they
   * were formed: a batch's statements start once the one before has taken
   * all of its locks (it may still be committing). So the later of two
   * messages for one reading or one counter always wins, and two batches in
   * flight never wait for each other in a cycle.
   */
  let lastTurn: Promise<void> = Promise.resolve();
  function takeTurn(): Turn {
    const before = lastTurn;
    let done!: () => void;
    lastTurn = new Promise<void>((resolve) => (done = resolve));
    return { before, done };
  }

  function pump(): void {
    while (flights.size < maxInFlight && queue.length > 0 && (due || queue.length >= maxBatch)) {
      const batch = queue.splice(0, maxBatch);
      if (queue.length === 0) due = false;
      if (timer) {
        clearTimeout(timer);
        timer = undefined;
      }
      const flight: Promise<void> = flush(batch, takeTurn())
        .catch(() => undefined)
        .finally(() => {
          flights.delete(flight);
          due = queue.length > 0;
          pump();
        });
      flights.add(flight);
    }
    if (queue.length > 0 && !due && !timer) {
      timer = setTimeout(() => {
        timer = undefined;
        due = true;
        pump();
      }, maxDelayMs);
    }
  }

  // ---- storing

  /** Builds the components' readings (the later message winning a (field, ts)) and the plants' new counter states. */
  function assemble(
    routed: Routed[],
    states: Map<string, PlantCounters>,
  ): { entries: ComponentReadings[]; counterUpdates: Map<string, CounterStates> } {
    const perComponent = new Map<string, { info: ComponentInfo; values: Map<number, Map<number, number>> }>();
    const counterUpdates = new Map<string, CounterStates>();
    const put = (r: Routed, field: string, ts: number, value: number) => {
      const code = storedField(field)!.code!;
      let c = perComponent.get(r.component.id);
      if (!c) perComponent.set(r.component.id, (c = { info: r.component, values: new Map() }));
      let byTs = c.values.get(code);
      if (!byTs) c.values.set(code, (byTs = new Map()));
      byTs.set(ts, value);
      r.stored += 1;
    };
    for (const r of routed) {
      const { ts, values, counters, counterSources, device } = r.p.decoded;
      for (const field in values) put(r, field, ts, values[field]!);
      for (const field in counters) {
        const { states: plantStates, provision } = states.get(r.p.plant.id)!;
        const key = counterKey(device, field);
        const decodedSource = counterSources[field] ?? { template: null, version: null, signal: field, scale: 1 };
        const step = advanceCounter(plantStates[key], ts, counters[field]!, { ...decodedSource, provision });
        if (step.state !== plantStates[key]) {
          plantStates[key] = step.state;
          let upd = counterUpdates.get(r.p.plant.id);
          if (!upd) counterUpdates.set(r.p.plant.id, (upd = {}));
          upd[key] = step.state;
        }
        if (step.energy) put(r, field, step.energy.ts, step.energy.value);
      }
    }
    const entries: ComponentReadings[] = [];
    for (const { info, values } of perComponent.values()) {
      const field: number[] = [];
      const ts: number[] = [];
      const value: number[] = [];
      for (const [code, byTs] of values) {
        for (const [t, v] of byTs) {
          field.push(code);
          ts.push(t);
          value.push(v);
        }
      }
      entries.push({ componentId: info.id, organisationId: info.organisationId, field, ts, value });
    }
    return { entries, counterUpdates };
  }

  async function store(tx: Transaction, routed: Routed[], receivedAt: Date, turn: Turn): Promise<string[]> {
    for (const r of routed) r.stored = 0;
    await turn.before;
    const withCounters = [...new Set(routed.filter((r) => Object.keys(r.p.decoded.counters).length > 0).map((r) => r.p.plant.id))].sort();
    const states = new Map<string, PlantCounters>();
    if (withCounters.length > 0) {
      // Locked in id order: the counters' state is read and written by one writer at a time. With it, the
      // plant's last provisioning: a counter's state does not outlive it (counters.ts).
      const { rows } = await tx.query<{ id: string; counters: unknown; provision: string | null }>(
        `SELECT p.id, p.counters,
           (SELECT t.id FROM plant_transitions t WHERE t.plant_id = p.id AND t.action = 'provision'
            ORDER BY t.at DESC, t.id DESC LIMIT 1) AS provision
         FROM plants p WHERE p.id = ANY($1::uuid[]) ORDER BY p.id FOR UPDATE OF p`,
        [withCounters],
      );
      for (const row of rows) states.set(row.id, { states: parseCounterStates(row.counters), provision: row.provision ?? null });
      for (const id of withCounters) if (!states.has(id)) states.set(id, { states: {}, provision: null });
    }
    const { entries, counterUpdates } = assemble(routed, states);

    const months = new Set<number>();
    for (const e of entries) for (let i = 0; i < e.ts.length; i++) months.add(monthIndex(e.ts[i]!));
    const missing = new Set([...months].filter((m) => !ensuredMonths.has(m)));
    if (missing.size > 0) throw new MissingPartitions(missing);

    await writeComponentsReadings(tx, entries, receivedAt);

    // last_seen_at: at most once per lastSeenIntervalMs per plant (the gateway also writes it at connect and
    // disconnect); the counters' state whenever it moved.
    const now = receivedAt.getTime();
    const seen = [...new Set(routed.map((r) => r.p.plant.id))]
      .filter((id) => counterUpdates.has(id) || !(now - (lastSeenWritten.get(id) ?? -Infinity) < lastSeenIntervalMs))
      .sort();
    if (seen.length > 0) {
      await tx.query(
        `UPDATE plants p SET last_seen_at = GREATEST(p.last_seen_at, $2),
           counters = CASE WHEN u.c IS NULL THEN p.counters ELSE p.counters || u.c::jsonb END
         FROM unnest($1::uuid[], $3::text[]) AS u(id, c) WHERE p.id = u.id`,
        [seen, receivedAt, seen.map((id) => (counterUpdates.has(id) ? JSON.stringify(counterUpdates.get(id)) : null))],
      );
    }
    turn.done();
    return seen;
  }

  async function ensureMonths(months: Iterable<number>): Promise<void> {
    const list = [...months];
    await ensurePartitions(db, list);
    for (const m of list) ensuredMonths.add(m);
  }

  /** Writes routed messages in one transaction, retrying what may pass on a second try. */
  async function commit(routed: Routed[], turn: Turn): Promise<void> {
    const months = new Set<number>();
    for (const r of routed) months.add(monthIndex(r.p.decoded.ts));
    await ensureMonths([...months].filter((m) => !ensuredMonths.has(m)));
    for (let attempt = 1; ; attempt++) {
      const receivedAt = clock.now();
      try {
        const seen = await db.transaction((tx) => store(tx, routed, receivedAt, turn));
        for (const id of seen) lastSeenWritten.set(id, receivedAt.getTime());
        if (lastSeenWritten.size > 100_000) lastSeenWritten.clear();
        return;
      } catch (err) {
        if (err instanceof MissingPartitions) {
          // Counter energy dated in a month nothing else was: make it, and go again (not an attempt).
          await ensureMonths(err.months);
          attempt -= 1;
          continue;
        }
        if (attempt >= ATTEMPTS) throw err;
        if (isMissingPartition(err)) {
          // Dropped under us (retention): forget what we knew.
          forgetPartitions(db);
          ensuredMonths.clear();
          await ensureMonths(months);
        } else if (!(err instanceof DbError && err.kind === 'serialization_failure')) throw err;
      }
    }
  }

  async function flush(batch: Pending[], turn: Turn): Promise<void> {
    try {
      await flushInTurn(batch, turn);
    } finally {
      turn.done();
    }
  }

  async function flushInTurn(batch: Pending[], turn: Turn): Promise<void> {
    let routed: Routed[];
    try {
      routed = (await router.route(batch)).map((r) => ({ ...r, stored: 0 }));
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    if (routed.length === 0) return;
    try {
      await commit(routed, turn);
    } catch (err) {
      // Alone, or the database is unreachable: nothing to gain from trying each message on its own.
      if (routed.length === 1 || (err instanceof DbError && err.kind === 'connection')) {
        for (const r of routed) r.p.reject(err);
        return;
      }
      // One bad message must not refuse the others: each on its own.
      for (const r of routed) {
        try {
          await commit([r], noTurn);
          r.p.resolve({ stored: r.stored });
          noteAlerts([r]);
        } catch (e) {
          r.p.reject(e);
        }
      }
      return;
    }
    for (const r of routed) r.p.resolve({ stored: r.stored });
    noteAlerts(routed);
  }

  // ---- alert rules, after commit: per site, at most once per alertIntervalMs

  const alertDue = new Map<string, Map<string, { from: number; to: number }>>();
  const lastEvaluated = new Map<string, number>();
  let alertTimer: ReturnType<typeof setTimeout> | undefined;
  let alertRun: Promise<void> | undefined;

  function noteAlerts(routed: Routed[]): void {
    if (!runAlerts || closed) return;
    for (const r of routed) {
      if (r.stored === 0) continue;
      const ts = r.p.decoded.ts;
      let site = alertDue.get(r.component.siteId);
      if (!site) alertDue.set(r.component.siteId, (site = new Map()));
      const due = site.get(r.component.id);
      if (due) {
        due.from = Math.min(due.from, ts);
        due.to = Math.max(due.to, ts);
      } else site.set(r.component.id, { from: ts, to: ts });
    }
    scheduleAlerts();
  }

  function scheduleAlerts(): void {
    if (alertTimer || alertRun || alertDue.size === 0 || closed) return;
    const now = Date.now();
    let wait = Infinity;
    for (const siteId of alertDue.keys()) wait = Math.min(wait, (lastEvaluated.get(siteId) ?? -Infinity) + alertIntervalMs - now);
    alertTimer = setTimeout(
      () => {
        alertTimer = undefined;
        alertRun = evaluateDue(false).finally(() => {
          alertRun = undefined;
          scheduleAlerts();
        });
      },
      Math.max(0, wait),
    );
    alertTimer.unref?.();
  }

  async function evaluateDue(all: boolean): Promise<void> {
    for (const [siteId, due] of [...alertDue.entries()]) {
      if (!all && (lastEvaluated.get(siteId) ?? -Infinity) + alertIntervalMs > Date.now()) continue;
      alertDue.delete(siteId);
      lastEvaluated.set(siteId, Date.now());
      if (lastEvaluated.size > 100_000) lastEvaluated.clear();
      try {
        if (due.size === 1) {
          // One component's news: what ingestReadings runs after its readings.
          const [[componentId, { from, to }]] = [...due.entries()] as [[string, { from: number; to: number }]];
          await evaluateAfterIngest(system, { componentId, siteId, stored: 1, replaced: 0, from: new Date(from), to: new Date(to) });
        } else {
          // Several components of the site: one evaluation of the whole site rather than one per component.
          await evaluateSite(system, siteId, clock.now(), { wait: true });
        }
      } catch {
        // Best effort: the readings stand, and the schedule evaluates again.
      }
    }
  }

  return {
    write(plant, decoded) {
      if (closed) return Promise.reject(new Error('the telemetry writer is closed'));
      return new Promise((resolve, reject) => {
        queue.push({ plant, decoded, resolve, reject });
        pump();
      });
    },
    async flushAlerts() {
      if (alertTimer) {
        clearTimeout(alertTimer);
        alertTimer = undefined;
      }
      while (alertRun) await alertRun;
      await evaluateDue(true);
    },
    async close() {
      closed = true;
      while (queue.length > 0 || flights.size > 0) {
        due = true;
        pump();
        await Promise.race(flights);
      }
      if (alertTimer) {
        clearTimeout(alertTimer);
        alertTimer = undefined;
      }
      while (alertRun) await alertRun;
    },
  };
}
