import * as mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { connectLevel, FrameScanner, hasMalformedFilter } from './connection.js';

const connect = (protocolVersion: 3 | 4 | 5) =>
  mqttPacket.generate({
    cmd: 'connect',
    protocolId: protocolVersion === 3 ? 'MQIsdp' : 'MQTT',
    protocolVersion,
    clientId: 'plant',
    clean: true,
    keepalive: 30,
  });

describe('the protocol level of the first CONNECT', () => {
  it('reads 3, 4 and 5, also when the bytes arrive one at a time', () => {
    for (const v of [3, 4, 5] as const) {
      const bytes = connect(v);
      expect(connectLevel(bytes)).toBe(v);
      const cut = bytes.indexOf(v === 3 ? 0x70 : 0x54, 4) + 1; // just before the level byte
      expect(connectLevel(bytes.subarray(0, cut))).toBe('more');
      expect(connectLevel(bytes.subarray(0, 1))).toBe('more');
    }
  });

  it('is null when the stream does not start with a CONNECT', () => {
    expect(connectLevel(mqttPacket.generate({ cmd: 'pingreq' }))).toBeNull();
    expect(connectLevel(Buffer.from('GET / HTTP/1.1\r\n'))).toBeNull();
  });
});

describe('the frame scanner', () => {
  const publish = (size: number) =>
    mqttPacket.generate({ cmd: 'publish', topic: 't', payload: Buffer.alloc(size), qos: 1, messageId: 1, retain: false, dup: false });

  it('follows packets across chunk boundaries and refuses the first one over the limit by its header', () => {
    const scanner = new FrameScanner(1000);
    const stream = Buffer.concat([publish(10), mqttPacket.generate({ cmd: 'pingreq' }), publish(900), publish(5000)]);
    // Everything up to the big packet's fixed header passes, one byte at a time.
    const bigAt = stream.length - publish(5000).length;
    for (let i = 0; i < bigAt + 1; i++) expect(scanner.feed(stream.subarray(i, i + 1))).toBe(true);
    // Its Remaining Length (two bytes: 5000 > 127) gives it away before any of its payload.
    expect(scanner.feed(stream.subarray(bigAt + 1, bigAt + 3))).toBe(false);
    expect(scanner.malformed).toBe(false);
  });

  it('accepts a stream of packets at the limit in one chunk', () => {
    const scanner = new FrameScanner(2000);
    expect(scanner.feed(Buffer.concat(Array.from({ length: 20 }, () => publish(1990))))).toBe(true);
  });

  it('refuses a Remaining Length longer than four bytes as malformed', () => {
    const scanner = new FrameScanner(1 << 30);
    expect(scanner.feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toBe(false);
    expect(scanner.malformed).toBe(true);
  });

  it('keeps the bodies of UNSUBSCRIBE packets, also when they arrive one byte at a time', () => {
    const unsubscribe = mqttPacket.generate({ cmd: 'unsubscribe', messageId: 7, unsubscriptions: ['plants/a/commands', 'b'] });
    const stream = Buffer.concat([publish(10), unsubscribe, mqttPacket.generate({ cmd: 'pingreq' })]);
    const scanner = new FrameScanner(1000);
    const bodies: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) {
      expect(scanner.feed(stream.subarray(i, i + 1))).toBe(true);
      bodies.push(...scanner.takeUnsubscribes());
    }
    expect(bodies).toEqual([unsubscribe.subarray(2)]);
    expect(hasMalformedFilter(bodies[0]!)).toBe(false);
  });
});

describe('an UNSUBSCRIBE’s topic filters [MQTT-1.5.3-1]', () => {
  const body = (...filters: Buffer[]) =>
    Buffer.concat([Buffer.from([0, 7]), ...filters.flatMap((f) => [Buffer.from([f.length >> 8, f.length & 0xff]), f])]);

  it('are malformed when one is not UTF-8, holds U+0000, or is cut short', () => {
    expect(hasMalformedFilter(body(Buffer.from('ok'), Buffer.from([0x61, 0xff, 0x62])))).toBe(true);
    expect(hasMalformedFilter(body(Buffer.from([0x61, 0x00])))).toBe(true);
    expect(hasMalformedFilter(body(Buffer.from('plants/a/commands')).subarray(0, 8))).toBe(true);
    expect(hasMalformedFilter(body(Buffer.from('plants/é/commands')))).toBe(false);
  });
});
