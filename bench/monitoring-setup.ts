// What bench/monitoring.ts measures on: a fresh, migrated database on each
// engine (PGlite in a temporary directory, or a temporary PostgreSQL database
// created and dropped here), the organisations, sites and components of each
// part made through the core services, and the readings they get, generated
// here and written through the ingest service.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  components,
  createUuidV7Generator,
  organisations,
  readings,
  readingSchemas,
  sites,
  systemClock,
  systemPrincipal,
  type ServiceContext,
} from '@helio/core';
import { migrate, type Db, type Engine } from '@helio/db';
import { openPglite } from '@helio/db/pglite';
import { openPostgres } from '@helio/db/postgres';
import pg from 'pg';

export interface BenchDb {
  db: Db;
  ctx: ServiceContext;
  cleanup(): Promise<void>;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

function maskPassword(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/** A migrated database on the engine, or why there is none (PostgreSQL unreachable). */
export async function openBenchDb(engine: Engine, adminUrl: string): Promise<BenchDb | string> {
  let db: Db;
  let drop = async () => undefined as void;
  if (engine === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), 'helio-bench-monitoring-'));
    db = await openPglite({ dataDir: dir });
    drop = async () => rmSync(dir, { recursive: true, force: true });
  } else {
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
    db = openPostgres({ connectionString: u.toString(), max: 8 });
    drop = async () => {
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    };
  }
  await migrate(db);
  return {
    db,
    ctx: { db, clock: systemClock, ids: createUuidV7Generator(), principal: systemPrincipal },
    cleanup: async () => {
      await db.close();
      await drop();
    },
  };
}

export const MINUTE = 60_000;
export const HOUR = 3_600_000;

/**
 * Energy values that add up exactly in binary floating point, in any order
 * (multiples of 1/64 Wh, far below 2^53 in total): the rollups and a raw
 * GROUP BY add them in different orders, and must still agree to the last bit.
 */
export function energyAt(ms: number, peakWh: number): number {
  const hour = (ms / HOUR) % 24;
  const sun = Math.max(0, Math.sin(((hour - 6) / 12) * Math.PI));
  const wobble = (Math.imul(Math.floor(ms / MINUTE), 2654435761 | 0) >>> 0) % 97;
  return Math.round((sun * peakWh + wobble / 97) * 64) / 64;
}

/** A site in Europe/Berlin with a size (so the alert rules and the model have what they need). */
export async function benchSite(ctx: ServiceContext, organisationId: string, name: string): Promise<string> {
  const site = await sites.createSite(ctx, {
    organisationId,
    siteName: name,
    latitude: 52.52,
    longitude: 13.405,
    timezone: 'Europe/Berlin',
    sizeKw: 100,
  });
  return site.id;
}

export async function benchComponent(ctx: ServiceContext, siteId: string, nodeId: string, nodeType: 'METER' | 'INVERTER'): Promise<string> {
  return (await components.createComponent(ctx, { siteId, nodeId, name: nodeId, nodeType })).id;
}

export async function benchOrganisation(ctx: ServiceContext, name: string): Promise<string> {
  return (await organisations.createOrganisation(ctx, { name })).id;
}

/** Ingest rows of one field (`Wh`) at `step` from `from` to `to`, in requests of at most 10 000 rows. */
export async function ingestEnergy(
  ctx: ServiceContext,
  componentId: string,
  from: number,
  to: number,
  step: number,
  peakWh: number,
): Promise<number> {
  let stored = 0;
  let rows: { ts: string; Wh: number }[] = [];
  const flush = async () => {
    if (rows.length === 0) return;
    stored += (await readings.ingestReadings(ctx, componentId, { readings: rows })).stored;
    rows = [];
  };
  for (let t = from; t < to; t += step) {
    rows.push({ ts: new Date(t).toISOString(), Wh: energyAt(t, peakWh) });
    if (rows.length === readingSchemas.MAX_ROWS_PER_REQUEST) await flush();
  }
  await flush();
  return stored;
}

/** Runs `work` over `items` with at most `concurrency` at a time. */
export async function eachLimited<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await work(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/** Instant of a wall-clock midnight in Europe/Berlin (offset +01:00 in January: the bench's years start there). */
export function berlinNewYear(year: number): number {
  return Date.UTC(year, 0, 1) - HOUR;
}
