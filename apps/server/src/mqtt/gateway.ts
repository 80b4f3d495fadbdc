// Helio's MQTT gateway: aedes in the server process, listening on MQTT over
// TCP (`mqtt.port`) and over TLS (`mqtt.tlsPort`, client certificates for
// MTLS plants), MQTT 3.1.1 and 5. Policy is the broker's hooks
// (hooks/authenticate.ts, hooks/authorize.ts); each kind of message has its
// handler (handlers/); commands go out from the database (commands.ts); the
// supervisor keeps connected plants in line with the database (supervisor.ts).
import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { plants, systemPrincipal } from '@helio/core';
import type { Aedes, Client, Subscription } from 'aedes';
import { plantEnvironment } from '../plant-environment.js';
import { PortInUseError, type PortSetting } from '../port-in-use.js';
import type { AppServices } from '../services.js';
import { closeBroker, createBroker, keptWillKey } from './broker.js';
import { CommandDispatcher } from './commands.js';
import { MqttConnection } from './connection.js';
import { workTracker, type GatewayContext, type GatewayLog } from './context.js';
import { handleAck } from './handlers/ack.js';
import { drop, openSessionSigned, openSigned } from './handlers/envelope.js';
import { handleStatus } from './handlers/status.js';
import { handleTelemetry } from './handlers/telemetry.js';
import { authenticateHooks, ConnectTurns, FailureTracker } from './hooks/authenticate.js';
import {
  authorizeForwardHook,
  authorizePublishHook,
  authorizeSubscribeHook,
  type UplinkHandler,
  type WillHandler,
} from './hooks/authorize.js';
import { BrokerLiveness } from './liveness.js';
import { Sessions, type PlantSession } from './sessions.js';
import { startSupervisor } from './supervisor.js';
import { gatewayTlsOptions } from './tls.js';
import { NOTICE_TOPICS, plantTopic } from './topics.js';

export interface Gateway {
  /** The ports really listened on (the configured ones, or those the system picked for 0). */
  readonly port: number;
  readonly tlsPort: number;
  readonly broker: Aedes;
  /** Plants connected to this gateway. */
  connectedPlants(): string[];
  /** Stops listening, disconnects every plant, and waits for their last writes. */
  close(): Promise<void>;
}

export interface GatewayOptions {
  log: GatewayLog;
  /** How often connected plants are checked against the database (default 1000 ms). */
  checkIntervalMs?: number;
}

/** Room for a PUBLISH's topic, packet identifier and MQTT 5 properties beside the largest payload. */
const PACKET_OVERHEAD_BYTES = 4096;

