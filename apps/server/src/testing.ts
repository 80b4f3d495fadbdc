// Test fixtures for the HTTP layer: an app on a fresh database of either
// engine, and organisations with members and keys to act as.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  apiKeys,
  createUuidV7Generator,
  oauth,
  organisations,
  systemClock,
  systemPrincipal,
  users,
  type Clock,
  type Role,
} from '@helio/core';
import type { Db, Engine } from '@helio/db';
import { freshTestDb, type TestDb } from '@helio/db/testing';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { loadConfig, type Config } from './config.js';
import { createDocumentServices, serviceContext, type AppServices } from './services.js';

export interface TestApp {
  app: FastifyInstance;
  services: AppServices;
  db: TestDb;
  dataDir: string;
  close(): Promise<void>;
}

export async function createTestApp(engine: Engine, options: { config?: Partial<Config>; clock?: Clock } = {}): Promise<TestApp> {
  const db = await freshTestDb(engine);
  const dataDir = mkdtempSync(join(tmpdir(), 'helio-test-'));
  const config = loadConfig({
    env: {},
    file: undefined,
    overrides: { dataDir, secret: 'test-secret-that-is-at-least-32-characters', rateLimitPerMinute: 100_000, ...options.config },
  });
  const services: AppServices = {
    db,
    clock: options.clock ?? systemClock,
    ids: createUuidV7Generator(),
    config,
    ...createDocumentServices(config),
  };
  const app = await buildApp(services);
  await app.ready();
  return {
    app,
    services,
    db,
    dataDir,
    close: async () => {
      await app.close();
      await db.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface TestTenant {
  organisationId: string;
  /** An API key per role, ready for the `x-api-key` header. */
  keys: Record<Role, string>;
  owner: { id: string; email: string; password: string };
}

let tenantCounter = 0;

/** An organisation with an owner user (password login) and one API key per role. */
export async function createTenant(services: AppServices, name = `Org ${++tenantCounter}`): Promise<TestTenant> {
  const system = serviceContext(services, systemPrincipal);
  const org = await organisations.createOrganisation(system, { name });
  const password = 'correct horse battery staple';
  const email = `owner-${org.id}@example.com`;
  const owner = await users.createUser(system, { email, name: `${name} owner`, password });
  await users.addMember(system, { organisationId: org.id, userId: owner.id, role: 'owner' });
  const keys = {} as Record<Role, string>;
  for (const role of ['owner', 'admin', 'technician', 'viewer'] as const) {
    keys[role] = (await apiKeys.createApiKey(system, { organisationId: org.id, name: `${role} key`, role })).key;
  }
  return { organisationId: org.id, keys, owner: { id: owner.id, email, password } };
}

export type InjectResponse = Awaited<ReturnType<FastifyInstance['inject']>>;
export type Requester = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) => Promise<InjectResponse>;

/**
 * Requests as the holder of `credential`: in `x-api-key`, or as `Authorization: Bearer`.
 * Objects go as JSON; a string goes as it is, labelled JSON (to send malformed JSON).
 */
export function requester(t: TestApp, credential: string, via: 'x-api-key' | 'bearer' = 'x-api-key'): Requester {
  const auth = via === 'bearer' ? { authorization: `Bearer ${credential}` } : { 'x-api-key': credential };
  return (method, url, payload) => {
    if (typeof payload === 'string')
      return t.app.inject({ method, url, payload, headers: { ...auth, 'content-type': 'application/json' } });
    return t.app.inject({ method, url, headers: auth, ...(payload === undefined ? {} : { payload: payload as object }) });
  };
}

/**
 * The asset register as stored, tombstones and change counters included (of one
 * organisation, or all). Equal before and after a refused request: nothing was written.
 */
export async function registerSnapshot(db: Db, organisationId?: string): Promise<Record<string, unknown[]>> {
  const snapshot: Record<string, unknown[]> = {};
  for (const table of ['sites', 'portfolios', 'organisation_change_counters']) {
    const { rows } = await db.query(`SELECT * FROM ${table} WHERE $1::uuid IS NULL OR organisation_id = $1 ORDER BY organisation_id, 1`, [
      organisationId ?? null,
    ]);
    snapshot[table] = rows;
  }
  return snapshot;
}

/** A clock that stands still until moved: for expiry tests. */
export function manualClock(start = new Date('2030-01-01T00:00:00Z')): Clock & { advance(seconds: number): void } {
  let ms = start.getTime();
  return {
    now: () => new Date(ms),
    advance: (seconds) => {
      ms += seconds * 1000;
    },
  };
}

/** An OAuth client registered by an operator, as `helio oauth-client create` does. */
export function createTestClient(services: AppServices, input: Record<string, unknown>) {
  return oauth.createOAuthClient(serviceContext(services, systemPrincipal), { name: 'test client', ...input });
}

/** POST /oauth/token with a form-encoded body. */
export function postTokenForm(t: TestApp, fields: Record<string, string>): Promise<InjectResponse> {
  return t.app.inject({
    method: 'POST',
    url: '/oauth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(fields).toString(),
  });
}

export interface TwoTenantApp {
  t: TestApp;
  a: TestTenant;
  b: TestTenant;
  /** Requests with each tenant's admin key. */
  asA: Requester;
  asB: Requester;
}

/** A fresh app with two organisations: the usual start of a tenancy test. */
export async function twoTenantApp(engine: Engine, options: Parameters<typeof createTestApp>[1] = {}): Promise<TwoTenantApp> {
  const t = await createTestApp(engine, options);
  const a = await createTenant(t.services);
  const b = await createTenant(t.services);
  return { t, a, b, asA: requester(t, a.keys.admin), asB: requester(t, b.keys.admin) };
}
