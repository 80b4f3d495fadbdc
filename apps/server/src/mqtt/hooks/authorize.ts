// What a connected plant may do: aedes' authorizePublish, authorizeSubscribe
// and authorizeForward hooks.
//
// A plant publishes only to its own telemetry, status and ack topics, at QoS
// 0 or 1, never retained, and no larger than the gateway's limit; anything
// else closes the connection (MQTT 3.1.1 has no way to refuse one PUBLISH;
// MQTT 5 clients are told why in a DISCONNECT first). It subscribes only to
// its own commands topic: every other filter, wildcards included, gets the
// SUBACK failure code. A topic that is not well-formed UTF-8 closes the
// connection [MQTT-1.5.3-1] (an UNSUBSCRIBE's, for which aedes has no hook,
// in connection.ts).
//
// Accepted messages are handled before aedes sends the PUBACK (aedes runs
// authorizePublish, then writes the PUBACK): a telemetry PUBACK leaves only
// once its readings are committed. Messages of one client are handled
// concurrently (so they can share a commit) but acknowledged in the order
// they arrived [MQTT-4.6.0-2].
import type { AuthorizeForwardHandler, AuthorizePublishHandler, AuthorizeSubscribeHandler, PublishPacket } from 'aedes';
import { REASON } from '../connection.js';
import type { GatewayContext } from '../context.js';
import type { PlantSession } from '../sessions.js';
import { isMalformedTopic, isUplink, parsePlantTopic, plantTopic, type UplinkKind } from '../topics.js';

export interface PublishRefusal {
  reason: string;
  /** The MQTT 5 reason code of the DISCONNECT that follows. */
  code: number;
}

/** Why a plant may not publish this packet, or null when it may. */
export function publishRefusal(
  plantId: string,
  packet: Pick<PublishPacket, 'topic' | 'qos' | 'retain' | 'payload'>,
  maxPayloadBytes: number,
): PublishRefusal | null {
  if (isMalformedTopic(packet.topic)) return { reason: 'topic is not well-formed UTF-8', code: REASON.malformedPacket };
  const topic = parsePlantTopic(packet.topic);
  if (!topic || topic.plantId !== plantId || !isUplink(topic.kind)) {
    return { reason: `not the plant's own telemetry, status or ack topic: ${packet.topic}`, code: REASON.notAuthorized };
  }
  if (packet.qos > 1) return { reason: 'QoS 2 is not offered', code: REASON.qosNotSupported };
  if (packet.retain) return { reason: 'retained messages are not offered', code: REASON.retainNotSupported };
  if (packet.payload.length > maxPayloadBytes) return { reason: `payload over ${maxPayloadBytes} bytes`, code: REASON.packetTooLarge };
  return null;
}

/** Handles one accepted uplink message; resolves to the PUBACK's MQTT 5 reason code (0: stored), rejects when it could not be handled now. */
export type UplinkHandler = (session: PlantSession, kind: UplinkKind, payload: Buffer, now: Date) => Promise<number>;

/**
 * A will published after its client left (or, with Redis, after another
 * server died): handled from its topic, against the plant's row as it is now.
 * `session` is the connection that left it, when it was this gateway's;
 * `via` the broker that held that connection.
 */
export type WillHandler = (plantId: string, session: PlantSession | undefined, payload: Buffer, now: Date, via: string) => Promise<void>;

/**
 * The broker whose client left this will, when the packet is a will that
 * aedes' persistence kept (with Redis: a dead server's, handed to this one).
 * Packets from the wire carry no broker id.
 */
function willOf(packet: object): string | undefined {
  const brokerId = (packet as { brokerId?: unknown }).brokerId;
  return typeof brokerId === 'string' ? brokerId : undefined;
}

