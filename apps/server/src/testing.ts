// Test fixtures for the HTTP layer: an app on a fresh database of either
// engine, and organisations with members and keys to act as.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  apiKeys,
  createUuidV7Generator,
  organisations,
  systemClock,
  systemPrincipal,
  users,
  type Clock,
  type Role,
} from '@helio/core';
import type { Engine } from '@helio/db';
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

export async function createTestApp(
  engine: Engine,
  options: { config?: Partial<Config>; clock?: Clock } = {},
): Promise<TestApp> {
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
