// One client connection as the broker sees it: a stream between the socket
// and aedes that
//  - refuses a packet larger than the gateway allows as soon as its fixed
//    header announces it, before the bytes are buffered;
//  - speaks MQTT 5 to clients that ask for it. aedes implements MQTT 3.1.1, so
//    an MQTT 5 connection is translated packet by packet, both ways: reason
//    codes, CONNACK properties that tell the client what this gateway allows
//    (QoS 1 at most, no retain, no wildcards, no shared subscriptions, the
//    largest packet), PUBACK reason codes for messages that were not stored,
//    and a DISCONNECT with its reason before the gateway closes a connection.
//    3.1.1 and 3.1 connections pass through untouched, but for one check:
//  - closes a connection that unsubscribes from a topic filter that is not
//    well-formed UTF-8 [MQTT-1.5.3-1] (aedes has no hook for UNSUBSCRIBE; the
//    PUBLISH and SUBSCRIBE topics are checked in hooks/authorize.ts).
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import * as mqttPacket from 'mqtt-packet';
import { isMalformedTopic } from './topics.js';

/** MQTT 5 reason codes the gateway uses (MQTT 5.0 §2.4). */
export const REASON = {
  success: 0x00,
  unspecified: 0x80,
  malformedPacket: 0x81,
  protocolError: 0x82,
  implementationSpecific: 0x83,
  unsupportedProtocolVersion: 0x84,
  clientIdNotValid: 0x85,
  badUserNameOrPassword: 0x86,
  notAuthorized: 0x87,
  serverUnavailable: 0x88,
  badAuthenticationMethod: 0x8c,
  topicNameInvalid: 0x90,
  packetTooLarge: 0x95,
  topicAliasInvalid: 0x94,
  payloadFormatInvalid: 0x99,
  retainNotSupported: 0x9a,
  qosNotSupported: 0x9b,
  administrativeAction: 0x98,
} as const;

/** MQTT 3.1.1 CONNACK return codes (§3.2.2.3) as MQTT 5 reason codes. */
const CONNACK_REASON: Record<number, number> = {
  0: REASON.success,
  1: REASON.unsupportedProtocolVersion,
  2: REASON.clientIdNotValid,
  3: REASON.serverUnavailable,
  4: REASON.badUserNameOrPassword,
  5: REASON.notAuthorized,
};

export interface ConnectionLimits {
  /** Largest packet (fixed header excluded) a client may send. */
  maxPacketBytes: number;
}

type Mode = 'undecided' | 'passthrough' | 'mqtt5';

/**
 * The stream handed to aedes for one socket, and what the gateway knows of
 * the connection beneath it (address, TLS certificate, protocol version).
 */
export class MqttConnection extends Duplex {
  readonly source: string;
  readonly secure: boolean;
  /** 3, 4 or 5 once the CONNECT arrived. */
  protocolVersion: number | null = null;

  private mode: Mode = 'undecided';
  private head: Buffer = Buffer.alloc(0);
  private readonly frames: FrameScanner;
  private inParser: mqttPacket.Parser | undefined;
  private outParser: mqttPacket.Parser | undefined;
  private readonly pubackReasons = new Map<number, number>();
  private readonly unsubscribeCounts = new Map<number, number>();
  private disconnectSent = false;
  private corked = false;

  constructor(
    readonly socket: Socket,
    private readonly limits: ConnectionLimits,
  ) {
    super({ allowHalfOpen: false });
    this.source = socket.remoteAddress ?? 'unknown';
    this.secure = 'encrypted' in socket && (socket as TLSSocket).encrypted === true;
    this.frames = new FrameScanner(limits.maxPacketBytes);
    socket.on('data', (chunk: Buffer) => this.fromSocket(chunk));
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
  }

  /** DER of the client certificate presented over TLS, or null. */
  peerCertificate(): Buffer | null {
    if (!this.secure) return null;
    const cert = (this.socket as TLSSocket).getPeerX509Certificate();
    return cert ? cert.raw : null;
  }

  /** MQTT 5: the reason code the PUBACK of `messageId` carries (MQTT 3.1.1 has none to carry). */
  setPubackReason(messageId: number | undefined, code: number): void {
    if (this.mode === 'mqtt5' && messageId !== undefined && code !== REASON.success) this.pubackReasons.set(messageId, code);
  }

