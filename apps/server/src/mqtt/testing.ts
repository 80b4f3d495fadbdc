// Test fixtures for the MQTT gateway: a real server started by startServer
// (the code `npm start` runs) on a fresh database of either engine, with the
// gateway on free ports; an organisation with a site; plants created and
// provisioned through core; and MQTT.js clients connecting as them.
import { spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { PGlite } from '@electric-sql/pglite';
import { organisations, plants, sites, systemPrincipal, type ServiceContext } from '@helio/core';
import type { Engine } from '@helio/db';
import { freshTestDb, type TestDb } from '@helio/db/testing';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, inject } from 'vitest';
import { startHelio } from '../cli/spawn-helio.js';
import { loadConfig, type Config } from '../config.js';
import { plantEnvironment } from '../plant-environment.js';
import { startServer, type RunningServer } from '../server.js';
import { serviceContext } from '../services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The folder of the PGlite templates (`<template>.tar`), from @helio/db's global test setup. */
    pgliteTemplateDir: string;
  }
}

export const TEST_SECRET = 'mqtt-test-secret-that-is-at-least-32-characters';

/**
 * A data directory holding a migrated PGlite database: the test run's
 * migrated template (a tarball of a data directory) unpacked into it.
 * Migrating a fresh directory takes far longer.
 */
export async function seededDataDir(): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'helio-mqtt-'));
  const target = join(dataDir, 'pglite');
  mkdirSync(target);
  let templateDir: string | undefined;
  try {
    templateDir = inject('pgliteTemplateDir');
  } catch {
    templateDir = undefined;
  }
  if (templateDir) {
    const untar = spawnSync('tar', ['-xf', join(templateDir, 'migrated.tar'), '-C', target], { encoding: 'utf8' });
    if (untar.status !== 0) throw new Error(`cannot unpack the PGlite template: ${untar.stderr}`);
    return dataDir;
  }
  // Outside vitest's global setup: through a PGlite loaded from the template.
  const template = await freshTestDb('pglite');
  try {
    const tarball = await (template as unknown as { pglite: PGlite }).pglite.dumpDataDir('none');
    const seeded = await PGlite.create({ dataDir: target, loadDataDir: tarball });
    await seeded.close();
  } finally {
    await template.dispose();
  }
  return dataDir;
}

