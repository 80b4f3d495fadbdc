// Fixtures for the community registry API's tests: an app with two
// organisations, Helio users who are members (signed in with bearer tokens
// from the password grant) and API keys per role; bundles to import; the
// registry's tables as stored, to show that a refused request wrote nothing.
import { systemPrincipal, users, type communities } from '@helio/core';
import type { Db, Engine } from '@helio/db';
import { expect } from 'vitest';
import { z } from 'zod';
import { serviceContext } from '../../services.js';
import {
  createTenant,
  createTestApp,
  createTestClient,
  postTokenForm,
  type InjectResponse,
  type TestApp,
  type TestTenant,
} from '../../testing.js';

export type Json = Record<string, unknown>;
export type Method = 'GET' | 'POST';

/** A request as one caller; a string payload goes as it is (with the content type given, JSON by default). */
export type Call = (method: Method, url: string, payload?: unknown, headers?: Record<string, string>) => Promise<InjectResponse>;

export interface SignedInUser {
  id: string;
  email: string;
  /** Requests with the user's bearer token. */
  call: Call;
}

export interface CommunityTestApp {
  t: TestApp;
  a: TestTenant;
  b: TestTenant;
  /** Requests with each tenant's admin API key. */
  asA: Call;
  asB: Call;
  /** A's users: alice and bob are members of A's community (as imported by `importA`), erin of none; B's dave is in B's. */
  alice: SignedInUser;
  bob: SignedInUser;
  erin: SignedInUser;
  dave: SignedInUser;
  /** Requests as `credential` (an API key in x-api-key, or a bearer token). */
  as(credential: string, via?: 'x-api-key' | 'bearer'): Call;
  /** Anonymous requests. */
  anonymous: Call;
  /** Requests with a bearer token of A's owner (a user, signed in). */
  ownerOfA: Call;
  /** Signs a user in (password grant) and returns their requests. */
  signIn(email: string, password: string): Promise<Call>;
}

export function callerOf(t: TestApp, auth: Record<string, string>): Call {
  return (method, url, payload, headers = {}) => {
    if (payload === undefined) return t.app.inject({ method, url, headers: { ...auth, ...headers } });
    if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
      return t.app.inject({ method, url, payload, headers: { 'content-type': 'application/json', ...auth, ...headers } });
    }
    return t.app.inject({ method, url, payload: payload as object, headers: { ...auth, ...headers } });
  };
}

async function bearer(t: TestApp, client: OAuthClient, email: string, password: string): Promise<Call> {
  const res = await postTokenForm(t, {
    grant_type: 'password',
    client_id: client.clientId,
    client_secret: client.clientSecret,
    username: email,
    password,
  });
  expect(res.statusCode, res.body).toBe(200);
  return callerOf(t, { authorization: `Bearer ${res.json<{ access_token: string }>().access_token}` });
}

type OAuthClient = { clientId: string; clientSecret: string };

/** A viewer of the organisation, signed in with the password grant. */
async function signedIn(t: TestApp, organisationId: string, name: string, client: OAuthClient): Promise<SignedInUser> {
  const system = serviceContext(t.services, systemPrincipal);
  const email = `${name}-${organisationId}@example.com`;
  const password = 'correct horse battery staple';
  const user = await users.createUser(system, { email, name: `${name[0]!.toUpperCase()}${name.slice(1)}`, password });
  await users.addMember(system, { organisationId, userId: user.id, role: 'viewer' });
  return { id: user.id, email, call: await bearer(t, client, email, password) };
}

/** A fresh app, two organisations, four signed-in users. */
export async function communityTestApp(engine: Engine): Promise<CommunityTestApp> {
  const t = await createTestApp(engine);
  const a = await createTenant(t.services);
  const b = await createTenant(t.services);
  const client = await createTestClient(t.services, { grants: ['password'] });
  const as = (credential: string, via: 'x-api-key' | 'bearer' = 'x-api-key') =>
    callerOf(t, via === 'bearer' ? { authorization: `Bearer ${credential}` } : { 'x-api-key': credential });
  return {
    t,
    a,
    b,
    asA: as(a.keys.admin),
    asB: as(b.keys.admin),
    alice: await signedIn(t, a.organisationId, 'alice', client),
    bob: await signedIn(t, a.organisationId, 'bob', client),
    erin: await signedIn(t, b.organisationId, 'erin', client),
    dave: await signedIn(t, b.organisationId, 'dave', client),
    as,
    anonymous: callerOf(t, {}),
    ownerOfA: await bearer(t, client, a.owner.email, a.owner.password),
    signIn: (email, password) => bearer(t, client, email, password),
  };
}

export interface BundleOptions {
  /** Makes PODs and sensor ids unique in the installation. */
  tag: string;
  /** user_id of the members m-alice and m-bob. */
  alice?: string;
  bob?: string;
}

/**
 * A community bundle: areas, topology and an operator; m-alice (prosumer,
 * with an asset of every type and a sensor id holding "/"), m-bob (consumer,
 * one meter) and m-carol (producer, an outside identity, no assets).
 */
