// The main-process services, shared by Electron and the web host: the local
// database, the session, and captured files, all in one data directory that
// only this process may open.
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import {
  createDocumentTokenSigner,
  createMemoryBlobStore,
  createUuidV7Generator,
  systemClock,
  type Clock,
  type documents,
  type IdGenerator,
} from '@helio/core';
import { migrate, type Db } from '@helio/db';
import { lockDataDir, type LockMessage } from '@helio/db/data-dir-lock';
import { openPglite } from '@helio/db/pglite';
import { capturedFilesIn, type CapturedFiles } from './captured-files.js';
import { chartCacheIn, type ChartCache } from './chart-cache.js';
import { documentCacheIn, type DocumentCache } from './document-cache.js';
import { bootstrapLocalSession, fileSessionStore, type SessionStore } from './local-session.js';
import { memoryTokenVault, type RefreshTokenVault } from './refresh-token-vault.js';
import { DesktopSync } from './sync/desktop-sync.js';

/** The largest file the desktop captures; the server's own limit is checked again at upload. */
export const MAX_CAPTURE_BYTES = 25 * 1024 * 1024;

export interface DesktopServices {
  dataDir: string;
  db: Db;
  clock: Clock;
  ids: IdGenerator;
  sessions: SessionStore;
  capturedFiles: CapturedFiles;
  /** Bytes of documents fetched from the server, kept for offline use. */
  documentCache: DocumentCache;
  /** Sites' chart aggregates as last fetched from the server, shown offline with the time they were fetched. */
  chartCache: ChartCache;
  /**
   * What core's document service needs to create a document row. Upload
   * tokens it signs are never used on the desktop (the key is thrown away at
   * exit): the bytes wait in `capturedFiles` until sync uploads them to the server.
   */
  documentStorage: documents.DocumentStorage;
  /** The sync client, the server connection once signed in, and the sync loop. */
  sync: DesktopSync;
  close(): Promise<void>;
}

export interface OpenDesktopOptions {
  dataDir: string;
  clock?: Clock;
  /** Organisations the offline bootstrap creates on a first start without a session. */
  bootstrapOrganisations?: readonly string[];
  /** Where the server's refresh token is kept: safeStorage in Electron; by default memory (sign in again after a restart). */
  vault?: RefreshTokenVault;
  /** How often the sync loop polls when the server's events are not flowing (default 30 s). */
  pollMs?: number;
}

// Electron's single-instance lock covers two copies of the app started by one
// user; the data directory lock also covers the web host, a second profile
// pointing at the same directory, and tests.
const desktopLockMessage: LockMessage = ({ dataDir, lockPath, who }) =>
  `the Helio data directory ${dataDir} is already open in ${who}; close the other Helio window (or web host) first ` +
  `(if no Helio is running, delete ${lockPath})`;

export async function openDesktopServices(options: OpenDesktopOptions): Promise<DesktopServices> {
  const dataDir = resolve(options.dataDir);
  // A profile is on this laptop only, whatever its host name is today.
  const lock = lockDataDir(dataDir, { message: desktopLockMessage, localOnly: true });
  let db: Db | undefined;
  try {
    db = await openPglite({ dataDir: join(dataDir, 'pglite') });
    await migrate(db);
    const clock = options.clock ?? systemClock;
    const ids = createUuidV7Generator(clock);
    const sessions = fileSessionStore(join(dataDir, 'session.json'));
    await bootstrapLocalSession({ db, clock, ids }, sessions, options.bootstrapOrganisations ?? ['My organisation']);
    const opened = db;
    let closing: Promise<void> | undefined;
    const services: DesktopServices = {
      dataDir,
      db,
      clock,
      ids,
      sessions,
      capturedFiles: capturedFilesIn(join(dataDir, 'captured')),
      documentCache: documentCacheIn(join(dataDir, 'document-cache')),
      chartCache: chartCacheIn(join(dataDir, 'chart-cache')),
      documentStorage: {
        blobs: createMemoryBlobStore(),
        signer: createDocumentTokenSigner(randomBytes(32)),
        maxUploadBytes: MAX_CAPTURE_BYTES,
      },
      sync: undefined as unknown as DesktopSync, // set just below: it needs the rest
      close: () =>
        (closing ??= (async () => {
          try {
            await services.sync?.close();
            await opened.close();
          } finally {
            lock.release();
          }
        })()),
    };
    services.sync = await DesktopSync.open(services, {
      vault: options.vault ?? memoryTokenVault(),
      ...(options.pollMs ? { pollMs: options.pollMs } : {}),
    });
    return services;
  } catch (err) {
    await db?.close();
    lock.release();
    throw err;
  }
}
