// Regression: a signed message holding a string the database cannot store
// (U+0000 in text, `\u0000` or a lone surrogate in jsonb) failed its write as
// if the database were down: no PUBACK, the connection closed, nothing
// counted, and the plant resent it on every reconnect, its later messages
// queued behind it. Such a message is a drop: counted and acknowledged.
import { plants } from '@helio/core';
import { describe, expect, it } from 'vitest';
import { describeEachEngine } from '../test-engines.js';
import { connectPlant, eventually, publishAcked, signed, gatewaySuite } from './testing.js';

const PAYLOAD_FORMAT_INVALID = 0x99;
const IMPLEMENTATION_SPECIFIC = 0x83;

describeEachEngine('MQTT gateway, strings the database cannot store', (engine) => {
  const { f, track } = gatewaySuite(engine);

  const plantOf = (pkg: plants.ProvisioningPackage) => plants.getPlant(f.system, pkg.plantId);
  const ts = () => new Date(Date.now() - 60_000).toISOString();

  describe('are dropped, counted and acknowledged, and the connection stays', () => {
    it('telemetry with a NUL in its device or in a key, or a lone surrogate in its device', async () => {
      const pkg = await f.plant('PASSWORD');
      const client = track(await connectPlant(pkg, { protocolVersion: 5 }));
      const send = (message: unknown) => publishAcked(client, pkg.mqtt.topics.telemetry, signed(pkg.security.hmacSecret, message));

      expect(await send({ ts: ts(), values: { W: 1 }, device: 'a\u0000b' })).toBe(PAYLOAD_FORMAT_INVALID);
      expect(await plantOf(pkg)).toMatchObject({
        droppedMessageCount: 1,
        lastDropReason: 'telemetry: bad device: must not contain the NUL character (U+0000)',
      });
      expect(await send({ ts: ts(), values: { W: 1 }, device: 'a\ud800' })).toBe(PAYLOAD_FORMAT_INVALID);
      expect(await send({ ts: ts(), values: { W: 1, 'x\u0000': 2 } })).toBe(PAYLOAD_FORMAT_INVALID);
      // The reason quotes the key, its NUL written out.
      expect(await plantOf(pkg)).toMatchObject({
        droppedMessageCount: 3,
        lastDropReason: expect.stringContaining('key x\\u0000 must not contain the NUL character (U+0000)'),
      });

      // Not cut off: the next message is stored.
      expect(await send({ ts: ts(), values: { W: 7 } })).toBe(0);
      expect(client.connected).toBe(true);
      const { rows } = await f.server.services.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM readings r JOIN plants p ON p.component_id = r.component_id WHERE p.id = $1`,
        [pkg.plantId],
      );
      expect(rows[0]!.n).toBe(1);
    });

    it('an answer with a NUL in its cmdId or its response', async () => {
      const pkg = await f.plant('PASSWORD');
      const client = track(await connectPlant(pkg, { protocolVersion: 5 }));
      const send = (message: unknown) => publishAcked(client, pkg.mqtt.topics.ack, signed(pkg.security.hmacSecret, message));

      expect(await send({ cmdId: 'x\u0000', status: 'done' })).toBe(IMPLEMENTATION_SPECIFIC);
      expect(await plantOf(pkg)).toMatchObject({
        droppedMessageCount: 1,
        lastDropReason: 'ack: bad ack: cmdId must not contain the NUL character (U+0000)',
      });
      expect(await send({ cmdId: 'x', status: 'done', response: { 'k\u0000': 'v' } })).toBe(IMPLEMENTATION_SPECIFIC);
      expect(await send({ cmdId: 'x', status: 'done', response: { log: ['\udc00'] } })).toBe(IMPLEMENTATION_SPECIFIC);
      expect(await plantOf(pkg)).toMatchObject({
        droppedMessageCount: 3,
        lastDropReason: expect.stringMatching(/^ack: bad ack: response log\.0 must not contain a lone/),
      });
      expect(client.connected).toBe(true);
    });

    it('a status with a NUL in a fault code, or a lone surrogate in a fault message', async () => {
      const pkg = await f.plant('PASSWORD');
      const client = track(await connectPlant(pkg, { protocolVersion: 5 }));
      const message = { status: 'FAULT', faults: [{ code: 'E\u00001', active: true }] };
      expect(await publishAcked(client, pkg.mqtt.topics.status, signed(pkg.security.hmacSecret, message))).toBe(PAYLOAD_FORMAT_INVALID);
      expect(await plantOf(pkg)).toMatchObject({
        droppedMessageCount: 1,
        lastDropReason: 'status: bad status: faults.0.code must not contain the NUL character (U+0000)',
      });
      // A fault's message is stored through jsonb, which refuses a lone surrogate.
      const lone = { status: 'FAULT', faults: [{ code: 'E2', message: 'bad \udc00', active: true }] };
      expect(await publishAcked(client, pkg.mqtt.topics.status, signed(pkg.security.hmacSecret, lone))).toBe(PAYLOAD_FORMAT_INVALID);
      expect(await plantOf(pkg)).toMatchObject({
        droppedMessageCount: 2,
        lastDropReason: 'status: bad status: faults.0.message must not contain a lone UTF-16 surrogate',
      });
      expect(client.connected).toBe(true);
    });

    it('over MQTT 3.1.1 too (a plain PUBACK)', async () => {
      const pkg = await f.plant('PASSWORD');
      const client = track(await connectPlant(pkg, { protocolVersion: 4 }));
      const message = signed(pkg.security.hmacSecret, { ts: ts(), values: { W: 1 }, device: '\u0000' });
      expect(await publishAcked(client, pkg.mqtt.topics.telemetry, message)).toBe(0);
      expect(client.connected).toBe(true);
      expect((await plantOf(pkg)).droppedMessageCount).toBe(1);
    });
  });

  it('a will message with a NUL in a fault code is counted as a drop', async () => {
    const pkg = await f.plant('PASSWORD');
    const will = signed(pkg.security.hmacSecret, { status: 'FAULT', faults: [{ code: 'E\u0000', active: true }] });
    const client = track(
      await connectPlant(pkg, {
        protocolVersion: 5,
        will: { topic: pkg.mqtt.topics.status, payload: Buffer.from(will), qos: 1, retain: false },
      }),
    );
    client.stream.destroy();
    await eventually(async () => (await plantOf(pkg)).droppedMessageCount === 1, 10_000, 'the will counted as a drop');
    expect((await plantOf(pkg)).lastDropReason).toMatch(/^status: .*code.* must not contain the NUL character \(U\+0000\)/);
  });
});
