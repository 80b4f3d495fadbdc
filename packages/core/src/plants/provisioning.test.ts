import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshTestDb, testEngines, type TestDb } from '@helio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemPrincipal } from '../auth/principal.js';
import { contextFor, seedOrganisation, type TestOrganisation } from '../testing.js';
import { authenticatePlant } from './credentials/authenticate.js';
import { openEnvelope, plantSecrets, signEnvelope } from './credentials/hmac.js';
import { open } from './credentials/secret-box.js';
import { createTestPlantEnvironment } from './credentials/testing.js';
import { verifyMqttJwt } from './credentials/tokens.js';
import type { PlantEnvironment } from './environment.js';
import { plantEvents } from './events.js';
import { REFUSAL } from './lifecycle.js';
import { issueMqttToken, provisionPlant, revokePlant, rotateSecret } from './provisioning.js';
import type { PlantRow } from './rows.js';
import { createPlant, decommissionPlant, reactivatePlant, suspendPlant } from './service.js';

const MIN = 60_000;

for (const engine of testEngines) {
  describe(`plant provisioning [${engine}]`, () => {
    let db: TestDb;
    let env: PlantEnvironment;
    let org: TestOrganisation;
    let dir: string;
    const clock = { t: new Date(), now: () => new Date(clock.t) };
    let serial = 0;

    beforeAll(async () => {
      db = await freshTestDb(engine);
      env = await createTestPlantEnvironment();
      org = await seedOrganisation(db, 'Provisioning', clock);
      dir = mkdtempSync(join(tmpdir(), 'helio-provision-'));
    });
    afterAll(async () => {
      await db.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    const admin = () => org.as.admin;
    const newPlant = (authMethod: 'MTLS' | 'TOKEN' | 'PASSWORD') =>
      createPlant(org.as.technician, {
        name: `${authMethod} plant`,
        serialNumber: `PRV-${engine}-${++serial}`,
        type: 'GATEWAY',
        authMethod,
      });
    const row = async (id: string) => (await db.query<PlantRow>('SELECT * FROM plants WHERE id = $1', [id])).rows[0]!;
    const certificates = async (id: string) =>
      (
        await db.query<{
          serial_number: string;
          fingerprint: string;
          state: string;
          key_generated: boolean;
          ended_at: Date | null;
          not_after: Date;
        }>(
          'SELECT serial_number, fingerprint, state, key_generated, ended_at, not_after FROM plant_certificates WHERE plant_id = $1 ORDER BY issued_at, serial_number',
          [id],
        )
      ).rows;
    const transitions = async (id: string) =>
      (
        await db.query<{ action: string; from_status: string | null; to_status: string; actor_kind: string; actor_id: string | null }>(
          `SELECT action, from_status, to_status, actor_kind, actor_id FROM plant_transitions WHERE plant_id = $1 ORDER BY at, (action <> 'create'), id`,
          [id],
        )
      ).rows;
    const file = (name: string, text: string) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    };

    it('provisions an MTLS plant: the spec’s package, a certificate OpenSSL verifies, secrets stored sealed', async () => {
      const plant = await newPlant('MTLS');
      const notified: Promise<string>[] = [];
      const listener = (id: string) => {
        // Emitted after the commit: a query made now already sees the provisioned plant.
        notified.push(row(id).then((r) => r.lifecycle_status));
      };
      plantEvents.on('changed', listener);
      const pkg = await provisionPlant(admin(), env, plant.id).finally(() => plantEvents.off('changed', listener));
      expect(await Promise.all(notified)).toEqual(['PROVISIONED']);

      expect(Object.keys(pkg).sort()).toEqual(['authMethod', 'mqtt', 'plant', 'plantId', 'protocol', 'security', 'template']);
      expect(pkg).toMatchObject({
        authMethod: 'MTLS',
        plantId: plant.id,
        mqtt: {
          broker: 'mqtt.example.test',
          port: 8884,
          tls: true,
          tlsPort: 8884,
          tcpPort: 1884,
          username: plant.id,
          clientId: plant.id,
          topics: {
            ack: `plants/${plant.id}/ack`,
            commands: `plants/${plant.id}/commands`,
            status: `plants/${plant.id}/status`,
            telemetry: `plants/${plant.id}/telemetry`,
          },
        },
        protocol: { version: 1, envelope: 'hmac-sha256', qos: 1 },
        plant: { name: 'MTLS plant', serialNumber: plant.serialNumber, type: 'GATEWAY', templateId: null },
        template: null,
      });
      expect(Object.keys(pkg.security).sort()).toEqual(['caCert', 'clientCert', 'clientKey', 'hmacSecret']);
      expect(pkg.security.caCert).toBe(env.ca.certPem);
      expect(pkg.security.hmacSecret).toMatch(/^[0-9a-f]{64}$/);

      // Debian's OpenSSL accepts the certificate against the package's CA, for TLS clients.
      const verified = spawnSync(
        'openssl',
        ['verify', '-purpose', 'sslclient', '-CAfile', file('ca.pem', pkg.security.caCert), file('client.pem', pkg.security.clientCert!)],
        { encoding: 'utf8' },
      );
      expect(verified.stdout).toContain(': OK');
      expect(verified.status).toBe(0);
      // The key in the package belongs to the certificate.
      const keyPub = execFileSync('openssl', ['pkey', '-pubout', '-in', file('client-key.pem', pkg.security.clientKey!)], {
        encoding: 'utf8',
      });
      const certPub = execFileSync('openssl', ['x509', '-pubkey', '-noout', '-in', join(dir, 'client.pem')], { encoding: 'utf8' });
      expect(keyPub).toBe(certPub);

      const r = await row(plant.id);
      expect(r.lifecycle_status).toBe('PROVISIONED');
      const [cert] = await certificates(plant.id);
      expect(cert).toMatchObject({ state: 'active', key_generated: true, ended_at: null });
      expect(r.certificate_fingerprint).toBe(cert!.fingerprint);
      expect(r.certificate_serial_number).toBe(cert!.serial_number);
      expect(r.certificate_expires_at!.getTime()).toBe(cert!.not_after.getTime());
      expect(cert!.fingerprint).toBe(
        createHash('sha256')
          .update(Buffer.from(pkg.security.clientCert!.replace(/-----[^-]+-----|\s/g, ''), 'base64'))
          .digest('hex'),
      );
      expect(r.secret_rotated_at).toEqual(clock.now());
      // The secret is not in the database in the clear, and opens with the seal key.
      expect(JSON.stringify(r)).not.toContain(pkg.security.hmacSecret);
      expect(open(env.sealKey, r.hmac_secret_enc!)).toBe(pkg.security.hmacSecret);
      expect(r.password_hash).toBeNull();
      const msg = Buffer.from(signEnvelope(pkg.security.hmacSecret, '{"ts":"2026-01-01T00:00:00Z","values":{"W":1}}'));
      expect(openEnvelope(msg, plantSecrets(env, r), clock.now()).ok).toBe(true);

      expect(await transitions(plant.id)).toEqual([
        { action: 'create', from_status: null, to_status: 'PENDING', actor_kind: 'user', actor_id: expect.any(String) },
        { action: 'provision', from_status: 'PENDING', to_status: 'PROVISIONED', actor_kind: 'user', actor_id: expect.any(String) },
      ]);
    });

    it('renews: a new certificate retires the previous one, and the previous HMAC secret is no longer accepted', async () => {
      const plant = await newPlant('MTLS');
      const first = await provisionPlant(admin(), env, plant.id);
      // An ACTIVE plant renews and stays ACTIVE.
      await db.query(`UPDATE plants SET lifecycle_status = 'ACTIVE', activated_at = now() WHERE id = $1`, [plant.id]);
      clock.t = new Date(clock.t.getTime() + MIN);
      const second = await provisionPlant(admin(), env, plant.id);
      const r = await row(plant.id);
      expect(r.lifecycle_status).toBe('ACTIVE');
      const certs = await certificates(plant.id);
      expect(certs.map((c) => c.state).sort()).toEqual(['active', 'retired']);
      const retired = certs.find((c) => c.state === 'retired')!;
      expect(retired.ended_at).toEqual(clock.now());
      expect(r.certificate_fingerprint).toBe(certs.find((c) => c.state === 'active')!.fingerprint);
      expect(r.certificate_fingerprint).not.toBe(retired.fingerprint);
      expect(second.security.clientCert).not.toBe(first.security.clientCert);

      const payload = '{"ts":"2026-01-01T00:00:00Z","values":{"W":1}}';
      expect(openEnvelope(Buffer.from(signEnvelope(first.security.hmacSecret, payload)), plantSecrets(env, r), clock.now())).toEqual({
        ok: false,
        reason: 'bad-signature',
      });
      expect(openEnvelope(Buffer.from(signEnvelope(second.security.hmacSecret, payload)), plantSecrets(env, r), clock.now()).ok).toBe(true);
    });

    it("issues the certificate from the device's CSR, keeping its key out of the package", async () => {
      const plant = await newPlant('MTLS');
      const keyFile = join(dir, 'device-key.pem');
      const csrFile = join(dir, 'device.csr');
      execFileSync(
        'openssl',
        [
          'req',
          '-new',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:P-256',
          '-nodes',
          '-keyout',
          keyFile,
          '-subj',
          '/CN=whatever',
          '-out',
          csrFile,
        ],
        {
          stdio: 'pipe',
        },
      );
      const pkg = await provisionPlant(admin(), env, plant.id, { csr: readFileSync(csrFile, 'utf8') });
      expect(Object.keys(pkg.security).sort()).toEqual(['caCert', 'clientCert', 'hmacSecret']);
      const certPub = execFileSync('openssl', ['x509', '-pubkey', '-noout', '-in', file('csr-cert.pem', pkg.security.clientCert!)], {
        encoding: 'utf8',
      });
      expect(certPub).toBe(execFileSync('openssl', ['pkey', '-pubout', '-in', keyFile], { encoding: 'utf8' }));
      expect(execFileSync('openssl', ['x509', '-noout', '-subject', '-in', join(dir, 'csr-cert.pem')], { encoding: 'utf8' }).trim()).toBe(
        `subject=CN = ${plant.id}`,
      );
      expect((await certificates(plant.id))[0]).toMatchObject({ state: 'active', key_generated: false });
    });

    it('refuses a bad CSR, a CSR for a non-MTLS plant and unknown fields, changing nothing', async () => {
      const plant = await newPlant('MTLS');
      await expect(provisionPlant(admin(), env, plant.id, { csr: 'garbage' })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
      await expect(provisionPlant(admin(), env, plant.id, { certificate: 'x' })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
      expect((await row(plant.id)).lifecycle_status).toBe('PENDING');
      expect(await certificates(plant.id)).toEqual([]);
      expect((await transitions(plant.id)).map((t) => t.action)).toEqual(['create']);

      const pw = await newPlant('PASSWORD');
      await expect(provisionPlant(admin(), env, pw.id, { csr: '-----BEGIN CERTIFICATE REQUEST-----' })).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
        message: 'a CSR is accepted for MTLS plants only',
      });
      expect((await row(pw.id)).lifecycle_status).toBe('PENDING');
    });

    it('provisions a PASSWORD plant: a 43-character password shown once, stored as its SHA-256', async () => {
      const plant = await newPlant('PASSWORD');
      const pkg = await provisionPlant(admin(), env, plant.id, null);
      expect(Object.keys(pkg.security).sort()).toEqual(['caCert', 'hmacSecret', 'password']);
      expect(pkg.security.password).toMatch(/^[A-Za-z0-9_-]{43}$/);
      // The password is meant for the TLS port, verified with the package's CA; plain TCP only on request.
      expect(pkg.mqtt).toMatchObject({ port: 8884, tls: true, tlsPort: 8884, tcpPort: 1884 });
      expect(pkg.security.caCert).toBe(env.ca.certPem);
      const r = await row(plant.id);
      expect(r.password_hash).toBe(createHash('sha256').update(pkg.security.password!).digest('hex'));
      expect(JSON.stringify(r)).not.toContain(pkg.security.password);
      expect(r.certificate_fingerprint).toBeNull();
      const again = await provisionPlant(admin(), env, plant.id);
      expect(again.security.password).not.toBe(pkg.security.password);
      expect((await row(plant.id)).password_hash).toBe(createHash('sha256').update(again.security.password!).digest('hex'));
    });

    it('provisions a TOKEN plant with a token; provisioning again invalidates the tokens handed out before', async () => {
      const plant = await newPlant('TOKEN');
      const pkg = await provisionPlant(admin(), env, plant.id);
      expect(Object.keys(pkg.security).sort()).toEqual(['caCert', 'hmacSecret', 'token', 'tokenExpiresAt']);
      expect(pkg.mqtt).toMatchObject({ port: 8884, tls: true, tlsPort: 8884, tcpPort: 1884 });
      expect(pkg.security.caCert).toBe(env.ca.certPem);
      expect(new Date(pkg.security.tokenExpiresAt!).getTime() - clock.now().getTime()).toBeLessThanOrEqual(86_400_000);
      let r = await row(plant.id);
      expect(await verifyMqttJwt(env, pkg.security.token!, plant.id, clock.now(), r.tokens_valid_after)).toMatchObject({ ok: true });

      const extra = await issueMqttToken(admin(), env, plant.id);
      expect(await verifyMqttJwt(env, extra.token, plant.id, clock.now(), r.tokens_valid_after)).toMatchObject({ ok: true });
      expect(extra.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT/);

      clock.t = new Date(clock.t.getTime() + 5000);
      const renewed = await provisionPlant(admin(), env, plant.id);
      r = await row(plant.id);
      expect(await verifyMqttJwt(env, pkg.security.token!, plant.id, clock.now(), r.tokens_valid_after)).toEqual({
        ok: false,
        reason: 'revoked',
      });
      expect(await verifyMqttJwt(env, extra.token, plant.id, clock.now(), r.tokens_valid_after)).toEqual({ ok: false, reason: 'revoked' });
      expect(await verifyMqttJwt(env, renewed.security.token!, plant.id, clock.now(), r.tokens_valid_after)).toMatchObject({ ok: true });
    });

    it('issues MQTT tokens only to provisioned or active TOKEN plants, recording each', async () => {
      const mtls = await newPlant('MTLS');
      await provisionPlant(admin(), env, mtls.id);
      await expect(issueMqttToken(admin(), env, mtls.id)).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
        message: REFUSAL['mqtt-token'],
      });

      const pending = await newPlant('TOKEN');
      await expect(issueMqttToken(admin(), env, pending.id)).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
        message: REFUSAL['mqtt-token'],
      });

      const token = await newPlant('TOKEN');
      await provisionPlant(admin(), env, token.id);
      await issueMqttToken(admin(), env, token.id);
      expect((await transitions(token.id)).map((t) => [t.action, t.to_status])).toEqual([
        ['create', 'PENDING'],
        ['provision', 'PROVISIONED'],
        ['mqtt-token', 'PROVISIONED'],
      ]);
      await suspendPlant(admin(), token.id);
      await expect(issueMqttToken(admin(), env, token.id)).rejects.toMatchObject({ message: REFUSAL['mqtt-token'] });
      await reactivatePlant(admin(), token.id);
      await expect(issueMqttToken(admin(), env, token.id)).resolves.toMatchObject({ token: expect.any(String) });
    });

    it('rotates the HMAC secret: the old one is accepted for 60 minutes, then only the new one', async () => {
      const plant = await newPlant('PASSWORD');
      const pkg = await provisionPlant(admin(), env, plant.id);
      const rotatedAt = clock.now();
      const rotated = await rotateSecret(admin(), env, plant.id);
      expect(rotated).toEqual({ hmacSecret: expect.stringMatching(/^[0-9a-f]{64}$/), gracePeriodMinutes: 60 });
      expect(rotated.hmacSecret).not.toBe(pkg.security.hmacSecret);
      const r = await row(plant.id);
      expect(r.previous_hmac_until!.getTime()).toBe(rotatedAt.getTime() + 60 * MIN);
      expect(r.secret_rotated_at).toEqual(rotatedAt);
      const payload = '{"ts":"2026-01-01T00:00:00Z","values":{"W":1}}';
      const byOld = Buffer.from(signEnvelope(pkg.security.hmacSecret, payload));
      const byNew = Buffer.from(signEnvelope(rotated.hmacSecret, payload));
      const at = (minutes: number) => new Date(rotatedAt.getTime() + minutes * MIN);
      expect(openEnvelope(byOld, plantSecrets(env, r), at(59))).toMatchObject({ ok: true, secret: 'previous' });
      expect(openEnvelope(byOld, plantSecrets(env, r), at(60))).toEqual({ ok: false, reason: 'bad-signature' });
      expect(openEnvelope(byNew, plantSecrets(env, r), at(0))).toMatchObject({ ok: true, secret: 'current' });
      expect(openEnvelope(byNew, plantSecrets(env, r), at(120))).toMatchObject({ ok: true, secret: 'current' });

      // A second rotation keeps only the one just replaced as previous.
      const third = await rotateSecret(admin(), env, plant.id);
      const r2 = await row(plant.id);
      expect(openEnvelope(byOld, plantSecrets(env, r2), at(1))).toEqual({ ok: false, reason: 'bad-signature' });
      expect(openEnvelope(byNew, plantSecrets(env, r2), at(1))).toMatchObject({ ok: true, secret: 'previous' });
      expect(openEnvelope(Buffer.from(signEnvelope(third.hmacSecret, payload)), plantSecrets(env, r2), at(1))).toMatchObject({ ok: true });
      expect((await transitions(plant.id)).filter((t) => t.action === 'rotate-secret')).toHaveLength(2);

      const pending = await newPlant('PASSWORD');
      await expect(rotateSecret(admin(), env, pending.id)).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
        message: REFUSAL['rotate-secret'],
      });
    });

    it('revokes: certificate revoked, secrets and password cleared, older tokens refused; provisioning again restores', async () => {
      const plant = await newPlant('MTLS');
      await provisionPlant(admin(), env, plant.id);
      const revokedAt = clock.now();
      const result = await revokePlant(admin(), env, plant.id);
      expect(result.message).toEqual(expect.any(String));
      const r = await row(plant.id);
      expect(r).toMatchObject({
        lifecycle_status: 'REVOKED',
        hmac_secret_enc: null,
        previous_hmac_secret_enc: null,
        previous_hmac_until: null,
        password_hash: null,
        tokens_valid_after: revokedAt,
      });
      expect(await certificates(plant.id)).toMatchObject([{ state: 'revoked', ended_at: revokedAt }]);
      // Revoking again is allowed (the spec refuses only decommissioned plants).
      await expect(revokePlant(admin(), env, plant.id)).resolves.toMatchObject({ message: expect.any(String) });

      const pw = await newPlant('PASSWORD');
      await provisionPlant(admin(), env, pw.id);
      await revokePlant(admin(), env, pw.id);
      expect((await row(pw.id)).password_hash).toBeNull();

      clock.t = new Date(clock.t.getTime() + 1000);
      const again = await provisionPlant(admin(), env, plant.id);
      expect((await row(plant.id)).lifecycle_status).toBe('PROVISIONED');
      expect((await certificates(plant.id)).map((c) => c.state).sort()).toEqual(['active', 'revoked']);
      expect(again.security.clientCert).toBeDefined();

      await decommissionPlant(admin(), plant.id);
      await expect(revokePlant(admin(), env, plant.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(provisionPlant(admin(), env, plant.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('forgets an activation from earlier credentials: a plant provisioned again is ACTIVE only once it connects with the new ones', async () => {
      const plant = await newPlant('PASSWORD');
      // Each step a second later, so the history is in order.
      const later = () => (clock.t = new Date(clock.t.getTime() + 1000));
      const connect = (password: string) =>
        authenticatePlant(db, env, {
          clientId: plant.id,
          username: plant.id,
          password: Buffer.from(password),
          peerCertificate: null,
          source: '127.0.0.1',
          now: clock.now(),
        });
      later();
      const first = await provisionPlant(admin(), env, plant.id);
      later();
      expect(await connect(first.security.password!)).toMatchObject({ ok: true, plant: { lifecycle_status: 'ACTIVE' } });
      const activatedAt = (await row(plant.id)).activated_at;
      expect(activatedAt).not.toBeNull();

      // A renewal of an ACTIVE plant keeps its activation.
      later();
      const renewed = await provisionPlant(admin(), env, plant.id);
      expect(await row(plant.id)).toMatchObject({ lifecycle_status: 'ACTIVE', activated_at: activatedAt });

      // Revoked, provisioned again, suspended before it connected: reactivation leads back to PROVISIONED.
      later();
      await revokePlant(admin(), env, plant.id);
      later();
      const again = await provisionPlant(admin(), env, plant.id);
      expect(await row(plant.id)).toMatchObject({ lifecycle_status: 'PROVISIONED', activated_at: null });
      later();
      await suspendPlant(admin(), plant.id);
      later();
      await reactivatePlant(admin(), plant.id);
      expect(await row(plant.id)).toMatchObject({ lifecycle_status: 'PROVISIONED', activated_at: null });

      // The old password stays refused; the first connection with the new one activates the plant again.
      later();
      expect(await connect(renewed.security.password!)).toMatchObject({ ok: false });
      later();
      expect(await connect(again.security.password!)).toMatchObject({ ok: true, plant: { lifecycle_status: 'ACTIVE' } });
      expect((await row(plant.id)).activated_at).toEqual(clock.now());
      later();
      await suspendPlant(admin(), plant.id);
      later();
      await reactivatePlant(admin(), plant.id);
      expect((await row(plant.id)).lifecycle_status).toBe('ACTIVE');
      expect((await transitions(plant.id)).map((t) => `${t.action}:${t.from_status ?? '-'}>${t.to_status}`)).toEqual([
        'create:->PENDING',
        'provision:PENDING>PROVISIONED',
        'connect:PROVISIONED>ACTIVE',
        'provision:ACTIVE>ACTIVE',
        'revoke:ACTIVE>REVOKED',
        'provision:REVOKED>PROVISIONED',
        'suspend:PROVISIONED>SUSPENDED',
        'reactivate:SUSPENDED>PROVISIONED',
        'connect:PROVISIONED>ACTIVE',
        'suspend:ACTIVE>SUSPENDED',
        'reactivate:SUSPENDED>ACTIVE',
      ]);
    });

    it("lets only admins act, hides another organisation's plants, and refuses malformed ids", async () => {
      const plant = await newPlant('TOKEN');
      const other = await seedOrganisation(db, 'Other', clock);
      const calls = [
        (ctx: typeof org.as.admin, id: string) => provisionPlant(ctx, env, id),
        (ctx: typeof org.as.admin, id: string) => issueMqttToken(ctx, env, id),
        (ctx: typeof org.as.admin, id: string) => rotateSecret(ctx, env, id),
        (ctx: typeof org.as.admin, id: string) => revokePlant(ctx, env, id),
      ];
      for (const call of calls) {
        await expect(call(org.as.technician, plant.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
        await expect(call(org.as.viewer, plant.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
        await expect(call(other.as.owner, plant.id)).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'Plant not found' });
        await expect(call(org.as.admin, 'not-a-uuid')).rejects.toMatchObject({
          code: 'VALIDATION_ERROR',
          details: [expect.objectContaining({ issue: 'invalid_uuid' })],
        });
      }
      expect((await row(plant.id)).lifecycle_status).toBe('PENDING');
      // The owner and the system principal may.
      await expect(provisionPlant(org.as.owner, env, plant.id)).resolves.toMatchObject({ authMethod: 'TOKEN' });
      await expect(rotateSecret(contextFor(db, systemPrincipal, clock), env, plant.id)).resolves.toMatchObject({ gracePeriodMinutes: 60 });
    });
  });
}
