// `helio device simulate` through the dispatcher in this process, against a
// bare aedes broker over real sockets (TLS, as the package's port is; plain
// TCP with --tcp): the summary in JSON and text, what it says while it runs,
// a command answered, a secret rotated in the package file while it runs, and
// refusals. Its behaviour against Helio's gateway is
// in the README walkthrough test.
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeTestCertificates, startTestBroker, type ReceivedMessage, type TestBroker } from '../devices/test-broker.js';
import type { CliIo } from './output.js';
import { run } from './run.js';
import { helioInProcess } from './spawn-helio.js';

const plantId = randomUUID();
const secret = 'f'.repeat(64);
const topic = (t: string) => `plants/${plantId}/${t}`;
const certs = makeTestCertificates(plantId);

/** A package as Helio makes it: the TLS port in mqtt.port, the plain one in mqtt.tcpPort, the CA that signed the broker. */
function packageJson(b: TestBroker, overrides: { hmacSecret?: string; password?: string; caCert?: string | null } = {}) {
  return JSON.stringify({
    authMethod: 'PASSWORD',
    plantId,
    mqtt: {
      broker: '127.0.0.1',
      port: b.tlsPort,
      tls: true,
      tlsPort: b.tlsPort,
      tcpPort: b.port,
      username: plantId,
      clientId: plantId,
      topics: { telemetry: topic('telemetry'), status: topic('status'), commands: topic('commands'), ack: topic('ack') },
    },
    protocol: { version: 1 },
    security: {
      hmacSecret: overrides.hmacSecret ?? secret,
      password: overrides.password ?? 'pw',
      ...(overrides.caCert === null ? {} : { caCert: overrides.caCert ?? certs.ca }),
    },
  });
}

const signedWith = (m: ReceivedMessage, key: string) => {
  const { payload, sig } = JSON.parse(m.payload.toString()) as { payload: string; sig: string };
  return createHmac('sha256', key).update(payload).digest('hex') === sig;
};

