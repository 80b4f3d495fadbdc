// Sync on the desktop: the sync client over the local database, the server
// connection once signed in, the loop that keeps them in step, and the
// uploads of documents captured here. It is the desktop's `DesktopAuth`.
import { documents, sync, users, type LocalSync, type Principal } from '@helio/core';
import type { LocalSession } from '../local-session.js';
import { memoryTokenVault, type RefreshTokenVault } from '../refresh-token-vault.js';
import type { DesktopServices } from '../services.js';
import type { DesktopAuth } from '../trpc.js';
import { ServerConnection, ServerRefusedError, SignInRequiredError } from './server-connection.js';
import { SyncLoop, type ConnectionState, type LoopState } from './sync-loop.js';

export interface UploadProgress {
  documentId: string;
  filename: string;
  sentBytes: number;
  totalBytes: number;
}

export interface SyncStatus {
  /** `local`: no server yet, everything stays on this device. */
  connection: ConnectionState | 'local';
  serverUrl: string | null;
  syncing: boolean;
  /** Changes made here that the server has not confirmed yet. */
  pending: number;
  conflicts: number;
  rejected: number;
  /** Captured files kept here until the server has them, and the one being sent. */
  pendingUploads: number;
  upload: UploadProgress | null;
  lastSyncAt: string | null;
  lastError: { code: string; message: string } | null;
  nextAttemptAt: string | null;
  /** Grows whenever sync changed local data: views showing it reload. */
  dataVersion: number;
}

/** Used before sign-in: writes queue up; nothing is sent. */
const notConnected: sync.SyncTransport = {
  push: () => Promise.reject(new SignInRequiredError('not connected to a server')),
  pull: () => Promise.reject(new SignInRequiredError('not connected to a server')),
};

export interface DesktopSyncOptions {
  /** Where the refresh token is kept (safeStorage in Electron, memory in the web host). */
  vault: RefreshTokenVault;
  fetch?: typeof fetch;
  pollMs?: number;
}

export class DesktopSync implements DesktopAuth, LocalSync {
  private client!: sync.SyncClient;
  private connection: ServerConnection | undefined;
  private loop: SyncLoop | undefined;
  private loopState: LoopState | undefined;
  private upload: UploadProgress | null = null;
  private uploadError: { code: string; message: string } | null = null;
  private credentialNotice: { code: string; message: string } | null = null;
  private dataVersion = 0;
  private seenChanges = 0;
  private readonly listeners = new Set<() => void>();

  private constructor(
    private readonly services: DesktopServices,
    private readonly options: DesktopSyncOptions,
  ) {}

  static async open(services: DesktopServices, options: DesktopSyncOptions): Promise<DesktopSync> {
    const desktop = new DesktopSync(services, options);
    await desktop.resume();
    return desktop;
  }

  /** The sync client of the session's user: every synced write goes through it. */
  get syncClient(): sync.SyncClient {
    return this.client;
  }

  private async openClient(session: LocalSession | undefined, transport: sync.SyncTransport): Promise<void> {
    const { db, clock, ids } = this.services;
    this.client = await sync.SyncClient.open({
      db,
      clock,
      ids,
      userId: session?.userId ?? '00000000-0000-0000-0000-000000000000',
      transport,
    });
    this.seenChanges = this.client.receivedChanges;
  }

  /** At start: a server session with a kept refresh token syncs at once; without one the user is asked to sign in. */
  private async resume(): Promise<void> {
    const session = this.services.sessions.current();
    if (session?.source === 'server' && session.serverUrl) {
      const connection = new ServerConnection({
        serverUrl: session.serverUrl,
        vault: this.options.vault,
        ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
      });
      await this.openClient(session, connection.transport());
      this.startLoop(connection);
      if (!connection.hasCredentials()) {
        this.loopState = {
          connection: 'signInRequired',
          syncing: false,
          lastError: { code: 'SIGN_IN_REQUIRED', message: 'sign in again to sync' },
          nextAttemptAt: null,
        };
      }
      return;
    }
    await this.openClient(session, notConnected);
  }

