// The aedes broker with Helio's hooks, alone in one process (in-memory
// emitter and persistence) or shared with other server instances through
// Redis (`mqtt.redisUrl`): aedes' Redis emitter carries fan-out between
// instances (a plant's subscription, a takeover, the gateway's notices) and
// its Redis persistence keeps sessions (subscriptions of plants connecting
// with a persistent session, wills), so they survive a restart.
import { connect as connectTcp, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { connect as connectTls } from 'node:tls';
import { Aedes, type AedesOptions, type Client, type PublishPacket } from 'aedes';
import redisPersistence from 'aedes-persistence-redis';
import mqemitterRedis from 'mqemitter-redis';
import { parsePlantTopic } from './topics.js';

/** What the gateway changes in a broker's parts, after aedes built them. */
interface BrokerParts {
  mq: { emit(packet: { topic: string }, cb?: (err?: Error) => void): void };
  persistence: {
    outgoingClearMessageId(client: Client, packet: { messageId?: number }, cb?: unknown): Promise<unknown>;
    streamWill(brokers: object): AsyncIterable<{ brokerId?: string }>;
    delWill(client: { id: string; brokerId: string }): Promise<unknown>;
    destroy?(): Promise<void> | void;
  };
}

/** ioredis options from a redis:// or rediss:// URL (the database is the path: redis://host:6379/3). */
export function redisOptions(url: string): { host: string; port: number; db: number; username?: string; password?: string; tls?: object } {
  const u = new URL(url);
  const db = Number(u.pathname.replace(/^\//, '') || '0');
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: Number(u.port || 6379),
    db: Number.isInteger(db) ? db : 0,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

export class RedisUnreachableError extends Error {
  constructor(url: string, why: string) {
    const u = new URL(url);
    if (u.password) u.password = '***';
    super(`cannot reach Redis at ${u.toString()} (mqtt.redisUrl, HELIO_MQTT_REDIS_URL): ${why}`);
    this.name = 'RedisUnreachableError';
  }
}

/**
 * Whether Redis answers at `url` (a PING; any reply, an authentication
 * demand included, means it is there). The Redis clients would otherwise
 * retry forever and the server would hang at start instead of saying why.
 */
export function probeRedis(url: string, timeoutMs = 5000): Promise<void> {
  const o = redisOptions(url);
  return new Promise((resolve, reject) => {
    const ready = () => socket.write('PING\r\n');
    const socket: Socket = o.tls
      ? connectTls({ host: o.host, port: o.port, servername: o.host }, ready)
      : connectTcp({ host: o.host, port: o.port }, ready);
    const fail = (why: string) => {
      socket.destroy();
      reject(new RedisUnreachableError(url, why));
    };
    socket.setTimeout(timeoutMs, () => fail(`no answer within ${timeoutMs} ms`));
    socket.once('error', (err: NodeJS.ErrnoException) => fail(err.code ?? err.message));
    socket.once('data', (reply: Buffer) => {
      socket.destroy();
      const text = reply.toString('utf8');
      if (text.startsWith('+') || text.startsWith('-')) resolve();
      else reject(new RedisUnreachableError(url, 'the server there does not speak Redis'));
    });
  });
}

export interface BrokerOptions {
  /** This broker's id among those sharing Redis. */
  id: string;
  hooks: Pick<AedesOptions, 'preConnect' | 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'>;
  redisUrl?: string | undefined;
  /** The plant acknowledged (PUBACK) a packet the gateway wrote to it. */
  onPuback(client: Client, messageId: number): void;
  /**
   * How often each broker sharing Redis says it is alive (aedes' heartbeat, default 60 s): a broker
   * not heard of for three of them is taken for dead, and its clients' wills are published.
   */
  heartbeatIntervalMs?: number;
  /** Broker `brokerId` (this one included) was heard of: born, alive, or registering a client. */
  onBrokerHeard(brokerId: string): void;
  /**
   * Whether the wills left through broker `brokerId` (not this one) may be published: its server is gone.
   * aedes takes every server it has not heard a heartbeat of yet for gone: one just started, or all of them
   * after a Redis outage. The others' wills stay where they are.
   */
  brokerGone(brokerId: string): boolean;
  /**
   * Wills of servers gone (`keptWillKey`) that could not be handled now (the database down): aedes
   * would delete them once offered; they stay in the persistence, offered again at its next round.
   */
  willsKept: Set<string>;
}

type Emitter = {
  on(topic: string, fn: (packet: { topic: string; payload: unknown }, done: () => void) => void, cb?: () => void): void;
};

/** Hears of every broker that speaks (this one included): its birth, its heartbeats, the clients it registers. */
function listenForBrokers(mq: Emitter, opts: BrokerOptions): void {
  for (const topic of ['$SYS/+/birth', '$SYS/+/heartbeat', '$SYS/+/new/clients']) {
    mq.on(topic, (packet, done) => {
      opts.onBrokerHeard(packet.topic.split('/')[1]!);
      done();
    });
  }
}

export async function createBroker(opts: BrokerOptions): Promise<Aedes> {
  if (opts.redisUrl) await probeRedis(opts.redisUrl);
  const shared = opts.redisUrl
    ? {
        mq: mqemitterRedis({ connectionString: opts.redisUrl }),
        persistence: redisPersistence(redisOptions(opts.redisUrl)),
      }
    : {};
  if (shared.mq) listenForBrokers(shared.mq as unknown as Emitter, opts);
  const broker = await Aedes.createBroker({
    ...shared,
    ...opts.hooks,
    id: opts.id,
    ...(opts.heartbeatIntervalMs ? { heartbeatInterval: opts.heartbeatIntervalMs } : {}),
    // A CONNECT must arrive soon after the socket opens.
    connectTimeout: 10_000,
    // MQTT 3.1 capped client ids at 23 characters; a plant's id (its UUID) has 36.
    maxClientsIdLength: 64,
  });
  const parts = broker as unknown as BrokerParts;
  const persistence = parts.persistence;
  if (!shared.mq) listenForBrokers(parts.mq as unknown as Emitter, opts);

  // A plant's own messages have no subscriber (no plant may subscribe to
  // them; the gateway handled them in authorizePublish, before the PUBACK):
  // they skip aedes' publishing, which would look for subscribers and fan
  // them out (over Redis, a round trip per message for nothing).
  // (aedes calls it with the publishing client, which its types leave out.)
  type Publish = (packet: PublishPacket, client: Client | null | ((err?: Error) => void), done?: (err?: Error) => void) => void;
  const publish = (broker.publish as unknown as Publish).bind(broker);
  (broker as unknown as { publish: Publish }).publish = (packet, client, done) => {
    const callback = typeof client === 'function' ? client : done;
    const topic = parsePlantTopic(packet.topic);
    if (topic && topic.kind !== 'commands') {
      callback?.();
      return;
    }
    publish(packet, client, done);
  };

  // aedes publishes the wills the persistence streams for servers it takes for gone: only those of servers gone.
  const streamWill = persistence.streamWill.bind(persistence);
  persistence.streamWill = (brokers) => Readable.from(willsOfServersGone(streamWill(brokers), opts.brokerGone));
  const delWill = persistence.delWill.bind(persistence);
  persistence.delWill = async (client) => {
    if (opts.willsKept.delete(keptWillKey(client.brokerId, client.id))) return undefined;
    // aedes does not always wait for it (a batch of wills, a rejection unheard would end the process):
    // a will not deleted (Redis down) is offered again at the next round.
    return delWill(client).catch(() => undefined);
  };

  // aedes clears an acknowledged packet from the persistence with the PUBACK's
  // packet identifier: where the gateway learns that a command it wrote arrived.
  const clear = persistence.outgoingClearMessageId.bind(persistence);
  persistence.outgoingClearMessageId = (client, packet, cb) => {
    if (packet.messageId !== undefined) opts.onPuback(client, packet.messageId);
    return clear(client, packet, cb);
  };
  return broker;
}

/** A will's entry in `BrokerOptions.willsKept`. */
export function keptWillKey(brokerId: string, clientId: string): string {
  return `${brokerId}:${clientId}`;
}

async function* willsOfServersGone<T extends { brokerId?: string }>(wills: AsyncIterable<T>, gone: (brokerId: string) => boolean) {
  for await (const will of wills) if (will.brokerId === undefined || gone(will.brokerId)) yield will;
}

/** Closes the broker (its clients, then the emitter) and its persistence. */
export async function closeBroker(broker: Aedes): Promise<void> {
  await new Promise<void>((resolve) => broker.close(() => resolve()));
  await (broker as unknown as BrokerParts).persistence.destroy?.();
}
