// Interoperability: Debian's mosquitto_pub and mosquitto_sub (libmosquitto,
// another MQTT implementation than the one Helio's tests and simulator use)
// against the gateway as `npm start` runs it, over TLS with client
// certificates (--cafile --cert --key), MQTT 3.1.1 and 5.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { plants } from '@helio/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../test-engines.js';
import { eventually, signed, gatewaySuite } from './testing.js';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command without blocking this process (the server under test runs in it). */
function run(cmd: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describeEachEngine('mosquitto clients', (engine) => {
  const { f } = gatewaySuite(engine);
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'helio-mosquitto-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const minuteAgo = (m: number) => new Date(Math.floor(Date.now() / 60_000) * 60_000 - m * 60_000).toISOString();

  /** The package's TLS files on disk, as a device keeps them. */
  function files(pkg: plants.ProvisioningPackage): { ca: string; cert: string; key: string } {
    const dir = mkdtempSync(join(work, 'plant-'));
    const paths = { ca: join(dir, 'ca.pem'), cert: join(dir, 'client.pem'), key: join(dir, 'client.key') };
    writeFileSync(paths.ca, pkg.security.caCert);
    if (pkg.security.clientCert) writeFileSync(paths.cert, pkg.security.clientCert);
    if (pkg.security.clientKey) writeFileSync(paths.key, pkg.security.clientKey, { mode: 0o600 });
    return paths;
  }

  function tlsArgs(pkg: plants.ProvisioningPackage, version: 'mqttv311' | 'mqttv5'): string[] {
    const p = files(pkg);
    return [
      '-h',
      'localhost',
      '-p',
      String(pkg.mqtt.tlsPort),
      '--cafile',
      p.ca,
      '--cert',
      p.cert,
      '--key',
      p.key,
      '-i',
      pkg.mqtt.clientId,
      '-V',
      version,
    ];
  }

  const readings = async (componentId: string) =>
    (
      await f.server.services.db.query<{ ts: Date; value: number }>('SELECT ts, value FROM readings WHERE component_id = $1 ORDER BY ts', [
        componentId,
      ])
    ).rows;

  it('mosquitto_pub publishes signed telemetry over TLS with the plant’s certificate, MQTT 3.1.1 and 5', async () => {
    const pkg = await f.plant('MTLS');
    const plant = await plants.getPlant(f.system, pkg.plantId);
    const first = minuteAgo(20);
    const second = minuteAgo(10);
    for (const [version, ts, w] of [
      ['mqttv311', first, 1200],
      ['mqttv5', second, 1300],
    ] as const) {
      const pub = await run('mosquitto_pub', [
        ...tlsArgs(pkg, version),
        '-t',
        pkg.mqtt.topics.telemetry,
        '-q',
        '1',
        '-m',
        signed(pkg.security.hmacSecret, { ts, values: { W: w } }),
      ]);
      expect(pub, `${version}: ${pub.stderr}`).toMatchObject({ status: 0 });
    }
    // QoS 1: mosquitto_pub exits after the PUBACK, which comes after the commit.
    expect((await readings(plant.componentId!)).map((r) => [r.ts.toISOString(), r.value])).toEqual([
      [first, 1200],
      [second, 1300],
    ]);
    expect((await plants.getPlant(f.system, pkg.plantId)).lifecycleStatus).toBe('ACTIVE');
  });

  it('mosquitto_sub receives the plant’s commands, signed, and acknowledges them', async () => {
    const pkg = await f.plant('MTLS');
    const sub = run('mosquitto_sub', [...tlsArgs(pkg, 'mqttv5'), '-t', pkg.mqtt.topics.commands, '-q', '1', '-C', '1', '-W', '20', '-N']);
    await eventually(async () => f.server.mqtt!.connectedPlants().includes(pkg.plantId), 10_000, 'mosquitto_sub to connect');
    const { command } = await plants.sendCommand(
      f.system,
      pkg.plantId,
      { command: 'CURTAIL', payload: { percent: 40 } },
      { ttlSeconds: 300 },
    );
    const done = await sub;
    expect(done.status, done.stderr).toBe(0);
    const envelope = JSON.parse(done.stdout) as { payload: string; sig: string };
    expect(envelope.sig).toBe(plants.hmacHex(pkg.security.hmacSecret, envelope.payload));
    expect(JSON.parse(envelope.payload)).toMatchObject({ cmdId: command.cmdId, command: 'CURTAIL', payload: { percent: 40 } });
    await eventually(async () => (await plants.listCommands(f.system, pkg.plantId, {})).data[0]!.state === 'sent', 5000, 'sent');
  });

  it('refuses mosquitto clients with a retired certificate, another plant’s, or none', async () => {
    const pkg = await f.plant('MTLS');
    const other = await f.plant('MTLS');
    const renewed = await plants.provisionPlant(f.system, f.env, pkg.plantId);
    const message = signed(pkg.security.hmacSecret, { ts: minuteAgo(1), values: { W: 1 } });
    const otherFiles = files(other);
    const noCert = files({ ...pkg, security: { caCert: pkg.security.caCert, hmacSecret: pkg.security.hmacSecret } });
    const attempts: [string, string[]][] = [
      ['retired', tlsArgs(pkg, 'mqttv311')],
      ['retired v5', tlsArgs(pkg, 'mqttv5')],
      [
        'another plant’s',
        [
          '-h',
          'localhost',
          '-p',
          String(pkg.mqtt.tlsPort),
          '--cafile',
          otherFiles.ca,
          '--cert',
          otherFiles.cert,
          '--key',
          otherFiles.key,
          '-i',
          pkg.mqtt.clientId,
        ],
      ],
      ['none', ['-h', 'localhost', '-p', String(pkg.mqtt.tlsPort), '--cafile', noCert.ca, '-i', pkg.mqtt.clientId]],
    ];
    for (const [what, args] of attempts) {
      const pub = await run('mosquitto_pub', [...args, '-t', pkg.mqtt.topics.telemetry, '-q', '1', '-m', message]);
      expect(pub.status, what).not.toBe(0);
      expect(pub.stderr, what).toMatch(/Connection Refused|not authori[sz]ed|Bad user name or password/i);
    }
    const ok = await run('mosquitto_pub', [
      ...tlsArgs(renewed, 'mqttv311'),
      '-t',
      pkg.mqtt.topics.telemetry,
      '-q',
      '1',
      '-m',
      signed(renewed.security.hmacSecret, { ts: minuteAgo(1), values: { W: 1 } }),
    ]);
    expect(ok.status, ok.stderr).toBe(0);
  });

  it('lets a PASSWORD plant in with -u and -P, over TCP and over TLS without a client certificate', async () => {
    const pkg = await f.plant('PASSWORD');
    const plant = await plants.getPlant(f.system, pkg.plantId);
    const creds = ['-i', pkg.mqtt.clientId, '-u', pkg.mqtt.username, '-P', pkg.security.password!];
    const tcp = await run('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(pkg.mqtt.tcpPort),
      ...creds,
      '-t',
      pkg.mqtt.topics.telemetry,
      '-q',
      '1',
      '-m',
      signed(pkg.security.hmacSecret, { ts: minuteAgo(4), values: { W: 4 } }),
    ]);
    expect(tcp.status, tcp.stderr).toBe(0);
    const ca = files(pkg).ca;
    const tls = await run('mosquitto_pub', [
      '-h',
      'localhost',
      '-p',
      String(pkg.mqtt.tlsPort),
      '--cafile',
      ca,
      ...creds,
      '-V',
      'mqttv5',
      '-t',
      pkg.mqtt.topics.telemetry,
      '-q',
      '1',
      '-m',
      signed(pkg.security.hmacSecret, { ts: minuteAgo(3), values: { W: 3 } }),
    ]);
    expect(tls.status, tls.stderr).toBe(0);
    const wrong = await run('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(pkg.mqtt.tcpPort),
      '-i',
      pkg.mqtt.clientId,
      '-u',
      pkg.mqtt.username,
      '-P',
      'guess',
      '-t',
      pkg.mqtt.topics.telemetry,
      '-q',
      '1',
      '-m',
      'x',
    ]);
    expect(wrong.status).not.toBe(0);
    expect((await readings(plant.componentId!)).map((r) => r.value)).toEqual([4, 3]);
  });
});
