// A simulated plant on MQTT.js: it connects to the gateway with the
// credentials of its provisioning package (over TLS, on the package's
// `mqtt.port`, checking the gateway against the package's CA; plain TCP only
// when asked, for trusted networks and tests), publishes signed telemetry (QoS 1)
// and its status, answers signed commands, and rides out dropped
// connections. `helio device simulate` runs one; the MQTT benchmark runs many.
//
// Delivery: QoS 1 is at least once (MQTT 3.1.1 §4.3.2). A message counts as
// delivered only when its PUBACK arrives. Each connection is a fresh MQTT.js
// client with its own reconnection turned off: the simulator decides when to
// try again (growing pauses with jitter), and what a dropped connection left
// unacknowledged goes back to the front of the outbox, to be sent again on
// the next connection before anything newer. Telemetry made while offline
// waits in a bounded buffer (the oldest is dropped when it is full, and
// counted), and keeps the time it was measured at.
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { commandName, type DeviceState } from './commands.js';
import { signEnvelope } from './envelope.js';
import { Outbox, type MessageKind, type OutMessage } from './outbox.js';
import type { ProvisioningPackage } from './package.js';
import { createTelemetryGenerator } from './values.js';
import { createCommandResponder } from './simulator-commands.js';
import { isTlsError, mqttClientOptions, refusalCode, resolveEndpoint } from './simulator-endpoint.js';
import {
  type DeviceSimulatorOptions,
  type SimulatorEvent,
  type SimulatorStats,
  type DeviceSimulator,
  DeviceConnectError,
  DeviceSetupError,
} from './simulator-types.js';

export * from './simulator-types.js';

