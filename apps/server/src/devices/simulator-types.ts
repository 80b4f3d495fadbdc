// What a device simulator takes, reports and throws (simulator.ts builds one).
import { type AckStatus, type CommandHandler } from './commands.js';
import type { SignalSpec } from './package.js';

export interface DeviceSimulatorOptions {
  /** Gateway host (default: the package's `mqtt.broker`). */
  host?: string;
  /** Gateway port (default: the package's `mqtt.port`, its TLS port; with `tcp`, its `mqtt.tcpPort`). */
  port?: number;
  /**
   * Plain MQTT over TCP instead of TLS, on the package's `mqtt.tcpPort`: the
   * password or token and every message cross the network unencrypted, to a
   * gateway nobody verified. Only for trusted networks and tests; not for MTLS.
   */
  tcp?: boolean;
  /** Accept a gateway certificate issued by the package's CA for another host name (the chain is still checked). */
  insecureHostCheck?: boolean;
  /** Private key (PEM) when the package has none: the certificate was issued from the device's CSR. */
  clientKey?: string;
  /** 4 = MQTT 3.1.1 (default), 5 = MQTT 5. */
  protocolVersion?: 4 | 5;
  keepaliveSeconds?: number;
  connectTimeoutMs?: number;
  /** First pause before reconnecting (default 500 ms), doubled after each failure up to `reconnectMaxMs` (default 30 s). */
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
  /** Messages published and not yet acknowledged at once (default 64). */
  maxInFlight?: number;
  /** Telemetry messages kept while offline (default 10,000); beyond it the oldest is dropped. */
  bufferLimit?: number;
  /** Telemetry messages per second for `run` (default 1). */
  ratePerSecond?: number;
  /** The signals to send (default: the package template's, else W and Wh). */
  signals?: readonly SignalSpec[];
  /** Sub-device nodeId written into every telemetry message. */
  device?: string;
  /** Peak AC output of the simulated PV (default 5000 W). */
  peakW?: number;
  seed?: number;
  /** Publish status ONLINE on every connection (default true) and set an OFFLINE will. */
  announceStatus?: boolean;
  /** The plant's own clock (default: the system's). */
  now?: () => Date;
  onEvent?: (event: SimulatorEvent) => void;
  /** Answers commands before the built-in ones (see commands.ts). */
  onCommand?: CommandHandler;
}

export type SimulatorEvent =
  | { type: 'connecting'; url: string; attempt: number }
  | { type: 'connected'; url: string; waiting: number }
  | { type: 'subscribed'; topic: string }
  | { type: 'subscribe-refused'; topic: string }
  | { type: 'disconnected'; reason: string; retryInMs: number; waiting: number }
  | { type: 'unreachable'; reason: string; retryInMs: number; waiting: number }
  | { type: 'refused'; reason: string; code: number | null; retryInMs: number }
  | { type: 'telemetry-acked'; seq: number; ts: string; attempts: number }
  | { type: 'telemetry-rejected'; seq: number; reason: string }
  | { type: 'telemetry-dropped'; count: number; dropped: number }
  | { type: 'replayed'; count: number }
  | { type: 'command'; cmdId: string; command: string; status: AckStatus; response?: Record<string, unknown>; duplicate: boolean }
  | { type: 'command-rejected'; reason: string }
  | { type: 'secret-changed' };

export interface SimulatorStats {
  plantId: string;
  connected: boolean;
  connects: number;
  /** Connections lost after a CONNACK. */
  drops: number;
  /** Connections the gateway refused (CONNACK with an error code). */
  refusals: number;
  telemetry: {
    generated: number;
    /** PUBLISH packets written, replays included. */
    published: number;
    /** Messages the gateway acknowledged (each once). */
    acked: number;
    /** PUBLISH packets written again after a connection dropped before their PUBACK. */
    resent: number;
    /** Acknowledged with an error reason code (MQTT 5 only). */
    rejected: number;
    /** Oldest messages dropped because the buffer was full. */
    dropped: number;
    /** Made while no connection was up (they waited in the buffer). */
    buffered: number;
    /** Waiting to be sent now. */
    waiting: number;
    inFlight: number;
  };
  status: { acked: number };
  commands: {
    received: number;
    /** Bad or missing signature, or not a command: ignored, never acknowledged. */
    rejected: number;
    /** Received again (redelivered): the stored answer is sent again. */
    duplicates: number;
    done: number;
    failed: number;
    declined: number;
  };
  /** Acks (to commands) the gateway acknowledged. */
  acksDelivered: number;
}

export interface RunOptions {
  /** Stop making telemetry after this many messages. */
  count?: number;
  /** Stop making telemetry after this many seconds. */
  durationSeconds?: number;
  /** How long to wait for the backlog's PUBACKs afterwards (default: unlimited with only `count`, else 10 s). */
  drainMs?: number;
  signal?: AbortSignal;
}

export interface DeviceSimulator {
  readonly plantId: string;
  /** `mqtt://host:port` or `mqtts://host:port`. */
  readonly url: string;
  readonly connected: boolean;
  /**
   * Connects, resolving at the first CONNACK. Rejects when the gateway refuses
   * the credentials or its certificate does not verify on that first attempt
   * (a broken package); an unreachable gateway is tried again until `signal`.
   */
  start(signal?: AbortSignal): Promise<void>;
  /** Queues one telemetry message (values: the generator's by default); its sequence number. */
  publishTelemetry(values?: Record<string, number>, opts?: { ts?: Date; device?: string }): number;
  /** Queues a status message. */
  reportStatus(status: string, faults?: readonly { code: string; message?: string; active: boolean }[]): void;
  /** Signs from now on with `secret`; commands signed with the old one are still accepted for `previousValidMs` (default 60 min). */
  setHmacSecret(secret: string, previousValidMs?: number): void;
  /** A new MQTT password or token, used from the next connection on. */
  setPassword(password: string): void;
  /** Makes telemetry at the rate until `count` or `durationSeconds` or `signal`, then waits for the backlog. */
  run(opts?: RunOptions): Promise<SimulatorStats>;
  /** Resolves true once nothing is waiting or in flight, false after `timeoutMs`. */
  flush(timeoutMs?: number, signal?: AbortSignal): Promise<boolean>;
  /** Cuts the connection as a network failure would (no DISCONNECT, so the will is published); it reconnects. */
  dropConnection(): void;
  stats(): SimulatorStats;
  /** Publishes status OFFLINE, disconnects cleanly and stops reconnecting. */
  close(): Promise<SimulatorStats>;
}

export class DeviceConnectError extends Error {
  constructor(
    readonly kind: 'refused' | 'tls' | 'aborted',
    message: string,
    readonly code: number | string | null = null,
  ) {
    super(message);
    this.name = 'DeviceConnectError';
  }
}

/** Options and package that cannot make a connection (a missing port or key). */
export class DeviceSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeviceSetupError';
  }
}

/** TLS failures that another attempt will not cure: the package or the gateway's certificate is wrong. */