export async function startGateway(services: AppServices, options: GatewayOptions): Promise<Gateway> {
  const settings = services.config.mqtt;
  const log = options.log;
  const env = await plantEnvironment(services);
  if (!settings.redisUrl) {
    // Alone, this gateway holds every plant connection there is: none yet.
    const reset = await plants.markAllOffline(services.db);
    if (reset > 0) log.info({ plants: reset }, 'mqtt: plants left ONLINE by an earlier run marked OFFLINE');
  }
  const work = workTracker();
  const brokerId = randomUUID();
  const liveness = new BrokerLiveness(brokerId, settings.heartbeatIntervalMs);
  const willsKept = new Set<string>();
  const sessions = new Sessions(env, brokerId);
  const writer = plants.createTelemetryWriter(services.db, { clock: services.clock });
  const cx: GatewayContext = {
    brokerId,
    keepWill: (id, clientId) => willsKept.add(keptWillKey(id, clientId)),
    db: services.db,
    clock: services.clock,
    ids: services.ids,
    env,
    log,
    sessions,
    writer,
    maxPayloadBytes: settings.maxPayloadBytes,
    track: work.track,
  };
  const commands = new CommandDispatcher(cx);
  const auth = authenticateHooks(cx, new FailureTracker(settings.authFailureDelayMs), new ConnectTurns(settings.connectsPerSource));

  // ---- connection state, per plant, in the order it happened: ONLINE when
  // registered, OFFLINE when gone, status messages and wills between them. A
  // will is handled while aedes unregisters its connection: written out of
  // turn, it could undo the OFFLINE that follows it, or a new connection's ONLINE.
  const stateWrites = new Map<string, Promise<void>>();
  const inTurn = <T>(plantId: string, write: () => Promise<T>): Promise<T> => {
    const result = (stateWrites.get(plantId) ?? Promise.resolve()).then(write);
    const next = result.then(
      () => undefined,
      () => undefined,
    );
    stateWrites.set(plantId, next);
    void work.track(next).finally(() => {
      if (stateWrites.get(plantId) === next) stateWrites.delete(plantId);
    });
    return result;
  };
  /** Connections whose end could not be recorded (the database down), by connection id: tried again every second. */
  const unrecordedEnds = new Map<string, PlantSession>();
  const setOnline = (session: PlantSession, online: boolean) => {
    const now = cx.clock.now();
    inTurn(session.plantId, () => plants.setConnection(cx.db, session.plantId, online, now, session.connection)).then(
      () => unrecordedEnds.delete(session.connection.id),
      (err: unknown) => {
        log.error({ err, plantId: session.plantId }, 'mqtt: connection state not recorded');
        // Its ONLINE is put right by keepOnline while it lasts; its end, by trying again (only that connection's).
        if (!online) unrecordedEnds.set(session.connection.id, session);
      },
    );
  };
  const endsTimer = setInterval(() => {
    // One try at a time for a plant: nothing else of it waiting (a write to a database out of reach may hang for minutes).
    for (const session of unrecordedEnds.values()) if (!stateWrites.has(session.plantId)) setOnline(session, false);
  }, 1000);
  endsTimer.unref();
  /**
   * A plant connected here that its row does not show so (marked OFFLINE by a server that took this one
   * for gone, say) is shown ONLINE again: unless the plant said itself it is OFFLINE, or it is ONLINE through
   * a later connection (it is being taken over).
   */
  const keepOnline = (session: PlantSession, row: plants.PlantRow) => {
    const shown = (r: plants.PlantRow) =>
      session.reportedOffline ||
      (r.status === 'ONLINE' &&
        (r.connection_id === session.connection.id ||
          (r.connected_at !== null && new Date(r.connected_at).getTime() > session.connection.since.getTime())));
    if (shown(row)) return;
    const now = cx.clock.now();
    inTurn(session.plantId, async () => {
      if (sessions.connected(session.plantId) !== session || session.closing) return;
      // As it is now: not for a plant suspended, revoked or deleted meanwhile (the re-check disconnects it).
      const current = await plants.plantRow(cx.db, session.plantId);
      if (!current || current.deleted_at !== null || !plants.CONNECTABLE.has(current.lifecycle_status) || shown(current)) return;
      log.info({ plantId: session.plantId }, 'mqtt: plant connected here shown ONLINE again');
      await plants.setConnection(cx.db, session.plantId, true, now, session.connection);
    }).catch((err: unknown) => log.error({ err, plantId: session.plantId }, 'mqtt: connection state not recorded'));
  };

  const handleUplink: UplinkHandler = (session, kind, payload, now) => {
    switch (kind) {
      case 'telemetry':
        return handleTelemetry(cx, session, payload, now);
      case 'status':
        return inTurn(session.plantId, async () => {
          // As telemetry and acks: a signature by a secret rotated since the session's row was read is checked against the row as it is now.
          const opened = await openSessionSigned(cx, session, 'status', payload, now);
          if (!opened.ok) return opened.code;
          const handled = await handleStatus(cx, session.row, sessions.secrets(session), payload, now, session.connection);
          if (handled.status !== undefined) session.reportedOffline = handled.status === 'OFFLINE';
          return handled.code;
        });
      case 'ack':
        return handleAck(cx, session, payload, now);
    }
  };
  const handleWill: WillHandler = (plantId, session, payload, now, via) => {
    return inTurn(plantId, async () => {
      // The plant as it is now, not as it was at CONNECT: a plant revoked, suspended or deleted
      // since leaves no will, and the signature is checked against its current secrets.
      const row = await plants.plantRow(cx.db, plantId);
      if (!row || row.deleted_at !== null || !plants.CONNECTABLE.has(row.lifecycle_status)) {
        log.info({ plantId, lifecycle: row?.lifecycle_status ?? 'deleted' }, 'mqtt: will of a plant that may not connect ignored');
        return;
      }
      const opened = await openSigned(cx, plantId, plants.plantSecrets(env, row), 'status', payload, now);
      if (!opened.ok) return;
      // The connection is gone (a will never marks a plant online), unless the plant is back here already;
      // back elsewhere, the row names the later connection, and the will's leaves it alone.
      const current = sessions.connected(plantId);
      const back = current !== undefined && current !== session;
      const ctx = { db: cx.db, clock: cx.clock, ids: cx.ids, principal: systemPrincipal };
      const through = session?.connection ?? { via };
      const result = await plants.recordStatus(ctx, row, opened.text, now, { connection: back ? 'unchanged' : 'lost', through });
      if (!result.ok) await drop(cx, plantId, `status: ${result.reason}`, now);
    });
  };

  const broker = await createBroker({
    id: brokerId,
    redisUrl: settings.redisUrl,
    heartbeatIntervalMs: settings.heartbeatIntervalMs,
    onBrokerHeard: (id) => liveness.heard(id),
    // Alone (no Redis), no other server shares this one's plants: any other is one that ran before.
    brokerGone: (id) => (settings.redisUrl ? liveness.gone(id) : id !== brokerId),
    willsKept,
    hooks: {
      preConnect: auth.preConnect,
      authenticate: auth.authenticate,
      authorizePublish: authorizePublishHook(cx, handleUplink, handleWill),
      authorizeSubscribe: authorizeSubscribeHook(cx),
      authorizeForward: authorizeForwardHook,
    },
    onPuback: (client, messageId) => {
      const session = sessions.of(client);
      if (session) commands.acknowledged(session, messageId);
    },
  });
  // aedes reports here what has no connection to report it on: a will of a server gone
  // that could not be published (Redis down, the database down). Unheard, it would end the process.
  (broker as EventEmitter).on('error', (err: Error) => log.error({ err }, 'mqtt: broker error'));

  const mq = (
    broker as unknown as {
      mq: {
        on(topic: string, fn: (packet: { topic: string; payload: unknown }, done: () => void) => void): void;
        emit(packet: object): void;
      };
    }
  ).mq;

  broker.on('client', (client: Client) => {
    const session = sessions.register(client);
    if (!session) return;
    log.info(
      { plantId: session.plantId, source: session.conn.source, tls: session.conn.secure, mqtt: session.conn.protocolVersion ?? 4 },
      'mqtt: plant connected',
    );
    setOnline(session, true);
  });
  broker.on('clientReady', (client: Client) => {
    const session = sessions.of(client);
    if (session) void commands.deliver(session);
  });
  broker.on('subscribe', (subs: Subscription[], client: Client) => {
    const session = sessions.of(client);
    if (session && subs.some((s) => s.topic === plantTopic(session.plantId, 'commands') && s.qos <= 1)) void commands.deliver(session);
  });
  broker.on('clientDisconnect', (client: Client) => {
    const session = sessions.unregister(client);
    if (!session) return;
    log.info({ plantId: session.plantId }, 'mqtt: plant disconnected');
    setOnline(session, false);
  });
  broker.on('clientError', (client: Client, err: Error) => log.debug({ clientId: client.id, err: err.message }, 'mqtt: client error'));
  broker.on('connectionError', (_client: Client, err: Error) => log.debug({ err: err.message }, 'mqtt: connection error'));

  const disconnect = (session: PlantSession, reason: string, code: number) => {
    if (session.closing) return;
    log.info({ plantId: session.plantId, reason }, 'mqtt: plant disconnected by the gateway');
    session.closing = true;
    session.conn.sendDisconnect(code);
    session.client.close();
  };
  const supervisor = startSupervisor(cx, commands, disconnect, keepOnline, { intervalMs: options.checkIntervalMs ?? 1000 });

  // ---- with Redis: the plants of a server gone (liveness.ts), which have not connected again anywhere, go
  // OFFLINE, with or without a will.
  let sweeping = false;
  const sweepGone = async () => {
    if (sweeping || !liveness.judging()) return;
    sweeping = true;
    try {
      const gone = await work.track(plants.markOfflineUnlessVia(cx.db, liveness.live()));
      if (gone.length > 0) log.info({ plants: gone.length }, 'mqtt: plants of a server gone marked OFFLINE');
    } catch (err) {
      log.error({ err }, 'mqtt: plants of servers gone not checked');
    } finally {
      sweeping = false;
    }
  };
  const sweepTimer = settings.redisUrl ? setInterval(() => void sweepGone(), settings.heartbeatIntervalMs) : undefined;
  sweepTimer?.unref();

  // ---- changes announced by core (this process) go to every server through the emitter.
  const onCommand = (plantId: string) => mq.emit({ topic: NOTICE_TOPICS.command, payload: Buffer.from(plantId) });
  const onChanged = (plantId: string) => mq.emit({ topic: NOTICE_TOPICS.changed, payload: Buffer.from(plantId) });
  plants.plantEvents.on('command', onCommand);
  plants.plantEvents.on('changed', onChanged);
  mq.on(NOTICE_TOPICS.command, (packet, done) => {
    const session = sessions.connected(String(packet.payload));
    if (session) void commands.deliver(session);
    done();
  });
  mq.on(NOTICE_TOPICS.changed, (packet, done) => {
    const plantId = String(packet.payload);
    if (sessions.connected(plantId)) void supervisor.check([plantId]);
    done();
  });

  // ---- listeners
  const limits = { maxPacketBytes: settings.maxPayloadBytes + PACKET_OVERHEAD_BYTES };
  const accept = (socket: Socket) => {
    socket.setNoDelay(true);
    broker.handle(new MqttConnection(socket, limits));
  };
  const tcp = createTcpServer(accept);
  const tlsServer = createTlsServer(
    await gatewayTlsOptions(env.ca, { publicHost: settings.publicHost, listenHost: settings.host, now: cx.clock.now() }),
    accept,
  );
  tlsServer.on('tlsClientError', (err) => log.debug({ err: err.message }, 'mqtt: TLS handshake failed'));
  // After listening, a failure to accept (out of file descriptors) is logged; the listener goes on.
  const acceptFailed = (err: Error) => log.error({ err }, 'mqtt: a connection could not be accepted');

  const stop = async () => {
    clearInterval(sweepTimer);
    clearInterval(endsTimer);
    plants.plantEvents.off('command', onCommand);
    plants.plantEvents.off('changed', onChanged);
    await supervisor.stop();
    const closed = [serverClosed(tcp), serverClosed(tlsServer)];
    await closeBroker(broker);
    await work.settled();
    await writer.close();
    await Promise.all(closed);
  };

  let port: number;
  let tlsPort: number;
  try {
    port = await listen(tcp, settings.host, settings.port, 'mqtt.port');
    tlsPort = await listen(tlsServer, settings.host, settings.tlsPort, 'mqtt.tlsPort');
  } catch (err) {
    await stop();
    throw err;
  }
  tcp.on('error', acceptFailed);
  tlsServer.on('error', acceptFailed);
  // Provisioning packages name the ports really in use.
  env.broker.port = port;
  env.broker.tlsPort = tlsPort;

  let closing: Promise<void> | undefined;
  return {
    port,
    tlsPort,
    broker,
    connectedPlants: () => sessions.all().map((s) => s.plantId),
    close: () => (closing ??= stop()),
  };
}

function listen(server: Server, host: string, port: number, setting: PortSetting): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? new PortInUseError(host, port, setting) : err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/** Stops accepting; resolves once the last connection closed (immediately when it never listened). */
function serverClosed(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}