describe('npx helio device simulate', () => {
  let work: string;
  let broker: TestBroker;
  let pkgFile: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'helio-device-cli-'));
    broker = await startTestBroker({
      authenticate: (c, u, p) => c.id === plantId && u === plantId && p?.toString() === 'pw',
      tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca },
    });
  });
  afterEach(() => {
    broker.received.length = 0;
  });
  afterAll(async () => {
    await broker.close();
    rmSync(work, { recursive: true, force: true });
  });

  const write = (name: string, text: string) => {
    const file = join(work, name);
    writeFileSync(file, text);
    return file;
  };

  it('sends --count signed messages and prints its totals as JSON, nothing else on either stream', async () => {
    pkgFile = write('plant.json', packageJson(broker));
    const r = await helioInProcess(work, ['device', 'simulate', '--package', pkgFile, '--count', '5', '--rate', '50', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const summary = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({
      plantId,
      url: `mqtts://127.0.0.1:${broker.tlsPort}`,
      authMethod: 'PASSWORD',
      connects: 1,
      telemetry: { generated: 5, acked: 5, dropped: 0, unacknowledged: 0 },
      statusAcknowledged: 2,
    });
    const telemetry = broker.received.filter((m) => m.topic === topic('telemetry'));
    expect(telemetry).toHaveLength(5);
    expect(telemetry.every((m) => signedWith(m, secret))).toBe(true);
    // ONLINE when it came, OFFLINE when it left.
    const statuses = broker.received
      .filter((m) => m.topic === topic('status'))
      .map((m) => JSON.parse(JSON.parse(m.payload.toString()).payload).status);
    expect(statuses).toEqual(['ONLINE', 'OFFLINE']);
  });

  it('says what it does while it runs, answers commands, and sums up in text', async () => {
    pkgFile = write('plant.json', packageJson(broker));
    const running = helioInProcess(work, ['device', 'simulate', '--package', pkgFile, '--duration', '1.5', '--rate', '10']);
    await broker.waitFor((r) => r.some((m) => m.topic === topic('status')));
    await new Promise((r) => setTimeout(r, 200));
    const command = JSON.stringify({ cmdId: 'cmd-1', command: 'ping', payload: {} });
    await broker.publish(
      topic('commands'),
      JSON.stringify({ payload: command, sig: createHmac('sha256', secret).update(command).digest('hex') }),
    );
    await broker.publish(topic('commands'), JSON.stringify({ payload: command, sig: '0'.repeat(64) }));
    const r = await running;
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Connecting to mqtts://127.0.0.1:${broker.tlsPort} as plant ${plantId}`);
    expect(r.stderr).toContain(`Listening for commands on ${topic('commands')}`);
    expect(r.stderr).toMatch(/Command cmd-1 "ping": acked\n.*Command cmd-1 "ping": done \{"pong":true/s);
    expect(r.stderr).toContain('Ignored a command (envelope bad-signature): not acknowledged');
    expect(r.stdout).toMatch(new RegExp(`^Plant ${plantId} \\(PASSWORD\\) on mqtts://127.0.0.1:${broker.tlsPort} for \\d`));
    expect(r.stdout).toMatch(/telemetry: +\d+ made, \d+ acknowledged, 0 sent again, 0 dropped \(buffer full\), 0 not acknowledged/);
    expect(r.stdout).toContain('commands:    2 received: 1 done, 0 failed, 0 declined, 1 ignored');
  });

  it('takes up a rotated secret written into the package file while it runs', async () => {
    pkgFile = write('rotating.json', packageJson(broker));
    const next = 'e'.repeat(64);
    const running = helioInProcess(work, ['device', 'simulate', '--package', pkgFile, '--duration', '3', '--rate', '5']);
    await broker.waitFor((r) => r.some((m) => m.topic === topic('telemetry')));
    write('rotating.json', packageJson(broker, { hmacSecret: next }));
    const r = await running;
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('Signing with the new HMAC secret from the package');
    const telemetry = broker.received.filter((m) => m.topic === topic('telemetry'));
    const signers = telemetry.map((m) => (signedWith(m, secret) ? 'old' : signedWith(m, next) ? 'new' : 'neither'));
    expect(signers[0]).toBe('old');
    expect(signers.at(-1)).toBe('new');
    expect(signers).not.toContain('neither');
    // Once switched, it stays switched.
    expect(signers.slice(signers.indexOf('new'))).not.toContain('old');
  });

  it('speaks plain TCP on mqtt.tcpPort only with --tcp, and needs the CA without it', async () => {
    const noCa = write('no-ca.json', packageJson(broker, { caCert: null }));
    const connectionsBefore = broker.connections;
    const refused = await helioInProcess(work, ['device', 'simulate', '--package', noCa, '--count', '1']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("helio: VALIDATION_ERROR: the package has no caCert to verify the gateway's TLS certificate with");
    expect(broker.connections).toBe(connectionsBefore);

    const r = await helioInProcess(work, ['device', 'simulate', '--package', noCa, '--tcp', '--count', '2', '--rate', '50', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ url: `mqtt://127.0.0.1:${broker.port}`, telemetry: { acked: 2 } });
    expect(broker.received.filter((m) => m.topic === topic('telemetry'))).toHaveLength(2);
  });

  it('fails with UNAUTHORIZED when the gateway refuses the credentials', async () => {
    const file = write('wrong.json', packageJson(broker, { password: 'not-it' }));
    const r = await helioInProcess(work, ['device', 'simulate', '--package', file, '--count', '1']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`helio: UNAUTHORIZED: the gateway refused plant ${plantId}: Connection refused`);
    expect(r.stderr).toContain('hint: the plant must be provisioned');
  });

  it('refuses a package that is not one, naming what is missing, and bad option values', async () => {
    const file = write('half.json', JSON.stringify({ plantId, authMethod: 'TOKEN', security: { hmacSecret: 'x' } }));
    const r = await helioInProcess(work, ['device', 'simulate', '--package', file, '--json']);
    expect(r.status).toBe(1);
    const { error } = JSON.parse(r.stderr) as { error: { code: string; details: { path: string }[] } };
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.details.map((d) => d.path)).toEqual(expect.arrayContaining(['mqtt', 'security.token']));

    const missing = await helioInProcess(work, ['device', 'simulate', '--package', join(work, 'nope.json')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('helio: NOT_FOUND: cannot read package');

    const latin1 = join(work, 'latin1.json');
    writeFileSync(latin1, Buffer.concat([Buffer.from(packageJson(broker).replace(secret, 'caf')), Buffer.from([0xe9])]));
    const notUtf8 = await helioInProcess(work, ['device', 'simulate', '--package', latin1]);
    expect(notUtf8.status).toBe(1);
    expect(notUtf8.stderr).toContain(`helio: VALIDATION_ERROR: package ${latin1} is not UTF-8 text`);

    pkgFile = write('plant.json', packageJson(broker));
    const rate = await helioInProcess(work, ['device', 'simulate', '--package', pkgFile, '--rate', 'fast']);
    expect(rate.status).toBe(1);
    expect(rate.stderr).toContain('helio: VALIDATION_ERROR: --rate must be a number above 0 and at most 10000 (got "fast")');
    expect(broker.received).toEqual([]);
  });

  it('draws its progress on a terminal, and stops cleanly on Ctrl-C', async () => {
    pkgFile = write('plant.json', packageJson(broker));
    let interrupt: (() => void) | undefined;
    let stdout = '';
    let stderr = '';
    const io: CliIo = {
      env: {},
      stdout: (t) => void (stdout += t),
      stderr: (t) => void (stderr += t),
      readStdin: () => Promise.resolve(''),
      stderrIsTTY: true,
      onInterrupt: (handler) => {
        interrupt = handler;
        return () => (interrupt = undefined);
      },
    };
    const running = run(['device', 'simulate', '--package', pkgFile, '--rate', '5'], io);
    await broker.waitFor((r) => r.filter((m) => m.topic === topic('telemetry')).length >= 3);
    await new Promise((r) => setTimeout(r, 300));
    expect(interrupt).toBeDefined();
    interrupt!();
    expect(await running).toBe(0);
    expect(stderr).toMatch(/\rdevice \d+ acknowledged, \d+ waiting/);
    expect(stderr).toContain('Stopping: waiting up to 2 s for acknowledgements, then disconnecting');
    expect(stdout).toMatch(/telemetry: +(\d+) made, \1 acknowledged/);
    const last = broker.received.filter((m) => m.topic === topic('status')).at(-1)!;
    expect(JSON.parse(JSON.parse(last.payload.toString()).payload)).toMatchObject({ status: 'OFFLINE' });
  });

  it('is listed in the help, with its options', async () => {
    const root = await helioInProcess(work, ['--help']);
    expect(root.stdout).toMatch(/device simulate +Connect to the MQTT gateway as a plant/);
    const help = await helioInProcess(work, ['device', 'simulate', '--help']);
    expect(help.stdout).toContain(
      'Usage: helio device simulate --package <file> [--rate <msgs/s>] [--count <n>] [--duration <seconds>] [--insecure-host-check]',
    );
  });
});
