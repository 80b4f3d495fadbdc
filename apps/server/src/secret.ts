// The server secret signs upload and download URLs. It comes from the
// configuration, or is generated once and kept in the data directory, so a
// fresh install works without setup and restarts keep issued URLs valid.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from './config.js';

export const SECRET_FILE_NAME = 'secret.key';

export class SecretFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretFileError';
  }
}

function readSecretFile(path: string): string {
  const secret = readFileSync(path, 'utf8').trim();
  if (secret.length < 32) throw new SecretFileError(`${path} holds fewer than 32 characters; delete it to generate a new secret`);
  // Only the owner may read it; tighten a file that was copied in with looser permissions.
  if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  return secret;
}

/** `config.secret`, or the one in `<dataDir>/secret.key`, created (mode 0600) when missing. */
export function resolveSecret(config: Pick<Config, 'secret' | 'dataDir'>): string {
  if (config.secret) return config.secret;
  const dir = resolve(config.dataDir);
  const path = join(dir, SECRET_FILE_NAME);
  mkdirSync(dir, { recursive: true });
  try {
    // `wx`: never overwrite; if another process won the race, use its secret.
    writeFileSync(path, `${randomBytes(32).toString('base64url')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return readSecretFile(path);
}
