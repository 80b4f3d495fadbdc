// The server's refresh token, encrypted at rest with the OS keychain through
// Electron's safeStorage. The vault takes safeStorage as a parameter, so it
// runs (with a stand-in) outside Electron too.
import { rmSync } from 'node:fs';
import { readFileIfExists, writeFileAtomically } from './files.js';

/** The part of Electron's `safeStorage` the vault uses. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only: `basic_text` means no keyring, so "encrypted" data is readable by anyone with the file. */
  getSelectedStorageBackend?(): string;
}

export class TokenEncryptionUnavailableError extends Error {
  constructor(reason: string) {
    super(`cannot keep the sign-in token on this device: ${reason}. Helio will ask you to sign in again next time.`);
    this.name = 'TokenEncryptionUnavailableError';
  }
}

export interface RefreshTokenVault {
  /** Encrypts and stores the token; throws TokenEncryptionUnavailableError rather than store it readable. */
  save(token: string): void;
  /** The stored token, or undefined (none stored, or it can no longer be decrypted, e.g. the keychain was reset). */
  load(): string | undefined;
  clear(): void;
}

export function refreshTokenVault(safeStorage: SafeStorageLike, path: string): RefreshTokenVault {
  const clear = () => rmSync(path, { force: true });
  return {
    save(token) {
      if (!safeStorage.isEncryptionAvailable()) throw new TokenEncryptionUnavailableError('the system keychain is not available');
      if (safeStorage.getSelectedStorageBackend?.() === 'basic_text') {
        throw new TokenEncryptionUnavailableError('no system keyring (install gnome-keyring or KWallet)');
      }
      writeFileAtomically(path, safeStorage.encryptString(token));
    },
    load() {
      const encrypted = readFileIfExists(path);
      if (!encrypted || !safeStorage.isEncryptionAvailable()) return undefined;
      try {
        return safeStorage.decryptString(encrypted);
      } catch {
        clear(); // undecryptable for good: another user's keychain, or a reset one
        return undefined;
      }
    },
    clear,
  };
}

/**
 * A vault that forgets at exit: the web host's, which has no keychain. After a
 * restart the user signs in again; local data and queued changes are kept.
 */
export function memoryTokenVault(): RefreshTokenVault {
  let token: string | undefined;
  return {
    save: (next) => void (token = next),
    load: () => token,
    clear: () => void (token = undefined),
  };
}
