import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOrganisation, type TestOrganisation } from '../../testing.js';
import type { PlantEnvironment } from '../environment.js';
import { provisionPlant, revokePlant, type ProvisioningPackage } from '../provisioning.js';
import type { PlantRow } from '../rows.js';
import { createPlant, decommissionPlant, reactivatePlant, suspendPlant } from '../service.js';
import { authenticatePlant, type ConnectAttempt } from './authenticate.js';
import { createCa, openCa } from './ca.js';
import { createTestPlantEnvironment } from './testing.js';
import { issueMqttJwt } from './tokens.js';

const DAY = 86_400_000;

const der = (pem: string) => new X509Certificate(pem).raw;

for (const engine of testEngines) {
  describe(`plant authentication at CONNECT [${engine}]`, () => {
    let db: TestDb;
    let env: PlantEnvironment;
    let org: TestOrganisation;
    const clock = { t: new Date(), now: () => new Date(clock.t) };
    let serial = 0;

    beforeAll(async () => {
      db = await freshTestDb(engine);
      env = await createTestPlantEnvironment();
      org = await seedOrganisation(db, 'Auth', clock);
    });
    afterAll(() => db.dispose());

    const row = async (id: string) => (await db.query<PlantRow>('SELECT * FROM plants WHERE id = $1', [id])).rows[0]!;
    async function provisioned(authMethod: 'MTLS' | 'TOKEN' | 'PASSWORD'): Promise<{ id: string; pkg: ProvisioningPackage }> {
      const plant = await createPlant(org.as.technician, {
        name: 'P',
        serialNumber: `AUTH-${engine}-${++serial}`,
        type: 'SENSOR',
        authMethod,
      });
      return { id: plant.id, pkg: await provisionPlant(org.as.admin, env, plant.id) };
    }
    const attempt = (id: string, over: Partial<ConnectAttempt> = {}): ConnectAttempt => ({
      clientId: id,
      username: id,
      password: null,
      peerCertificate: null,
      source: '127.0.0.1',
      now: clock.now(),
      ...over,
    });
    const mtls = (id: string, pkg: ProvisioningPackage, over: Partial<ConnectAttempt> = {}) =>
      authenticatePlant(db, env, attempt(id, { peerCertificate: der(pkg.security.clientCert!), ...over }));
    async function expectRefused(result: Promise<unknown>, reason: string | RegExp, plantId: string | null): Promise<void> {
      const r = (await result) as { ok: boolean; reason?: string; plantId?: string | null };
      expect(r.ok, JSON.stringify(r)).toBe(false);
      expect(r.reason).toMatch(reason);
      expect(r.plantId).toBe(plantId);
    }

    it('accepts an MTLS plant by its current certificate; the first connection makes it ACTIVE, recorded as the system', async () => {
      const { id, pkg } = await provisioned('MTLS');
      const [first, second] = await Promise.all([mtls(id, pkg), mtls(id, pkg)]);
      expect(first).toMatchObject({ ok: true, plant: { id, lifecycle_status: 'ACTIVE', activated_at: clock.now() } });
      expect(second).toMatchObject({ ok: true, plant: { id, lifecycle_status: 'ACTIVE' } });
      const { rows } = await db.query<{ action: string; to_status: string; actor_kind: string; actor_id: string | null }>(
        `SELECT action, to_status, actor_kind, actor_id FROM plant_transitions WHERE plant_id = $1 AND action = 'connect'`,
        [id],
      );
      // Two connections at once: one transition.
      expect(rows).toEqual([{ action: 'connect', to_status: 'ACTIVE', actor_kind: 'system', actor_id: null }]);
      // An MTLS client may leave the username out: the certificate names the plant.
      expect(await mtls(id, pkg, { username: null })).toMatchObject({ ok: true });
      expect((await row(id)).auth_failure_count).toBe(0);
    });

    it('refuses a retired certificate (after renewal) and counts the failure on the plant', async () => {
      const { id, pkg: old } = await provisioned('MTLS');
      clock.t = new Date(clock.t.getTime() + 1000);
      const renewed = await provisionPlant(org.as.admin, env, id);
      await expectRefused(mtls(id, old), 'certificate-not-current', id);
      const r = await row(id);
      expect(r.auth_failure_count).toBe(1);
      expect(r.last_auth_failure_at).toEqual(clock.now());
      expect(await mtls(id, renewed)).toMatchObject({ ok: true });
    });

    it('refuses expired and not-yet-valid certificates', async () => {
      const shortEnv = { ...env, certificateValidityDays: 1 };
      const plant = await createPlant(org.as.technician, { name: 'P', serialNumber: `AUTH-${engine}-${++serial}`, type: 'SENSOR' });
      const pkg = await provisionPlant(org.as.admin, shortEnv, plant.id);
      await expectRefused(mtls(plant.id, pkg, { now: new Date(clock.t.getTime() + 2 * DAY) }), 'certificate-expired', plant.id);
      await expectRefused(mtls(plant.id, pkg, { now: new Date(clock.t.getTime() - DAY) }), 'certificate-not-yet-valid', plant.id);
      expect((await row(plant.id)).auth_failure_count).toBe(2);
      expect(await mtls(plant.id, pkg)).toMatchObject({ ok: true });
    });

    it("refuses self-signed and other-CA certificates naming the plant, and another plant's certificate", async () => {
      const { id, pkg } = await provisioned('MTLS');
      const dir = mkdtempSync(join(tmpdir(), 'helio-auth-'));
      try {
        const key = join(dir, 'k.pem');
        const cert = join(dir, 'c.pem');
        execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
        execFileSync('openssl', [
          'req',
          '-x509',
          '-new',
          '-key',
          key,
          '-days',
          '30',
          '-subj',
          `/CN=${id}`,
          '-addext',
          'extendedKeyUsage=clientAuth',
          '-out',
          cert,
        ]);
        await expectRefused(mtls(id, pkg, { peerCertificate: der(readFileSync(cert, 'utf8')) }), 'certificate-untrusted', id);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      const otherCa = await openCa(await createCa(clock.now()));
      const foreign = await otherCa.issue({ plantId: id, now: clock.now(), validityDays: 30 });
      await expectRefused(mtls(id, pkg, { peerCertificate: der(foreign.certPem) }), 'certificate-untrusted', id);

      const neighbour = await provisioned('MTLS');
      await expectRefused(mtls(id, pkg, { peerCertificate: der(neighbour.pkg.security.clientCert!) }), 'certificate-wrong-subject', id);
      // Even presented with the neighbour's own client id, the certificate must be the neighbour's current one: it is, so it passes.
      expect(await mtls(neighbour.id, neighbour.pkg)).toMatchObject({ ok: true });
      await expectRefused(mtls(id, pkg, { peerCertificate: null }), 'no-client-certificate', id);
      // A valid certificate of this CA for the plant, but not the one recorded on it (never provisioned).
      const unrecorded = await env.ca.issue({ plantId: id, now: clock.now(), validityDays: 30 });
      await expectRefused(mtls(id, pkg, { peerCertificate: der(unrecorded.certPem) }), 'certificate-not-current', id);
      expect((await row(id)).auth_failure_count).toBe(5);
    });

    it('refuses suspended, revoked and decommissioned plants; reactivation lets them back', async () => {
      const { id, pkg } = await provisioned('MTLS');
      expect(await mtls(id, pkg)).toMatchObject({ ok: true });
      await suspendPlant(org.as.admin, id);
      await expectRefused(mtls(id, pkg), 'plant-suspended', id);
      await reactivatePlant(org.as.admin, id);
      expect(await mtls(id, pkg)).toMatchObject({ ok: true, plant: { lifecycle_status: 'ACTIVE' } });
      await revokePlant(org.as.admin, env, id);
      await expectRefused(mtls(id, pkg), 'certificate-not-current', id);
      const again = await provisionPlant(org.as.admin, env, id);
      expect(await mtls(id, again)).toMatchObject({ ok: true, plant: { lifecycle_status: 'ACTIVE' } });
      await decommissionPlant(org.as.admin, id);
      await expectRefused(mtls(id, again), 'unknown-plant', null);
    });

    it('requires the client id to be a plant id, exactly, and the username to match it', async () => {
      const { id, pkg } = await provisioned('PASSWORD');
      const password = Buffer.from(pkg.security.password!);
      await expectRefused(authenticatePlant(db, env, attempt('device-1', { password })), 'client-id-not-a-plant-id', null);
      await expectRefused(authenticatePlant(db, env, attempt(id.toUpperCase(), { password })), 'client-id-not-a-plant-id', null);
      await expectRefused(authenticatePlant(db, env, attempt('0190f0c8-0000-7000-8000-000000000000', { password })), 'unknown-plant', null);
      await expectRefused(authenticatePlant(db, env, attempt(id, { username: 'someone', password })), 'username-not-client-id', id);
      await expectRefused(authenticatePlant(db, env, attempt(id, { username: null, password })), 'username-not-client-id', id);
      expect(await authenticatePlant(db, env, attempt(id, { password }))).toMatchObject({ ok: true, plant: { id } });
    });

    it('checks PASSWORD plants by their password', async () => {
      const { id, pkg } = await provisioned('PASSWORD');
      await expectRefused(authenticatePlant(db, env, attempt(id, { password: Buffer.from('wrong') })), 'wrong-password', id);
      await expectRefused(
        authenticatePlant(db, env, attempt(id, { password: Buffer.from(pkg.security.password!.slice(1)) })),
        'wrong-password',
        id,
      );
      await expectRefused(authenticatePlant(db, env, attempt(id)), 'no-password', id);
      // A certificate does not stand in for the password.
      const { pkg: certPkg } = await provisioned('MTLS');
      await expectRefused(
        authenticatePlant(db, env, attempt(id, { peerCertificate: der(certPkg.security.clientCert!) })),
        'no-password',
        id,
      );
      expect(await authenticatePlant(db, env, attempt(id, { password: Buffer.from(pkg.security.password!) }))).toMatchObject({ ok: true });
      expect((await row(id)).auth_failure_count).toBe(4);
    });

    it("checks TOKEN plants by their JWT: another plant's, a forged, an alg none and a revoked token are refused", async () => {
      const { id, pkg } = await provisioned('TOKEN');
      const token = (t: string) => attempt(id, { password: Buffer.from(t) });
      expect(await authenticatePlant(db, env, token(pkg.security.token!))).toMatchObject({ ok: true });
      const other = await issueMqttJwt(env, '0190f0c8-0000-7000-8000-000000000001', clock.now());
      await expectRefused(authenticatePlant(db, env, token(other.token)), 'token-wrong-subject', id);
      const forged = await issueMqttJwt({ tokenKey: new Uint8Array(32) }, id, clock.now());
      await expectRefused(authenticatePlant(db, env, token(forged.token)), 'token-bad-signature', id);
      const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const none = `${b64({ alg: 'none' })}.${b64({ sub: id, aud: 'helio-mqtt', iat: clock.t.getTime() / 1000, exp: clock.t.getTime() / 1000 + 60 })}.`;
      await expectRefused(authenticatePlant(db, env, token(none)), 'token-bad-algorithm', id);
      const later = { ...token(pkg.security.token!), now: new Date(clock.t.getTime() + 2 * DAY) };
      await expectRefused(authenticatePlant(db, env, later), 'token-expired', id);
      await expectRefused(authenticatePlant(db, env, attempt(id)), 'no-token', id);

      clock.t = new Date(clock.t.getTime() + 1000);
      await revokePlant(org.as.admin, env, id);
      await expectRefused(authenticatePlant(db, env, token(pkg.security.token!)), 'token-revoked', id);
      const fresh = await issueMqttJwt(env, id, clock.now());
      // A valid new token still meets the revoked state.
      await expectRefused(authenticatePlant(db, env, token(fresh.token)), 'plant-revoked', id);
    });

    it('refuses a plant that was never provisioned', async () => {
      const plant = await createPlant(org.as.technician, {
        name: 'P',
        serialNumber: `AUTH-${engine}-${++serial}`,
        type: 'SENSOR',
        authMethod: 'TOKEN',
      });
      const token = await issueMqttJwt(env, plant.id, clock.now());
      await expectRefused(authenticatePlant(db, env, attempt(plant.id, { password: Buffer.from(token.token) })), 'plant-pending', plant.id);
    });
  });
}