/** A database for a server of `engine`: a seeded data directory, or a fresh PostgreSQL database. */
export async function serverDatabase(engine: Engine): Promise<{ dataDir: string; databaseUrl?: string; dispose(): Promise<void> }> {
  if (engine === 'pglite') {
    const dataDir = await seededDataDir();
    return { dataDir, dispose: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const pg: TestDb = await freshTestDb('postgres');
  // The server opens its own pool; this one only keeps the database to drop it at the end.
  const dataDir = mkdtempSync(join(tmpdir(), 'helio-mqtt-'));
  return {
    dataDir,
    databaseUrl: pg.connectionString!,
    dispose: async () => {
      await pg.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function gatewayTestConfig(
  db: { dataDir: string; databaseUrl?: string | undefined },
  mqttSettings: Partial<Config['mqtt']> = {},
): Config {
  return loadConfig({
    env: {},
    overrides: {
      host: '127.0.0.1',
      port: 0,
      dataDir: db.dataDir,
      ...(db.databaseUrl ? { databaseUrl: db.databaseUrl } : {}),
      secret: TEST_SECRET,
      logLevel: 'silent',
      alertsIntervalSeconds: 0,
      rateLimitPerMinute: 1_000_000,
      mqtt: { port: 0, tlsPort: 0, authFailureDelayMs: 0, ...mqttSettings },
    },
  });
}

export interface GatewayFixture {
  server: RunningServer;
  env: plants.PlantEnvironment;
  system: ServiceContext;
  organisationId: string;
  siteId: string;
  /** A plant of the fixture's site, provisioned: its package (credentials and topics). */
  plant(authMethod: plants.AuthMethod, opts?: { templateId?: string; site?: boolean }): Promise<plants.ProvisioningPackage>;
  close(): Promise<void>;
}

/**
 * For a describe block: the gateway started before its tests and closed
 * after them, the MQTT.js clients they `track` ended first. `f` stands for
 * the started fixture (read it inside hooks and tests only).
 */
export function gatewaySuite(engine: Engine): { f: GatewayFixture; track: (client: MqttClient) => MqttClient } {
  let started: GatewayFixture | undefined;
  const clients: MqttClient[] = [];
  beforeAll(async () => {
    started = await startGatewayServer(engine);
  }, 120_000);
  afterAll(async () => {
    for (const c of clients) c.end(true);
    await started?.close();
  });
  const f = new Proxy({} as GatewayFixture, {
    get(_, prop) {
      if (!started) throw new Error('the gateway is not started: use the fixture inside a hook or a test');
      return Reflect.get(started, prop) as unknown;
    },
  });
  return { f, track: (client) => (clients.push(client), client) };
}

let serial = 0;

/** startServer on a fresh database, an organisation and a site. */
export async function startGatewayServer(engine: Engine, mqttSettings: Partial<Config['mqtt']> = {}): Promise<GatewayFixture> {
  const db = await serverDatabase(engine);
  let server: RunningServer;
  try {
    server = await startServer(gatewayTestConfig(db, mqttSettings), { logger: false });
  } catch (err) {
    await db.dispose();
    throw err;
  }
  const env = await plantEnvironment(server.services);
  const system = serviceContext(server.services, systemPrincipal);
  const org = await organisations.createOrganisation(system, { name: `MQTT test ${process.pid}` });
  const site = await sites.createSite(system, { siteName: 'Roof', organisationId: org.id });
  return {
    server,
    env,
    system,
    organisationId: org.id,
    siteId: site.id,
    async plant(authMethod, opts = {}) {
      const created = await plants.createPlant(
        system,
        {
          name: `Logger ${++serial}`,
          serialNumber: `SN-${process.pid}-${Date.now()}-${serial}`,
          type: 'GATEWAY',
          authMethod,
          ...(opts.site === false ? {} : { siteId: site.id }),
          ...(opts.templateId ? { templateId: opts.templateId } : {}),
        },
        { organisationId: org.id },
      );
      return plants.provisionPlant(system, env, created.id);
    },
    async close() {
      await server.close();
      await db.dispose();
    },
  };
}

/**
 * MQTT.js options to connect as the plant of `pkg`: over TLS with its
 * certificate (MTLS), else with its password or token over TCP (`tls: true`
 * for the TLS port the package names).
 */
export function clientOptions(
  pkg: plants.ProvisioningPackage,
  opts: { protocolVersion?: 4 | 5; tls?: boolean } & IClientOptions = {},
): IClientOptions {
  const { protocolVersion = 4, tls = pkg.authMethod === 'MTLS', ...rest } = opts;
  const base: IClientOptions = {
    host: '127.0.0.1',
    port: tls ? pkg.mqtt.tlsPort : pkg.mqtt.tcpPort,
    protocol: tls ? 'mqtts' : 'mqtt',
    protocolVersion,
    clientId: pkg.mqtt.clientId,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    ...(tls ? { ca: pkg.security.caCert, rejectUnauthorized: true, servername: 'localhost' } : {}),
    ...(pkg.security.clientCert ? { cert: pkg.security.clientCert, key: pkg.security.clientKey } : {}),
    ...(pkg.authMethod === 'MTLS' ? {} : { username: pkg.mqtt.username, password: pkg.security.password ?? pkg.security.token }),
  };
  return { ...base, ...rest };
}

export function connectPlant(pkg: plants.ProvisioningPackage, opts: Parameters<typeof clientOptions>[1] = {}): Promise<MqttClient> {
  return mqtt.connectAsync(clientOptions(pkg, opts));
}

/** A refused CONNECT: the CONNACK's return code (3.1.1) or reason code (5). */
export async function refusedConnect(options: IClientOptions): Promise<number> {
  const client = mqtt.connect({ reconnectPeriod: 0, connectTimeout: 10_000, ...options });
  try {
    return await new Promise<number>((resolve, reject) => {
      client.once('connect', () => reject(new Error('connection accepted')));
      client.once('error', (err: Error & { code?: number }) => {
        if (typeof err.code === 'number') resolve(err.code);
        else reject(err);
      });
      client.once('close', () => reject(new Error('closed without a CONNACK')));
    });
  } finally {
    client.end(true);
  }
}

/** The signed envelope of `payload` as the plant sends it. */
export function signed(secret: string, payload: unknown): string {
  return plants.signEnvelope(secret, typeof payload === 'string' ? payload : JSON.stringify(payload));
}

/** Publishes QoS 1 and resolves with the PUBACK (MQTT 5: its reason code; 0 for 3.1.1). */
export function publishAcked(client: MqttClient, topic: string, payload: string | Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    client.publish(topic, payload, { qos: 1 }, (err, packet) => {
      if (err) {
        const code = (err as Error & { code?: number }).code;
        if (typeof code === 'number') resolve(code);
        else reject(err);
        return;
      }
      resolve((packet as { reasonCode?: number } | undefined)?.reasonCode ?? 0);
    });
  });
}

/** Resolves when the client's connection closes (the gateway closed it). */
export function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => {
    if (!client.connected) return resolve();
    client.once('close', () => resolve());
  });
}

/** Waits until `check` holds, polling; fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface SpawnedServer {
  child: ChildProcessByStdio<null, Readable, Readable>;
  url: string;
  mqttPort: number;
  tlsPort: number;
  /** Output so far, for failure messages. */
  output(): string;
  /** Sends the signal and resolves once the process exited. */
  stop(signal: NodeJS.Signals): Promise<void>;
}

/**
 * `helio serve` in a child process (the launcher `npx helio` runs), with
 * `env` as its only Helio settings; resolves once its HTTP server and its
 * MQTT gateway listen.
 */
export function spawnServer(cwd: string, env: NodeJS.ProcessEnv): Promise<SpawnedServer> {
  const child = startHelio(cwd, ['serve'], { HELIO_LOG_LEVEL: 'info', HELIO_PORT: '0', HELIO_ALERTS_INTERVAL_SECONDS: '0', ...env });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let url: string | undefined;
    let ports: { port: number; tlsPort: number } | undefined;
    let buffered = '';
    const timer = setTimeout(() => fail(new Error(`helio serve did not start in time:\n${out}`)), 60_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      buffered += d;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        let entry: { url?: string; mqtt?: { port: number; tlsPort: number } };
        try {
          entry = JSON.parse(line) as typeof entry;
        } catch {
          continue;
        }
        if (entry.mqtt?.port) ports = entry.mqtt;
        if (entry.url) url = entry.url;
      }
      if (url && ports) {
        clearTimeout(timer);
        resolve({
          child,
          url,
          mqttPort: ports.port,
          tlsPort: ports.tlsPort,
          output: () => out,
          stop: async (signal) => {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            await exited;
          },
        });
      }
    });
    child.once('exit', (code, signal) => fail(new Error(`helio serve exited (${code ?? signal}) before it listened:\n${out}`)));
  });
}
