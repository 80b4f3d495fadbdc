import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { refreshTokenVault, TokenEncryptionUnavailableError, type SafeStorageLike } from './refresh-token-vault.js';

/** A stand-in for Electron's safeStorage: XOR with a key, enough to prove the file holds no clear text. */
function fakeSafeStorage(options: { available?: boolean; backend?: string } = {}): SafeStorageLike {
  const key = 0x5a;
  return {
    isEncryptionAvailable: () => options.available ?? true,
    encryptString: (s) => Buffer.from([0x01, ...Buffer.from(s, 'utf8').map((b) => b ^ key)]),
    decryptString: (b) => {
      if (b[0] !== 0x01) throw new Error('not ours');
      return Buffer.from(b.subarray(1).map((x) => x ^ key)).toString('utf8');
    },
    getSelectedStorageBackend: () => options.backend ?? 'gnome_libsecret',
  };
}

const dirs: string[] = [];
function vaultPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'helio-vault-'));
  dirs.push(dir);
  return join(dir, 'refresh-token.bin');
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('refresh token vault', () => {
  it('stores the token encrypted and reads it back', () => {
    const path = vaultPath();
    const vault = refreshTokenVault(fakeSafeStorage(), path);
    vault.save('rt_secret-refresh-token');
    expect(readFileSync(path).toString('latin1')).not.toContain('rt_secret-refresh-token');
    expect(vault.load()).toBe('rt_secret-refresh-token');
    vault.clear();
    expect(vault.load()).toBeUndefined();
  });

  it('refuses to store the token where it would be readable', () => {
    expect(() => refreshTokenVault(fakeSafeStorage({ available: false }), vaultPath()).save('t')).toThrow(TokenEncryptionUnavailableError);
    expect(() => refreshTokenVault(fakeSafeStorage({ backend: 'basic_text' }), vaultPath()).save('t')).toThrow(
      TokenEncryptionUnavailableError,
    );
  });

  it('forgets a token it can no longer decrypt', () => {
    const path = vaultPath();
    writeFileSync(path, Buffer.from('garbage'));
    expect(refreshTokenVault(fakeSafeStorage(), path).load()).toBeUndefined();
    expect(() => readFileSync(path)).toThrow();
  });
});