  /** MQTT 5: tells the client why the server is about to close the connection [MQTT-3.14.2.1]. Nothing for 3.1.1. */
  sendDisconnect(reasonCode: number): void {
    if (this.mode !== 'mqtt5' || this.disconnectSent || this.socket.destroyed || !this.socket.writable) return;
    this.disconnectSent = true;
    this.toSocket(mqttPacket.generate({ cmd: 'disconnect', reasonCode }, { protocolVersion: 5 }));
  }

  /**
   * Writes to the socket, the writes of one turn of the event loop gathered
   * into one system call: the PUBACKs that one committed batch of telemetry
   * releases for a plant leave together (on loopback each send() also does
   * the receiving side's work, so fewer of them is CPU saved). `end()` sends
   * what is gathered.
   */
  private toSocket(bytes: Buffer): void {
    const socket = this.socket;
    if (socket.destroyed) return;
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      process.nextTick(() => {
        this.corked = false;
        socket.uncork();
      });
    }
    socket.write(bytes);
  }

  override _read(): void {
    if (this.socket.isPaused()) this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.mode === 'mqtt5') {
      this.outParser!.parse(chunk);
    } else {
      this.toSocket(chunk);
    }
    if (this.socket.writableNeedDrain && !this.socket.destroyed) this.socket.once('drain', () => callback());
    else callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const socket = this.socket;
    if (!socket.destroyed) {
      // What was written (a refused CONNACK, a DISCONNECT) goes out first; a peer that never closes its side is cut.
      socket.end();
      const timer = setTimeout(() => socket.destroy(), 1000).unref();
      socket.once('close', () => clearTimeout(timer));
    }
    callback(error);
  }

  private fromSocket(chunk: Buffer): void {
    if (!this.frames.feed(chunk)) {
      // Larger than any packet the gateway accepts (or a malformed length): closed before it is read.
      this.sendDisconnect(this.frames.malformed ? REASON.malformedPacket : REASON.packetTooLarge);
      this.destroy();
      return;
    }
    if (this.mode === 'undecided') {
      this.head = this.head.length === 0 ? chunk : Buffer.concat([this.head, chunk]);
      const level = connectLevel(this.head);
      if (level === 'more') return;
      chunk = this.head;
      this.head = Buffer.alloc(0);
      this.mode = level === 5 ? 'mqtt5' : 'passthrough';
      if (this.mode === 'mqtt5') this.startTranslating();
    }
    const unsubscribes = this.frames.takeUnsubscribes();
    // MQTT 5: checked once parsed (fromClient).
    if (this.mode === 'passthrough' && unsubscribes.some(hasMalformedFilter)) {
      this.destroy();
      return;
    }
    if (this.mode === 'mqtt5') this.inParser!.parse(chunk);
    else this.toBroker(chunk);
  }

  private toBroker(bytes: Buffer): void {
    if (!this.push(bytes)) this.socket.pause();
  }

  private startTranslating(): void {
    this.inParser = mqttPacket.parser();
    this.inParser.on('packet', (packet) => this.fromClient(packet));
    this.inParser.on('error', () => {
      this.sendDisconnect(REASON.malformedPacket);
      this.destroy();
    });
    this.outParser = mqttPacket.parser({ protocolVersion: 4 });
    this.outParser.on('packet', (packet) => this.toClient(packet));
    this.outParser.on('error', (err: Error) => this.destroy(err));
  }

  /** An MQTT 5 packet from the client, as the MQTT 3.1.1 packet aedes reads. */
  private fromClient(p: mqttPacket.Packet): void {
    if (this.destroyed) return;
    let out: mqttPacket.Packet;
    switch (p.cmd) {
      case 'connect': {
        this.protocolVersion = 5;
        if (p.properties?.authenticationMethod !== undefined) {
          // Enhanced authentication is not offered: the credentials of the plant's method are.
          this.toSocket(
            mqttPacket.generate(
              { cmd: 'connack', reasonCode: REASON.badAuthenticationMethod, sessionPresent: false },
              { protocolVersion: 5 },
            ),
          );
          this.destroy();
          return;
        }
        out = {
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clientId: p.clientId,
          clean: p.clean ?? true,
          keepalive: p.keepalive ?? 0,
          ...(p.username !== undefined ? { username: p.username } : {}),
          // MQTT 3.1.1 allows a password only with a user name [MQTT-3.1.2-22].
          ...(p.password !== undefined ? { username: p.username ?? '', password: p.password } : {}),
          ...(p.will
            ? { will: { topic: p.will.topic, payload: p.will.payload, qos: p.will.qos ?? 0, retain: p.will.retain ?? false } }
            : {}),
        };
        break;
      }
      case 'publish':
        // No topic alias was offered (CONNACK carries no Topic Alias Maximum) [MQTT-3.3.2-9].
        if (p.properties?.topicAlias !== undefined) return this.protocolViolation(REASON.topicAliasInvalid);
        out = { cmd: 'publish', topic: p.topic, payload: p.payload, qos: p.qos, retain: p.retain, dup: p.dup, messageId: p.messageId };
        break;
      case 'puback':
      case 'pubrec':
      case 'pubrel':
      case 'pubcomp':
        out = { cmd: p.cmd, messageId: p.messageId } as mqttPacket.Packet;
        break;
      case 'subscribe':
        out = { cmd: 'subscribe', messageId: p.messageId, subscriptions: p.subscriptions.map((s) => ({ topic: s.topic, qos: s.qos })) };
        break;
      case 'unsubscribe':
        if (p.unsubscriptions.some(isMalformedTopic)) return this.protocolViolation(REASON.malformedPacket);
        if (p.messageId !== undefined) this.unsubscribeCounts.set(p.messageId, p.unsubscriptions.length);
        out = { cmd: 'unsubscribe', messageId: p.messageId, unsubscriptions: p.unsubscriptions };
        break;
      case 'pingreq':
        out = { cmd: 'pingreq' };
        break;
      case 'disconnect':
        // "Disconnect with Will Message": the connection ends as if lost, so the will is published [MQTT-3.14.4-3].
        if (p.reasonCode === 0x04) {
          this.push(null);
          return;
        }
        out = { cmd: 'disconnect' };
        break;
      default:
        // AUTH (no enhanced authentication was negotiated) or a server-to-client packet.
        return this.protocolViolation(REASON.protocolError);
    }
    let bytes: Buffer;
    try {
      bytes = mqttPacket.generate(out);
    } catch {
      return this.protocolViolation(REASON.malformedPacket);
    }
    this.toBroker(bytes);
  }

  /** An MQTT 3.1.1 packet from aedes, written to the client as MQTT 5. */
  private toClient(p: mqttPacket.Packet): void {
    if (this.disconnectSent || this.socket.destroyed) return;
    let out: mqttPacket.Packet;
    switch (p.cmd) {
      case 'connack': {
        const reasonCode = CONNACK_REASON[p.returnCode ?? 0] ?? REASON.unspecified;
        out = {
          cmd: 'connack',
          reasonCode,
          sessionPresent: p.sessionPresent,
          ...(reasonCode === REASON.success
            ? {
                properties: {
                  maximumQoS: 1,
                  retainAvailable: false,
                  wildcardSubscriptionAvailable: false,
                  sharedSubscriptionAvailable: false,
                  subscriptionIdentifiersAvailable: false,
                  maximumPacketSize: this.limits.maxPacketBytes,
                },
              }
            : {}),
        };
        break;
      }
      case 'publish':
        out = { cmd: 'publish', topic: p.topic, payload: p.payload, qos: p.qos, retain: p.retain, dup: p.dup, messageId: p.messageId };
        break;
      case 'puback': {
        const reasonCode = (p.messageId !== undefined && this.pubackReasons.get(p.messageId)) || REASON.success;
        if (p.messageId !== undefined) this.pubackReasons.delete(p.messageId);
        out = { cmd: 'puback', messageId: p.messageId, reasonCode };
        break;
      }
      case 'pubrec':
      case 'pubrel':
      case 'pubcomp':
        out = { cmd: p.cmd, messageId: p.messageId, reasonCode: 0 } as mqttPacket.Packet;
        break;
      case 'suback':
        // 3.1.1's failure (0x80) is MQTT 5's "unspecified error"; the gateway refuses subscriptions as not authorised.
        out = {
          cmd: 'suback',
          messageId: p.messageId,
          granted: (p.granted as number[]).map((g) => (g === 0x80 ? REASON.notAuthorized : g)),
        };
        break;
      case 'unsuback': {
        const count = (p.messageId !== undefined && this.unsubscribeCounts.get(p.messageId)) || 1;
        if (p.messageId !== undefined) this.unsubscribeCounts.delete(p.messageId);
        out = { cmd: 'unsuback', messageId: p.messageId, granted: new Array<number>(count).fill(0) };
        break;
      }
      default:
        out = p;
    }
    this.toSocket(mqttPacket.generate(out, { protocolVersion: 5 }));
  }

  private protocolViolation(reasonCode: number): void {
    this.sendDisconnect(reasonCode);
    this.destroy();
  }
}

