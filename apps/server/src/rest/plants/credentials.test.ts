// The Plants API's credential and lifecycle routes: provisioning packages per
// method (an MTLS certificate checked with openssl against Helio's CA), CSRs,
// MQTT tokens, secret rotation, suspension, reactivation, revocation, the
// spec's 400 message for every refused transition, and certificate statistics.
import { createHash, X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../../test-engines.js';
import { createTenant, createTestApp, manualClock, type TestApp, type TestTenant } from '../../testing.js';
import { caller, createPlant, PLANT_NOT_FOUND, plantsError, type Call, type Json } from './testing.js';

interface Package {
  authMethod: string;
  mqtt: {
    broker: string;
    port: number;
    tls: boolean;
    tlsPort: number;
    tcpPort: number;
    username: string;
    clientId: string;
    topics: Record<string, string>;
  };
  plantId: string;
  protocol: Json;
  security: {
    caCert: string;
    clientCert?: string;
    clientKey?: string;
    hmacSecret: string;
    password?: string;
    token?: string;
    tokenExpiresAt?: string;
  };
}

const REFUSED = {
  provision: 'Invalid UUID or plant cannot be provisioned in its current state',
  suspend: 'Invalid UUID or plant cannot be suspended in its current state',
  reactivate: 'Invalid UUID or plant cannot be reactivated in its current state',
  revoke: 'Invalid UUID or plant is already decommissioned',
  rotate: 'Invalid UUID or plant cannot rotate secret in its current state',
  token: 'Invalid UUID or plant is not eligible for MQTT token issuance',
};

function openssl(args: string[], input?: string): string {
  return execFileSync('openssl', args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

const fingerprintOf = (pem: string) => createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
const jwtClaims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Json;

describeEachEngine('Plants API: credentials and lifecycle', (engine) => {
  let t: TestApp;
  let a: TestTenant;
  let asA: Call;
  // Real time (openssl checks validity against the real clock); the statistics test, last, moves it.
  const clock = manualClock(new Date());
  let file = 0;
  const write = (text: string) => {
    const path = join(t.dataDir, `f${++file}.pem`);
    writeFileSync(path, text);
    return path;
  };
  beforeAll(async () => {
    t = await createTestApp(engine, { clock });
    a = await createTenant(t.services);
    asA = caller(t, a);
  });
  afterAll(() => t.close());

  async function provision(plantId: string, body?: unknown): Promise<Package> {
    const res = await asA('POST', `/plants/${plantId}/provision`, body);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    return res.json<Package>();
  }

  async function plantRow(id: string) {
    const { rows } = await t.db.query<Json>('SELECT * FROM plants WHERE id = $1', [id]);
    return rows[0]!;
  }

  it("provisions an MTLS plant: a package whose certificate verifies against Helio's CA with openssl", async () => {
    const plant = await createPlant(asA);
    const pkg = await provision(plant.id);
    expect(pkg).toMatchObject({
      authMethod: 'MTLS',
      mqtt: {
        broker: expect.any(String),
        port: pkg.mqtt.tlsPort,
        tls: true,
        tcpPort: expect.any(Number),
        username: plant.id,
        clientId: plant.id,
        topics: {
          ack: `plants/${plant.id}/ack`,
          commands: `plants/${plant.id}/commands`,
          status: `plants/${plant.id}/status`,
          telemetry: `plants/${plant.id}/telemetry`,
        },
      },
      plantId: plant.id,
      protocol: expect.any(Object),
      security: {
        caCert: expect.stringContaining('-----BEGIN CERTIFICATE-----'),
        clientCert: expect.stringContaining('-----BEGIN CERTIFICATE-----'),
        clientKey: expect.stringContaining('PRIVATE KEY-----'),
        hmacSecret: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
    });
    const ca = write(pkg.security.caCert);
    const cert = write(pkg.security.clientCert!);
    expect(openssl(['verify', '-CAfile', ca, '-purpose', 'sslclient', cert]).trim()).toBe(`${cert}: OK`);
    expect(openssl(['x509', '-in', cert, '-noout', '-subject', '-nameopt', 'sep_multiline'])).toContain(`CN=${plant.id}`);
    // The key in the package is the certificate's.
    const certKey = openssl(['x509', '-in', cert, '-noout', '-pubkey']);
    expect(openssl(['pkey', '-pubout'], pkg.security.clientKey)).toBe(certKey);
    // A certificate from another CA does not verify against it.
    const otherKey = write(openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']));
    const selfSigned = write(openssl(['req', '-x509', '-new', '-key', otherKey, '-subj', `/CN=${plant.id}`, '-days', '1']));
    expect(() => openssl(['verify', '-CAfile', ca, selfSigned])).toThrow();

    const after = (await asA('GET', `/plants/${plant.id}`)).json<Json>();
    const x509 = new X509Certificate(pkg.security.clientCert!);
    expect(after).toMatchObject({
      lifecycleStatus: 'PROVISIONED',
      certificateFingerprint: fingerprintOf(pkg.security.clientCert!),
      certificateSerialNumber: x509.serialNumber.toLowerCase(),
      certificateExpiresAt: new Date(x509.validTo).toISOString(),
      secretRotatedAt: expect.any(String),
    });
    // About a year (mqtt.certificateValidityDays, 365 by default).
    const days = (Date.parse(after.certificateExpiresAt as string) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(364);
    expect(days).toBeLessThanOrEqual(365);
    // The secret is stored sealed, never in the clear.
    const row = await plantRow(plant.id);
    expect(row.hmac_secret_enc).toEqual(expect.any(String));
    expect(JSON.stringify(row)).not.toContain(pkg.security.hmacSecret);
  });

  it('downloads a fresh package as an attachment; the new certificate retires the previous one', async () => {
    const plant = await createPlant(asA);
    const first = await provision(plant.id);
    const res = await asA('GET', `/plants/${plant.id}/provision/download`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="plant-${plant.id}-provisioning.json"`);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-store');
    const second = JSON.parse(res.body) as Package;
    expect(second.plantId).toBe(plant.id);
    expect(second.security.clientCert).not.toBe(first.security.clientCert);
    expect(second.security.hmacSecret).not.toBe(first.security.hmacSecret);

    const { rows } = await t.db.query<{ fingerprint: string; state: string }>(
      'SELECT fingerprint, state FROM plant_certificates WHERE plant_id = $1 ORDER BY issued_at, state',
      [plant.id],
    );
    expect(rows).toEqual(
      expect.arrayContaining([
        { fingerprint: fingerprintOf(first.security.clientCert!), state: 'retired' },
        { fingerprint: fingerprintOf(second.security.clientCert!), state: 'active' },
      ]),
    );
    expect((await asA('GET', `/plants/${plant.id}`)).json()).toMatchObject({
      certificateFingerprint: fingerprintOf(second.security.clientCert!),
    });

    // A HEAD (a link checker, a proxy) is not served: it would replace the device's credentials and lose the new ones.
    expect((await asA('HEAD', `/plants/${plant.id}/provision/download`)).statusCode).toBe(404);
    expect((await asA('GET', `/plants/${plant.id}`)).json()).toMatchObject({
      certificateFingerprint: fingerprintOf(second.security.clientCert!),
    });
  });

  it("issues the certificate from the device's CSR: the device keeps its key, the CN is the plant id", async () => {
    const plant = await createPlant(asA);
    const key = write(openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']));
    const csr = openssl(['req', '-new', '-key', key, '-subj', '/CN=someone-else/O=Elsewhere']);
    const pkg = await provision(plant.id, { csr });
    expect(pkg.security.clientKey).toBeUndefined();
    const cert = write(pkg.security.clientCert!);
    expect(openssl(['verify', '-CAfile', write(pkg.security.caCert), cert]).trim()).toBe(`${cert}: OK`);
    expect(openssl(['x509', '-in', cert, '-noout', '-pubkey'])).toBe(openssl(['pkey', '-in', key, '-pubout']));
    const subject = openssl(['x509', '-in', cert, '-noout', '-subject']);
    expect(subject).toContain(plant.id);
    expect(subject).not.toContain('someone-else');

    const broken = await asA('POST', `/plants/${plant.id}/provision`, { csr: csr.replace(/[A-Za-z]{8}\n/, 'AAAAAAAA\n') });
    expect(broken.statusCode).toBe(400);
    expect(broken.json()).toMatchObject({ code: 'BAD_REQUEST', message: REFUSED.provision, details: { issues: [{ path: 'csr' }] } });
    const notText = await asA('POST', `/plants/${plant.id}/provision`, { csr: 42 });
    expect(notText.json()).toMatchObject({ statusCode: 400, code: 'BAD_REQUEST', message: REFUSED.provision });
    // Nothing changed: the certificate of the CSR is still the plant's.
    expect((await asA('GET', `/plants/${plant.id}`)).json()).toMatchObject({
      certificateFingerprint: fingerprintOf(pkg.security.clientCert!),
    });
  });

  it('provisions a TOKEN plant with a token and issues new ones; other plants get none', async () => {
    const plant = await createPlant(asA, { authMethod: 'TOKEN' });
    const pending = await asA('POST', `/plants/${plant.id}/mqtt-token`);
    expect(pending.statusCode).toBe(400);
    expect(pending.json()).toMatchObject(plantsError(400, 'BAD_REQUEST', REFUSED.token));

    const pkg = await provision(plant.id);
    expect(pkg.authMethod).toBe('TOKEN');
    // The token goes over TLS like every method's credential (the package's CA verifies the gateway); plain TCP is named apart.
    expect(pkg.mqtt).toMatchObject({ port: pkg.mqtt.tlsPort, tls: true });
    expect(pkg.mqtt.tcpPort).toEqual(expect.any(Number));
    expect(pkg.mqtt.tcpPort).not.toBe(pkg.mqtt.port);
    expect(pkg.security.caCert).toContain('-----BEGIN CERTIFICATE-----');
    expect(pkg.security.clientCert).toBeUndefined();
    expect(jwtClaims(pkg.security.token!)).toMatchObject({ sub: plant.id, aud: 'helio-mqtt' });

    const res = await asA('POST', `/plants/${plant.id}/mqtt-token`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const { token, expiresAt } = res.json<{ token: string; expiresAt: string }>();
    const claims = jwtClaims(token) as { sub: string; aud: string; iat: number; exp: number };
    expect(claims).toMatchObject({ sub: plant.id, aud: 'helio-mqtt' });
    expect(claims.exp - claims.iat).toBeLessThanOrEqual(86_400);
    expect(claims.exp - claims.iat).toBeGreaterThan(86_300);
    expect(Date.parse(expiresAt)).toBe(claims.exp * 1000);
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString())).toMatchObject({ alg: 'HS256' });

    const mtls = await createPlant(asA);
    await provision(mtls.id);
    const refused = await asA('POST', `/plants/${mtls.id}/mqtt-token`);
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ code: 'BAD_REQUEST', message: REFUSED.token });
  });

  it('provisions a PASSWORD plant with a password shown once and stored as its SHA-256 digest', async () => {
    const plant = await createPlant(asA, { authMethod: 'PASSWORD' });
    const pkg = await provision(plant.id);
    expect(pkg.authMethod).toBe('PASSWORD');
    expect(pkg.security.password).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(pkg.security.clientCert).toBeUndefined();
    expect(pkg.mqtt.username).toBe(plant.id);
    // Never meant for the plain TCP port: the package sends the password to the TLS one.
    expect(pkg.mqtt).toMatchObject({ port: pkg.mqtt.tlsPort, tls: true });
    expect(pkg.security.caCert).toContain('-----BEGIN CERTIFICATE-----');
    const row = await plantRow(plant.id);
    expect(row.password_hash).toBe(createHash('sha256').update(pkg.security.password!).digest('hex'));
    // A new package, a new password.
    const again = await provision(plant.id);
    expect(again.security.password).not.toBe(pkg.security.password);
  });

  it('rotates the HMAC secret with a 60-minute grace period', async () => {
    const plant = await createPlant(asA, { authMethod: 'PASSWORD' });
    const pending = await asA('POST', `/plants/${plant.id}/rotate-secret`);
    expect(pending.statusCode).toBe(400);
    expect(pending.json()).toMatchObject({ code: 'BAD_REQUEST', message: REFUSED.rotate });

    const pkg = await provision(plant.id);
    const res = await asA('POST', `/plants/${plant.id}/rotate-secret`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const rotated = res.json<{ hmacSecret: string; gracePeriodMinutes: number }>();
    expect(rotated).toEqual({ hmacSecret: expect.stringMatching(/^[0-9a-f]{64}$/), gracePeriodMinutes: 60 });
    expect(rotated.hmacSecret).not.toBe(pkg.security.hmacSecret);
    const row = await plantRow(plant.id);
    expect(row.previous_hmac_secret_enc).toEqual(expect.any(String));
    expect(new Date(row.previous_hmac_until as string).getTime() - clock.now().getTime()).toBe(60 * 60_000);
  });

  it('walks the lifecycle, answering every refused transition 400 with the spec message, and records who did what', async () => {
    const plant = await createPlant(asA);
    const act = (action: string) => asA('POST', `/plants/${plant.id}/${action}`);
    const refused = async (action: string, message: string) => {
      const res = await act(action);
      expect(res.statusCode, `${action}: ${res.body}`).toBe(400);
      expect(res.json(), action).toMatchObject({ statusCode: 400, error: 'Bad Request', code: 'BAD_REQUEST', message });
    };
    const status = async () => (await asA('GET', `/plants/${plant.id}`)).json<Json>().lifecycleStatus;

    await refused('suspend', REFUSED.suspend);
    await refused('reactivate', REFUSED.reactivate);
    await provision(plant.id);
    expect(await status()).toBe('PROVISIONED');
    // A client that labels an empty body as JSON is answered as if it sent none.
    const suspended = await asA('POST', `/plants/${plant.id}/suspend`, '', { 'content-type': 'application/json' });
    expect(suspended.statusCode, suspended.body).toBe(200);
    expect(suspended.json()).toEqual({ message: expect.any(String) });
    expect(await status()).toBe('SUSPENDED');
    await refused('suspend', REFUSED.suspend);
    await refused('provision', REFUSED.provision);
    expect((await act('reactivate')).statusCode).toBe(200);
    // Never connected: back to PROVISIONED, not ACTIVE.
    expect(await status()).toBe('PROVISIONED');
    await refused('reactivate', REFUSED.reactivate);
    expect((await act('revoke')).json()).toEqual({ message: expect.any(String) });
    expect(await status()).toBe('REVOKED');
    await refused('rotate-secret', REFUSED.rotate);
    await refused('suspend', REFUSED.suspend);
    const { rows: certs } = await t.db.query<{ state: string }>('SELECT state FROM plant_certificates WHERE plant_id = $1', [plant.id]);
    expect(certs).toEqual([{ state: 'revoked' }]);
    const row = await plantRow(plant.id);
    expect([row.hmac_secret_enc, row.password_hash]).toEqual([null, null]);
    // Provisioning again is the way back.
    await provision(plant.id);
    expect(await status()).toBe('PROVISIONED');
    expect((await asA('DELETE', `/plants/${plant.id}`)).statusCode).toBe(200);
    expect((await act('revoke')).json()).toEqual(PLANT_NOT_FOUND);
    expect((await act('provision')).json()).toEqual(PLANT_NOT_FOUND);

    const { rows } = await t.db.query<{ action: string; from_status: string | null; to_status: string; actor_kind: string }>(
      'SELECT action, from_status, to_status, actor_kind FROM plant_transitions WHERE plant_id = $1 ORDER BY id',
      [plant.id],
    );
    expect(rows.map((r) => `${r.action}:${r.from_status ?? '-'}>${r.to_status}`)).toEqual([
      'create:->PENDING',
      'provision:PENDING>PROVISIONED',
      'suspend:PROVISIONED>SUSPENDED',
      'reactivate:SUSPENDED>PROVISIONED',
      'revoke:PROVISIONED>REVOKED',
      'provision:REVOKED>PROVISIONED',
      'decommission:PROVISIONED>DECOMMISSIONED',
    ]);
    expect(new Set(rows.map((r) => r.actor_kind))).toEqual(new Set(['apiKey']));
  });

  it('keeps provisioning, tokens, rotation, suspension and revocation to admins', async () => {
    const plant = await createPlant(asA, { authMethod: 'TOKEN' });
    await provision(plant.id);
    const forbidden = plantsError(403, 'FORBIDDEN', 'Forbidden');
    for (const role of ['technician', 'viewer'] as const) {
      const as = caller(t, a, role);
      for (const [method, suffix] of [
        ['POST', 'provision'],
        ['GET', 'provision/download'],
        ['POST', 'mqtt-token'],
        ['POST', 'rotate-secret'],
        ['POST', 'suspend'],
        ['POST', 'reactivate'],
        ['POST', 'revoke'],
        ['DELETE', ''],
      ] as const) {
        const res = await as(method, `/plants/${plant.id}${suffix ? `/${suffix}` : ''}`);
        expect(res.statusCode, `${role} ${suffix}`).toBe(403);
        expect(res.json()).toEqual(forbidden);
      }
    }
    expect((await caller(t, a, 'owner')('POST', `/plants/${plant.id}/suspend`)).statusCode).toBe(200);
  });

  // Last: it moves the clock.
  it("counts the organisation's certificates: active, expiring soon, expired, revoked, and the plants at risk", async () => {
    const c = await createTenant(t.services);
    const asC = caller(t, c);
    const zero = { active: 0, atRiskPlants: [], expired: 0, expiringSoon: 0, nextRenewalAt: null, revoked: 0 };
    expect((await asC('GET', '/plants/certificate-stats')).json()).toEqual(zero);

    const kept = await createPlant(asC, { name: 'Kept' });
    const revoked = await createPlant(asC, { name: 'Revoked' });
    await createPlant(asC, { authMethod: 'TOKEN' });
    for (const p of [kept, revoked]) expect((await asC('POST', `/plants/${p.id}/provision`)).statusCode).toBe(200);
    expect((await asC('POST', `/plants/${revoked.id}/revoke`)).statusCode).toBe(200);
    const expiresAt = (await asC('GET', `/plants/${kept.id}`)).json<Json>().certificateExpiresAt;

    const viewer = caller(t, c, 'viewer');
    expect((await viewer('GET', '/plants/certificate-stats')).json()).toEqual({ ...zero, active: 1, revoked: 1, nextRenewalAt: expiresAt });
    // Each organisation counts its own: another's is not the caller's to name.
    expect((await asA('GET', '/plants/certificate-stats', undefined, { 'x-organisation-id': a.organisationId })).statusCode).toBe(200);
    const foreign = await asA('GET', '/plants/certificate-stats', undefined, { 'x-organisation-id': c.organisationId });
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json()).toMatchObject({ code: 'VALIDATION_ERROR', details: { issues: [{ path: 'organizationId' }] } });

    const atRisk = {
      authMethod: 'MTLS',
      certificateExpiresAt: expiresAt,
      id: kept.id,
      lifecycleStatus: 'PROVISIONED',
      name: 'Kept',
      serialNumber: kept.serialNumber,
    };
    clock.advance(340 * 86_400);
    expect((await viewer('GET', '/plants/certificate-stats')).json()).toEqual({
      ...zero,
      active: 1,
      expiringSoon: 1,
      revoked: 1,
      nextRenewalAt: expiresAt,
      atRiskPlants: [atRisk],
    });
    clock.advance(30 * 86_400);
    expect((await viewer('GET', '/plants/certificate-stats')).json()).toEqual({ ...zero, expired: 1, revoked: 1, atRiskPlants: [atRisk] });
  });
});
