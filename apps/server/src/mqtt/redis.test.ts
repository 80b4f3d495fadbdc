// Two server instances sharing one PostgreSQL and the machine's Redis
// (`mqtt.redisUrl`): instance A in this process, instance B a `helio serve`
// process of its own (so nothing but Redis and the database connects them).
// PostgreSQL only: PGlite serves one process.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiKeys, plants } from '@helio/core';
import { testDatabaseUrl } from '@helio/db/testing';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientOptions,
  closed,
  eventually,
  signed,
  spawnServer,
  startGatewayServer,
  TEST_SECRET,
  type GatewayFixture,
  type SpawnedServer,
} from './testing.js';

/** A Redis database of its own for this file (pub/sub channels are global, but every topic here names fresh plants). */
const REDIS_URL = 'redis://127.0.0.1:6379/13';
/** Every server of the file says it is alive each second: one silent for three is taken for dead. */
const HEARTBEAT_MS = 1000;

function redisCli(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-cli', ['-u', REDIS_URL, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', (status) => (status === 0 ? resolve(out.trim()) : reject(new Error(`redis-cli ${args.join(' ')}: ${status}`))));
  });
}

describe.skipIf(!testDatabaseUrl)('two gateways sharing Redis [postgres]', () => {
  let a: GatewayFixture;
  let b: SpawnedServer;
  let work: string;
  let adminKey: string;
  const clients: MqttClient[] = [];
  const track = (c: MqttClient) => (clients.push(c), c);

  beforeAll(async () => {
    expect(await redisCli('FLUSHDB')).toBe('OK');
    a = await startGatewayServer('postgres', { redisUrl: REDIS_URL, heartbeatIntervalMs: HEARTBEAT_MS });
    work = mkdtempSync(join(tmpdir(), 'helio-redis-'));
    b = await spawnServer(work, sharedEnv());
    adminKey = (await apiKeys.createApiKey(a.system, { organisationId: a.organisationId, name: 'redis test', role: 'admin' })).key;
  }, 120_000);
  afterAll(async () => {
    for (const c of clients) c.end(true);
    await b?.stop('SIGTERM');
    await a?.close();
    rmSync(work, { recursive: true, force: true });
    await redisCli('FLUSHDB').catch(() => undefined);
  });

  /** Another server's settings: the same database, secret and device CA (the data directory holds it), its own ports. */
  const sharedEnv = () => ({
    DATABASE_URL: a.server.services.config.databaseUrl!,
    HELIO_DATA_DIR: a.server.services.config.dataDir,
    HELIO_SECRET: TEST_SECRET,
    HELIO_HOST: '127.0.0.1',
    HELIO_MQTT_PORT: '0',
    HELIO_MQTTS_PORT: '0',
    HELIO_MQTT_REDIS_URL: REDIS_URL,
    HELIO_MQTT_HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS),
  });
  const commandsOf = async (pkg: plants.ProvisioningPackage) => (await plants.listCommands(a.system, pkg.plantId, {})).data;
  const plantOf = (pkg: plants.ProvisioningPackage) => plants.getPlant(a.system, pkg.plantId);

  it('delivers a command sent through B to the plant connected to A', async () => {
    const pkg = await a.plant('PASSWORD');
    const client = track(await mqtt.connectAsync(clientOptions(pkg)));
    const message = new Promise<Buffer>((resolve) => client.once('message', (_t, payload) => resolve(payload)));
    await client.subscribeAsync(pkg.mqtt.topics.commands, { qos: 1 });

    const sent = await fetch(`${b.url}/api/v1/plants/${pkg.plantId}/commands`, {
      method: 'POST',
      headers: { 'x-api-key': adminKey, 'content-type': 'application/json' },
      body: JSON.stringify({ command: 'PING', payload: { n: 1 } }),
    });
    expect(sent.status, await sent.clone().text()).toBe(201);
    const { cmdId } = (await sent.json()) as { cmdId: string };
    const inner = JSON.parse((JSON.parse((await message).toString()) as { payload: string }).payload) as { cmdId: string; command: string };
    expect(inner).toMatchObject({ cmdId, command: 'PING' });
    await eventually(async () => (await commandsOf(pkg))[0]!.state === 'sent', 5000, 'sent');
  });

  it('closes the plant’s connection to A when it connects to B, and keeps it ONLINE', async () => {
    const pkg = await a.plant('TOKEN');
    const first = track(await mqtt.connectAsync(clientOptions(pkg)));
    await eventually(async () => (await plants.getPlant(a.system, pkg.plantId)).status === 'ONLINE', 5000, 'ONLINE');
    const gone = closed(first);
    const second = track(await mqtt.connectAsync(clientOptions(pkg, { port: b.mqttPort })));
    await gone; // A learnt of the new connection through Redis: one client per id, across servers [MQTT-3.1.4-2]
    expect(second.connected).toBe(true);
    expect(a.server.mqtt!.connectedPlants()).not.toContain(pkg.plantId);
    await new Promise((r) => setTimeout(r, 500));
    expect((await plants.getPlant(a.system, pkg.plantId)).status).toBe('ONLINE');
  });

  it('keeps a persistent session in Redis: the plant resumes it on B and gets its queued command without subscribing again', async () => {
    const pkg = await a.plant('PASSWORD');
    const onA = track(await mqtt.connectAsync(clientOptions(pkg, { clean: false })));
    await onA.subscribeAsync(pkg.mqtt.topics.commands, { qos: 1 });
    await onA.endAsync();

    const { command } = await plants.sendCommand(a.system, pkg.plantId, { command: 'RESUME' }, { ttlSeconds: 300 });
    const client = mqtt.connect(clientOptions(pkg, { clean: false, port: b.mqttPort }));
    track(client);
    const message = new Promise<Buffer>((resolve) => client.once('message', (_t, payload) => resolve(payload)));
    const connack = await new Promise<{ sessionPresent: boolean }>((resolve, reject) => {
      client.once('connect', resolve);
      client.once('error', reject);
    });
    expect(connack.sessionPresent).toBe(true);
    const inner = JSON.parse((JSON.parse((await message).toString()) as { payload: string }).payload) as { cmdId: string };
    expect(inner.cmdId).toBe(command.cmdId);
    await eventually(async () => (await commandsOf(pkg))[0]!.state === 'sent', 5000, 'sent');
  });

  it('tells each server’s gateway of a revocation: the plant connected to B is disconnected', async () => {
    const pkg = await a.plant('PASSWORD');
    const client = track(await mqtt.connectAsync(clientOptions(pkg, { port: b.mqttPort })));
    const gone = closed(client);
    await plants.revokePlant(a.system, a.env, pkg.plantId);
    await gone;
  });

  it('publishes the wills of a server that died and marks its plants OFFLINE, except those connected again elsewhere', async () => {
    const c = await spawnServer(work, sharedEnv());
    try {
      const gone = await a.plant('PASSWORD'); // leaves a will and does not come back
      const backOnA = await a.plant('PASSWORD'); // leaves a will and connects again, to A
      const backOnB = await a.plant('PASSWORD'); // leaves a will and connects again, to B
      const silent = await a.plant('TOKEN'); // leaves no will and does not come back
      const will = (pkg: plants.ProvisioningPackage) => ({
        topic: pkg.mqtt.topics.status,
        payload: Buffer.from(signed(pkg.security.hmacSecret, { status: 'OFFLINE', faults: [{ code: 'LINK_LOST', active: true }] })),
        qos: 1 as const,
        retain: false,
      });
      for (const pkg of [gone, backOnA, backOnB]) track(await mqtt.connectAsync(clientOptions(pkg, { port: c.mqttPort, will: will(pkg) })));
      track(await mqtt.connectAsync(clientOptions(silent, { port: c.mqttPort })));
      const all = [gone, backOnA, backOnB, silent];
      await eventually(async () => (await Promise.all(all.map(plantOf))).every((p) => p.status === 'ONLINE'), 5000, 'ONLINE through C');

      await c.stop('SIGKILL');
      track(await mqtt.connectAsync(clientOptions(backOnA)));
      track(await mqtt.connectAsync(clientOptions(backOnB, { port: b.mqttPort })));
      // C silent for three heartbeats: A or B publishes its wills (whichever is first; for one of the two
      // plants back that server holds the plant's new connection). Each will opens its fault.
      await eventually(
        async () => (await Promise.all([gone, backOnA, backOnB].map(plantOf))).every((p) => p.alerts.length === 1),
        20_000,
        'the faults of the wills C left',
      );
      // The will's fault and its OFFLINE are two writes: the second may follow a moment later.
      await eventually(async () => (await plantOf(gone)).status === 'OFFLINE', 5000, 'the plant that left OFFLINE');
      expect((await plantOf(backOnA)).status).toBe('ONLINE');
      expect((await plantOf(backOnB)).status).toBe('ONLINE');
      // No will: OFFLINE all the same, once C is taken for dead.
      await eventually(async () => (await plantOf(silent)).status === 'OFFLINE', 10_000, 'the plant without a will OFFLINE');
      await new Promise((r) => setTimeout(r, 2 * HEARTBEAT_MS));
      expect((await plantOf(backOnA)).status).toBe('ONLINE');
      expect((await plantOf(backOnB)).status).toBe('ONLINE');
    } finally {
      await c.stop('SIGKILL');
    }
  }, 90_000);
});