  private startLoop(connection: ServerConnection): void {
    this.connection = connection;
    this.loop = new SyncLoop({
      connection,
      round: () => this.round(),
      onState: (state) => {
        this.loopState = state;
        this.notify();
      },
      ...(this.options.pollMs ? { pollMs: this.options.pollMs } : {}),
    });
    if (connection.hasCredentials()) this.loop.start();
  }

  /**
   * Signs in to a server. The running loop stops first (and starts again if
   * the sign-in fails); the new refresh token goes to the vault only once the
   * server has said who signed in. Another server or another user than
   * before starts the device afresh (see SyncClient.startOver): nothing
   * queued for one account is ever sent as another.
   */
  async signIn(input: { serverUrl: string; email: string; password: string }): Promise<void> {
    const previousConnection = this.connection;
    await this.loop?.stop();
    this.loop = undefined;
    let signedIn: Awaited<ReturnType<typeof ServerConnection.signIn>>;
    try {
      signedIn = await ServerConnection.signIn({
        serverUrl: input.serverUrl,
        email: input.email,
        password: input.password,
        vault: memoryTokenVault(),
        ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
      });
    } catch (err) {
      if (previousConnection) this.startLoop(previousConnection);
      throw err;
    }
    const { connection, me } = signedIn;
    const previous = this.services.sessions.current();
    if (previous?.source === 'local') {
      // Organisations made on this device alone are unknown to the server: what was queued there cannot be sent.
      await this.client.startOver(
        'LOCAL_ONLY',
        `made on this device before it signed in to ${connection.serverUrl}, in an organisation that server does not have: not sent`,
        me.userId,
      );
    } else if (previous && (previous.serverUrl !== connection.serverUrl || previous.userId !== me.userId)) {
      await this.client.startOver(
        'NOT_SENT',
        `made while signed in to ${previous.serverUrl ?? 'another server'} as another account: not sent after signing in again`,
      );
    }
    const session: LocalSession = {
      userId: me.userId,
      organisations: new Map(me.memberships.map((m) => [m.organisationId, m.role as never])),
      source: 'server',
      serverUrl: connection.serverUrl,
    };
    // The new client first, so that no write made under the new session goes through the old one.
    await this.openClient(session, connection.transport());
    this.services.sessions.replace(session);
    previousConnection?.close();
    this.credentialNotice = connection.persistTo(this.options.vault)
      ? null
      : { code: 'TOKEN_NOT_KEPT', message: 'no system keychain: this sign-in is kept until Helio closes, then you sign in again' };
    this.loopState = undefined;
    this.startLoop(connection);
    this.notify();
  }

  /**
   * Stops syncing, revokes the sign-in on the server when it can be reached
   * and forgets it here. The data and the unsent changes stay (see signIn for
   * what another account then sees).
   */
  async signOut(): Promise<void> {
    await this.loop?.stop();
    const revoked = (await this.connection?.revoke()) ?? false;
    this.options.vault.clear();
    this.loop = undefined;
    this.connection = undefined;
    const message = revoked
      ? 'signed out: the server has revoked this device’s sign-in'
      : 'signed out on this device; the server could not be reached to revoke the sign-in (or did not confirm it), so it lapses when it expires';
    this.loopState = { connection: 'signInRequired', syncing: false, lastError: { code: 'SIGNED_OUT', message }, nextAttemptAt: null };
    this.notify();
  }

  /** A local write of a synced table, queued for the server; sync starts at once. */
  async write(input: sync.LocalWrite): Promise<{ id: string; seq: number }> {
    const result = await this.client.write(input);
    this.afterLocalChange();
    return result;
  }

  async resolveConflict(id: string, resolution: 'kept' | 'restored'): Promise<void> {
    await this.client.resolveConflict(id, resolution);
    this.afterLocalChange();
  }

  conflicts(principal: Principal, organisationId?: string): Promise<sync.OpenConflict[]> {
    return this.client.conflictsFor(principal, organisationId);
  }

  rejectedChanges(): Promise<sync.RejectedChange[]> {
    return this.client.rejectedChanges();
  }

  async dismissRejected(seq: number): Promise<void> {
    await this.client.dismissRejected(seq);
    this.notify();
  }

  /** Something here changed that the server should hear about (a write, a captured file). */
  afterLocalChange(): void {
    this.notify();
    this.loop?.requestSync();
  }

