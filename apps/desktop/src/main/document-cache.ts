// Document bytes fetched from the server, kept so that a document opened
// once opens again offline. One file per document, named by its id, checked
// against the document's sha256 when read: a torn or stale copy is dropped
// and fetched again.
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readFileIfExists, writeFileAtomically } from './files.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface DocumentCache {
  /** The kept bytes, if they still match `sha256` (the document's, as synced). */
  read(documentId: string, sha256: string | null): Uint8Array | undefined;
  write(documentId: string, bytes: Uint8Array): void;
  remove(documentId: string): void;
}

export function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function documentCacheIn(dir: string): DocumentCache {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const fileOf = (documentId: string) => {
    // The id becomes a file name: only a UUID may, so no path can escape the directory.
    if (!UUID.test(documentId)) throw new Error(`not a document id: ${JSON.stringify(documentId)}`);
    return join(dir, documentId);
  };
  return {
    read(documentId, sha256) {
      const bytes = readFileIfExists(fileOf(documentId));
      if (!bytes) return undefined;
      if (sha256 && sha256Of(bytes) !== sha256) {
        rmSync(fileOf(documentId), { force: true });
        return undefined;
      }
      return bytes;
    },
    write: (documentId, bytes) => writeFileAtomically(fileOf(documentId), Buffer.from(bytes)),
    remove: (documentId) => rmSync(fileOf(documentId), { force: true }),
  };
}
