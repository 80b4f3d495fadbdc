// The device simulator against a real MQTT broker over real sockets: a bare
// aedes broker the test controls (its credentials, its acknowledgements, its
// outages) and the machine's Mosquitto for MQTT 5. Signatures are checked
// here with node:crypto directly, not with the simulator's own envelope code.
import { createHmac, randomUUID } from 'node:crypto';
import { connect } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProvisioningPackage } from './package.js';
import {
  createDeviceSimulator,
  DeviceConnectError,
  type DeviceSimulator,
  type DeviceSimulatorOptions,
  type SimulatorEvent,
} from './simulator.js';
import { makeTestCertificates, startTestBroker, type ReceivedMessage, type TestBroker } from './test-broker.js';

const plantId = randomUUID();
const secret = 'a3f1c2d4e5b6a7980a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071';
const certs = makeTestCertificates(plantId);

/** A package as Helio makes it: `mqtt.port` is the broker's TLS port for every method, `mqtt.tcpPort` its plain one. */
function packageFor(
  authMethod: 'MTLS' | 'TOKEN' | 'PASSWORD',
  ports: { port: number; tlsPort: number },
  extra: Partial<ProvisioningPackage['security']> = {},
) {
  const base = `plants/${plantId}`;
  const security: ProvisioningPackage['security'] = { hmacSecret: secret, caCert: certs.ca, ...extra };
  if (authMethod === 'MTLS') Object.assign(security, { clientCert: certs.clientCert, clientKey: certs.clientKey }, extra);
  if (authMethod === 'TOKEN') security.token ??= 'token-one';
  if (authMethod === 'PASSWORD') security.password ??= 'the-plant-password';
  return {
    plantId,
    authMethod,
    mqtt: {
      broker: 'localhost',
      port: ports.tlsPort,
      tls: true,
      tlsPort: ports.tlsPort,
      tcpPort: ports.port,
      username: plantId,
      clientId: plantId,
      topics: { telemetry: `${base}/telemetry`, status: `${base}/status`, commands: `${base}/commands`, ack: `${base}/ack` },
    },
    protocol: { version: 1 },
    security,
  } satisfies ProvisioningPackage;
}

/** The text inside a signed envelope, after checking its signature with `key`. */
function opened(message: ReceivedMessage, key = secret): Record<string, unknown> {
  const envelope = JSON.parse(message.payload.toString('utf8')) as { payload: string; sig: string };
  const expected = createHmac('sha256', Buffer.from(key, 'utf8')).update(envelope.payload, 'utf8').digest('hex');
  expect(envelope.sig, `signature of ${envelope.payload}`).toBe(expected);
  return JSON.parse(envelope.payload) as Record<string, unknown>;
}

const signed = (text: string, key = secret) =>
  JSON.stringify({ payload: text, sig: createHmac('sha256', Buffer.from(key, 'utf8')).update(text, 'utf8').digest('hex') });

const on = (topic: 'telemetry' | 'status' | 'ack') => (m: ReceivedMessage) => m.topic === `plants/${plantId}/${topic}`;
/** Status messages saying ONLINE (one per connection); the broker also takes the OFFLINE will of a cut connection. */
const online = (m: ReceivedMessage) => on('status')(m) && opened(m)['status'] === 'ONLINE';

const brokers: TestBroker[] = [];
const simulators: DeviceSimulator[] = [];
afterEach(async () => {
  await Promise.all(simulators.splice(0).map((s) => s.close()));
  await Promise.all(brokers.splice(0).map((b) => b.close()));
});

/** A broker listening on TCP and on TLS (with a certificate for localhost from the package's CA, unless told otherwise). */
async function broker(options: Parameters<typeof startTestBroker>[0] = {}) {
  const b = await startTestBroker({ tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca }, ...options });
  brokers.push(b);
  return b;
}

function simulator(pkg: ProvisioningPackage, options: DeviceSimulatorOptions = {}) {
  const events: SimulatorEvent[] = [];
  const sim = createDeviceSimulator(pkg, { reconnectInitialMs: 50, reconnectMaxMs: 200, ...options, onEvent: (e) => events.push(e) });
  simulators.push(sim);
  return { sim, events };
}

