// What each captured file kept on this device is, as the person sees it:
// whose it is and what happens to it. Only the signed-in account's own files
// are uploaded (and counted as waiting for upload); every other file is
// listed with its reason, never counted forever.
import type { CapturedFileRecord } from './captured-files.js';
import type { LocalSession } from './local-session.js';

export type CapturedFileOwner =
  /** Captured before this device ever signed in, by its local user. */
  | { kind: 'beforeSignIn' }
  /** Captured while signed in to `serverUrl` as `userId`; `you`: that is the session's account. */
  | { kind: 'account'; userId: string; serverUrl: string; you: boolean }
  /** Kept by an older version of Helio, without a record of who captured it. */
  | { kind: 'unknown' };

/**
 * - `onDevice`: made before any sign-in; stays here, to be brought into an organisation at sign-in.
 * - `setAside`: set aside at sign-in with the rest of that work, waiting for the person's choice.
 * - `waiting`: this account uploads it at the next sync.
 * - `uploading`: on its way (see `progress`).
 * - `failed`: the server refused the last attempt (see `error`); tried again each sync, or now.
 * - `otherAccount`: captured as another account (or on another server): uploaded when that account signs in here again.
 * - `noDocument`: its document is no longer on this device and nobody can upload it: it can only be discarded.
 */
export type CapturedFileState = 'onDevice' | 'setAside' | 'waiting' | 'uploading' | 'failed' | 'otherAccount' | 'noDocument';

/** States in which the signed-in account uploads the file: the only ones counted as waiting for upload. */
export const UPLOADING_STATES: ReadonlySet<CapturedFileState> = new Set(['waiting', 'uploading', 'failed']);

export interface CapturedFileStatus {
  documentId: string;
  filename: string;
  sizeBytes: number;
  siteId: string | null;
  siteName: string | null;
  organisationId: string | null;
  /** When it was captured (null for a file kept without a record). */
  capturedAt: string | null;
  owner: CapturedFileOwner;
  state: CapturedFileState;
  /** While `uploading`: the bytes sent so far. */
  progress: { sentBytes: number; totalBytes: number } | null;
  /** The server's reason for the last refused attempt. */
  error: { code: string; message: string } | null;
  /** Its document row is still on this device, pending: discarding the file removes that row too. */
  pendingDocument: boolean;
}

export function ownerOf(record: CapturedFileRecord | undefined, session: LocalSession | undefined): CapturedFileOwner {
  if (!record) return { kind: 'unknown' };
  const { userId, serverUrl } = record.capturedBy;
  if (serverUrl === null) return { kind: 'beforeSignIn' };
  return {
    kind: 'account',
    userId,
    serverUrl,
    you: session?.source === 'server' && session.serverUrl === serverUrl && session.userId === userId,
  };
}

/** The signed-in account may upload this file (the only files sync sends). */
export function isUploadable(record: CapturedFileRecord | undefined, session: LocalSession | undefined, hasRow: boolean): boolean {
  const owner = ownerOf(record, session);
  // A file kept without a record is the session's when its document row is here (rows are only ever the session's).
  if (owner.kind === 'unknown') return session?.source === 'server' && hasRow;
  return owner.kind === 'account' && owner.you;
}

export interface StateFacts {
  record: CapturedFileRecord | undefined;
  session: LocalSession | undefined;
  /** Its document row is here (live). */
  hasRow: boolean;
  /** It belongs to the work set aside at the first sign-in. */
  setAside: boolean;
  uploading: boolean;
  error: { code: string; message: string } | null;
}

export function stateOf(f: StateFacts): CapturedFileState {
  const owner = ownerOf(f.record, f.session);
  if (owner.kind === 'beforeSignIn') {
    if (f.session?.source === 'local' && f.hasRow) return 'onDevice';
    return f.setAside ? 'setAside' : 'noDocument';
  }
  if (!isUploadable(f.record, f.session, f.hasRow)) return owner.kind === 'account' ? 'otherAccount' : 'noDocument';
  if (f.uploading) return 'uploading';
  return f.error ? 'failed' : 'waiting';
}
