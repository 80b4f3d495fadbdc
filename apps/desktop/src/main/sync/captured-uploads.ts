// The captured files kept on this device, as sync sees them: which ones the
// signed-in account uploads (and how each attempt went), the upload itself,
// and discarding a file. Uploads and discards take turns (one lock), so a
// file is never removed while it is being sent.
import {
  authorize,
  conflict,
  documents,
  forbidden,
  isDomainError,
  notFound,
  unauthorized,
  type documentSchemas,
  type ServiceContext,
} from '@helio/core';
import type { CapturedFileRecord } from '../captured-files.js';
import { isUploadable, ownerOf, stateOf, type CapturedFileStatus } from '../captured-file-status.js';
import type { DesktopServices } from '../services.js';
import { ServerRefusedError, type ServerConnection } from './server-connection.js';

export interface UploadProgress {
  documentId: string;
  filename: string;
  sentBytes: number;
  totalBytes: number;
}

export interface CapturedUploadsDeps {
  services: DesktopServices;
  /** A context acting as the session's user over the local database. */
  context(): Promise<ServiceContext>;
  /** Ids of the documents set aside at the first sign-in (not this account's until brought in). */
  setAsideIds(): ReadonlySet<string>;
  notify(): void;
}

type Problem = { code: string; message: string };

const asProblem = (err: unknown): Problem | undefined =>
  err instanceof ServerRefusedError || isDomainError(err) ? { code: err.code, message: err.message } : undefined;

/** What the server needs to take a file when its document row is no longer here: the record says it all. */
const requestFromRecord = (r: CapturedFileRecord) =>
  r.siteId
    ? {
        id: r.documentId,
        siteId: r.siteId,
        filename: r.filename,
        mimeType: r.mimeType,
        fileSize: r.sizeBytes,
        ...(r.documentType ? { documentType: r.documentType } : {}),
      }
    : undefined;