describe('device simulator', () => {
  it('connects as the plant with its password and publishes its ONLINE status, then signed telemetry', async () => {
    const seen: { clientId: string; username?: string; password?: string }[] = [];
    const b = await broker({
      authenticate: (client, username, password) => {
        seen.push({ clientId: client.id, username, password: password?.toString() });
        return username === plantId && client.id === plantId && password?.toString() === 'the-plant-password';
      },
    });
    const { sim } = simulator(packageFor('PASSWORD', b), { ratePerSecond: 100 });
    await sim.start();
    const stats = await sim.run({ count: 5 });

    expect(seen).toEqual([{ clientId: plantId, username: plantId, password: 'the-plant-password' }]);
    expect(stats.telemetry).toMatchObject({ generated: 5, published: 5, acked: 5, resent: 0, dropped: 0, waiting: 0, inFlight: 0 });
    await b.waitFor((r) => r.filter(on('status')).length === 1);
    expect(b.received[0]!.topic).toBe(`plants/${plantId}/status`);
    expect(opened(b.received[0]!)).toMatchObject({ status: 'ONLINE' });

    const telemetry = b.received.filter(on('telemetry'));
    expect(telemetry.map((m) => m.qos)).toEqual([1, 1, 1, 1, 1]);
    const bodies = telemetry.map((m) => opened(m) as { ts: string; values: Record<string, number> });
    for (const body of bodies) {
      expect(body.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(Object.keys(body.values).sort()).toEqual(['W', 'Wh']);
      expect(body.values.W).toBeGreaterThan(0);
      // 1/100 s of that power, in Wh.
      expect(body.values.Wh).toBeCloseTo((body.values.W! * 0.01) / 3600, 3);
    }
    const times = bodies.map((b) => Date.parse(b.ts));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(new Set(times).size).toBe(5);
  });

  it('fails to start when the gateway refuses the credentials, and does not keep trying', async () => {
    const b = await broker({ authenticate: () => false });
    const { sim } = simulator(packageFor('PASSWORD', b, { password: 'wrong' }));
    const err = await sim.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceConnectError);
    expect(err).toMatchObject({ kind: 'refused', code: 5 });
    await new Promise((r) => setTimeout(r, 300));
    expect(b.connections).toBe(1);
  });

  it('presents its token as the password, and a new token from the next connection on', async () => {
    let accepted = 'token-one';
    const b = await broker({ authenticate: (_c, username, password) => username === plantId && password?.toString() === accepted });
    const { sim, events } = simulator(packageFor('TOKEN', b));
    await sim.start();
    await b.waitFor((r) => r.some(online));
    accepted = 'token-two';
    sim.setPassword('token-two');
    b.dropClients();
    await b.waitFor((r) => r.filter(online).length >= 2);
    expect(events.filter((e) => e.type === 'refused')).toEqual([]);
    expect(sim.stats()).toMatchObject({ connects: 2, drops: 1, refusals: 0 });
  });

  it('keeps retrying after a refusal once it has been connected, and says so', async () => {
    let allow = true;
    const b = await broker({ authenticate: () => allow });
    const { sim, events } = simulator(packageFor('PASSWORD', b));
    await sim.start();
    allow = false;
    b.dropClients();
    await vi_waitFor(() => sim.stats().refusals >= 2);
    allow = true;
    await vi_waitFor(() => sim.connected);
    expect(events.find((e) => e.type === 'refused')).toMatchObject({ type: 'refused', code: 5 });
    expect(sim.stats().connects).toBe(2);
  });

  it('connects over TLS with its client certificate (MTLS) and checks the gateway against the package CA', async () => {
    const b = await broker();
    const { sim } = simulator(packageFor('MTLS', b));
    expect(sim.url).toBe(`mqtts://localhost:${b.tlsPort}`);
    await sim.start();
    await sim.run({ count: 2 });
    expect(b.peerCommonNames.get(plantId)).toBe(plantId);
    expect(b.received.filter(on('telemetry'))).toHaveLength(2);
  });

  it('refuses a gateway certificate for another host name unless told not to check it', async () => {
    const b = await broker({ tls: { key: certs.otherHostKey, cert: certs.otherHostCert, ca: certs.ca } });
    const strict = simulator(packageFor('MTLS', b)).sim;
    await expect(strict.start()).rejects.toMatchObject({ kind: 'tls', code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    const lax = simulator(packageFor('MTLS', b), { insecureHostCheck: true }).sim;
    await lax.start();
    expect(lax.connected).toBe(true);
  });

  it('refuses a gateway whose certificate does not lead to the package CA', async () => {
    const b = await broker();
    const { sim } = simulator(packageFor('MTLS', b, { caCert: certs.strangerCa }), { insecureHostCheck: true });
    await expect(sim.start()).rejects.toMatchObject({ kind: 'tls' });
    expect(b.peerCommonNames.size).toBe(0);
  });

  it('sends a password or token only over TLS to a gateway the package CA vouches for, unless told to use plain TCP', async () => {
    const seen: string[] = [];
    const b = await broker({ authenticate: (_c, _u, password) => (seen.push(String(password)), true) });
    for (const method of ['PASSWORD', 'TOKEN'] as const) {
      const { sim } = simulator(packageFor(method, b));
      expect(sim.url).toBe(`mqtts://localhost:${b.tlsPort}`);
      await sim.start();
      await sim.run({ count: 1 });
      // Closed before the next connection under the same client id, so that no connection takes over another.
      await sim.close();
      // A gateway whose certificate the package's CA did not sign never sees the credential.
      const lost = simulator(packageFor(method, b, { caCert: certs.strangerCa })).sim;
      await expect(lost.start()).rejects.toMatchObject({ kind: 'tls' });
    }
    expect(seen).toEqual(['the-plant-password', 'token-one']);
    expect(b.received.filter(on('telemetry'))).toHaveLength(2);

    const { sim: plain } = simulator(packageFor('PASSWORD', b), { tcp: true });
    expect(plain.url).toBe(`mqtt://localhost:${b.port}`);
    await plain.start();
    await plain.run({ count: 1 });
    expect(b.received.filter(on('telemetry'))).toHaveLength(3);
  });

  it('refuses to start without what its connection needs', () => {
    const b = { port: 1884, tlsPort: 8884 };
    expect(() => createDeviceSimulator(packageFor('MTLS', b), { tcp: true })).toThrow(/MTLS plant connects over TLS only/);
    const noCa = packageFor('TOKEN', b);
    delete noCa.security.caCert;
    expect(() => createDeviceSimulator(noCa)).toThrow(/no caCert/);
    const noTcp = packageFor('PASSWORD', b);
    delete (noTcp.mqtt as { tcpPort?: number }).tcpPort;
    expect(() => createDeviceSimulator(noTcp, { tcp: true })).toThrow(/mqtt\.tcpPort/);
    expect(createDeviceSimulator(noTcp, { tcp: true, port: 1999 }).url).toBe('mqtt://localhost:1999');
    // A package from before mqtt.tls named the TCP port in mqtt.port and the TLS one in mqtt.tlsPort.
    const older = { ...noTcp, mqtt: { ...noTcp.mqtt, port: 1884, tlsPort: 8884 } };
    delete (older.mqtt as { tls?: boolean }).tls;
    expect(createDeviceSimulator(older).url).toBe('mqtts://localhost:8884');
    expect(createDeviceSimulator(older, { tcp: true }).url).toBe('mqtt://localhost:1884');
  });

  describe('commands', () => {
    async function connected(options: DeviceSimulatorOptions = {}) {
      const b = await broker();
      const { sim, events } = simulator(packageFor('PASSWORD', b), { ratePerSecond: 100, ...options });
      await sim.start();
      await vi_waitFor(() => events.some((e) => e.type === 'subscribed'));
      return { b, sim, events };
    }
    const command = (cmdId: string, name: string, payload: unknown = {}, extra: Record<string, unknown> = {}) =>
      JSON.stringify({ cmdId, command: name, payload, issuedAt: new Date().toISOString(), ...extra });
    const acks = (b: TestBroker) => b.received.filter(on('ack')).map((m) => opened(m));

    it('acks a known command "acked" then "done", signed', async () => {
      const { b, sim } = await connected();
      await b.publish(`plants/${plantId}/commands`, signed(command('c-1', 'ping')));
      await b.waitFor((r) => r.filter(on('ack')).length === 2);
      const [first, second] = acks(b);
      expect(first).toEqual({ cmdId: 'c-1', status: 'acked' });
      expect(second).toMatchObject({ cmdId: 'c-1', status: 'done', response: { pong: true } });
      expect(sim.stats().commands).toMatchObject({ received: 1, done: 1, rejected: 0 });
    });

    it('declines a command it does not know, and fails one with a bad payload', async () => {
      const { b, sim } = await connected();
      await b.publish(`plants/${plantId}/commands`, signed(command('c-2', 'launch-rocket')));
      await b.publish(`plants/${plantId}/commands`, signed(command('c-3', 'set-power-limit', { watts: 'lots' })));
      await b.waitFor((r) => r.filter(on('ack')).length === 3);
      expect(acks(b)).toEqual([
        { cmdId: 'c-2', status: 'declined', response: { reason: 'unknown command "launch-rocket"' } },
        { cmdId: 'c-3', status: 'acked' },
        { cmdId: 'c-3', status: 'failed', response: { error: expect.stringContaining('watts') } },
      ]);
      expect(sim.stats().commands).toMatchObject({ declined: 1, failed: 1 });
    });

    it('ignores commands with a bad or missing signature, and never acks them', async () => {
      const { b, sim, events } = await connected();
      await b.publish(`plants/${plantId}/commands`, signed(command('c-4', 'ping'), 'not the secret'));
      await b.publish(`plants/${plantId}/commands`, JSON.stringify({ payload: command('c-5', 'ping') }));
      await b.publish(`plants/${plantId}/commands`, 'not json');
      await vi_waitFor(() => sim.stats().commands.rejected === 3);
      // A good one after them is answered: nothing else was.
      await b.publish(`plants/${plantId}/commands`, signed(command('c-6', 'ping')));
      await b.waitFor((r) => r.filter(on('ack')).length === 2);
      expect(acks(b).map((a) => a['cmdId'])).toEqual(['c-6', 'c-6']);
      expect(events.filter((e) => e.type === 'command-rejected').map((e) => (e as { reason: string }).reason)).toEqual([
        'envelope bad-signature',
        'envelope unsigned',
        'envelope malformed',
      ]);
    });

    it('answers a redelivered command with its first answer, without doing it again', async () => {
      const { b, sim } = await connected();
      await b.publish(`plants/${plantId}/commands`, signed(command('c-7', 'set-power-limit', { watts: 100 })));
      await b.waitFor((r) => r.filter(on('ack')).length === 2);
      await b.publish(`plants/${plantId}/commands`, signed(command('c-7', 'set-power-limit', { watts: 100 })));
      await b.waitFor((r) => r.filter(on('ack')).length === 3);
      expect(acks(b)[2]).toEqual({ cmdId: 'c-7', status: 'done', response: { powerLimitW: 100 } });
      expect(sim.stats().commands).toMatchObject({ received: 2, done: 1, duplicates: 1 });
      // The limit holds in what it measures afterwards.
      await sim.run({ count: 3 });
      const watts = b.received.filter(on('telemetry')).map((m) => (opened(m) as { values: { W: number } }).values.W);
      expect(watts).toHaveLength(3);
      for (const w of watts) expect(w).toBeLessThanOrEqual(100);
    });

    it('declines a command that expired before it arrived', async () => {
      const { b } = await connected();
      const expiresAt = new Date(Date.now() - 1000).toISOString();
      await b.publish(`plants/${plantId}/commands`, signed(command('c-8', 'ping', {}, { expiresAt })));
      await b.waitFor((r) => r.filter(on('ack')).length === 1);
      expect(acks(b)).toEqual([{ cmdId: 'c-8', status: 'declined', response: { reason: 'expired', expiresAt } }]);
    });

    it('signs with a new secret at once, and takes commands signed with the old one only during the grace period', async () => {
      const { b, sim } = await connected();
      const next = 'b'.repeat(64);
      sim.setHmacSecret(next, 60_000);
      await sim.run({ count: 1 });
      expect(opened(b.received.filter(on('telemetry'))[0]!, next)).toHaveProperty('values');
      await b.publish(`plants/${plantId}/commands`, signed(command('c-9', 'ping'), secret));
      await b.waitFor((r) => r.filter(on('ack')).length === 2);
      expect(b.received.filter(on('ack')).map((m) => opened(m, next)['status'])).toEqual(['acked', 'done']);
      // A second rotation with no grace: the secret before it is refused at once.
      sim.setHmacSecret('c'.repeat(64), 0);
      await b.publish(`plants/${plantId}/commands`, signed(command('c-10', 'ping'), next));
      await vi_waitFor(() => sim.stats().commands.rejected === 1);
      expect(b.received.filter(on('ack'))).toHaveLength(2);
    });

    it('hands commands to a handler, acking at once and answering when it resolves', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const { b } = await connected({
        onCommand: async (c) => {
          await gate;
          return { status: 'done', response: { handled: c.command } };
        },
      });
      await b.publish(`plants/${plantId}/commands`, signed(command('c-10', 'custom')));
      await b.waitFor((r) => r.filter(on('ack')).length === 1);
      release();
      await b.waitFor((r) => r.filter(on('ack')).length === 2);
      expect(acks(b)).toEqual([
        { cmdId: 'c-10', status: 'acked' },
        { cmdId: 'c-10', status: 'done', response: { handled: 'custom' } },
      ]);
    });

    it('answers "failed" with the error when its handler throws', async () => {
      const { b } = await connected({
        onCommand: () => {
          throw new Error('valve stuck');
        },
      });
      await b.publish(`plants/${plantId}/commands`, signed(command('c-11', 'open_valve')));
      await b.waitFor((r) => r.filter(on('ack')).length === 2);
      expect(acks(b)).toEqual([
        { cmdId: 'c-11', status: 'acked' },
        { cmdId: 'c-11', status: 'failed', response: { error: 'valve stuck' } },
      ]);
    });
  });

  describe('dropped connections', () => {
    it('buffers telemetry while the gateway is away and replays it in order once back', async () => {
      const b = await broker();
      const { sim, events } = simulator(packageFor('PASSWORD', b));
      await sim.start();
      await b.waitFor((r) => r.some(online));
      await b.stop();
      await vi_waitFor(() => !sim.connected);
      const seqs = Array.from({ length: 20 }, () => sim.publishTelemetry({ W: 1 }));
      expect(sim.stats().telemetry).toMatchObject({ generated: 20, buffered: 20, waiting: 20, acked: 0 });
      await vi_waitFor(() => events.some((e) => e.type === 'unreachable'));
      await b.start();
      expect(await sim.flush(10_000)).toBe(true);

      expect(seqs).toEqual([...seqs].sort((a, c) => a - c));
      const telemetry = b.received.filter(on('telemetry')).map((m) => Date.parse((opened(m) as { ts: string }).ts));
      expect(telemetry).toHaveLength(20);
      expect([...telemetry].sort((a, c) => a - c)).toEqual(telemetry);
      // The new connection announced itself before the backlog.
      const statuses = b.received.map((m, i) => [m, i] as const).filter(([m]) => online(m));
      expect(statuses).toHaveLength(2);
      expect(statuses[1]![1]).toBeLessThan(b.received.findIndex(on('telemetry')));
      expect(events).toContainEqual({ type: 'replayed', count: 20 });
      expect(sim.stats()).toMatchObject({ connects: 2, drops: 1, telemetry: { acked: 20, dropped: 0, waiting: 0 } });
    });

    it('keeps only the newest telemetry when the buffer is full, counting what it dropped', async () => {
      const b = await broker();
      const { sim, events } = simulator(packageFor('PASSWORD', b), { bufferLimit: 5 });
      await sim.start();
      await b.stop();
      await vi_waitFor(() => !sim.connected);
      for (let i = 0; i < 12; i++) sim.publishTelemetry({ W: i });
      expect(sim.stats().telemetry).toMatchObject({ generated: 12, dropped: 7, waiting: 5 });
      expect(events.filter((e) => e.type === 'telemetry-dropped')).toHaveLength(7);
      await b.start();
      expect(await sim.flush(10_000)).toBe(true);
      const watts = b.received.filter(on('telemetry')).map((m) => (opened(m) as { values: { W: number } }).values.W);
      expect(watts).toEqual([7, 8, 9, 10, 11]);
    });

    it('sends again what was in flight when the connection dropped, before anything newer', async () => {
      const b = await broker();
      const { sim } = simulator(packageFor('PASSWORD', b));
      await sim.start();
      await b.waitFor((r) => r.some(on('status')));
      b.holdAcks = true;
      for (let i = 0; i < 10; i++) sim.publishTelemetry({ W: i });
      await vi_waitFor(() => sim.stats().telemetry.inFlight === 10);
      b.holdAcks = false;
      b.dropClients();
      await vi_waitFor(() => !sim.connected);
      for (let i = 10; i < 13; i++) sim.publishTelemetry({ W: i });
      expect(await sim.flush(10_000)).toBe(true);
      const watts = b.received.filter(on('telemetry')).map((m) => (opened(m) as { values: { W: number } }).values.W);
      expect(watts).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      expect(sim.stats().telemetry).toMatchObject({ generated: 13, published: 23, resent: 10, acked: 13 });
    });

    it('leaves a signed OFFLINE will when cut off, and none when it closes cleanly', async () => {
      const b = await broker();
      const wills: string[] = [];
      const { sim } = simulator(packageFor('PASSWORD', b));
      await sim.start();
      const listener = connect({ host: '127.0.0.1', port: b.port, clientId: 'listener', reconnectPeriod: 0 });
      await new Promise<void>((resolve) => listener.on('connect', () => listener.subscribe(`plants/${plantId}/status`, () => resolve())));
      listener.on('message', (_t, payload) => wills.push(payload.toString()));
      sim.dropConnection();
      await vi_waitFor(() => wills.some((w) => JSON.parse(JSON.parse(w).payload).status === 'OFFLINE'));
      const will = JSON.parse(wills.find((w) => JSON.parse(JSON.parse(w).payload).status === 'OFFLINE')!) as {
        payload: string;
        sig: string;
      };
      expect(will.sig).toBe(createHmac('sha256', secret).update(will.payload).digest('hex'));
      await vi_waitFor(() => wills.some((w) => JSON.parse(JSON.parse(w).payload).status === 'ONLINE'));
      wills.length = 0;
      await sim.close();
      await new Promise((r) => setTimeout(r, 200));
      // The clean close says OFFLINE once, as a status message of its own.
      expect(wills.map((w) => JSON.parse(JSON.parse(w).payload).status)).toEqual(['OFFLINE']);
      listener.end(true);
    });
  });

  it('sends a template signal under its key, scaled, and a lifetime counter that only grows', async () => {
    const b = await broker();
    const pkg = {
      ...packageFor('PASSWORD', b),
      template: {
        signals: [
          { key: 'p_ac', field: 'W', scale: 1000, unit: 'kW' },
          { key: 'e_total', field: 'Wh', scale: 1000, unit: 'kWh', counter: true },
          { key: 't_amb', field: 'TmpAmb' },
        ],
      },
    };
    const { sim } = simulator(pkg, { ratePerSecond: 100, peakW: 5000 });
    await sim.start();
    await sim.run({ count: 4 });
    const values = b.received.filter(on('telemetry')).map((m) => (opened(m) as { values: Record<string, number> }).values);
    expect(values).toHaveLength(4);
    for (const v of values) {
      expect(Object.keys(v).sort()).toEqual(['e_total', 'p_ac', 't_amb']);
      expect(v['p_ac']).toBeGreaterThan(0);
      expect(v['p_ac']).toBeLessThanOrEqual(5);
      expect(v['t_amb']).toBeGreaterThan(10);
      expect(v['t_amb']).toBeLessThan(35);
    }
    const totals = values.map((v) => v['e_total']!);
    for (let i = 1; i < totals.length; i++) expect(totals[i]).toBeGreaterThanOrEqual(totals[i - 1]!);
    expect(totals[0]).toBeGreaterThan(1000);
  });

  it('speaks MQTT 5 to the machine Mosquitto and counts its PUBACKs', async () => {
    const prefix = `helio-test/${randomUUID()}`;
    // Plain TCP: Mosquitto on this machine listens on 1883 without TLS.
    const pkg = packageFor('PASSWORD', { port: 1883, tlsPort: 8883 });
    const topics = { telemetry: `${prefix}/telemetry`, status: `${prefix}/status`, commands: `${prefix}/commands`, ack: `${prefix}/ack` };
    const got: string[] = [];
    const listener = connect({ host: '127.0.0.1', port: 1883, protocolVersion: 5, reconnectPeriod: 0 });
    await new Promise<void>((resolve, reject) => {
      listener.on('error', reject);
      listener.on('connect', () => listener.subscribe(`${prefix}/#`, { qos: 1 }, () => resolve()));
    });
    listener.on('message', (topic) => got.push(topic));
    try {
      const { sim } = simulator(
        { ...pkg, mqtt: { ...pkg.mqtt, broker: '127.0.0.1', topics } },
        { protocolVersion: 5, ratePerSecond: 100, tcp: true },
      );
      await sim.start();
      const stats = await sim.run({ count: 10 });
      expect(stats.telemetry).toMatchObject({ acked: 10, rejected: 0 });
      await vi_waitFor(() => got.filter((t) => t.endsWith('/telemetry')).length === 10);
    } finally {
      listener.end(true);
    }
  });
});

/** Polls `condition` until it holds (10 s at most). */
async function vi_waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