/**
 * The protocol level of the CONNECT at the start of `bytes` [MQTT-3.1.2-1]: a
 * number, 'more' when too few bytes arrived to tell, or null when the stream
 * does not start with a CONNECT (aedes refuses it).
 */
export function connectLevel(bytes: Buffer): number | 'more' | null {
  if (bytes.length === 0) return 'more';
  if (bytes[0]! >> 4 !== 1) return null;
  let i = 1;
  for (;;) {
    if (i >= bytes.length) return 'more';
    const b = bytes[i++]!;
    if ((b & 0x80) === 0) break;
    if (i > 4) return null;
  }
  if (bytes.length < i + 2) return 'more';
  const nameLength = bytes.readUInt16BE(i);
  if (nameLength > 6) return null;
  const at = i + 2 + nameLength;
  if (bytes.length <= at) return 'more';
  return bytes[at]!;
}

/**
 * Whether the variable header and payload of an MQTT 3.1.1 (or 3.1)
 * UNSUBSCRIBE name a topic filter that is not well-formed UTF-8 [MQTT-1.5.3-1]
 * (or is cut short).
 */
export function hasMalformedFilter(body: Buffer): boolean {
  let at = 2; // the packet identifier
  while (at < body.length) {
    if (at + 2 > body.length) return true;
    const length = body.readUInt16BE(at);
    at += 2;
    if (at + length > body.length) return true;
    if (isMalformedTopic(body.toString('utf8', at, at + length))) return true;
    at += length;
  }
  return false;
}

