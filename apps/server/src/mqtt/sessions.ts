// The plants connected to this gateway: one session per accepted connection,
// holding what the plant was let in with (to notice when that is no longer
// true), its row as last read (secrets, template, component), the order its
// QoS 1 messages are acknowledged in, and the commands in flight to it.
import { randomUUID } from 'node:crypto';
import { plants } from '@helio/core';
import type { Client } from 'aedes';
import type { MqttConnection } from './connection.js';

type PlantRow = plants.PlantRow;

/** What a plant proved at CONNECT; the re-check compares the plant's row with it. */
export interface Credential {
  method: plants.AuthMethod;
  /** MTLS: the certificate's fingerprint. */
  fingerprint: string | null;
  /** PASSWORD: the stored digest the password matched. */
  passwordHash: string | null;
  /** TOKEN: the token's `iat` and `exp`. */
  tokenIssuedAt: Date | null;
  tokenExpiresAt: Date | null;
}

export interface PlantSession {
  readonly plantId: string;
  readonly client: Client;
  readonly conn: MqttConnection;
  readonly connectedAt: Date;
  /** This connection as the plant's row records it (which gateway, which connection, since when). */
  readonly connection: plants.PlantConnection;
  readonly credential: Credential;
  /** The plant's row as last read (at CONNECT, then by every re-check). */
  row: PlantRow;
  /** Settles after the previous QoS 1 message's outcome, so PUBACKs leave in the order PUBLISHes came [MQTT-4.6.0-2]. */
  tail: Promise<void>;
  /** Commands written to the plant and not yet acknowledged, by packet identifier. */
  inflight: Map<number, string>;
  /** Command ids written on this connection whose delivery is not yet recorded (in flight or being marked sent). */
  delivering: Set<string>;
  nextMessageId: number;
  /** Set once the gateway decided to close it (no more commands go out). */
  closing: boolean;
  /** The plant's last status message said OFFLINE: the re-check leaves it shown OFFLINE. */
  reportedOffline: boolean;
}

interface CachedSecrets {
  key: string;
  secrets: plants.PlantSecrets;
}

export class Sessions {
  private readonly byClient = new WeakMap<Client, PlantSession>();
  private readonly here = new Map<string, PlantSession>();
  private readonly secretCache = new WeakMap<PlantSession, CachedSecrets>();

  constructor(
    private readonly env: plants.PlantEnvironment,
    /** This gateway's MQTT broker id. */
    private readonly brokerId: string,
  ) {}

  /** A session for a connection just authenticated (not yet registered: aedes may still refuse it). */
  open(client: Client, conn: MqttConnection, row: PlantRow, credential: Credential, now: Date): PlantSession {
    const session: PlantSession = {
      plantId: row.id,
      client,
      conn,
      connectedAt: now,
      connection: { via: this.brokerId, id: randomUUID(), since: now },
      credential,
      row,
      tail: Promise.resolve(),
      inflight: new Map(),
      delivering: new Set(),
      nextMessageId: 1,
      closing: false,
      reportedOffline: false,
    };
    this.byClient.set(client, session);
    return session;
  }

  of(client: Client | null | undefined): PlantSession | undefined {
    return client ? this.byClient.get(client) : undefined;
  }

  /** The client is registered with the broker: the plant is connected here. */
  register(client: Client): PlantSession | undefined {
    const session = this.byClient.get(client);
    if (session) this.here.set(session.plantId, session);
    return session;
  }

  /** The client left; the session if it was the plant's current one here. */
  unregister(client: Client): PlantSession | undefined {
    const session = this.byClient.get(client);
    if (!session) return undefined;
    session.closing = true;
    session.inflight.clear();
    session.delivering.clear();
    if (this.here.get(session.plantId) !== session) return undefined;
    this.here.delete(session.plantId);
    return session;
  }

  connected(plantId: string): PlantSession | undefined {
    return this.here.get(plantId);
  }

  all(): PlantSession[] {
    return [...this.here.values()];
  }

  get size(): number {
    return this.here.size;
  }

  /** The plant's HMAC secrets, opened once per sealed value (a rotation changes the row, so the key). */
  secrets(session: PlantSession): plants.PlantSecrets {
    const r = session.row;
    const until = r.previous_hmac_until === null ? '' : new Date(r.previous_hmac_until).toISOString();
    const key = `${r.hmac_secret_enc ?? ''}|${r.previous_hmac_secret_enc ?? ''}|${until}`;
    const cached = this.secretCache.get(session);
    if (cached?.key === key) return cached.secrets;
    const secrets = plants.plantSecrets(this.env, r);
    this.secretCache.set(session, { key, secrets });
    return secrets;
  }
}

/** The next packet identifier for a command: 1..65535, skipping those still in flight [MQTT-2.3.1-4]. */
export function nextPacketId(session: PlantSession): number {
  for (let tries = 0; tries < 65_535; tries++) {
    const id = session.nextMessageId;
    session.nextMessageId = id >= 65_535 ? 1 : id + 1;
    if (!session.inflight.has(id)) return id;
  }
  throw new Error('no packet identifier free');
}