export function authorizePublishHook(cx: GatewayContext, handle: UplinkHandler, handleWill: WillHandler): AuthorizePublishHandler {
  return (client, packet, callback) => {
    const session = cx.sessions.of(client);
    const from = willOf(packet);
    // A will of a server gone comes with the client of the same id connected here now, if there is one:
    // it is that server's connection's will, not a message of this one.
    const fromElsewhere = from !== undefined && from !== cx.brokerId;
    if (fromElsewhere) {
      // aedes hands a dead server's wills over in batches, and a batch's second refusal would be an unhandled
      // rejection: each is taken (and published to no one: authorizeForwardHook); one that could not be
      // handled now is kept for aedes' next round. Its topic was checked at CONNECT (willAllowed).
      const topic = parsePlantTopic(packet.topic);
      const clientId = (packet as { clientId?: unknown }).clientId;
      if (!topic || topic.kind !== 'status' || clientId !== topic.plantId) {
        cx.log.info({ brokerId: from, clientId, topic: packet.topic }, 'mqtt: will of a server gone ignored: not a plant’s own status');
        callback(null);
        return;
      }
      cx.track(handleWill(topic.plantId, undefined, toBuffer(packet.payload), cx.clock.now(), from)).then(
        () => callback(null),
        (err: unknown) => {
          cx.log.error({ err, plantId: topic.plantId }, 'mqtt: will of a server gone not handled; kept for the next round');
          cx.keepWill(from, topic.plantId);
          callback(null);
        },
      );
      return;
    }
    if (!client || client.closed) {
      // aedes publishes a will after the connection closed; its topic was checked at CONNECT (willAllowed).
      const topic = parsePlantTopic(packet.topic);
      if (!topic || topic.kind !== 'status' || (session && session.plantId !== topic.plantId)) {
        callback(new Error('will refused'));
        return;
      }
      cx.track(handleWill(topic.plantId, session, toBuffer(packet.payload), cx.clock.now(), cx.brokerId)).then(
        () => callback(null),
        (err: unknown) => {
          cx.log.error({ err, plantId: topic.plantId }, 'mqtt: will message not handled');
          callback(err as Error);
        },
      );
      return;
    }
    if (!session) {
      callback(new Error('not authenticated'));
      return;
    }
    const refused = publishRefusal(session.plantId, packet, cx.maxPayloadBytes);
    if (refused) {
      cx.log.info({ plantId: session.plantId, topic: packet.topic, reason: refused.reason }, 'mqtt: publish refused, connection closed');
      session.conn.sendDisconnect(refused.code);
      callback(new Error(refused.reason));
      return;
    }
    const kind = parsePlantTopic(packet.topic)!.kind as UplinkKind;
    const work = cx.track(handle(session, kind, toBuffer(packet.payload), cx.clock.now()));
    const outcome = session.tail.then(() => work);
    session.tail = outcome.then(
      () => undefined,
      () => undefined,
    );
    outcome.then(
      (code) => {
        session.conn.setPubackReason(packet.messageId, code);
        callback(null);
      },
      (err: unknown) => {
        // Not handled (the database is unreachable): no PUBACK, the connection closes, the plant sends it again.
        cx.log.error({ err, plantId: session.plantId, kind }, 'mqtt: message not handled; the connection closes so the plant retries');
        session.conn.sendDisconnect(REASON.unspecified);
        callback(err as Error);
      },
    );
  };
}

export function authorizeSubscribeHook(cx: GatewayContext): AuthorizeSubscribeHandler {
  return (client, sub, callback) => {
    const session = cx.sessions.of(client);
    if (isMalformedTopic(sub.topic)) {
      session?.conn.sendDisconnect(REASON.malformedPacket);
      callback(new Error('topic filter is not well-formed UTF-8'));
      return;
    }
    if (session && sub.topic === plantTopic(session.plantId, 'commands')) {
      // Commands go out at QoS 1; a request for 2 is granted 1 [MQTT-3.9.3].
      callback(null, { ...sub, qos: sub.qos > 1 ? 1 : sub.qos });
      return;
    }
    cx.log.info({ plantId: session?.plantId, topic: sub.topic }, 'mqtt: subscription refused');
    callback(null, null);
  };
}

/**
 * Nothing published through the broker reaches a plant: commands are written
 * to the plant's connection by the gateway (mqtt/commands.ts), from the
 * database, so no other client's message can pose as one.
 */
export const authorizeForwardHook: AuthorizeForwardHandler = () => null;

function toBuffer(payload: string | Buffer): Buffer {
  return typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
}