/** The MQTT control packet type of UNSUBSCRIBE [MQTT-2.2.1]. */
const UNSUBSCRIBE = 10;

/**
 * Follows packet boundaries in a byte stream by their fixed headers alone
 * (type byte, Remaining Length [MQTT-2.2.3]) and refuses a packet whose
 * announced length is over the limit, before its bytes are buffered. Keeps
 * the bodies of UNSUBSCRIBE packets (rare and small) for their topic filters
 * to be checked.
 */
export class FrameScanner {
  private skip = 0;
  /** -1: the next byte is a packet's first; otherwise the Remaining Length bytes read so far. */
  private lengthBytes = -1;
  private length = 0;
  private multiplier = 1;
  private type = 0;
  /** The parts of the UNSUBSCRIBE being read, or null. */
  private body: Buffer[] | null = null;
  private unsubscribes: Buffer[] = [];
  malformed = false;

  /** The bodies of the UNSUBSCRIBE packets completed since the last call. */
  takeUnsubscribes(): Buffer[] {
    if (this.unsubscribes.length === 0) return this.unsubscribes;
    const taken = this.unsubscribes;
    this.unsubscribes = [];
    return taken;
  }

  constructor(private readonly max: number) {}

  /** False once a packet is too large or its length malformed. */
  feed(chunk: Buffer): boolean {
    let i = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.body?.push(chunk.subarray(i, i + n));
        this.skip -= n;
        i += n;
        if (this.skip === 0) this.packetEnd();
        continue;
      }
      const byte = chunk[i++]!;
      if (this.lengthBytes < 0) {
        this.lengthBytes = 0;
        this.length = 0;
        this.multiplier = 1;
        this.type = byte >> 4;
        continue;
      }
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.lengthBytes++;
      if (byte & 0x80) {
        if (this.lengthBytes >= 4) {
          this.malformed = true;
          return false;
        }
        continue;
      }
      if (this.length > this.max) return false;
      this.skip = this.length;
      this.lengthBytes = -1;
      if (this.type === UNSUBSCRIBE) {
        this.body = [];
        if (this.length === 0) this.packetEnd();
      }
    }
    return true;
  }

  private packetEnd(): void {
    if (!this.body) return;
    this.unsubscribes.push(Buffer.concat(this.body));
    this.body = null;
  }
}
