// Files captured on this desktop, kept until the server has them. One file
// per document, named by the document id, under `<dataDir>/captured`. The
// bytes are written to a staging name first and renamed when the document
// row exists, so a crash leaves either a row with its file or a stray
// staging file (removed at the next start), never a file that looks complete
// but is not.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFileIfExists } from './files.js';

const STAGING_SUFFIX = '.staging';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface StagedFile {
  /** Moves the bytes into place as the file of `documentId`. */
  commit(documentId: string): void;
  discard(): void;
}

export interface CapturedFiles {
  stage(bytes: Uint8Array): StagedFile;
  /** The bytes of a captured document, or undefined when there are none (never captured here, or already removed). */
  read(documentId: string): Uint8Array | undefined;
  /** Forgets a document's bytes (after the server confirmed it has them). */
  remove(documentId: string): void;
  /** Ids of the documents whose bytes are kept here. */
  list(): string[];
}

function checkId(documentId: string): string {
  // The id becomes a file name: only a UUID may, so no path can escape the directory.
  if (!UUID.test(documentId)) throw new Error(`not a document id: ${JSON.stringify(documentId)}`);
  return documentId;
}

export function capturedFilesIn(dir: string): CapturedFiles {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const name of readdirSync(dir)) {
    if (name.endsWith(STAGING_SUFFIX)) rmSync(join(dir, name), { force: true });
  }
  return {
    stage(bytes) {
      const staging = join(dir, `${randomUUID()}${STAGING_SUFFIX}`);
      writeFileSync(staging, bytes, { mode: 0o600 });
      return {
        commit: (documentId) => renameSync(staging, join(dir, checkId(documentId))),
        discard: () => rmSync(staging, { force: true }),
      };
    },
    read: (documentId) => readFileIfExists(join(dir, checkId(documentId))),
    remove: (documentId) => rmSync(join(dir, checkId(documentId)), { force: true }),
    list: () => readdirSync(dir).filter((name) => UUID.test(name)),
  };
}
