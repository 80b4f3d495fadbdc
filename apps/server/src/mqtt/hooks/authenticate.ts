// Who may connect: aedes' preConnect and authenticate hooks. The plant's own
// method decides (core's authenticatePlant: certificate, token or password;
// client id = plant id = user name; only PROVISIONED and ACTIVE plants). A
// will message may only be the plant's own status, QoS 0 or 1, not retained.
//
// Repeated failures from one address are slowed down: from the third failure
// within ten minutes, the refusal (CONNACK) waits, twice as long after each
// further failure, at most ten seconds. A success does not reset the count
// (one good plant must not cover guessing at others). And one address has
// only so many CONNECTs checked at once (`mqtt.connectsPerSource`, 16), a
// refusal's wait included: the others wait their turn (devices behind one NAT
// coming back together connect a batch at a time), at most 5,000 of them;
// beyond, or after waiting ten seconds, refused as "server unavailable". So
// parallel connections multiply neither an address's guesses nor the
// database work they cost. IPv6 addresses count by their /64 network.
import { plants } from '@helio/core';
import type { AuthenticateError, Client, ConnectPacket } from 'aedes';
import { MqttConnection } from '../connection.js';
import type { GatewayContext } from '../context.js';
import type { Credential } from '../sessions.js';
import { plantTopic } from '../topics.js';

/** MQTT 3.1.1 CONNACK return codes (§3.2.2.3). */
export const CONNACK = { identifierRejected: 2, serverUnavailable: 3, badUserNameOrPassword: 4, notAuthorized: 5 } as const;

const WINDOW_MS = 10 * 60_000;
const FREE_FAILURES = 2;
const MAX_DELAY_MS = 10_000;

/** Failed CONNECTs per source address in a sliding window. */
export class FailureTracker {
  /** By source, oldest last failure first (each failure moves its source to the end). */
  private readonly failures = new Map<string, { count: number; last: number }>();

  /** `maxSources`: sources remembered at most; beyond it the one quiet longest is forgotten, so memory stays bounded however many addresses fail. */
  constructor(
    private readonly baseDelayMs: number,
    private readonly maxSources = 10_000,
  ) {}

  /** Counts a failure; the delay the refusal waits, in ms. */
  fail(source: string, nowMs: number): number {
    const seen = this.failures.get(source);
    const count = seen && nowMs - seen.last < WINDOW_MS ? seen.count + 1 : 1;
    this.failures.delete(source);
    this.failures.set(source, { count, last: nowMs });
    // From the oldest: those quiet for the whole window, and beyond the cap the oldest. Stops at the first kept.
    for (const [old, { last }] of this.failures) {
      if (this.failures.size <= this.maxSources && nowMs - last < WINDOW_MS) break;
      this.failures.delete(old);
    }
    return this.delayFor(count);
  }

  /** Sources remembered now. */
  get size(): number {
    return this.failures.size;
  }

  delayFor(failures: number): number {
    if (this.baseDelayMs === 0 || failures <= FREE_FAILURES) return 0;
    return Math.min(this.baseDelayMs * 2 ** (failures - FREE_FAILURES - 1), MAX_DELAY_MS);
  }
}

/** CONNECTs of one source waiting their turn at most. */
export const CONNECTS_WAITING_PER_SOURCE = 5000;
/** How long a CONNECT waits for its turn at most (as long as aedes waits for a CONNECT after the socket opens). */
export const CONNECT_WAIT_MS = 10_000;

/**
 * What per-address limits count a connection's source address under: an
 * IPv4 address (IPv4-mapped IPv6 included) as it is, an IPv6 address by its
 * /64 network, the smallest block one host is usually given (so that a host
 * cannot step around the limits through the addresses of its network).
 */
export function sourceKey(address: string): string {
  const ip = address.toLowerCase();
  if (!ip.includes(':')) return ip;
  if (ip.startsWith('::ffff:') && ip.includes('.')) return ip.slice(7);
  const [head = '', tail] = ip.split('::') as [string, string | undefined];
  const front = head === '' ? [] : head.split(':');
  const back = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? front : [...front, ...Array<string>(Math.max(0, 8 - front.length - back.length)).fill('0'), ...back];
  const network = groups.slice(0, 4).map((g) => (parseInt(g, 16) || 0).toString(16));
  return `${network.join(':')}::/64`;
}

/** Turns for checking CONNECTs, per source: `atOnce` at a time, at most `maxWaiting` more in line. */
export class ConnectTurns {
  private readonly sources = new Map<string, { running: number; waiting: (() => void)[] }>();

  constructor(
    private readonly atOnce: number,
    private readonly maxWaiting = CONNECTS_WAITING_PER_SOURCE,
  ) {}

  /**
   * Resolves once the source's turn comes, to the function that ends it; to
   * null at once when too many wait already, or after `maxWaitMs` in line.
   */
  take(source: string, maxWaitMs = Infinity): Promise<(() => void) | null> {
    let s = this.sources.get(source);
    if (!s) this.sources.set(source, (s = { running: 0, waiting: [] }));
    const state = s;
    const end = () => {
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        const next = state.waiting.shift();
        if (next) next();
        else if (--state.running === 0) this.sources.delete(source);
      };
    };
    if (state.running < this.atOnce) {
      state.running++;
      return Promise.resolve(end());
    }
    if (state.waiting.length >= this.maxWaiting) return Promise.resolve(null);
    return new Promise((resolve) => {
      const grant = () => {
        clearTimeout(timer);
        resolve(end());
      };
      const timer = Number.isFinite(maxWaitMs)
        ? setTimeout(() => {
            state.waiting.splice(state.waiting.indexOf(grant), 1);
            resolve(null);
          }, maxWaitMs)
        : undefined;
      state.waiting.push(grant);
    });
  }

  /** Sources with a CONNECT being checked or waiting. */
  get size(): number {
    return this.sources.size;
  }
}

