// The gateway as `npm start` runs it (startServer), with real MQTT.js
// clients over real sockets: MQTT 3.1.1 and 5, TCP and TLS, each method of
// authentication, telemetry committed before its PUBACK, commands to and
// answers from plants, and lifecycle changes taking effect on live connections.
import { plants } from '@helio/core';
import type { MqttClient } from 'mqtt';
import { describe, expect, it, vi } from 'vitest';
import { describeEachEngine } from '../test-engines.js';
import { closed, connectPlant, eventually, publishAcked, refusedConnect, clientOptions, signed, gatewaySuite } from './testing.js';

type Package = plants.ProvisioningPackage;

describeEachEngine('MQTT gateway', (engine) => {
  const { f, track } = gatewaySuite(engine);

  const plantOf = (pkg: Package) => plants.getPlant(f.system, pkg.plantId);
  const readingsAt = async (componentId: string, ts: string) => {
    const { rows } = await f.server.services.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM readings WHERE component_id = $1 AND ts = $2',
      [componentId, ts],
    );
    return rows[0]!.n;
  };
  const readingCount = async (componentId: string) => {
    const { rows } = await f.server.services.db.query<{ n: number }>('SELECT count(*)::int AS n FROM readings WHERE component_id = $1', [
      componentId,
    ]);
    return rows[0]!.n;
  };
  const telemetry = (pkg: Package, ts: string, values: Record<string, number> = { W: 1500 }) =>
    signed(pkg.security.hmacSecret, { ts, values });
  /** A minute `minutesAgo` before now, as telemetry names it (readings in the future are refused). */
  const minuteAgo = (minutesAgo: number) => new Date(Math.floor(Date.now() / 60_000) * 60_000 - minutesAgo * 60_000).toISOString();
  const commandsOf = async (pkg: Package) => (await plants.listCommands(f.system, pkg.plantId, {})).data;

  it('writes the ports it really listens on into provisioning packages', async () => {
    const pkg = await f.plant('MTLS');
    expect(f.server.mqtt!.port).toBeGreaterThan(0);
    expect(f.server.mqtt!.tlsPort).toBeGreaterThan(0);
    const ports = { broker: '127.0.0.1', port: f.server.mqtt!.tlsPort, tlsPort: f.server.mqtt!.tlsPort, tcpPort: f.server.mqtt!.port };
    expect(pkg.mqtt).toMatchObject(ports);
    expect((await f.plant('PASSWORD')).mqtt).toMatchObject(ports);
  });

  it('lets a PASSWORD plant in over MQTT 3.1.1 and sends each PUBACK only once its reading is committed', async () => {
    const pkg = await f.plant('PASSWORD');
    expect((await plantOf(pkg)).lifecycleStatus).toBe('PROVISIONED');
    const client = track(await connectPlant(pkg, { protocolVersion: 4 }));
    const plant = await plantOf(pkg);
    expect(plant.lifecycleStatus).toBe('ACTIVE');
    await eventually(async () => (await plantOf(pkg)).status === 'ONLINE', 5000, 'ONLINE');

    // Many QoS 1 messages in flight at once (so the writer batches them); at each PUBACK its reading is already there.
    const stamps = Array.from({ length: 40 }, (_, i) => minuteAgo(100 + i));
    const seenAtPuback = await Promise.all(
      stamps.map(
        (ts) =>
          new Promise<number>((resolve, reject) => {
            client.publish(pkg.mqtt.topics.telemetry, telemetry(pkg, ts), { qos: 1 }, (err) => {
              if (err) reject(err);
              else resolve(readingsAt(plant.componentId!, ts));
            });
          }),
      ),
    );
    expect(seenAtPuback).toEqual(stamps.map(() => 1));
    expect(await readingCount(plant.componentId!)).toBe(40);
    await client.endAsync();
    await eventually(async () => (await plantOf(pkg)).status === 'OFFLINE', 5000, 'OFFLINE after DISCONNECT');
  });

  it('tells MQTT 5 clients what it allows, and with each PUBACK whether the message was stored', async () => {
    const pkg = await f.plant('TOKEN');
    // Over TLS, as the package says (the gateway's TLS port with its CA, and the token as password).
    const client = track(await connectPlant(pkg, { protocolVersion: 5, tls: true }));
    const connack = await new Promise<Record<string, unknown>>((resolve) => {
      // The CONNACK of the connection just made, as MQTT.js kept it.
      resolve(
        ((client as unknown as { connackPacket?: { properties?: Record<string, unknown> } }).connackPacket?.properties ?? {}) as Record<
          string,
          unknown
        >,
      );
    });
    expect(connack).toMatchObject({
      maximumQoS: 1,
      retainAvailable: false,
      wildcardSubscriptionAvailable: false,
      sharedSubscriptionAvailable: false,
    });
    const plant = await plantOf(pkg);
    const ts = minuteAgo(30);
    const topic = pkg.mqtt.topics.telemetry;

    expect(await publishAcked(client, topic, signed('0'.repeat(64), { ts, values: { W: 1 } }))).toBe(0x87); // another key
    expect(await publishAcked(client, topic, JSON.stringify({ payload: JSON.stringify({ ts, values: { W: 1 } }) }))).toBe(0x87); // unsigned
    expect(await publishAcked(client, topic, '{"payload": ')).toBe(0x99); // not JSON
    expect(await publishAcked(client, topic, signed(pkg.security.hmacSecret, `{"ts": "${ts}", "values": {`))).toBe(0x99);
    expect(await publishAcked(client, topic, signed(pkg.security.hmacSecret, { ts, values: { NoSuchField: 1 } }))).toBe(0x99);
    expect(await readingCount(plant.componentId!)).toBe(0);
    const after = await plantOf(pkg);
    expect(after.droppedMessageCount).toBe(5);
    expect(after.lastDropReason).toMatch(/unknown keys: NoSuchField/);

    expect(await publishAcked(client, topic, telemetry(pkg, ts))).toBe(0);
    expect(await readingsAt(plant.componentId!, new Date(ts).toISOString())).toBe(1);
    expect((await plantOf(pkg)).droppedMessageCount).toBe(5);
  });

  it('drops the telemetry of a plant without a site, counting it, and stores nothing', async () => {
    const pkg = await f.plant('PASSWORD', { site: false });
    const client = track(await connectPlant(pkg, { protocolVersion: 5 }));
    expect(await publishAcked(client, pkg.mqtt.topics.telemetry, telemetry(pkg, minuteAgo(5)))).toBe(0x83);
    expect(await plantOf(pkg)).toMatchObject({ droppedMessageCount: 1, lastDropReason: expect.stringMatching(/no-site/) });
  });

  it('delivers commands to an MTLS plant over TLS, signed, and records its answers', async () => {
    const pkg = await f.plant('MTLS');
    const client = track(await connectPlant(pkg, { protocolVersion: 5 }));
    const received: Buffer[] = [];
    client.on('message', (_topic, payload) => received.push(payload));
    await client.subscribeAsync(pkg.mqtt.topics.commands, { qos: 1 });

    const { command } = await plants.sendCommand(
      f.system,
      pkg.plantId,
      { command: 'SET_LIMIT', payload: { watts: 5000 }, target: 'INV_1' },
      { ttlSeconds: 600 },
    );
    const raw = await eventually(async () => received[0], 5000, 'the command');
    const envelope = JSON.parse(raw.toString('utf8')) as { payload: string; sig: string };
    expect(envelope.sig).toBe(plants.hmacHex(pkg.security.hmacSecret, envelope.payload));
    expect(JSON.parse(envelope.payload)).toEqual({
      cmdId: command.cmdId,
      command: 'SET_LIMIT',
      payload: { watts: 5000 },
      target: 'INV_1',
      issuedAt: command.createdAt,
      expiresAt: command.expiresAt,
    });
    // MQTT.js acknowledged it: 'sent'.
    await eventually(async () => (await commandsOf(pkg))[0]!.state === 'sent', 5000, 'sent');

    const ack = pkg.mqtt.topics.ack;
    expect(await publishAcked(client, ack, signed(pkg.security.hmacSecret, { cmdId: command.cmdId, status: 'acked' }))).toBe(0);
    expect((await commandsOf(pkg))[0]).toMatchObject({ state: 'acked', ackedAt: expect.any(String) });
    expect(
      await publishAcked(
        client,
        ack,
        signed(pkg.security.hmacSecret, { cmdId: command.cmdId, status: 'done', response: { applied: true } }),
      ),
    ).toBe(0);
    expect((await commandsOf(pkg))[0]).toMatchObject({ state: 'done', responseStatus: 'done', response: { applied: true } });
    // An answer for a command that does not exist is dropped.
    expect(await publishAcked(client, ack, signed(pkg.security.hmacSecret, { cmdId: 'no-such-command', status: 'done' }))).toBe(0x83);
    expect(received).toHaveLength(1);
  });

  it('keeps a command for an offline plant queued and delivers it when the plant connects and subscribes', async () => {
    const pkg = await f.plant('PASSWORD');
    const { command } = await plants.sendCommand(f.system, pkg.plantId, { command: 'REBOOT' }, { ttlSeconds: 600 });
    await new Promise((r) => setTimeout(r, 300));
    expect((await commandsOf(pkg))[0]!.state).toBe('queued');

    const client = track(await connectPlant(pkg, { protocolVersion: 4 }));
    const message = new Promise<Buffer>((resolve) => client.once('message', (_t, payload) => resolve(payload)));
    await client.subscribeAsync(pkg.mqtt.topics.commands, { qos: 1 });
    const inner = JSON.parse((JSON.parse((await message).toString()) as { payload: string }).payload) as { cmdId: string };
    expect(inner.cmdId).toBe(command.cmdId);
    await eventually(async () => (await commandsOf(pkg))[0]!.state === 'sent', 5000, 'sent');
  });

  it('sends commands at QoS 0 to a plant that subscribed at QoS 0, and records them sent once written', async () => {
    const pkg = await f.plant('TOKEN');
    const client = track(await connectPlant(pkg, { protocolVersion: 5 }));
    const message = new Promise<{ qos: number }>((resolve) => client.once('message', (_t, _p, packet) => resolve(packet)));
    await client.subscribeAsync(pkg.mqtt.topics.commands, { qos: 0 });
    await plants.sendCommand(f.system, pkg.plantId, { command: 'BLINK' }, { ttlSeconds: 60 });
    expect((await message).qos).toBe(0);
    await eventually(async () => (await commandsOf(pkg))[0]!.state === 'sent', 5000, 'sent');
  });

  it('refuses subscriptions other than the plant’s own commands topic, wildcards included', async () => {
    const pkg = await f.plant('PASSWORD');
    const other = await f.plant('PASSWORD');
    const client = track(await connectPlant(pkg, { protocolVersion: 4 }));
    const topics = [pkg.mqtt.topics.commands, other.mqtt.topics.commands, 'plants/+/commands', '#', pkg.mqtt.topics.telemetry, 'plants/#'];
    // MQTT.js reports a SUBACK with any failure as an error carrying the SUBACK.
    const suback = await client.subscribeAsync(topics, { qos: 1 }).then(
      () => undefined,
      (err: Error & { packet?: { granted: number[] } }) => err.packet,
    );
    expect(suback?.granted).toEqual([1, 128, 128, 128, 128, 128]);
    // A command for the other plant never reaches this one.
    const received: string[] = [];
    client.on('message', (topic) => received.push(topic));
    await plants.sendCommand(f.system, other.plantId, { command: 'REBOOT' }, { ttlSeconds: 60 });
    await plants.sendCommand(f.system, pkg.plantId, { command: 'PING' }, { ttlSeconds: 60 });
    await eventually(async () => received.length > 0, 5000, 'its own command');
    await new Promise((r) => setTimeout(r, 300));
    expect(received).toEqual([pkg.mqtt.topics.commands]);
  });

  it('disconnects a revoked plant at once and refuses it afterwards', async () => {
    const pkg = await f.plant('PASSWORD');
    const client = track(await connectPlant(pkg, { protocolVersion: 5 }));
    const reason = new Promise<number | undefined>((resolve) => client.once('disconnect', (p) => resolve(p.reasonCode)));
    const gone = closed(client);
    await plants.revokePlant(f.system, f.env, pkg.plantId);
    await gone;
    expect(await reason).toBe(0x98); // administrative action
    expect(await refusedConnect(clientOptions(pkg, { protocolVersion: 5 }))).toBe(0x86);
  }, 15_000);

  it('disconnects a plant another server revoked (seen by the re-check, not an event), within 5 seconds', async () => {
    const pkg = await f.plant('TOKEN');
    const client = track(await connectPlant(pkg, { protocolVersion: 4 }));
    const gone = closed(client);
    // As another server would: the database changes and this process hears nothing.
    await f.server.services.db.query(`UPDATE plants SET lifecycle_status = 'SUSPENDED' WHERE id = $1`, [pkg.plantId]);
    const deadline = new Promise<string>((resolve) => setTimeout(() => resolve('still connected'), 5000).unref());
    expect(await Promise.race([gone.then(() => 'disconnected'), deadline])).toBe('disconnected');
  }, 15_000);

  it('disconnects a suspended plant and lets it back in once reactivated', async () => {
    const pkg = await f.plant('MTLS');
    const client = track(await connectPlant(pkg, { protocolVersion: 4 }));
    const gone = closed(client);
    await plants.suspendPlant(f.system, pkg.plantId);
    await gone;
    expect(await refusedConnect(clientOptions(pkg, { protocolVersion: 4 }))).toBe(5);
    await plants.reactivatePlant(f.system, pkg.plantId);
    const again = track(await connectPlant(pkg, { protocolVersion: 4 }));
    expect(again.connected).toBe(true);
  }, 15_000);

  it('disconnects an MTLS plant whose certificate was renewed, and takes the new one', async () => {
    const pkg = await f.plant('MTLS');
    const client = track(await connectPlant(pkg, { protocolVersion: 5 }));
    const gone = closed(client);
    const renewed = await plants.provisionPlant(f.system, f.env, pkg.plantId);
    await gone;
    expect(await refusedConnect(clientOptions(pkg, { protocolVersion: 5 }))).toBe(0x86);
    track(await connectPlant(renewed, { protocolVersion: 5 }));
  }, 15_000);

  it('publishes a plant’s will when its connection is lost: it goes OFFLINE with the fault it left', async () => {
    const pkg = await f.plant('PASSWORD');
    const lost = signed(pkg.security.hmacSecret, {
      status: 'OFFLINE',
      faults: [{ code: 'POWER_CUT', message: 'mains lost', active: true }],
    });
    const will = { topic: pkg.mqtt.topics.status, payload: Buffer.from(lost), qos: 1 as const, retain: false };
    const client = track(await connectPlant(pkg, { protocolVersion: 4, will }));
    expect(await publishAcked(client, pkg.mqtt.topics.status, signed(pkg.security.hmacSecret, { status: 'ONLINE' }))).toBe(0);
    await eventually(async () => (await plantOf(pkg)).status === 'ONLINE', 5000, 'ONLINE');
    expect((await plantOf(pkg)).alerts).toEqual([]);
    (client as unknown as { stream: { destroy(): void } }).stream.destroy();
    const plant = await eventually(
      async () => {
        const p = await plantOf(pkg);
        return p.status === 'OFFLINE' && p.alerts.length === 1 && p;
      },
      5000,
      'OFFLINE with the will’s fault',
    );
    // The will is a signed message like any other: accepted, not dropped.
    expect(plant.droppedMessageCount).toBe(0);
  });

  /** The plant's connection gone from the gateway, and a moment for what its leaving set off (its will) to be written. */
  const settledAfterLeaving = async (pkg: Package) => {
    await eventually(async () => !f.server.mqtt!.connectedPlants().includes(pkg.plantId), 5000, 'the connection gone');
    await new Promise((r) => setTimeout(r, 1000));
  };
  const dropConnection = (client: MqttClient) => (client as unknown as { stream: { destroy(): void } }).stream.destroy();

  it('leaves a plant whose connection was lost OFFLINE, whatever status its will names', async () => {
    for (const status of ['FAULT', 'ONLINE']) {
      const pkg = await f.plant('PASSWORD');
      const lost = signed(pkg.security.hmacSecret, { status, faults: [{ code: 'LINK_LOST', active: true }] });
      const will = { topic: pkg.mqtt.topics.status, payload: Buffer.from(lost), qos: 1 as const, retain: false };
      const client = track(await connectPlant(pkg, { protocolVersion: 4, will }));
      await eventually(async () => (await plantOf(pkg)).status === 'ONLINE', 5000, 'ONLINE');
      dropConnection(client);
      await eventually(async () => (await plantOf(pkg)).alerts.length === 1, 5000, 'the will’s fault');
      await settledAfterLeaving(pkg);
      expect((await plantOf(pkg)).status, `a will of ${status}`).toBe('OFFLINE');
    }
  }, 30_000);

  it('drops a will whose fault the database cannot store (U+0000), counting it', async () => {
    const pkg = await f.plant('PASSWORD');
    const lost = signed(pkg.security.hmacSecret, { status: 'FAULT', faults: [{ code: 'LINK\u0000LOST', active: true }] });
    const will = { topic: pkg.mqtt.topics.status, payload: Buffer.from(lost), qos: 1 as const, retain: false };
    const client = track(await connectPlant(pkg, { protocolVersion: 4, will }));
    await eventually(async () => (await plantOf(pkg)).status === 'ONLINE', 5000, 'ONLINE');
    dropConnection(client);
    const plant = await eventually(async () => {
      const p = await plantOf(pkg);
      return p.droppedMessageCount === 1 && p;
    });
    // The will skips the status handler's checks (it is handled from the plant's row as it is now): recordStatus refuses it.
    expect(plant.lastDropReason).toMatch(/^status: bad/);
    expect(plant.alerts).toEqual([]);
  });

  it('ignores the will of a plant revoked or suspended while it was connected', async () => {
    for (const change of ['revoke', 'suspend'] as const) {
      const pkg = await f.plant('PASSWORD');
      const lost = signed(pkg.security.hmacSecret, { status: 'FAULT', faults: [{ code: 'LINK_LOST', active: true }] });
      const will = { topic: pkg.mqtt.topics.status, payload: Buffer.from(lost), qos: 1 as const, retain: false };
      const client = track(await connectPlant(pkg, { protocolVersion: 4, will }));
      await eventually(async () => (await plantOf(pkg)).status === 'ONLINE', 5000, 'ONLINE');
      const gone = closed(client);
      if (change === 'revoke') await plants.revokePlant(f.system, f.env, pkg.plantId);
      else await plants.suspendPlant(f.system, pkg.plantId);
      await gone;
      await settledAfterLeaving(pkg);
      const plant = await plantOf(pkg);
      expect(plant.alerts, `the will of a plant after ${change}`).toEqual([]);
      expect(plant.status).toBe('OFFLINE');
    }
  }, 30_000);

  it('accepts a status signed with a secret rotated a moment ago, before the connection’s re-check saw the rotation', async () => {
    const pkg = await f.plant('PASSWORD');
    const client = track(await connectPlant(pkg, { protocolVersion: 5 }));
    // As on another server: this one hears nothing of the rotation.
    const listeners = plants.plantEvents.rawListeners('changed') as ((plantId: string) => void)[];
    plants.plantEvents.removeAllListeners('changed');
    let rotated: { hmacSecret: string };
    try {
      rotated = await plants.rotateSecret(f.system, f.env, pkg.plantId);
    } finally {
      for (const l of listeners) plants.plantEvents.on('changed', l);
    }
    const fault = signed(rotated.hmacSecret, { status: 'FAULT', faults: [{ code: 'ROTATED', active: true }] });
    expect(await publishAcked(client, pkg.mqtt.topics.status, fault)).toBe(0);
    const plant = await plantOf(pkg);
    expect(plant.droppedMessageCount).toBe(0);
    expect(plant.alerts).toHaveLength(1);
  });

  it('shows a plant connected here ONLINE again when its row says otherwise (another server took this one for gone)', async () => {
    const pkg = await f.plant('PASSWORD');
    track(await connectPlant(pkg, { protocolVersion: 4 }));
    await eventually(async () => (await plantOf(pkg)).status === 'ONLINE', 5000, 'ONLINE');
    await f.server.services.db.query(`UPDATE plants SET status = 'OFFLINE' WHERE id = $1`, [pkg.plantId]);
    // The re-check of connected plants (every second) puts it right.
    await eventually(async () => (await plantOf(pkg)).status === 'ONLINE', 5000, 'ONLINE again');
  });

  it('leaves a connected plant that said itself it is OFFLINE shown so, until it says otherwise', async () => {
    const pkg = await f.plant('PASSWORD');
    const client = track(await connectPlant(pkg, { protocolVersion: 4 }));
    await eventually(async () => (await plantOf(pkg)).status === 'ONLINE', 5000, 'ONLINE');
    expect(await publishAcked(client, pkg.mqtt.topics.status, signed(pkg.security.hmacSecret, { status: 'OFFLINE' }))).toBe(0);
    expect((await plantOf(pkg)).status).toBe('OFFLINE');
    // Two re-checks of connected plants later, still as the plant said.
    await new Promise((r) => setTimeout(r, 2500));
    expect((await plantOf(pkg)).status).toBe('OFFLINE');
    expect(await publishAcked(client, pkg.mqtt.topics.status, signed(pkg.security.hmacSecret, { status: 'ONLINE' }))).toBe(0);
    expect((await plantOf(pkg)).status).toBe('ONLINE');
  });

  it('ignores a will of a server gone that is not a plant’s own status, and logs what the broker reports with no connection to report it on', async () => {
    const pkg = await f.plant('PASSWORD');
    const broker = f.server.mqtt!.broker as unknown as {
      persistence: {
        putWill(client: { id: string }, packet: object): Promise<void>;
        getWill(client: { id: string }): Promise<unknown>;
        streamWill(brokers: object): AsyncIterable<unknown>;
      };
      _clearWillInterval: { _onTimeout(): void };
    };
    const info = vi.spyOn(f.server.app.log, 'info');
    const error = vi.spyOn(f.server.app.log, 'error');
    const streamWill = broker.persistence.streamWill;
    try {
      // A will left by a server that died, on a topic the gateway refuses for a will.
      const orphan = { cmd: 'publish', topic: pkg.mqtt.topics.telemetry, payload: Buffer.from('x'), qos: 0, retain: false, brokerId: '' };
      await broker.persistence.putWill({ id: pkg.mqtt.clientId }, orphan);
      orphan.brokerId = 'a-server-gone';
      // aedes' sweep for such wills, now rather than four heartbeats (minutes) from now.
      broker._clearWillInterval._onTimeout();
      await eventually(async () => (await broker.persistence.getWill({ id: pkg.mqtt.clientId })) === undefined, 5000, 'the will gone');
      expect(info.mock.calls.some((c) => String(c[1]).startsWith('mqtt: will of a server gone ignored'))).toBe(true);

      // The wills cannot be read (Redis down, say): aedes reports it with no connection to report it on.
      broker.persistence.streamWill = () =>
        (async function* () {
          yield* [];
          throw new Error('wills unreadable');
        })();
      broker._clearWillInterval._onTimeout();
      await eventually(async () => error.mock.calls.some((c) => c[1] === 'mqtt: broker error'), 5000, 'the error logged');
    } finally {
      broker.persistence.streamWill = streamWill;
      info.mockRestore();
      error.mockRestore();
    }
    track(await connectPlant(pkg, { protocolVersion: 4 }));
  });

  it('speaks MQTT 5 beyond publishing: keepalive pings, unsubscribing, and DISCONNECT with the will', async () => {
    const pkg = await f.plant('PASSWORD');
    // A will that raises a Device Fault: seen only if the will is published.
    const lost = signed(pkg.security.hmacSecret, {
      status: 'FAULT',
      faults: [{ code: 'LINK_LOST', message: 'connection lost', active: true }],
    });
    const will = { topic: pkg.mqtt.topics.status, payload: Buffer.from(lost), qos: 1 as const, retain: false };
    const client = track(await connectPlant(pkg, { protocolVersion: 5, keepalive: 1, will }));
    await client.subscribeAsync(pkg.mqtt.topics.commands, { qos: 1 });
    await client.unsubscribeAsync(pkg.mqtt.topics.commands);
    // Three keepalive periods: the PINGRESPs came back as MQTT 5, or MQTT.js would have given up.
    let pings = 0;
    client.on('packetreceive', (p) => void (p.cmd === 'pingresp' && pings++));
    await new Promise((r) => setTimeout(r, 3200));
    expect(client.connected).toBe(true);
    expect(pings).toBeGreaterThan(0);
    // A normal DISCONNECT: no will.
    await client.endAsync();
    await new Promise((r) => setTimeout(r, 300));
    expect((await plantOf(pkg)).alerts).toEqual([]);
    // "Disconnect with Will Message" (0x04): the will is published.
    const again = track(await connectPlant(pkg, { protocolVersion: 5, will }));
    await again.endAsync(false, { reasonCode: 0x04 });
    await eventually(async () => (await plantOf(pkg)).alerts.length === 1, 5000, 'the will’s fault');
  }, 15_000);

  it('refuses a will on another topic at CONNECT', async () => {
    const pkg = await f.plant('PASSWORD');
    const will = { topic: pkg.mqtt.topics.telemetry, payload: Buffer.from('x'), qos: 0 as const, retain: false };
    expect(await refusedConnect(clientOptions(pkg, { protocolVersion: 4, will }))).toBe(5);
  });

  describe('while the database cannot commit', () => {
    it('holds the PUBACK until the reading is committed', async () => {
      const pkg = await f.plant('PASSWORD');
      const client = track(await connectPlant(pkg, { protocolVersion: 4 }));
      const plant = await plantOf(pkg);
      const ts = minuteAgo(10);
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      let locked!: () => void;
      const isLocked = new Promise<void>((r) => (locked = r));
      // A transaction that keeps new readings from committing (PostgreSQL: a table lock; PGlite: one writer at a time).
      const holder = f.server.services.db.transaction(async (tx) => {
        await tx.query('LOCK TABLE readings IN EXCLUSIVE MODE');
        locked();
        await released;
      });
      await isLocked;
      let acked = false;
      const puback = publishAcked(client, pkg.mqtt.topics.telemetry, telemetry(pkg, ts)).then((code) => {
        acked = true;
        return code;
      });
      await new Promise((r) => setTimeout(r, 500));
      expect(acked).toBe(false);
      if (engine === 'postgres') expect(await readingsAt(plant.componentId!, ts)).toBe(0);
      release();
      await holder;
      expect(await puback).toBe(0);
      expect(await readingsAt(plant.componentId!, ts)).toBe(1);
    });
  });
});
