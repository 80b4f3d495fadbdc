// Helio as bench/mqtt.ts runs it: the server started in this process by
// startServer (the code `npm start` runs) on a temporary PostgreSQL database
// created and dropped here, with its MQTT gateway on free ports; plants made
// and provisioned through the core services, as the Plants API does.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiKeys, organisations, plants, sites, systemPrincipal, type ServiceContext } from '@helio/core';
import * as helioServer from '@helio/server';
import { loadConfig, serviceContext, startServer, type AppServices, type RunningServer } from '@helio/server';
import pg from 'pg';
import { eachLimited } from './monitoring-setup.js';
import type { PlantCredentials } from './mqtt-jobs.js';

export interface BenchGateway {
  server: RunningServer;
  ctx: ServiceContext;
  /** The server's plant environment, when @helio/server exports it; else plants are provisioned through the REST API. */
  env: plants.PlantEnvironment | null;
  /** MQTT over TCP, as the provisioning packages name it. */
  mqttUrl: string;
  databaseUrl: string;
  /** A connection of the bench's own to the bench database (checks, the INSERT peer). */
  db: pg.Client;
  cleanup(): Promise<void>;
}

export interface BenchPlant extends PlantCredentials {
  componentId: string | null;
}

function maskPassword(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The server's plant environment (device CA, keys, the broker's address), the
 * one its gateway and REST API use: looked up on @helio/server's exports, which
 * the bench may import (the server's source files are not its to reach into).
 */
async function plantEnvironmentOf(services: AppServices): Promise<plants.PlantEnvironment | null> {
  const fn = (helioServer as Record<string, unknown>)['plantEnvironment'];
  return typeof fn === 'function' ? (fn as (s: AppServices) => Promise<plants.PlantEnvironment>)(services) : null;
}

/** Starts Helio on a temporary PostgreSQL database with its gateway on free ports, or says why it cannot. */
export async function startGateway(adminUrl: string): Promise<BenchGateway | string> {
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (err) {
    return `PostgreSQL unreachable at ${maskPassword(adminUrl)} (${message(err)}); set BENCH_DATABASE_URL`;
  }
  const name = `helio_bench_${randomBytes(4).toString('hex')}`;
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } catch (err) {
    await admin.end();
    return `cannot create a database at ${maskPassword(adminUrl)}: ${message(err)}`;
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const databaseUrl = u.toString();
  const dataDir = mkdtempSync(join(tmpdir(), 'helio-bench-mqtt-'));
  const dropAll = async () => {
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await admin.end();
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
  let server: RunningServer;
  try {
    const config = loadConfig({
      env: {},
      overrides: {
        host: '127.0.0.1',
        port: 0,
        dataDir,
        databaseUrl,
        logLevel: 'silent',
        secret: randomBytes(32).toString('base64url'),
        // The bench measures the server, not the limiter refusing it.
        rateLimitPerMinute: 1_000_000_000,
        // Free ports: this machine's Mosquitto holds 1883, and the bench may run beside a server.
        mqtt: { host: '127.0.0.1', port: 0, tlsPort: 0, publicHost: '127.0.0.1' },
      },
    });
    server = await startServer(config, { logger: false });
  } catch (err) {
    await dropAll();
    return `Helio's server with its MQTT gateway did not start: ${message(err)}`;
  }
  const db = new pg.Client({ connectionString: databaseUrl });
  let env: plants.PlantEnvironment | null;
  try {
    await db.connect();
    env = await plantEnvironmentOf(server.services);
  } catch (err) {
    await db.end().catch(() => undefined);
    await server.close();
    await dropAll();
    return message(err);
  }
  if (!server.mqtt) {
    await db.end();
    await server.close();
    await dropAll();
    return 'the server started without its MQTT gateway';
  }
  return {
    server,
    ctx: serviceContext(server.services, systemPrincipal),
    env,
    mqttUrl: `mqtt://127.0.0.1:${server.mqtt.port}`,
    databaseUrl,
    db,
    cleanup: async () => {
      await db.end().catch(() => undefined);
      await server.close();
      await dropAll();
    },
  };
}

/** An organisation with a site (so plants map to components and their telemetry is stored) and an admin API key. */
export async function benchOrganisation(gw: BenchGateway): Promise<{ organisationId: string; siteId: string; apiKey: string }> {
  const org = await organisations.createOrganisation(gw.ctx, { name: 'MQTT bench' });
  const site = await sites.createSite(gw.ctx, {
    organisationId: org.id,
    siteName: 'MQTT bench park',
    latitude: 52.52,
    longitude: 13.405,
    timezone: 'Europe/Berlin',
    sizeKw: 1000,
  });
  const { key } = await apiKeys.createApiKey(gw.ctx, { organisationId: org.id, name: 'mqtt bench', role: 'admin' });
  return { organisationId: org.id, siteId: site.id, apiKey: key };
}

/**
 * `count` plants created and provisioned through the core services, four at a
 * time (provisioned through the REST API when the server's plant environment
 * is not exported). With a site each maps to a component of its own. TOKEN plants present
 * their package's JWT as the password, PASSWORD plants their password.
 */
export async function createPlants(
  gw: BenchGateway,
  opts: { organisationId: string; apiKey: string; siteId?: string; count: number; authMethod: 'PASSWORD' | 'TOKEN'; label: string },
): Promise<BenchPlant[]> {
  const out = new Array<BenchPlant>(opts.count);
  await eachLimited(
    Array.from({ length: opts.count }, (_, i) => i),
    4,
    async (i) => {
      const plant = await plants.createPlant(
        gw.ctx,
        {
          name: `${opts.label} ${i + 1}`,
          serialNumber: `${opts.label}-${i + 1}-${randomBytes(3).toString('hex')}`,
          type: 'GATEWAY',
          authMethod: opts.authMethod,
          ...(opts.siteId ? { siteId: opts.siteId } : {}),
        },
        { organisationId: opts.organisationId },
      );
      const pkg = gw.env ? await plants.provisionPlant(gw.ctx, gw.env, plant.id) : await provisionByRest(gw, opts.apiKey, plant.id);
      const password = opts.authMethod === 'TOKEN' ? pkg.security.token : pkg.security.password;
      if (!password)
        throw new Error(
          `the provisioning package of a ${opts.authMethod} plant has no ${opts.authMethod === 'TOKEN' ? 'token' : 'password'}`,
        );
      if (pkg.mqtt.tcpPort !== gw.server.mqtt?.port)
        throw new Error(`the package names TCP port ${pkg.mqtt.tcpPort}, the gateway listens on ${gw.server.mqtt?.port}`);
      out[i] = { plantId: plant.id, password, hmacSecret: pkg.security.hmacSecret, componentId: plant.componentId ?? null, package: pkg };
    },
  );
  return out;
}

/** A plant's package through the Plants API, as an integrator would get it. */
async function provisionByRest(gw: BenchGateway, apiKey: string, plantId: string): Promise<plants.ProvisioningPackage> {
  const res = await fetch(`${gw.server.url}/api/v1/plants/${plantId}/provision`, { method: 'POST', headers: { 'x-api-key': apiKey } });
  const body = (await res.json()) as plants.ProvisioningPackage & { message?: string };
  if (res.status !== 200 && res.status !== 201)
    throw new Error(`POST /api/v1/plants/${plantId}/provision answered ${res.status}: ${body.message}`);
  return body;
}

/** Readings stored for these components with a time in [from, to). */
export async function storedReadings(gw: BenchGateway, componentIds: string[], from: number, to: number): Promise<number> {
  const { rows } = await gw.db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM readings WHERE component_id = ANY($1::uuid[]) AND ts >= $2 AND ts < $3',
    [componentIds, new Date(from), new Date(to)],
  );
  return rows[0]!.n;
}

/** Plants the registry shows ONLINE (the gateway's own account of its connections). */
export async function onlinePlants(gw: BenchGateway, plantIds: string[]): Promise<number> {
  const { rows } = await gw.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM plants WHERE id = ANY($1::uuid[]) AND status = 'ONLINE'`,
    [plantIds],
  );
  return rows[0]!.n;
}

/** Messages the gateway dropped (bad signature or shape) from these plants. */
export async function droppedMessages(gw: BenchGateway, plantIds: string[]): Promise<{ count: number; reason: string | null }> {
  const { rows } = await gw.db.query<{ n: number; reason: string | null }>(
    `SELECT coalesce(sum(dropped_message_count), 0)::int AS n, max(last_drop_reason) AS reason FROM plants WHERE id = ANY($1::uuid[])`,
    [plantIds],
  );
  return { count: rows[0]!.n, reason: rows[0]!.reason };
}
