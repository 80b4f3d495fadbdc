import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUuidV7Generator, plants, systemClock } from '@helio/core';
import type { Db } from '@helio/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from './config.js';
import {
  CA_CERT_FILE,
  CA_KEY_FILE,
  createPlantEnvironment,
  DEVICE_CA_DIR,
  DeviceCaError,
  deriveKey,
  plantEnvironment,
} from './plant-environment.js';
import { createDocumentServices, type AppServices } from './services.js';

const SECRET = 'plant-environment-test-secret-0123456789';
const PLANT = '0190f0c8-5a6b-7c3d-8e9f-0a1b2c3d4e5f';

let root: string;
let n = 0;
const freshDir = () => join(root, `data-${++n}`);
const config = (overrides: Record<string, unknown>): Config =>
  loadConfig({ env: {}, file: undefined, overrides: { secret: SECRET, ...overrides } as Partial<Config> });

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'helio-plant-env-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('plant environment', () => {
  it('creates the device CA in the data directory on first use, its key encrypted at rest', async () => {
    const dataDir = freshDir();
    const env = await createPlantEnvironment(config({ dataDir }));
    const dir = join(dataDir, DEVICE_CA_DIR);
    expect(readdirSync(dir).sort()).toEqual([CA_CERT_FILE, CA_KEY_FILE].sort());
    expect(readdirSync(dataDir).filter((f) => f.startsWith(`${DEVICE_CA_DIR}.new-`))).toEqual([]);
    const keyPem = readFileSync(join(dir, CA_KEY_FILE), 'utf8');
    expect(keyPem).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    expect(statSync(join(dir, CA_KEY_FILE)).mode & 0o077).toBe(0);
    expect(readFileSync(join(dir, CA_CERT_FILE), 'utf8')).toBe(env.ca.certPem);
    // OpenSSL cannot read the key without the passphrase derived from the server secret, and can with it.
    const keyFile = join(dir, CA_KEY_FILE);
    expect(spawnSync('openssl', ['pkey', '-in', keyFile, '-passin', 'pass:', '-noout']).status).not.toBe(0);
    const pass = deriveKey(SECRET, 'device CA key').toString('base64url');
    expect(spawnSync('openssl', ['pkey', '-in', keyFile, '-passin', `pass:${pass}`, '-noout']).status).toBe(0);

    // A certificate it issues verifies with OpenSSL against the CA file on disk.
    const issued = await env.ca.issue({ plantId: PLANT, now: new Date(), validityDays: 30 });
    const certFile = join(root, `issued-${n}.pem`);
    writeFileSync(certFile, issued.certPem);
    const verify = spawnSync('openssl', ['verify', '-purpose', 'sslclient', '-CAfile', join(dir, CA_CERT_FILE), certFile], {
      encoding: 'utf8',
    });
    expect(verify.stdout).toContain(': OK');
  });

  it('opens the same CA again after a restart, and two processes starting together share one CA', async () => {
    const dataDir = freshDir();
    const [a, b] = await Promise.all([createPlantEnvironment(config({ dataDir })), createPlantEnvironment(config({ dataDir }))]);
    expect(a.ca.certPem).toBe(b.ca.certPem);
    const c = await createPlantEnvironment(config({ dataDir }));
    expect(c.ca.certPem).toBe(a.ca.certPem);
    // What one issues the other accepts: the same key.
    const issued = await a.ca.issue({ plantId: PLANT, now: new Date(), validityDays: 1 });
    expect(c.ca.verifyClient(issued.certPem, PLANT, new Date()).ok).toBe(true);
  });

  it('derives distinct 32-byte keys from the server secret, the same every start', async () => {
    const dataDir = freshDir();
    const a = await createPlantEnvironment(config({ dataDir }));
    const b = await createPlantEnvironment(config({ dataDir }));
    expect(a.sealKey).toHaveLength(32);
    expect(a.tokenKey).toHaveLength(32);
    expect(Buffer.from(a.tokenKey).equals(a.sealKey)).toBe(false);
    expect(a.sealKey.equals(b.sealKey)).toBe(true);
    expect(Buffer.from(a.tokenKey).equals(Buffer.from(b.tokenKey))).toBe(true);
    // A secret sealed by one server instance opens in another with the same secret; a token too.
    const sealed = plants.seal(a.sealKey, 'abc');
    expect(plants.openSealed(b.sealKey, sealed)).toBe('abc');
    const { token } = await plants.issueMqttJwt(a, PLANT, new Date());
    expect((await plants.verifyMqttJwt(b, token, PLANT, new Date(), null)).ok).toBe(true);
    const other = await createPlantEnvironment(config({ dataDir: freshDir(), secret: `${SECRET}-other` }));
    expect(other.sealKey.equals(a.sealKey)).toBe(false);
  });

  it('refuses to start with a CA its server secret cannot open, saying what to do', async () => {
    const dataDir = freshDir();
    await createPlantEnvironment(config({ dataDir }));
    await expect(createPlantEnvironment(config({ dataDir, secret: `${SECRET}-changed` }))).rejects.toThrow(DeviceCaError);
    await expect(createPlantEnvironment(config({ dataDir, secret: `${SECRET}-changed` }))).rejects.toThrow(/restore the secret/);
  });

  it('uses a CA supplied by configuration, with an encrypted key and its passphrase', async () => {
    const pems = await plants.createCa(new Date(), { passphrase: 'operator passphrase' });
    const certFile = join(root, 'operator-ca.pem');
    const keyFile = join(root, 'operator-ca-key.pem');
    writeFileSync(certFile, pems.certPem);
    writeFileSync(keyFile, pems.keyPem);
    const dataDir = freshDir();
    const env = await createPlantEnvironment(
      config({ dataDir, mqtt: { caCertFile: certFile, caKeyFile: keyFile, caKeyPassphrase: 'operator passphrase' } }),
    );
    expect(new X509Certificate(env.ca.certPem).raw.equals(new X509Certificate(pems.certPem).raw)).toBe(true);
    // Nothing was created in the data directory.
    expect(() => readdirSync(join(dataDir, DEVICE_CA_DIR))).toThrow();

    await expect(
      createPlantEnvironment(config({ dataDir, mqtt: { caCertFile: certFile, caKeyFile: keyFile, caKeyPassphrase: 'wrong passphrase' } })),
    ).rejects.toThrow(/mqtt\.caCertFile \/ mqtt\.caKeyFile: .*cannot be read/);
    await expect(createPlantEnvironment(config({ dataDir, mqtt: { caCertFile: certFile } }))).rejects.toThrow(/set together/);
    await expect(
      createPlantEnvironment(config({ dataDir, mqtt: { caCertFile: join(root, 'missing.pem'), caKeyFile: keyFile } })),
    ).rejects.toThrow(/cannot read mqtt\.caCertFile/);
  });

  it('takes the broker address, validity and command lifetime from the configuration', async () => {
    const env = await createPlantEnvironment(
      config({
        dataDir: freshDir(),
        mqtt: { publicHost: 'gateway.example.org', port: 11884, tlsPort: 18884, certificateValidityDays: 90, commandTtlSeconds: 600 },
      }),
    );
    expect(env.broker).toEqual({ host: 'gateway.example.org', port: 11884, tlsPort: 18884 });
    expect(env.certificateValidityDays).toBe(90);
    expect(env.commandTtlSeconds).toBe(600);
  });

  it('is built once per services object and shared', async () => {
    const cfg = config({ dataDir: freshDir() });
    const services = {
      db: {} as Db,
      clock: systemClock,
      ids: createUuidV7Generator(),
      config: cfg,
      ...createDocumentServices(cfg),
    } satisfies AppServices;
    const [a, b] = await Promise.all([plantEnvironment(services), plantEnvironment(services)]);
    expect(a).toBe(b);
    // The gateway writes the ports it really listens on; everybody sees them.
    a.broker.port = 40_001;
    expect((await plantEnvironment(services)).broker.port).toBe(40_001);
    const again = { ...services };
    expect(await plantEnvironment(again)).not.toBe(a);
  });
});
