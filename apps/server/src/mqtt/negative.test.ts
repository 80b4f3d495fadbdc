// The negative sets: every credential, signature and message the gateway must
// refuse, each tried for real against the gateway as `npm start` runs it.
// Each refused credential is otherwise right, so only the flaw under test
// can be why it fails (an expired certificate is made the plant's current one).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as connectTcp, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { X509Certificate } from 'node:crypto';
import { plants } from '@helio/core';
import * as mqttPacket from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from '../test-engines.js';
import { clientOptions, closed, connectPlant, eventually, publishAcked, refusedConnect, signed, gatewaySuite } from './testing.js';

type Package = plants.ProvisioningPackage;

/** A plain TCP connection speaking MQTT packet by packet, to send what no client library would. */
class RawClient {
  readonly packets: mqttPacket.Packet[] = [];
  readonly closed: Promise<void>;
  private readonly parser = mqttPacket.parser({ protocolVersion: 4 });

  private constructor(readonly socket: Socket) {
    this.parser.on('packet', (p) => this.packets.push(p));
    socket.on('data', (d) => this.parser.parse(d));
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
  }

  static async connect(port: number, pkg: Package): Promise<RawClient> {
    const socket = connectTcp(port, '127.0.0.1');
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const raw = new RawClient(socket);
    raw.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepalive: 30,
      clientId: pkg.mqtt.clientId,
      username: pkg.mqtt.username,
      password: Buffer.from(pkg.security.password!),
    });
    await raw.next('connack');
    return raw;
  }

  send(packet: mqttPacket.Packet): void {
    this.socket.write(mqttPacket.generate(packet));
  }

  sendBytes(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  next(cmd: string): Promise<mqttPacket.Packet> {
    return eventually(async () => this.packets.find((p) => p.cmd === cmd), 5000, cmd);
  }
}

/** A PUBLISH (QoS 1) whose topic bytes are exactly `topic`, valid UTF-8 or not. */
function publishBytes(topic: Buffer, payload: Buffer, messageId: number): Buffer {
  const body = Buffer.concat([
    Buffer.from([topic.length >> 8, topic.length & 0xff]),
    topic,
    Buffer.from([messageId >> 8, messageId & 0xff]),
    payload,
  ]);
  return Buffer.concat([Buffer.from([0x32]), remainingLength(body.length), body]);
}

function remainingLength(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    bytes.push(b);
  } while (n > 0);
  return Buffer.from(bytes);
}