export class CapturedUploads {
  private progress: UploadProgress | null = null;
  private readonly errors = new Map<string, Problem>();
  /** The last refusal of a round, shown as the sync's last error. */
  lastError: Problem | null = null;
  private turn: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: CapturedUploadsDeps) {}

  get current(): UploadProgress | null {
    return this.progress;
  }

  /** Runs `fn` once the upload or discard before it has finished. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.turn.then(fn, fn);
    this.turn = run.catch(() => undefined);
    return run;
  }

  /** How many files the signed-in account uploads: the "files waiting for upload". */
  async waitingCount(): Promise<number> {
    const { capturedFiles, sessions } = this.deps.services;
    const session = sessions.current();
    if (session?.source !== 'server') return 0;
    let count = 0;
    for (const id of capturedFiles.list()) {
      const record = capturedFiles.record(id);
      // Only a file kept without a record needs its row looked up.
      const hasRow = record ? false : await this.hasRow(id);
      if (isUploadable(record, session, hasRow)) count += 1;
    }
    return count;
  }

  private async hasRow(documentId: string): Promise<boolean> {
    return (await this.row(await this.deps.context(), documentId)) !== undefined;
  }

  private async row(ctx: ServiceContext, documentId: string): Promise<documentSchemas.Document | undefined> {
    try {
      return await documents.getDocument(ctx, documentId);
    } catch (err) {
      if (isDomainError(err) && err.code === 'NOT_FOUND') return undefined;
      throw err;
    }
  }

  /** Every kept file, with its owner and state, oldest first. */
  async list(): Promise<CapturedFileStatus[]> {
    const { capturedFiles, sessions } = this.deps.services;
    const session = sessions.current();
    const ctx = await this.deps.context();
    const setAside = this.deps.setAsideIds();
    const out: CapturedFileStatus[] = [];
    for (const id of capturedFiles.list()) {
      const record = capturedFiles.record(id);
      const doc = await this.row(ctx, id);
      const uploading = this.progress?.documentId === id;
      const state = stateOf({
        record,
        session,
        hasRow: doc !== undefined,
        setAside: setAside.has(id),
        uploading,
        error: this.errors.get(id) ?? null,
      });
      out.push({
        documentId: id,
        filename: record?.filename ?? doc?.filename ?? id,
        sizeBytes: record?.sizeBytes ?? doc?.sizeBytes ?? capturedFiles.read(id)?.byteLength ?? 0,
        siteId: record?.siteId ?? doc?.siteId ?? null,
        siteName: record?.siteName ?? null,
        organisationId: record?.organisationId ?? doc?.organisationId ?? null,
        capturedAt: record?.capturedAt ?? doc?.createdAt ?? null,
        owner: ownerOf(record, session),
        state,
        progress: uploading && this.progress ? { sentBytes: this.progress.sentBytes, totalBytes: this.progress.totalBytes } : null,
        error: state === 'failed' ? (this.errors.get(id) ?? null) : null,
        pendingDocument: doc !== undefined && (doc.status === 'pending' || doc.status === 'failed'),
      });
    }
    return out.sort((a, b) => (a.capturedAt ?? '').localeCompare(b.capturedAt ?? ''));
  }

  async status(documentId: string): Promise<CapturedFileStatus | undefined> {
    return (await this.list()).find((f) => f.documentId === documentId);
  }

  /** Checks that the signed-in account may upload this file now; throws why not. */
  async assertUploadable(documentId: string): Promise<void> {
    const file = await this.status(documentId);
    if (!file) throw notFound('captured file', documentId);
    const why: Partial<Record<CapturedFileStatus['state'], () => Error>> = {
      onDevice: () =>
        unauthorized(`${file.filename} was made before this device signed in: sign in, then bring that work into an organisation`),
      setAside: () =>
        conflict(
          `${file.filename} belongs to the work set aside at sign-in: bring that work into an organisation first (on the Sync screen)`,
        ),
      otherAccount: () =>
        forbidden(
          `${file.filename} was captured by another account${file.owner.kind === 'account' ? ` on ${file.owner.serverUrl}` : ''}: it is uploaded when that account signs in here again`,
        ),
      noDocument: () => conflict(`${file.filename} has no document on this device any more: nobody can upload it; discard it`),
      uploading: () => conflict(`${file.filename} is being uploaded now`),
    };
    const refusal = why[file.state];
    if (refusal) throw refusal();
  }

  /** Forget the last refusal of a file, before trying it again. */
  clearError(documentId: string): void {
    this.errors.delete(documentId);
  }

  /**
   * Sends each of the account's files to the server under its document's id,
   * then forgets the local copy. Returns how many were sent. A refusal is kept
   * beside the file (and tried again next round); a lost line throws.
   */
  send(connection: ServerConnection): Promise<number> {
    return this.exclusive(() => this.sendAll(connection));
  }

  private async sendAll(connection: ServerConnection): Promise<number> {
    const { capturedFiles, sessions } = this.deps.services;
    const session = sessions.current();
    const ctx = await this.deps.context();
    this.lastError = null;
    let sent = 0;
    for (const documentId of capturedFiles.list()) {
      const record = capturedFiles.record(documentId);
      let captured: Awaited<ReturnType<typeof documents.capturedDocument>>;
      try {
        captured = await documents.capturedDocument(ctx, documentId);
      } catch (err) {
        // The document is here but this account may no longer change it (its role was lowered): say so, keep the file.
        const problem = asProblem(err);
        if (!problem || !isUploadable(record, session, true)) continue;
        this.fail(documentId, record?.filename ?? documentId, problem);
        continue;
      }
      if (!isUploadable(record, session, captured !== undefined)) continue;
      if (captured && !captured.awaitingBytes) {
        capturedFiles.remove(documentId); // the server's row says it has the bytes
        continue;
      }
      const upload = captured?.upload ?? (record && requestFromRecord(record));
      const bytes = capturedFiles.read(documentId);
      if (!upload || !bytes) continue;
      try {
        const issued = await connection.requestCapturedUpload(upload);
        if (issued.token) {
          const report = (sentBytes: number) => {
            this.progress = { documentId, filename: upload.filename, sentBytes, totalBytes: bytes.byteLength };
            this.deps.notify();
          };
          report(0);
          await connection.upload(documentId, issued.token, upload.mimeType, bytes, report);
        }
        capturedFiles.remove(documentId);
        this.errors.delete(documentId);
        sent += 1;
      } catch (err) {
        const problem = asProblem(err);
        if (!problem) throw err;
        // Refused (the site was deleted meanwhile, the user lost access): keep the file and say why; try again next round.
        this.fail(documentId, upload.filename, problem);
      } finally {
        this.progress = null;
      }
    }
    return sent;
  }

  private fail(documentId: string, filename: string, problem: Problem): void {
    this.errors.set(documentId, problem);
    this.lastError = { code: problem.code, message: `${filename} could not be uploaded: ${problem.message}` };
  }

  /**
   * Discards a kept file: its bytes and record. A document row still pending
   * on this device goes too: it would wait for bytes that no longer exist
   * (the server never received them).
   */
  discard(documentId: string): Promise<{ documentRemoved: boolean }> {
    return this.exclusive(async () => {
      const { capturedFiles, db } = this.deps.services;
      if (!capturedFiles.list().includes(documentId)) throw notFound('captured file', documentId);
      const ctx = await this.deps.context();
      const doc = await this.row(ctx, documentId);
      let documentRemoved = false;
      if (doc && (doc.status === 'pending' || doc.status === 'failed')) {
        authorize(ctx.principal, doc.organisationId, 'write', 'document', documentId);
        // Documents are not written through sync: a pending row is this device's alone until the server has the bytes.
        const { rowCount } = await db.query("DELETE FROM documents WHERE id = $1 AND status IN ('pending', 'failed')", [documentId]);
        documentRemoved = rowCount > 0;
      }
      capturedFiles.remove(documentId);
      this.errors.delete(documentId);
      this.deps.notify();
      return { documentRemoved };
    });
  }

  /** Removes files set aside and never brought in (the person discarded that work); runs in turn with uploads. */
  discardSetAside(ids: readonly string[]): Promise<number> {
    return this.exclusive(async () => {
      const { capturedFiles } = this.deps.services;
      let removed = 0;
      for (const id of ids) {
        // A file already brought in (a crash half-way through discarding) is the account's now: it stays.
        if (ownerOf(capturedFiles.record(id), undefined).kind !== 'beforeSignIn') continue;
        capturedFiles.remove(id);
        removed += 1;
      }
      return removed;
    });
  }

  /** Runs `fn` in turn with uploads (bringing set-aside work in rewrites file records). */
  inTurn<T>(fn: () => Promise<T>): Promise<T> {
    return this.exclusive(fn);
  }
}
