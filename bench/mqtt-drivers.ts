// The two ways the plants' process runs a plant: Helio's device simulator
// (createDeviceSimulator, the library behind `helio device simulate`), fed
// from the plant's provisioning package; or a bare MQTT.js client signing the
// envelope itself (bench/mqtt-messages.ts). The bench uses the simulator when
// @helio/server exports it; the command round trips use a bare client.
import type { createDeviceSimulator, SimulatorEvent } from '@helio/server';
import mqtt, { type MqttClient } from 'mqtt';
import type { ConnectJob, PlantCredentials } from './mqtt-jobs.js';
import { TELEMETRY_FIELDS, telemetryMessage, telemetryTopic, telemetryValues } from './mqtt-messages.js';

export function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '[::1]')
    throw new Error(`refusing to load ${host}: the bench only targets loopback`);
}

/** One connected plant, whichever driver runs it. */
export interface Plant {
  creds: PlantCredentials;
  /** Position in the group: the readings are a function of it. */
  index: number;
  /** Why the connection ended, once it has (the simulator would reconnect: any drop counts). */
  closedBy?: string;
  connected(): boolean;
  /** Publishes message `seq` of the plant (QoS 1); resolves at its PUBACK, rejects when refused or the connection ends first. */
  publish(seq: number, ts: number): Promise<void>;
  close(): Promise<void>;
  /** The bare MQTT.js client (the mqttjs driver only: the command round trips use it). */
  client?: MqttClient;
}

/**
 * Small MQTT packets go out at once (TCP_NODELAY), as latency-minded devices
 * send them: with Nagle's algorithm a PUBLISH written behind an unacknowledged
 * one waits for the broker's delayed ACK (40 ms on Linux). MQTT.js leaves the
 * option unset; both brokers get the same clients.
 */
export function noDelay(client: MqttClient): void {
  (client.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
}

/** A bare MQTT.js client: resolves once CONNACK accepted it, rejects when refused or closed first. */
export function openMqttjs(url: string, creds: PlantCredentials, index: number, job: ConnectJob): Promise<Plant> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      clientId: creds.plantId,
      username: creds.plantId,
      password: creds.password,
      clean: true,
      protocolVersion: job.protocolVersion,
      keepalive: job.keepaliveSeconds,
      // A refused or dropped connection is a result, not something to retry.
      reconnectPeriod: 0,
      connectTimeout: 30_000,
    });
    noDelay(client);
    let settled = false;
    let markClosed: (why: string) => void = () => undefined;
    const closed = new Promise<never>((_, r) => (markClosed = (why) => r(new Error(`connection closed: ${why}`))));
    closed.catch(() => undefined);
    const topic = telemetryTopic(creds.plantId);
    const plant: Plant = {
      creds,
      index,
      client,
      connected: () => client.connected,
      publish: async (seq, ts) => {
        await Promise.race([client.publishAsync(topic, telemetryMessage(creds.hmacSecret, index, seq, ts), { qos: 1 }), closed]);
      },
      close: async () => {
        if (!plant.closedBy) await client.endAsync().catch(() => undefined);
      },
    };
    let lastError: string | undefined;
    client.on('error', (err) => (lastError = err.message));
    client.on('close', () => {
      plant.closedBy ??= lastError ?? 'connection closed';
      markClosed(plant.closedBy);
      if (!settled) {
        settled = true;
        reject(new Error(lastError ?? 'connection closed before CONNACK'));
      }
    });
    client.once('connect', () => {
      settled = true;
      resolve(plant);
    });
  });
}

// ---------------------------------------------------------------- the simulator driver

type CreateSimulator = typeof createDeviceSimulator;

/** The simulator, loaded from @helio/server only by the process that runs it (it brings the server's code along). */
export async function simulatorFactory(): Promise<CreateSimulator> {
  return (await import('@helio/server')).createDeviceSimulator;
}

export async function openSimulator(
  create: CreateSimulator,
  url: string,
  creds: PlantCredentials,
  index: number,
  job: ConnectJob,
): Promise<Plant> {
  if (!creds.package) throw new Error(`plant ${creds.plantId} has no provisioning package for the simulator`);
  const target = new URL(url);
  const pending = new Map<number, { resolve(): void; reject(e: Error): void }>();
  let closing = false;
  const plant: Plant = {
    creds,
    index,
    connected: () => sim.connected && !plant.closedBy,
    publish: (seq, ts) => {
      if (plant.closedBy) return Promise.reject(new Error(`connection closed: ${plant.closedBy}`));
      const v = telemetryValues(index, seq);
      const values: Record<string, number> = {};
      for (let k = 0; k < TELEMETRY_FIELDS.length; k++) values[TELEMETRY_FIELDS[k]!.key] = v[k]!;
      const n = sim.publishTelemetry(values, { ts: new Date(ts) });
      return new Promise<void>((resolve, reject) => pending.set(n, { resolve, reject }));
    },
    close: async () => {
      closing = true;
      await sim.close();
    },
  };
  const onEvent = (e: SimulatorEvent) => {
    if (e.type === 'telemetry-acked' || e.type === 'telemetry-rejected') {
      const p = pending.get(e.seq);
      pending.delete(e.seq);
      if (e.type === 'telemetry-acked') p?.resolve();
      else p?.reject(new Error(`refused: ${e.reason}`));
    } else if ((e.type === 'disconnected' || e.type === 'unreachable' || e.type === 'refused') && !closing) {
      // The simulator would reconnect and send again; for the bench, a connection that did not hold is a failure.
      plant.closedBy ??= e.reason;
      for (const p of pending.values()) p.reject(new Error(`connection closed: ${plant.closedBy}`));
      pending.clear();
    }
  };
  const sim = create(creds.package as Parameters<CreateSimulator>[0], {
    host: target.hostname,
    port: Number(target.port),
    // The bench's plants use the plain TCP port (the TLS handshakes would load this machine's client side).
    tcp: target.protocol === 'mqtt:',
    protocolVersion: job.protocolVersion,
    keepaliveSeconds: job.keepaliveSeconds,
    connectTimeoutMs: 30_000,
    maxInFlight: job.inflight,
    onEvent,
  });
  try {
    await sim.start();
  } catch (err) {
    closing = true;
    await sim.close().catch(() => undefined);
    throw err;
  }
  return plant;
}
