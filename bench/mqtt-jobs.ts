// The jobs bench/mqtt.ts gives the plants' process (bench/mqtt-clients.ts),
// and what each answers.

export interface PlantCredentials {
  plantId: string;
  /** The MQTT password: PASSWORD plants' password, or TOKEN plants' JWT. */
  password: string;
  hmacSecret: string;
  /** The plant's provisioning package, as Helio gave it (the simulator driver connects with it). */
  package?: unknown;
  /** The component its readings are stored under (to verify them). */
  componentId?: string | null;
}

export type Driver = 'simulator' | 'mqttjs';

export interface ConnectJob {
  kind: 'connect';
  group: string;
  /** mqtt://127.0.0.1:port — loopback only. */
  url: string;
  plants: PlantCredentials[];
  /** Connections being opened at once. */
  concurrency: number;
  protocolVersion: 4 | 5;
  keepaliveSeconds: number;
  driver: Driver;
  /** For the simulator, which keeps a window of its own: messages in flight per plant. */
  inflight: number;
}

export interface ConnectResult {
  connected: number;
  failed: number;
  seconds: number;
  firstError?: string;
}

export interface PublishJob {
  kind: 'publish';
  group: string;
  /** Telemetry messages each plant of the group publishes (QoS 1). */
  messagesPerPlant: number;
  /** Messages a plant has in flight (published, not yet PUBACKed). */
  inflight: number;
  /** Reading time of each plant's first message, in ms; the next ones follow `stepMs` apart. */
  firstTs: number;
  stepMs: number;
  /** Give up when no PUBACK arrives for this long. */
  stallSeconds: number;
  /**
   * Helio: every `every`-th acknowledged message is looked up in the readings
   * table the moment its PUBACK arrives (its first value, by the plant's
   * component and the message's time): a PUBACK must follow the commit.
   */
  verify?: { databaseUrl: string; every: number; fieldCode: number };
}

export interface PublishResult {
  /** Messages PUBACKed. */
  acked: number;
  errors: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU time (user + system) of this process per acknowledged message, in µs. */
  clientCpuUsPerMessage: number;
  /** With `verify`: messages looked up at their PUBACK, and those not yet stored then. */
  verified?: number;
  notYetStored?: number;
  firstError?: string;
}

export interface CountJob {
  kind: 'count';
  group: string;
}

export interface CountResult {
  /** Clients of the group still connected, never closed since they connected. */
  connected: number;
  total: number;
  firstError?: string;
}

export interface CloseJob {
  kind: 'close';
  group: string;
}

export interface CommandsJob {
  kind: 'commands';
  /** A connected group: its first plant plays the device. */
  group: string;
  count: number;
  /** Unmeasured round trips first. */
  warmup: number;
  /**
   * Quiet time after each round trip. Commands are rare: a device gets one
   * when it has been idle a while. (Back to back, the command would be written
   * behind the broker's PUBACK of the device's last answer, which the device
   * had no reason to acknowledge at once: with Nagle's algorithm on the
   * broker's socket it waits for the delayed ACK, 40 ms or more.)
   */
  pauseMs: number;
  /**
   * Helio: each command is sent through the Plants REST API and counts as done
   * once the database shows it acked. Mosquitto: an operator client publishes
   * the signed command through the broker and waits for the device's ack.
   */
  via: { kind: 'helio'; restUrl: string; apiKey: string; databaseUrl: string } | { kind: 'mosquitto'; url: string };
}

export interface CommandsResult {
  /** Round trips measured. */
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Until the device had the command in hand. */
  deliveredP50Ms: number;
  deliveredP99Ms: number;
  errors: number;
  firstError?: string;
}

export type Job = ConnectJob | PublishJob | CountJob | CloseJob | CommandsJob;
export type ResultOf<J extends Job> = J extends ConnectJob
  ? ConnectResult
  : J extends PublishJob
    ? PublishResult
    : J extends CountJob
      ? CountResult
      : J extends CommandsJob
        ? CommandsResult
        : null;

/** The p-th percentile of sorted values (NaN for none). */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
