// Commands to plants. The database is the queue: a command is recorded
// 'queued' (core's sendCommand), and the gateway holding the plant's
// connection publishes it, QoS 1, on plants/{id}/commands, signed with the
// plant's current HMAC secret, once the plant subscribed to that topic. The
// plant's PUBACK marks it 'sent'; its answers arrive on the ack topic.
//
// What triggers a delivery: the plant subscribing (or resuming a session
// that has the subscription), a new command (an event of this process, or a
// notice from another server through the shared emitter), and the
// supervisor's check every second. A command not acknowledged before the
// connection drops stays queued and goes out on the next connection (so a
// device may see a command twice: the cmdId tells it).
import { plants } from '@helio/core';
import * as mqttPacket from 'mqtt-packet';
import type { GatewayContext } from './context.js';
import { nextPacketId, type PlantSession } from './sessions.js';
import { plantTopic } from './topics.js';

/** Commands written to one plant and not yet acknowledged, at most. */
const MAX_IN_FLIGHT = 20;

export class CommandDispatcher {
  private readonly running = new Map<PlantSession, Promise<void>>();
  private readonly again = new Set<PlantSession>();

  constructor(private readonly cx: GatewayContext) {}

  /** The QoS the plant subscribed to its commands topic with (on this connection or its resumed session), or null. */
  subscription(session: PlantSession): 0 | 1 | null {
    const subs = (session.client as unknown as { subscriptions?: Record<string, { qos?: number }> }).subscriptions;
    const topic = plantTopic(session.plantId, 'commands');
    if (!subs || !Object.hasOwn(subs, topic)) return null;
    return subs[topic]!.qos === 0 ? 0 : 1;
  }

  subscribed(session: PlantSession): boolean {
    return this.subscription(session) !== null;
  }

  /** Publishes the plant's queued commands not yet on their way; one run per session at a time. */
  deliver(session: PlantSession): Promise<void> {
    if (session.closing || !this.subscribed(session)) return Promise.resolve();
    const current = this.running.get(session);
    if (current) {
      this.again.add(session);
      return current;
    }
    const run = this.cx
      .track(this.run(session))
      .catch((err: unknown) =>
        this.cx.log.error({ err, plantId: session.plantId }, 'mqtt: commands not delivered; retried within a second'),
      )
      .finally(() => {
        this.running.delete(session);
        if (this.again.delete(session)) void this.deliver(session);
      });
    this.running.set(session, run);
    return run;
  }

  private async run(session: PlantSession): Promise<void> {
    const queued = await plants.pendingCommands(this.cx.db, session.plantId, this.cx.clock.now());
    for (const command of queued) {
      if (session.closing || session.inflight.size >= MAX_IN_FLIGHT) return;
      if (session.delivering.has(command.cmdId)) continue;
      const secret = this.cx.sessions.secrets(session).current;
      if (secret === null) {
        this.cx.log.warn({ plantId: session.plantId }, 'mqtt: the plant has no HMAC secret; its commands wait');
        return;
      }
      const client = session.client;
      const qos = this.subscription(session);
      if (!client.connected || client.closed || qos === null) return;
      const payload = Buffer.from(plants.signEnvelope(secret, JSON.stringify(command)), 'utf8');
      const topic = plantTopic(session.plantId, 'commands');
      session.delivering.add(command.cmdId);
      if (qos === 0) {
        // Subscribed at QoS 0: delivered at most once, so no PUBACK comes; handed over is all that can be known [MQTT-3.8.4-6].
        mqttPacket.writeToStream({ cmd: 'publish', topic, payload, qos: 0, retain: false, dup: false }, session.conn);
        this.recordSent(session, command.cmdId);
        continue;
      }
      const messageId = nextPacketId(session);
      session.inflight.set(messageId, command.cmdId);
      mqttPacket.writeToStream({ cmd: 'publish', topic, payload, qos: 1, retain: false, dup: false, messageId }, session.conn);
    }
  }

  /** The plant acknowledged packet `messageId` (PUBACK): the command it carried is 'sent'. */
  acknowledged(session: PlantSession, messageId: number): void {
    const cmdId = session.inflight.get(messageId);
    if (cmdId === undefined) return;
    session.inflight.delete(messageId);
    this.recordSent(session, cmdId);
  }

  private recordSent(session: PlantSession, cmdId: string): void {
    const now = this.cx.clock.now();
    void this.cx
      .track(plants.markSent(this.cx.db, cmdId, now))
      .then(
        () => undefined,
        (err: unknown) => this.cx.log.error({ err, plantId: session.plantId, cmdId }, 'mqtt: command delivered but not marked sent'),
      )
      .finally(() => {
        session.delivering.delete(cmdId);
        // Room for the next ones.
        if (!session.closing) void this.deliver(session);
      });
  }
}