export function sampleBundle(key: string, o: BundleOptions): Json {
  const pod = (m: string) => `IT001E${o.tag}${m}`;
  return {
    version: '1.0',
    schema_version: '1.0',
    metadata: { description: `${key} registry` },
    community: {
      id: key,
      name: `Community ${key}`,
      description: 'Neighbours sharing a roof',
      legal: { legal_form: 'APS', vat: 'IT0123456789' },
      contact: { email: 'info@example.org' },
      settings: { timezone: 'Europe/Rome', currency: 'EUR' },
      operators: { dso: { name: 'Example DSO', country: 'IT' } },
      areas: { north: { name: 'North', topology: ['ps-1'], location: { lat: 45.1, lon: 11.2 } }, south: { name: 'South' } },
      topology: [
        { id: 'ps-1', type: 'primary_substation', operator_id: 'dso' },
        { id: 'tr-1', type: 'transformer', parent: 'ps-1' },
      ],
    },
    members: {
      'm-alice': {
        ...(o.alice ? { user_id: o.alice } : {}),
        name: 'Alice',
        type: 'schema:Person',
        role: 'prosumer',
        area: 'north',
        status: 'active',
        delivery_points: [{ id: pod('A'), type: 'pod', active: true, topology_node: 'tr-1' }],
        assets: {
          pv: { 'pv-a': { name: 'Roof PV', rated_power: 5, device: { type: 'fronius' } } },
          storage: { 'st-a': { name: 'Battery', capacity: 10 } },
          meter: {
            'mt-a': { name: 'Main meter', sensor_id: `${o.tag}/SEN-A`, meter_type: 'bidirectional', pod: pod('A') },
          },
          ev_charger: { 'ev-a': { name: 'Wallbox', max_power: 11, charger_type: 'ac_level2' } },
          heat_pump: { 'hp-a': { name: 'Heat pump', thermal_power: 8 } },
          load: { 'ld-a': { name: 'Fridge', controllable: false } },
        },
      },
      'm-bob': {
        ...(o.bob ? { user_id: o.bob } : {}),
        name: 'Bob',
        role: 'consumer',
        area: 'south',
        status: 'active',
        delivery_points: [{ id: pod('B'), type: 'pod' }],
        assets: { meter: { 'mt-b': { name: 'Bob meter', sensor_id: `${o.tag}-SEN-B`, meter_type: 'consumption', pod: pod('B') } } },
      },
      'm-carol': {
        user_id: `ext-carol-${o.tag}`,
        name: 'Carol',
        role: 'producer',
        area: 'north',
        status: 'pending',
        delivery_points: [{ id: pod('C'), type: 'cups', active: false }],
      },
    },
  };
}

/** Imports `bundle` (JSON, wrapped) and expects it to succeed. */
export async function importOk(call: Call, bundle: Json): Promise<communities.ImportReport> {
  const res = await call('POST', '/admin/import', { bundle, dry_run: false });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

/** The four registry tables as stored, tombstones and change sequences included: equal before and after a refused request. */
export async function registrySnapshot(db: Db): Promise<Record<string, unknown[]>> {
  const snapshot: Record<string, unknown[]> = {};
  for (const table of [
    'communities',
    'community_members',
    'community_delivery_points',
    'community_assets',
    'organisation_change_counters',
  ]) {
    snapshot[table] = (await db.query(`SELECT * FROM ${table} ORDER BY 1, 2`)).rows;
  }
  return snapshot;
}

/** Expects `res` to be the community registry API's error with this status, code and (string) detail. */
export function expectError(res: InjectResponse, status: number, code: string, detail?: string | RegExp): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json<{ detail: unknown; code: string }>();
  expect(Object.keys(body).sort()).toEqual(['code', 'detail']);
  expect(body.code).toBe(code);
  if (typeof detail === 'string') expect(body.detail).toBe(detail);
  else if (detail) expect(body.detail).toMatch(detail);
}

export interface Problem {
  loc: (string | number)[];
  msg: string;
  type: string;
  doc?: number;
  line?: number;
  column?: number;
}

/** Expects a FastAPI validation body (422 VALIDATION_ERROR, or 400 MALFORMED_REQUEST) and returns its problems. */
export function expectProblems(res: InjectResponse, status: 400 | 422): Problem[] {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json<{ detail: Problem[]; code: string }>();
  expect(body.code).toBe(status === 422 ? 'VALIDATION_ERROR' : 'MALFORMED_REQUEST');
  expect(Array.isArray(body.detail)).toBe(true);
  for (const p of body.detail) {
    expect(p).toMatchObject({ loc: expect.any(Array), msg: expect.any(String), type: expect.any(String) });
  }
  return body.detail;
}

/** Parses `body` with the published shape, failing the test with zod's issues if it does not fit. */
export function expectShape<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const result = schema.safeParse(body);
  if (!result.success) expect.fail(`not the published shape: ${z.prettifyError(result.error)}\n${JSON.stringify(body).slice(0, 500)}`);
  return result.data as z.output<T>;
}

/** A user who is in no organisation at all (to be linked from a bundle by id). */
export async function userInNoOrganisation(t: TestApp): Promise<string> {
  const system = serviceContext(t.services, systemPrincipal);
  const email = `nobody-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}@example.com`;
  const user = await users.createUser(system, { email, name: 'Nobody', password: 'correct horse battery staple' });
  return user.id;
}
