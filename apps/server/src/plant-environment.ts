// What the plant services need from the server: the device CA, the keys that
// seal HMAC secrets and sign MQTT tokens (both derived from the server secret
// with HKDF), and where the gateway listens. Built once per services object;
// the REST API and the MQTT gateway share it.
//
// The device CA is created on first use in `<dataDir>/device-ca/` (`ca.pem`,
// and `ca-key.pem`: encrypted PKCS#8 whose passphrase is derived from the
// server secret), or supplied by configuration (`mqtt.caCertFile`,
// `mqtt.caKeyFile`, `mqtt.caKeyPassphrase`). Several server instances must
// share the server secret and the CA: configure both, or share the data directory.
import { hkdfSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { plants } from '@helio/core';
import type { Config } from './config.js';
import { resolveSecret } from './secret.js';
import type { AppServices } from './services.js';

type PlantEnvironment = plants.PlantEnvironment;

export const DEVICE_CA_DIR = 'device-ca';
export const CA_CERT_FILE = 'ca.pem';
export const CA_KEY_FILE = 'ca-key.pem';

/** A key of `length` bytes for one purpose, derived from the server secret. */
export function deriveKey(secret: string, purpose: string, length = 32): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), 'helio', `helio plants: ${purpose}`, length));
}

export class DeviceCaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeviceCaError';
  }
}

function readPem(path: string, setting: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new DeviceCaError(`cannot read ${setting} ${path}: ${(err as Error).message}`);
  }
}

async function configuredCa(mqtt: Config['mqtt']): Promise<plants.DeviceCa> {
  if (!mqtt.caCertFile || !mqtt.caKeyFile) {
    throw new DeviceCaError('mqtt.caCertFile and mqtt.caKeyFile are set together (the device CA certificate and its key)');
  }
  const certPem = readPem(resolve(mqtt.caCertFile), 'mqtt.caCertFile');
  const keyPem = readPem(resolve(mqtt.caKeyFile), 'mqtt.caKeyFile');
  try {
    return await plants.openCa({ certPem, keyPem, passphrase: mqtt.caKeyPassphrase });
  } catch (err) {
    throw new DeviceCaError(`mqtt.caCertFile / mqtt.caKeyFile: ${(err as Error).message}`);
  }
}

/**
 * The CA of `<dataDir>/device-ca`, created when absent. Created in a
 * directory of its own and renamed into place, so two processes starting
 * together end up with the same CA (the second rename fails; it uses the first's).
 */
async function dataDirCa(dataDir: string, passphrase: string, now: Date): Promise<plants.DeviceCa> {
  const root = resolve(dataDir);
  const dir = join(root, DEVICE_CA_DIR);
  const certPath = join(dir, CA_CERT_FILE);
  const keyPath = join(dir, CA_KEY_FILE);
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    mkdirSync(root, { recursive: true });
    const created = await plants.createCa(now, { passphrase });
    const staging = mkdtempSync(join(root, `${DEVICE_CA_DIR}.new-`));
    writeFileSync(join(staging, CA_KEY_FILE), created.keyPem, { mode: 0o600 });
    writeFileSync(join(staging, CA_CERT_FILE), created.certPem, { mode: 0o644 });
    if (process.platform !== 'win32') chmodSync(staging, 0o700);
    try {
      // Replaces an empty directory; fails when another process put a CA there first.
      renameSync(staging, dir);
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    }
  }
  const certPem = readPem(certPath, 'device CA certificate');
  const keyPem = readPem(keyPath, 'device CA key');
  try {
    return await plants.openCa({ certPem, keyPem, passphrase });
  } catch (err) {
    throw new DeviceCaError(
      `the device CA in ${dir} cannot be opened (${(err as Error).message}). Its key is encrypted with a key derived from the ` +
        'server secret: restore the secret it was created with, or move the directory away to create a new CA ' +
        '(every MTLS plant must then be provisioned again).',
    );
  }
}

/** Builds the environment from a configuration (the CLI and tests may call it without services). */
export async function createPlantEnvironment(config: Config, now: Date = new Date()): Promise<PlantEnvironment> {
  const secret = resolveSecret(config);
  const ca =
    config.mqtt.caCertFile || config.mqtt.caKeyFile
      ? await configuredCa(config.mqtt)
      : await dataDirCa(config.dataDir, deriveKey(secret, 'device CA key').toString('base64url'), now);
  return {
    ca,
    sealKey: deriveKey(secret, 'HMAC secret sealing'),
    tokenKey: new Uint8Array(deriveKey(secret, 'MQTT token signing')),
    broker: { host: config.mqtt.publicHost, port: config.mqtt.port, tlsPort: config.mqtt.tlsPort },
    certificateValidityDays: config.mqtt.certificateValidityDays,
    commandTtlSeconds: config.mqtt.commandTtlSeconds,
  };
}

const environments = new WeakMap<AppServices, Promise<PlantEnvironment>>();

/** The plant environment of these services: created once, shared by the REST API and the gateway. */
export function plantEnvironment(services: AppServices): Promise<PlantEnvironment> {
  let env = environments.get(services);
  if (!env) {
    env = createPlantEnvironment(services.config, services.clock.now());
    environments.set(services, env);
    // A failure is not cached: the next call tries again (after the operator fixed the files).
    env.catch(() => environments.delete(services));
  }
  return env;
}