/** The CONNACK code for a refusal: nothing about the plant's state leaks before its credential was accepted. */
export function refusalCode(reason: string): number {
  if (reason === 'client-id-not-a-plant-id') return CONNACK.identifierRejected;
  if (reason.startsWith('plant-') || reason === 'will-not-allowed') return CONNACK.notAuthorized;
  return CONNACK.badUserNameOrPassword;
}

/** A will other than the plant's own status topic (QoS ≤ 1, not retained) is refused at CONNECT. */
export function willAllowed(plantId: string, will: ConnectPacket['will'] | undefined | null): boolean {
  if (!will) return true;
  return will.topic === plantTopic(plantId, 'status') && (will.qos ?? 0) <= 1 && !will.retain;
}

/** `iat` and `exp` of a JWT already verified (by authenticatePlant), for the re-check. */
export function tokenTimes(token: Buffer | null | undefined): { issuedAt: Date | null; expiresAt: Date | null } {
  try {
    const claims = JSON.parse(Buffer.from(token!.toString('utf8').split('.')[1]!, 'base64url').toString('utf8')) as {
      iat?: unknown;
      exp?: unknown;
    };
    return {
      issuedAt: typeof claims.iat === 'number' ? new Date(claims.iat * 1000) : null,
      expiresAt: typeof claims.exp === 'number' ? new Date(claims.exp * 1000) : null,
    };
  } catch {
    return { issuedAt: null, expiresAt: null };
  }
}

export function credentialOf(row: plants.PlantRow, password: Buffer | null | undefined): Credential {
  const token = row.auth_method === 'TOKEN' ? tokenTimes(password) : { issuedAt: null, expiresAt: null };
  return {
    method: row.auth_method,
    fingerprint: row.auth_method === 'MTLS' ? row.certificate_fingerprint : null,
    passwordHash: row.auth_method === 'PASSWORD' ? row.password_hash : null,
    tokenIssuedAt: token.issuedAt,
    tokenExpiresAt: token.expiresAt,
  };
}

function refusal(returnCode: number, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export interface AuthenticateHooks {
  preConnect(client: Client, packet: ConnectPacket, callback: (error: Error | null, success: boolean) => void): void;
  authenticate(
    client: Client,
    username: Readonly<string | undefined>,
    password: Readonly<Buffer | undefined>,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ): void;
}

export function authenticateHooks(cx: GatewayContext, failures: FailureTracker, turns: ConnectTurns): AuthenticateHooks {
  const connects = new WeakMap<Client, ConnectPacket>();

  async function check(client: Client, username: string | undefined, password: Buffer | undefined): Promise<void> {
    const conn = client.conn;
    if (!(conn instanceof MqttConnection)) throw refusal(CONNACK.serverUnavailable, 'connection not set up by the gateway');
    const end = await turns.take(sourceKey(conn.source), CONNECT_WAIT_MS);
    if (!end) {
      cx.log.info({ clientId: client.id, source: conn.source }, 'mqtt: connection refused: too many CONNECTs from its address');
      throw refusal(CONNACK.serverUnavailable, 'too many connections from this address');
    }
    try {
      // Gone while it waited: nothing to check.
      if (client.closed) throw refusal(CONNACK.serverUnavailable, 'connection closed');
      await checkInTurn(client, conn, username, password);
    } finally {
      end();
    }
  }

  async function checkInTurn(
    client: Client,
    conn: MqttConnection,
    username: string | undefined,
    password: Buffer | undefined,
  ): Promise<void> {
    const now = cx.clock.now();
    let result: plants.AuthenticateResult;
    try {
      result = await plants.authenticatePlant(cx.db, cx.env, {
        clientId: client.id,
        username: username ?? null,
        password: password ?? null,
        peerCertificate: conn.peerCertificate(),
        source: conn.source,
        now,
      });
    } catch (err) {
      cx.log.error({ err, clientId: client.id }, 'mqtt: authentication failed on an error; the client is told the server is unavailable');
      throw refusal(CONNACK.serverUnavailable, 'server unavailable');
    }
    if (result.ok && !willAllowed(result.plant.id, connects.get(client)?.will)) {
      result = { ok: false, reason: 'will-not-allowed', plantId: result.plant.id };
    }
    if (!result.ok) {
      const delay = failures.fail(sourceKey(conn.source), Date.now());
      cx.log.info(
        { clientId: client.id, plantId: result.plantId, reason: result.reason, source: conn.source, delayMs: delay, tls: conn.secure },
        'mqtt: connection refused',
      );
      if (delay > 0) await sleep(delay);
      throw refusal(refusalCode(result.reason), result.reason);
    }
    cx.sessions.open(client, conn, result.plant, credentialOf(result.plant, password), now);
  }

  return {
    preConnect(client, packet, callback) {
      connects.set(client, packet);
      callback(null, true);
    },
    authenticate(client, username, password, done) {
      check(client, username, password).then(
        () => done(null, true),
        (err: AuthenticateError) => done(err, false),
      );
    },
  };
}
