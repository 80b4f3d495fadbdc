// Helio as the bench runs it: on PGlite in a temporary data directory, or on a
// temporary PostgreSQL database created and dropped here; seeded through the
// core services like any organisation would be.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiKeys, organisations, sites, systemPrincipal, type ServiceContext } from '@helio/core';
import type { Engine } from '@helio/db';
import { loadConfig, serviceContext, startServer, type RunningServer } from '@helio/server';
import pg from 'pg';
import { postgresMeter, processMeter, type CpuMeter } from './cpu-meter.js';

export interface BenchedHelio {
  server: RunningServer;
  meter: CpuMeter;
  cleanup(): Promise<void>;
}

function maskPassword(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Starts Helio on the engine, or says why it cannot (PostgreSQL unreachable).
 * `adminUrl` is a PostgreSQL database the bench may create databases from.
 */
export async function startHelio(engine: Engine, adminUrl: string): Promise<BenchedHelio | string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'helio-bench-'));
  const removeDir = () => rmSync(dataDir, { recursive: true, force: true });
  let databaseUrl: string | undefined;
  let dropDatabase = async () => undefined as void;
  // PGlite runs inside this process, so its work counts as server CPU.
  let meter = processMeter;
  if (engine === 'postgres') {
    const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
    try {
      await admin.connect();
    } catch (err) {
      removeDir();
      return `PostgreSQL unreachable at ${maskPassword(adminUrl)} (${message(err)}); set BENCH_DATABASE_URL`;
    }
    const name = `helio_bench_${randomBytes(4).toString('hex')}`;
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } catch (err) {
      await admin.end();
      removeDir();
      return `cannot create a database at ${maskPassword(adminUrl)}: ${message(err)}`;
    }
    const u = new URL(adminUrl);
    u.pathname = `/${name}`;
    databaseUrl = u.toString();
    meter = postgresMeter(admin, name);
    dropDatabase = async () => {
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    };
  }
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
      // The API bench measures HTTP; bench:mqtt measures the gateway.
      mqtt: { enabled: false },
    },
  });
  let server: RunningServer;
  try {
    server = await startServer(config, { logger: false });
  } catch (err) {
    await dropDatabase();
    removeDir();
    throw err;
  }
  return {
    server,
    meter,
    cleanup: async () => {
      await server.close();
      await dropDatabase();
      removeDir();
    },
  };
}

const units = ['kW', 'kWp', 'MW', 'MWp'] as const;
const zones = ['Europe/Berlin', 'Europe/Madrid', 'America/Chicago', 'Australia/Sydney', 'UTC'];

async function seedSites(ctx: ServiceContext, organisationId: string, count: number, label: string): Promise<void> {
  for (let i = 0; i < count; i++) {
    await sites.createSite(ctx, {
      organisationId,
      siteName: `${label} solar park ${i + 1}`,
      address: `${i + 1} Sunny Road, ${1000 + i} Helio City`,
      capacity: 250 + ((i * 37) % 4000),
      unit: units[i % units.length],
      latitude: -60 + ((i * 7.31) % 120),
      longitude: -170 + ((i * 13.7) % 340),
      siteManager: `Manager ${i % 17}`,
      timezone: zones[i % zones.length],
    });
  }
}

/**
 * An organisation with an admin API key and `count` sites, beside another
 * tenant's sites that its list must leave out. Returns the key.
 */
export async function seed(server: RunningServer, count: number): Promise<string> {
  const ctx = serviceContext(server.services, systemPrincipal);
  const org = await organisations.createOrganisation(ctx, { name: 'Bench Energy' });
  const other = await organisations.createOrganisation(ctx, { name: 'Other Tenant' });
  const { key } = await apiKeys.createApiKey(ctx, { organisationId: org.id, name: 'bench', role: 'admin' });
  await seedSites(ctx, org.id, count, 'Bench');
  await seedSites(ctx, other.id, 50, 'Other');
  return key;
}