describeEachEngine('MQTT gateway refuses', (engine) => {
  const { f, track } = gatewaySuite(engine);
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'helio-mqtt-neg-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const plantOf = (pkg: Package) => plants.getPlant(f.system, pkg.plantId);
  const db = () => f.server.services.db;
  const now = () => new Date();
  /** 'closed' once `gone` settles, 'still open' after 5 seconds. */
  const within = (gone: Promise<void>) =>
    Promise.race([gone.then(() => 'closed'), new Promise<string>((r) => setTimeout(() => r('still open'), 5000).unref())]);
  const minuteAgo = (m: number) => new Date(Math.floor(Date.now() / 60_000) * 60_000 - m * 60_000).toISOString();

  describe('certificates', () => {
    /** Makes `certPem` the plant's current, active certificate, so only its own flaw can refuse it. */
    async function makeCurrent(pkg: Package, certPem: string): Promise<void> {
      const cert = new X509Certificate(certPem);
      const fingerprint = plants.fingerprintOf(cert.raw);
      await db().query(`UPDATE plant_certificates SET state = 'retired' WHERE plant_id = $1`, [pkg.plantId]);
      await db().query(
        `INSERT INTO plant_certificates (serial_number, plant_id, fingerprint, not_before, not_after, state, key_generated)
         VALUES ($1, $2, $3, $4, $5, 'active', true)`,
        [cert.serialNumber.toLowerCase(), pkg.plantId, fingerprint, new Date(cert.validFrom), new Date(cert.validTo)],
      );
      await db().query('UPDATE plants SET certificate_fingerprint = $2, certificate_expires_at = $3 WHERE id = $1', [
        pkg.plantId,
        fingerprint,
        new Date(cert.validTo),
      ]);
    }

    async function refusedWith(pkg: Package, cert: string, key: string): Promise<void> {
      const before = (await plantOf(pkg)).authFailureCount;
      expect(await refusedConnect(clientOptions(pkg, { protocolVersion: 4, cert, key }))).toBe(4);
      expect(await refusedConnect(clientOptions(pkg, { protocolVersion: 5, cert, key }))).toBe(0x86);
      expect((await plantOf(pkg)).authFailureCount).toBe(before + 2);
    }

    it('an expired one, even when it is the plant’s current certificate', async () => {
      const pkg = await f.plant('MTLS');
      const issued = await f.env.ca.issue({ plantId: pkg.plantId, now: new Date(Date.now() - 40 * 86_400_000), validityDays: 30 });
      await makeCurrent(pkg, issued.certPem);
      await refusedWith(pkg, issued.certPem, issued.keyPem!);
    });

    it('one not valid yet', async () => {
      const pkg = await f.plant('MTLS');
      const issued = await f.env.ca.issue({ plantId: pkg.plantId, now: new Date(Date.now() + 10 * 86_400_000), validityDays: 30 });
      await makeCurrent(pkg, issued.certPem);
      await refusedWith(pkg, issued.certPem, issued.keyPem!);
    });

    it('a self-signed one naming the plant', async () => {
      const pkg = await f.plant('MTLS');
      const key = join(work, `self-${pkg.plantId}.key`);
      const cert = join(work, `self-${pkg.plantId}.pem`);
      const made = spawnSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:P-256',
          '-nodes',
          '-keyout',
          key,
          '-out',
          cert,
          '-days',
          '30',
          '-subj',
          `/CN=${pkg.plantId}`,
          '-addext',
          'extendedKeyUsage=clientAuth',
          '-addext',
          `subjectAltName=URI:urn:helio:plant:${pkg.plantId}`,
        ],
        { encoding: 'utf8' },
      );
      expect(made.status, made.stderr).toBe(0);
      await makeCurrent(pkg, readFileSync(cert, 'utf8'));
      await refusedWith(pkg, readFileSync(cert, 'utf8'), readFileSync(key, 'utf8'));
    });

    it('one issued by another CA', async () => {
      const pkg = await f.plant('MTLS');
      const other = await plants.openCa(await plants.createCa(now()));
      const issued = await other.issue({ plantId: pkg.plantId, now: now(), validityDays: 30 });
      await makeCurrent(pkg, issued.certPem);
      await refusedWith(pkg, issued.certPem, issued.keyPem!);
    });

    it('a retired one (the plant was provisioned again)', async () => {
      const old = await f.plant('MTLS');
      const renewed = await plants.provisionPlant(f.system, f.env, old.plantId);
      await refusedWith(old, old.security.clientCert!, old.security.clientKey!);
      track(await connectPlant(renewed));
    });

    it('another plant’s certificate, and none at all', async () => {
      const pkg = await f.plant('MTLS');
      const other = await f.plant('MTLS');
      await refusedWith(pkg, other.security.clientCert!, other.security.clientKey!);
      expect(await refusedConnect({ ...clientOptions(pkg), cert: undefined, key: undefined })).toBe(4);
      // MTLS needs the TLS port: over TCP there is no certificate to check.
      expect(await refusedConnect(clientOptions(pkg, { tls: false, port: f.server.mqtt!.port, cert: undefined, key: undefined }))).toBe(4);
    });
  });

  describe('tokens', () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const withToken = (pkg: Package, token: string) => clientOptions({ ...pkg, security: { ...pkg.security, token } });

    it('alg none, a wrong key, expired, issued in the future, another plant’s, or none', async () => {
      const pkg = await f.plant('TOKEN');
      const other = await f.plant('TOKEN');
      const t = Date.now() / 1000;
      const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: pkg.plantId, aud: 'helio-mqtt', iat: t, exp: t + 3600 })}.`;
      const wrongKey = (await plants.issueMqttJwt({ tokenKey: new Uint8Array(randomBytes(32)) }, pkg.plantId, now())).token;
      const expired = (await plants.issueMqttJwt(f.env, pkg.plantId, new Date(Date.now() - 3 * 3600_000), 3600)).token;
      const future = (await plants.issueMqttJwt(f.env, pkg.plantId, new Date(Date.now() + 20 * 60_000), 3600)).token;
      const othersToken = other.security.token!;
      for (const token of [unsigned, wrongKey, expired, future, othersToken, '', 'not.a.jwt']) {
        expect(await refusedConnect(withToken(pkg, token)), token).toBe(4);
      }
      // The plant's own token still works: only the flaws were refused.
      track(await connectPlant(pkg));
      // A token issued before a revocation is refused, even if not expired.
      await plants.revokePlant(f.system, f.env, other.plantId);
      expect(await refusedConnect(withToken(other, othersToken))).toBe(4);
    });
  });

  describe('passwords and client ids', () => {
    it('a wrong password, another plant’s client id, an unknown plant, an id that is no plant id, a decommissioned plant', async () => {
      const pkg = await f.plant('PASSWORD');
      const other = await f.plant('PASSWORD');
      const before = (await plantOf(pkg)).authFailureCount;
      expect(await refusedConnect(clientOptions(pkg, { password: 'x'.repeat(43) }))).toBe(4);
      expect(await refusedConnect(clientOptions(pkg, { password: other.security.password! }))).toBe(4);
      expect(await refusedConnect(clientOptions(pkg, { protocolVersion: 5, password: 'x' }))).toBe(0x86);
      expect((await plantOf(pkg)).authFailureCount).toBe(before + 3);
      expect((await plantOf(pkg)).lastAuthFailureAt).not.toBeNull();
      // The right password with another plant's client id, or no user name.
      expect(await refusedConnect(clientOptions(pkg, { clientId: other.plantId }))).toBe(4);
      expect(await refusedConnect(clientOptions(pkg, { clientId: randomUUID() }))).toBe(4);
      expect(await refusedConnect(clientOptions(pkg, { clientId: 'logger-1' }))).toBe(2);
      expect(await refusedConnect(clientOptions(pkg, { protocolVersion: 5, clientId: 'logger-1' }))).toBe(0x85);
      await plants.decommissionPlant(f.system, other.plantId);
      expect(await refusedConnect(clientOptions(other))).toBe(4);
      track(await connectPlant(pkg));
    });
  });

  describe('signatures', () => {
    it('bad or missing signatures are dropped and counted; after a rotation the old secret works only during its grace', async () => {
      const pkg = await f.plant('PASSWORD');
      const plant = await plantOf(pkg);
      const topic = pkg.mqtt.topics.telemetry;
      let client = track(await connectPlant(pkg, { protocolVersion: 5 }));
      const message = (m: number) => ({ ts: minuteAgo(m), values: { W: m } });
      expect(await publishAcked(client, topic, signed('f'.repeat(64), message(1)))).toBe(0x87);
      expect(await publishAcked(client, topic, JSON.stringify({ payload: JSON.stringify(message(2)), sig: '' }))).toBe(0x87);
      expect(await publishAcked(client, topic, JSON.stringify({ payload: JSON.stringify(message(3)), sig: 'zz' }))).toBe(0x87);
      const tampered = JSON.parse(signed(pkg.security.hmacSecret, message(4))) as { payload: string; sig: string };
      expect(await publishAcked(client, topic, JSON.stringify({ ...tampered, payload: tampered.payload.replace('"W":4', '"W":40') }))).toBe(
        0x87,
      );

      // Rotated while connected: the new secret is accepted at once, the old one still (grace).
      const { hmacSecret, gracePeriodMinutes } = await plants.rotateSecret(f.system, f.env, pkg.plantId);
      expect(gracePeriodMinutes).toBe(60);
      expect(await publishAcked(client, topic, signed(hmacSecret, message(5)))).toBe(0);
      expect(await publishAcked(client, topic, signed(pkg.security.hmacSecret, message(6)))).toBe(0);

      // The grace period over (as if an hour passed): only the new secret.
      await db().query(`UPDATE plants SET previous_hmac_until = $2 WHERE id = $1`, [pkg.plantId, new Date(Date.now() - 1000)]);
      await client.endAsync();
      client = track(await connectPlant(pkg, { protocolVersion: 5 }));
      expect(await publishAcked(client, topic, signed(pkg.security.hmacSecret, message(7)))).toBe(0x87);
      expect(await publishAcked(client, topic, signed(hmacSecret, message(8)))).toBe(0);

      const { rows } = await db().query<{ v: number }>('SELECT value AS v FROM readings WHERE component_id = $1 ORDER BY value', [
        plant.componentId,
      ]);
      expect(rows.map((r) => r.v)).toEqual([5, 6, 8]);
      expect((await plantOf(pkg)).droppedMessageCount).toBe(5);
    });

    it('a malformed message over MQTT 3.1.1 is dropped and acknowledged, and the connection stays', async () => {
      const pkg = await f.plant('PASSWORD');
      const client = track(await connectPlant(pkg, { protocolVersion: 4 }));
      expect(await publishAcked(client, pkg.mqtt.topics.telemetry, '{not json')).toBe(0);
      expect(await publishAcked(client, pkg.mqtt.topics.status, signed(pkg.security.hmacSecret, '{"status": 42}'))).toBe(0);
      expect(await publishAcked(client, pkg.mqtt.topics.ack, signed(pkg.security.hmacSecret, 'null'))).toBe(0);
      expect(client.connected).toBe(true);
      expect(await plantOf(pkg)).toMatchObject({ droppedMessageCount: 3, lastDropReason: expect.stringMatching(/^ack: /) });
    });
  });

  describe('messages that close the connection', () => {
    it('a payload over the limit (MQTT 5 clients are told: packet too large), and one far over it before it is read', async () => {
      const pkg = await f.plant('PASSWORD');
      const v5 = track(await connectPlant(pkg, { protocolVersion: 5 }));
      const reason = new Promise<number | undefined>((resolve) => v5.once('disconnect', (p) => resolve(p.reasonCode)));
      v5.publish(pkg.mqtt.topics.telemetry, Buffer.alloc(65_537, 0x20), { qos: 1 });
      await closed(v5);
      expect(await reason).toBe(0x95);

      const raw = await RawClient.connect(f.server.mqtt!.port, pkg);
      // Announces 10 MB: the gateway closes the connection on the header, without waiting for the bytes.
      raw.sendBytes(Buffer.concat([Buffer.from([0x32]), remainingLength(10_000_000), Buffer.alloc(1024)]));
      await raw.closed;
      expect((await plantOf(pkg)).droppedMessageCount).toBe(0);
    });

    it('malformed UTF-8 in a topic, published or subscribed [MQTT-1.5.3-1]', async () => {
      const pkg = await f.plant('PASSWORD');
      const raw = await RawClient.connect(f.server.mqtt!.port, pkg);
      const good = Buffer.from(signed(pkg.security.hmacSecret, { ts: minuteAgo(1), values: { W: 1 } }));
      raw.sendBytes(publishBytes(Buffer.from(pkg.mqtt.topics.telemetry), good, 1));
      expect(await raw.next('puback')).toMatchObject({ messageId: 1 });
      // The same topic with one byte that is no UTF-8 (0xC3 must be followed by a continuation byte).
      const bad = Buffer.from(pkg.mqtt.topics.telemetry);
      bad[bad.length - 1] = 0xc3;
      raw.sendBytes(publishBytes(bad, good, 2));
      await raw.closed;
      expect(raw.packets.filter((p) => p.cmd === 'puback')).toHaveLength(1);

      const sub = await RawClient.connect(f.server.mqtt!.port, pkg);
      const filter = Buffer.concat([Buffer.from(pkg.mqtt.topics.commands.slice(0, -1)), Buffer.from([0xff])]);
      const body = Buffer.concat([Buffer.from([0, 7, filter.length >> 8, filter.length & 0xff]), filter, Buffer.from([1])]);
      sub.sendBytes(Buffer.concat([Buffer.from([0x82]), remainingLength(body.length), body]));
      await sub.closed;
      expect(sub.packets.some((p) => p.cmd === 'suback')).toBe(false);
    });

    it('malformed UTF-8 in an unsubscribed topic filter, over MQTT 3.1.1 and 5 [MQTT-1.5.3-1]', async () => {
      const pkg = await f.plant('PASSWORD');
      const malformed = Buffer.from([0x61, 0xff, 0x62]);
      const raw = await RawClient.connect(f.server.mqtt!.port, pkg);
      // A well-formed one is answered; the connection stays.
      raw.send({ cmd: 'unsubscribe', messageId: 6, unsubscriptions: [pkg.mqtt.topics.commands] });
      expect(await raw.next('unsuback')).toMatchObject({ messageId: 6 });
      const body = Buffer.concat([Buffer.from([0, 7, 0, malformed.length]), malformed]);
      raw.sendBytes(Buffer.concat([Buffer.from([0xa2]), remainingLength(body.length), body]));
      expect(await within(raw.closed)).toBe('closed');
      expect(raw.packets.filter((p) => p.cmd === 'unsuback')).toHaveLength(1);

      // MQTT 5 (a property length of 0 after the packet identifier): told why, then closed.
      const v5 = track(await connectPlant(pkg, { protocolVersion: 5 }));
      const reason = new Promise<number | undefined>((resolve) => v5.once('disconnect', (p) => resolve(p.reasonCode)));
      let unsubacks = 0;
      v5.on('packetreceive', (p) => void (p.cmd === 'unsuback' && unsubacks++));
      const body5 = Buffer.concat([Buffer.from([0, 8, 0, 0, malformed.length]), malformed]);
      (v5 as unknown as { stream: { write(b: Buffer): void } }).stream.write(Buffer.concat([Buffer.from([0xa2, body5.length]), body5]));
      expect(await within(closed(v5))).toBe('closed');
      expect(await reason).toBe(0x81);
      expect(unsubacks).toBe(0);
    });

    it('another plant’s topics, its own commands topic, QoS 2 and retained messages', async () => {
      const pkg = await f.plant('PASSWORD');
      const other = await f.plant('PASSWORD');
      const otherPlant = await plantOf(other);
      const payload = signed(other.security.hmacSecret, { ts: minuteAgo(2), values: { W: 7 } });
      const cases: { topic: string; qos: 0 | 1 | 2; retain?: boolean; reason: number }[] = [
        { topic: other.mqtt.topics.telemetry, qos: 1, reason: 0x87 },
        { topic: other.mqtt.topics.status, qos: 0, reason: 0x87 },
        { topic: pkg.mqtt.topics.commands, qos: 1, reason: 0x87 },
        { topic: `${pkg.mqtt.topics.telemetry}/extra`, qos: 1, reason: 0x87 },
        { topic: 'devices/anything', qos: 1, reason: 0x87 },
        { topic: pkg.mqtt.topics.telemetry, qos: 1, retain: true, reason: 0x9a },
      ];
      for (const c of cases) {
        for (const protocolVersion of [4, 5] as const) {
          const client = track(await connectPlant(pkg, { protocolVersion }));
          const reason = new Promise<number | undefined>((resolve) => client.once('disconnect', (p) => resolve(p.reasonCode)));
          client.publish(c.topic, payload, { qos: c.qos, retain: c.retain ?? false });
          await closed(client);
          if (protocolVersion === 5) expect(await reason, c.topic).toBe(c.reason);
        }
      }
      // QoS 2: MQTT 5 clients were told QoS 1 is the most (MQTT.js refuses to send it); a 3.1.1 client is disconnected.
      const v4 = track(await connectPlant(pkg, { protocolVersion: 4 }));
      v4.publish(pkg.mqtt.topics.telemetry, signed(pkg.security.hmacSecret, { ts: minuteAgo(3), values: { W: 3 } }), { qos: 2 });
      await closed(v4);
      const { rows } = await db().query<{ n: number }>('SELECT count(*)::int AS n FROM readings WHERE component_id = $1', [
        otherPlant.componentId,
      ]);
      expect(rows[0]!.n).toBe(0);
      expect((await plantOf(pkg)).droppedMessageCount).toBe(0);
    }, 30_000);
  });
});
