// Files captured on this desktop, kept until the server has them. One file
// per document, named by the document id, under `<dataDir>/captured`, with a
// small record beside it (`<id>.json`: its name, size, site, organisation,
// who captured it and when), so a file stays describable, and its owner
// known, even once its document row is gone from this device (signed in as
// someone else, work set aside at the first sign-in).
//
// The bytes are written to a staging name first; the record is written
// (atomically) when the document row exists, then the bytes are renamed into
// place. A crash leaves a stray staging file or a record without bytes (both
// removed at the next start), never a file that looks complete but is not.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { readFileIfExists, writeFileAtomically } from './files.js';

const STAGING_SUFFIX = '.staging';
const RECORD_SUFFIX = '.json';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const capturedFileRecord = z.strictObject({
  version: z.literal(1),
  documentId: z.uuid(),
  filename: z.string(),
  mimeType: z.string(),
  sizeBytes: z.int().nonnegative(),
  documentType: z.string().nullable(),
  siteId: z.uuid().nullable(),
  siteName: z.string().nullable(),
  organisationId: z.uuid().nullable(),
  capturedAt: z.iso.datetime(),
  /** The account that captured it: `serverUrl` null means before this device ever signed in (the local user). */
  capturedBy: z.strictObject({ userId: z.uuid(), serverUrl: z.string().nullable() }),
});

export type CapturedFileRecord = Omit<z.infer<typeof capturedFileRecord>, 'version'>;

export interface StagedFile {
  /** Keeps the record and moves the bytes into place as the file of `record.documentId`. */
  commit(record: CapturedFileRecord): void;
  discard(): void;
}

export interface CapturedFiles {
  stage(bytes: Uint8Array): StagedFile;
  /** The bytes of a captured document, or undefined when there are none (never captured here, or already removed). */
  read(documentId: string): Uint8Array | undefined;
  /** What is known of a kept file; undefined for one kept by an older version of Helio, without a record. */
  record(documentId: string): CapturedFileRecord | undefined;
  /** Rewrites a kept file's record (a new owner once work set aside is brought into an organisation). */
  setRecord(record: CapturedFileRecord): void;
  /** Forgets a document's bytes and record (after the server confirmed it has them, or the person discarded it). */
  remove(documentId: string): void;
  /** Ids of the documents whose bytes are kept here. */
  list(): string[];
}

function checkId(documentId: string): string {
  // The id becomes a file name: only a UUID may, so no path can escape the directory.
  if (!UUID.test(documentId)) throw new Error(`not a document id: ${JSON.stringify(documentId)}`);
  return documentId;
}

function readRecord(path: string): CapturedFileRecord | undefined {
  const raw = readFileIfExists(path);
  if (!raw) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined; // cut short (a power cut while it was written): the file is still listed, as one without a record
  }
  const parsed = capturedFileRecord.safeParse(json);
  if (!parsed.success) return undefined; // unreadable: the file is still listed, as one without a record
  const { version: _, ...record } = parsed.data;
  return record;
}

export function capturedFilesIn(dir: string): CapturedFiles {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const names = new Set(readdirSync(dir));
  for (const name of names) {
    const recordOf = name.endsWith(RECORD_SUFFIX) ? name.slice(0, -RECORD_SUFFIX.length) : undefined;
    // Staging bytes, half-written records, and records whose bytes never arrived (or were removed first).
    const stray = name.endsWith(STAGING_SUFFIX) || name.endsWith('.tmp') || (recordOf !== undefined && !names.has(recordOf));
    if (stray) rmSync(join(dir, name), { force: true });
  }
  const recordPath = (documentId: string) => join(dir, `${checkId(documentId)}${RECORD_SUFFIX}`);
  const writeRecord = (record: CapturedFileRecord) =>
    writeFileAtomically(recordPath(record.documentId), `${JSON.stringify({ version: 1, ...record }, null, 2)}\n`);
  return {
    stage(bytes) {
      const staging = join(dir, `${randomUUID()}${STAGING_SUFFIX}`);
      writeFileSync(staging, bytes, { mode: 0o600 });
      return {
        commit: (record) => {
          writeRecord(record);
          renameSync(staging, join(dir, checkId(record.documentId)));
        },
        discard: () => rmSync(staging, { force: true }),
      };
    },
    read: (documentId) => readFileIfExists(join(dir, checkId(documentId))),
    record: (documentId) => readRecord(recordPath(documentId)),
    setRecord: writeRecord,
    remove(documentId) {
      // The bytes first: a record left alone is removed at the next start.
      rmSync(join(dir, checkId(documentId)), { force: true });
      rmSync(recordPath(documentId), { force: true });
    },
    list: () => readdirSync(dir).filter((name) => UUID.test(name)),
  };
}