  /** Sync now: the user asked, the network came back, or the machine woke up. */
  syncNow(): void {
    this.loop?.wake();
  }

  async status(): Promise<SyncStatus> {
    const counts = await this.client.status();
    const session = this.services.sessions.current();
    const loop = this.loopState;
    return {
      connection: session?.source === 'server' ? (loop?.connection ?? 'connecting') : 'local',
      serverUrl: session?.serverUrl ?? null,
      syncing: loop?.syncing ?? false,
      pending: counts.pending,
      conflicts: counts.conflicts,
      rejected: counts.rejected,
      pendingUploads: this.services.capturedFiles.list().length,
      upload: this.upload,
      lastSyncAt: counts.lastSyncAt,
      lastError: loop?.lastError ?? this.uploadError ?? this.credentialNotice,
      nextAttemptAt: loop?.nextAttemptAt ?? null,
      dataVersion: this.dataVersion,
    };
  }

  /** A document's bytes from the server (the caller checks access and keeps them). */
  downloadDocument(documentId: string): Promise<Uint8Array> {
    if (!this.connection || this.loopState?.connection === 'signInRequired') {
      return Promise.reject(new SignInRequiredError('not signed in to a server'));
    }
    return this.connection.download(documentId);
  }

  /** Calls `listener` after every change of the status; returns a function that stops it. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    await this.loop?.stop();
    this.listeners.clear();
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }

  /** One round: everything queued goes up, everything new comes down, then captured files are sent. */
  private async round(): Promise<void> {
    try {
      await this.client.sync();
    } finally {
      await this.afterPull();
    }
    await this.sendCapturedFiles();
  }

  private async afterPull(): Promise<void> {
    if (this.client.receivedChanges !== this.seenChanges) {
      this.seenChanges = this.client.receivedChanges;
      this.dataVersion += 1;
      await this.refreshMemberships();
    }
    this.notify();
  }

  /** Memberships come down with sync: the session follows them (a new organisation appears, a revoked one goes). */
  private async refreshMemberships(): Promise<void> {
    const session = this.services.sessions.current();
    if (!session || session.source !== 'server') return;
    const memberships = await users.membershipsOf({ db: this.services.db }, session.userId);
    if (memberships.size === 0) return; // the first pull has not brought them yet
    const same =
      memberships.size === session.organisations.size && [...memberships].every(([org, role]) => session.organisations.get(org) === role);
    if (!same) this.services.sessions.replace({ ...session, organisations: memberships });
  }

  /** Sends each captured file to the server under its document's id, then forgets the local copy. */
  private async sendCapturedFiles(): Promise<void> {
    const connection = this.connection;
    if (!connection) return;
    this.uploadError = null;
    let sent = 0;
    for (const documentId of this.services.capturedFiles.list()) {
      const captured = await documents.capturedDocument(await this.client.context(), documentId);
      if (!captured) continue; // its site's organisation is gone from this device: kept, listed as pending
      if (!captured.awaitingBytes) {
        this.services.capturedFiles.remove(documentId); // the server's row says it has the bytes
        continue;
      }
      const bytes = this.services.capturedFiles.read(documentId);
      if (!bytes) continue;
      try {
        const issued = await connection.requestCapturedUpload(captured.upload);
        if (issued.token) {
          this.upload = { documentId, filename: captured.upload.filename, sentBytes: 0, totalBytes: bytes.byteLength };
          this.notify();
          await connection.upload(documentId, issued.token, captured.upload.mimeType, bytes, (sent) => {
            this.upload = { documentId, filename: captured.upload.filename, sentBytes: sent, totalBytes: bytes.byteLength };
            this.notify();
          });
        }
        this.services.capturedFiles.remove(documentId);
        sent += 1;
      } catch (err) {
        if (!(err instanceof ServerRefusedError)) throw err;
        // Refused (the site was deleted meanwhile, the user lost access): keep the file and say why; try again next round.
        this.uploadError = { code: err.code, message: `${captured.upload.filename} could not be uploaded: ${err.message}` };
      } finally {
        this.upload = null;
      }
    }
    if (sent === 0) return;
    // A pull brings the documents' new status (uploaded) at once.
    await this.client.sync();
    await this.afterPull();
  }
}