export function createDeviceSimulator(pkg: ProvisioningPackage, options: DeviceSimulatorOptions = {}): DeviceSimulator {
  const plantId = pkg.plantId;
  const topics = pkg.mqtt.topics;
  const now = options.now ?? (() => new Date());
  const emit = (event: SimulatorEvent) => options.onEvent?.(event);
  const endpoint = resolveEndpoint(pkg, options);
  const { url } = endpoint;
  const rate = options.ratePerSecond ?? 1;
  if (!(rate > 0)) throw new DeviceSetupError('the rate must be above 0 messages per second');
  const maxInFlight = options.maxInFlight ?? 64;
  const reconnectInitialMs = options.reconnectInitialMs ?? 500;
  const reconnectMaxMs = options.reconnectMaxMs ?? 30_000;
  const announce = options.announceStatus ?? true;

  const signals = options.signals ?? pkg.template?.signals;
  const generator = createTelemetryGenerator({
    ...(signals ? { signals } : {}),
    ...(options.peakW !== undefined ? { peakW: options.peakW } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  });
  const templateActions = (pkg.template as { actions?: { name?: unknown }[] } | null | undefined)?.actions ?? [];
  const actions = new Set(templateActions.flatMap((a) => (typeof a.name === 'string' ? [commandName(a.name)] : [])));

  let secret = pkg.security.hmacSecret;
  let previousSecret: { secret: string; until: number } | null = null;
  let password = pkg.authMethod === 'TOKEN' ? pkg.security.token : pkg.authMethod === 'PASSWORD' ? pkg.security.password : undefined;

  const outbox = new Outbox({ telemetry: options.bufferLimit ?? 10_000, control: 1000 });
  const inFlight = new Map<number, OutMessage>();
  let seq = 0;
  let lastTs = 0;

  const stats: SimulatorStats = {
    plantId,
    connected: false,
    connects: 0,
    drops: 0,
    refusals: 0,
    telemetry: { generated: 0, published: 0, acked: 0, resent: 0, rejected: 0, dropped: 0, buffered: 0, waiting: 0, inFlight: 0 },
    status: { acked: 0 },
    commands: { received: 0, rejected: 0, duplicates: 0, done: 0, failed: 0, declined: 0 },
    acksDelivered: 0,
  };

  let client: MqttClient | null = null;
  let generation = 0;
  let connected = false;
  let closing = false;
  let window = maxInFlight;
  let attempt = 0;
  let backoff = reconnectInitialMs;
  let reconnectTimer: NodeJS.Timeout | null = null;
  let lastError: (Error & { code?: unknown }) | null = null;
  /** Messages waiting when the connection came up: their acknowledgement ends a replay. */
  let replay: { lastSeq: number; count: number } | null = null;
  let started: { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void; settled: boolean } | null = null;
  const idleWaiters = new Set<() => void>();

  const secrets = () => (previousSecret && previousSecret.until > Date.now() ? [secret, previousSecret.secret] : [secret]);

  const clientOptions = (): IClientOptions =>
    mqttClientOptions(pkg, options, endpoint, {
      password,
      will: announce ? signEnvelope(secret, JSON.stringify({ status: 'OFFLINE' })) : null,
    });

  function connectOnce(): void {
    reconnectTimer = null;
    if (closing) return;
    const gen = ++generation;
    attempt += 1;
    lastError = null;
    emit({ type: 'connecting', url, attempt });
    const c = connect(clientOptions());
    client = c;
    c.on('error', (err: Error & { code?: unknown }) => {
      if (gen === generation) lastError = err;
    });
    // MQTT 5 only: the gateway says why it ends the connection.
    c.on('disconnect', (packet) => {
      if (gen === generation) lastError = new Error(`the gateway disconnected the plant (reason code ${packet.reasonCode ?? 0})`);
    });
    c.on('connect', (connack) => {
      // A CONNACK that arrives after close() began: that connection is being ended.
      if (gen !== generation || closing) return;
      connected = true;
      stats.connects += 1;
      attempt = 0;
      backoff = reconnectInitialMs;
      const receiveMaximum = connack.properties?.receiveMaximum;
      window = receiveMaximum ? Math.min(maxInFlight, receiveMaximum) : maxInFlight;
      emit({ type: 'connected', url, waiting: outbox.waiting });
      const waitingTelemetry = outbox.telemetryWaiting;
      replay = waitingTelemetry > 0 ? { lastSeq: seq, count: waitingTelemetry } : null;
      c.subscribe(topics.commands, { qos: 1 }, (err, granted) => {
        if (gen !== generation) return;
        if (err || !granted || granted.some((g) => g.qos === 128)) emit({ type: 'subscribe-refused', topic: topics.commands });
        else emit({ type: 'subscribed', topic: topics.commands });
      });
      if (announce) enqueue('status', topics.status, JSON.stringify({ status: 'ONLINE', ts: timestamp().toISOString() }), true);
      started?.resolve();
      pump();
    });
    c.on('message', (topic, payload) => {
      if (gen === generation && topic === topics.commands) void onCommand(payload);
    });
    c.on('close', () => {
      if (gen === generation) onClose(c);
    });
  }

  function onClose(c: MqttClient): void {
    const wasConnected = connected;
    connected = false;
    generation += 1;
    // What the broker never acknowledged goes back in front of the queue.
    const back = [...inFlight.values()];
    inFlight.clear();
    noteDropped(outbox.requeue(back));
    c.end(true);
    if (closing) return notifyIdle();
    const code = refusalCode(lastError);
    const reason = lastError?.message ?? 'connection closed';
    if (!wasConnected && started && !started.settled) {
      if (code !== null) return failStart(new DeviceConnectError('refused', `the gateway refused the plant: ${reason}`, code));
      if (lastError && isTlsError(lastError)) {
        return failStart(new DeviceConnectError('tls', `the gateway's certificate did not verify: ${reason}`, String(lastError.code)));
      }
    }
    const retryInMs = scheduleReconnect();
    if (code !== null) {
      stats.refusals += 1;
      emit({ type: 'refused', reason, code, retryInMs });
    } else if (wasConnected) {
      stats.drops += 1;
      emit({ type: 'disconnected', reason, retryInMs, waiting: outbox.waiting });
    } else {
      emit({ type: 'unreachable', reason, retryInMs, waiting: outbox.waiting });
    }
  }

  function failStart(err: DeviceConnectError): void {
    closing = true;
    started?.reject(err);
    notifyIdle();
  }

  function scheduleReconnect(): number {
    const delay = Math.round(backoff * (0.8 + Math.random() * 0.4));
    backoff = Math.min(reconnectMaxMs, backoff * 2);
    reconnectTimer = setTimeout(connectOnce, delay);
    return delay;
  }

  /** Strictly increasing timestamps, so no two readings of the plant share one. */
  function timestamp(at?: Date): Date {
    const ms = Math.max(at ? at.getTime() : now().getTime(), at ? 0 : lastTs + 1);
    if (!at) lastTs = ms;
    return new Date(ms);
  }

  function enqueue(kind: MessageKind, topic: string, text: string, front = false, ts?: string): OutMessage {
    const message: OutMessage = { seq: ++seq, kind, topic, text, attempts: 0, ...(ts === undefined ? {} : { ts }) };
    // A status announced on connecting goes before what waited for the connection.
    noteDropped(front ? outbox.requeue([message]) : outbox.push(message));
    pump();
    return message;
  }

  function noteDropped(dropped: readonly OutMessage[]): void {
    const telemetry = dropped.filter((m) => m.kind === 'telemetry').length;
    if (telemetry > 0) {
      stats.telemetry.dropped += telemetry;
      emit({ type: 'telemetry-dropped', count: telemetry, dropped: stats.telemetry.dropped });
    }
  }

  function pump(): void {
    const c = client;
    while (connected && c && inFlight.size < window) {
      const message = outbox.next();
      if (!message) break;
      send(c, message);
    }
    notifyIdle();
  }

  function send(c: MqttClient, message: OutMessage): void {
    const gen = generation;
    message.attempts += 1;
    inFlight.set(message.seq, message);
    if (message.kind === 'telemetry') {
      stats.telemetry.published += 1;
      if (message.attempts > 1) stats.telemetry.resent += 1;
    }
    c.publish(message.topic, signEnvelope(secret, message.text), { qos: 1 }, (err) => {
      // A callback of a connection already given up on: onClose requeued the message.
      if (gen !== generation) return;
      inFlight.delete(message.seq);
      if (err) onRejected(message, err);
      else onAcked(message);
      pump();
    });
  }

  function onAcked(message: OutMessage): void {
    if (message.kind === 'status') stats.status.acked += 1;
    else if (message.kind === 'ack') stats.acksDelivered += 1;
    else {
      stats.telemetry.acked += 1;
      const ts = message.ts ?? (JSON.parse(message.text) as { ts: string }).ts;
      emit({ type: 'telemetry-acked', seq: message.seq, ts, attempts: message.attempts });
      // The backlog is replayed once nothing older than the connection waits or flies.
      const mark = replay?.lastSeq;
      if (mark !== undefined && (outbox.oldestTelemetrySeq() ?? Infinity) > mark) {
        if (![...inFlight.values()].some((m) => m.kind === 'telemetry' && m.seq <= mark)) {
          emit({ type: 'replayed', count: replay!.count });
          replay = null;
        }
      }
    }
  }

  function onRejected(message: OutMessage, err: Error & { code?: unknown }): void {
    // MQTT 5: a PUBACK with a reason code of 0x80 or more. Sending it again would be refused again.
    if (message.kind === 'telemetry') {
      stats.telemetry.rejected += 1;
      emit({ type: 'telemetry-rejected', seq: message.seq, reason: err.message });
    }
  }

  function notifyIdle(): void {
    if ((outbox.waiting === 0 && inFlight.size === 0) || closing) {
      for (const resolve of idleWaiters) resolve();
      idleWaiters.clear();
    }
  }

  const deviceState: DeviceState = {
    setPowerLimit: (w: number | null) => generator.setPowerLimit(w),
    get powerLimit() {
      return generator.powerLimit;
    },
    peakW: options.peakW ?? 5000,
    readNow: () => void publishTelemetry(),
    now,
    actions,
  };

  const onCommand = createCommandResponder({
    secrets,
    onCommand: options.onCommand,
    deviceState,
    stats: stats.commands,
    emit,
    sendAck: (text) => void enqueue('ack', topics.ack, text),
  });

  function publishTelemetry(values?: Record<string, number>, opts: { ts?: Date; device?: string } = {}): number {
    const at = timestamp(opts.ts);
    const device = opts.device ?? options.device;
    const body = { ts: at.toISOString(), values: values ?? generator.next(at, 1 / rate), ...(device ? { device } : {}) };
    stats.telemetry.generated += 1;
    if (!connected) stats.telemetry.buffered += 1;
    return enqueue('telemetry', topics.telemetry, JSON.stringify(body), false, body.ts).seq;
  }

  function flush(timeoutMs = Infinity, signal?: AbortSignal): Promise<boolean> {
    if ((outbox.waiting === 0 && inFlight.size === 0) || closing) return Promise.resolve(outbox.waiting === 0 && inFlight.size === 0);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', giveUp);
        idleWaiters.delete(done);
        resolve(outbox.waiting === 0 && inFlight.size === 0);
      };
      const giveUp = () => done();
      idleWaiters.add(done);
      if (Number.isFinite(timeoutMs)) timer = setTimeout(giveUp, timeoutMs);
      signal?.addEventListener('abort', giveUp, { once: true });
    });
  }

  const simulator: DeviceSimulator = {
    plantId,
    url,
    get connected() {
      return connected;
    },

    start(signal) {
      if (!started) {
        let resolve!: () => void;
        let reject!: (e: Error) => void;
        const promise = new Promise<void>((res, rej) => {
          resolve = res;
          reject = rej;
        });
        const s = {
          promise,
          settled: false,
          resolve: () => {
            s.settled = true;
            resolve();
          },
          reject: (e: Error) => {
            s.settled = true;
            reject(e);
          },
        };
        started = s;
        connectOnce();
      }
      const first = started.promise;
      if (!signal) return first;
      return new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(new DeviceConnectError('aborted', `no connection to ${url} yet`));
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        first.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
      });
    },

    publishTelemetry,

    reportStatus(status, faults) {
      enqueue('status', topics.status, JSON.stringify({ status, ...(faults ? { faults } : {}), ts: timestamp().toISOString() }));
    },

    setHmacSecret(next, previousValidMs = 60 * 60 * 1000) {
      if (next === secret) return;
      previousSecret = { secret, until: Date.now() + previousValidMs };
      secret = next;
      emit({ type: 'secret-changed' });
    },

    setPassword(next) {
      password = next;
    },

    async run(opts = {}) {
      const { count, durationSeconds, signal } = opts;
      const intervalMs = 1000 / rate;
      const startedAt = Date.now();
      let made = 0;
      const finished = () =>
        (count !== undefined && made >= count) ||
        (durationSeconds !== undefined && Date.now() - startedAt >= durationSeconds * 1000) ||
        signal?.aborted === true ||
        closing;
      await new Promise<void>((resolve) => {
        const tick = () => {
          const due = Math.floor((Date.now() - startedAt) / intervalMs) + 1;
          while (made < due && !finished()) {
            publishTelemetry();
            made += 1;
          }
          if (finished()) {
            clearInterval(timer);
            signal?.removeEventListener('abort', stop);
            resolve();
          }
        };
        const stop = () => tick();
        const timer = setInterval(tick, Math.max(5, Math.min(intervalMs, 250)));
        signal?.addEventListener('abort', stop, { once: true });
        tick();
      });
      const drainMs = opts.drainMs ?? (count !== undefined && durationSeconds === undefined ? Infinity : 10_000);
      // Stopped early: what is in flight gets a moment, but no wait for a connection to come back.
      if (!signal?.aborted) await flush(drainMs);
      else if (connected) await flush(Math.min(drainMs, 2000));
      return simulator.stats();
    },

    flush,

    dropConnection() {
      // Destroying the socket is what a network failure looks like: no DISCONNECT packet.
      client?.stream?.destroy();
    },

    stats() {
      return {
        ...stats,
        connected,
        telemetry: {
          ...stats.telemetry,
          waiting: outbox.telemetryWaiting,
          inFlight: [...inFlight.values()].filter((m) => m.kind === 'telemetry').length,
        },
        status: { ...stats.status },
        commands: { ...stats.commands },
      };
    },

    async close() {
      if (reconnectTimer) clearTimeout(reconnectTimer);
      reconnectTimer = null;
      const c = client;
      if (connected && c && announce && !closing) {
        // Best effort: the OFFLINE status gets a second to be acknowledged.
        const before = stats.status.acked;
        enqueue('status', topics.status, JSON.stringify({ status: 'OFFLINE', ts: timestamp().toISOString() }), true);
        const deadline = Date.now() + 1000;
        while (connected && Date.now() < deadline && stats.status.acked === before) await new Promise((r) => setTimeout(r, 10));
      }
      closing = true;
      if (started && !started.settled) started.reject(new DeviceConnectError('aborted', 'closed before connecting'));
      if (c) {
        // A clean DISCONNECT, so the gateway discards the will (MQTT 3.1.1 §3.1.2.5); forced if it hangs.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            c.stream?.destroy();
            resolve();
          }, 2000);
          c.end(false, {}, () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      connected = false;
      notifyIdle();
      return simulator.stats();
    },
  };
  return simulator;
}
