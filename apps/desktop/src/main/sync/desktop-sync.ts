// Sync on the desktop: the sync client over the local database, the server
// connection once signed in, the loop that keeps them in step, and the
// uploads of documents captured here. It is the desktop's `DesktopAuth`.
import { join } from 'node:path';
import { notFound, organisations, sync, unauthorized, users, type LocalSync, type Principal } from '@helio/core';
import type { CapturedFileStatus } from '../captured-file-status.js';
import { sessionPrincipal, type LocalSession } from '../local-session.js';
import { memoryTokenVault, type RefreshTokenVault } from '../refresh-token-vault.js';
import type { DesktopServices } from '../services.js';
import { bringIn, isEmpty, setAsideStoreAt, snapshotWork, type BroughtIn, type SetAsideStore } from '../set-aside-work.js';
import type { DesktopAuth } from '../trpc.js';
import { CapturedUploads, type UploadProgress } from './captured-uploads.js';
import { ServerConnection, ServerUnreachableError, SignInRequiredError } from './server-connection.js';
import { SyncLoop, type ConnectionState, type LoopState } from './sync-loop.js';

export type { UploadProgress } from './captured-uploads.js';

/** Work made before the first sign-in, set aside then: what the person is asked about (see set-aside-work.ts). */
export interface SetAsideSummary {
  portfolios: number;
  sites: number;
  documents: number;
  decision: 'undecided' | 'kept';
}

export interface SyncStatus {
  /** `local`: no server yet, everything stays on this device. */
  connection: ConnectionState | 'local';
  serverUrl: string | null;
  syncing: boolean;
  /** Changes made here that the server has not confirmed yet (in `local` mode: made here, sent nowhere yet). */
  pending: number;
  conflicts: number;
  rejected: number;
  /** Captured files the signed-in account uploads (others are listed by capture.files, never counted here), and the one being sent. */
  pendingUploads: number;
  upload: UploadProgress | null;
  /** Work made before the first sign-in, waiting for the person to bring it into an organisation or discard it. */
  setAside: SetAsideSummary | null;
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
  private readonly uploads: CapturedUploads;
  /** Work set aside at the first sign-in (see set-aside-work.ts). */
  readonly setAside: SetAsideStore;
  private roundsStarted = 0;
  private roundsEnded = 0;
  private credentialNotice: { code: string; message: string } | null = null;
  private dataVersion = 0;
  private seenChanges = 0;
  private readonly listeners = new Set<() => void>();

  private constructor(
    private readonly services: DesktopServices,
    private readonly options: DesktopSyncOptions,
  ) {
    this.setAside = setAsideStoreAt(join(services.dataDir, 'set-aside-work.json'));
    this.uploads = new CapturedUploads({
      services,
      context: () => this.client.context(),
      setAsideIds: () => new Set(this.setAsideWork()?.documents.map((d) => d.id)),
      notify: () => this.notify(),
    });
  }

  /**
   * The work set aside at the first sign-in. Listed whatever the session says:
   * a crash between setting it aside and saving the new session leaves a
   * local session over an emptied database, and the work must still show.
   */
  setAsideWork() {
    return this.setAside.current();
  }

  /** The captured files kept here, for the upload machinery of this class and the capture router. */
  get capturedUploads(): CapturedUploads {
    return this.uploads;
  }

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
      // Organisations made on this device alone are unknown to the server: their work is set aside (the file written
      // before the start-over removes the rows), for the person to bring into one of the account's organisations.
      await this.setAsideLocalWork(previous);
      await this.client.startOver('setAside');
    } else if (previous && (previous.serverUrl !== connection.serverUrl || previous.userId !== me.userId)) {
      await this.client.startOver({
        code: 'NOT_SENT',
        message: `made while signed in to ${previous.serverUrl ?? 'another server'} as another account: not sent after signing in again`,
      });
    }
    const session: LocalSession = {
      userId: me.userId,
      organisations: new Map(me.memberships.map((m) => [m.organisationId, m.role as never])),
      source: 'server',
      serverUrl: connection.serverUrl,
      account: { name: me.name, email: me.email ?? input.email },
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

  /** Snapshots the local session's portfolios, sites and documents into the set-aside file (merged with any kept before). */
  private async setAsideLocalWork(local: LocalSession): Promise<void> {
    const { db, clock, ids } = this.services;
    const ctx = { db, clock, ids, principal: sessionPrincipal(local) };
    const names = new Map((await organisations.listOrganisations(ctx)).map((o) => [o.id, o.name]));
    const work = await snapshotWork(ctx, names, clock.now());
    if (!isEmpty(work)) this.setAside.add(work);
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
      pendingUploads: await this.uploads.waitingCount(),
      upload: this.uploads.current,
      setAside: this.setAsideSummary(),
      lastSyncAt: counts.lastSyncAt,
      lastError: loop?.lastError ?? this.uploads.lastError ?? this.credentialNotice,
      nextAttemptAt: loop?.nextAttemptAt ?? null,
      dataVersion: this.dataVersion,
    };
  }

  private setAsideSummary(): SetAsideSummary | null {
    const work = this.setAsideWork();
    if (!work) return null;
    return { portfolios: work.portfolios.length, sites: work.sites.length, documents: work.documents.length, decision: work.decision };
  }

  /**
   * Brings the set-aside work into one of the account's organisations (see
   * set-aside-work.ts bringIn): new rows, queued like any write, and their
   * files then uploaded by sync. The set-aside file goes only once all is in.
   */
  async bringInSetAside(organisationId: string): Promise<BroughtIn> {
    const work = this.setAsideWork();
    const session = this.services.sessions.current();
    if (!work || !session?.serverUrl) throw notFound('work set aside at sign-in');
    const account = { userId: session.userId, serverUrl: session.serverUrl };
    const { documentStorage: storage, capturedFiles } = this.services;
    try {
      return await this.uploads.inTurn(async () => {
        const ctx = await this.client.context();
        const done = await bringIn({ ctx, write: (w) => this.client.write(w), storage, capturedFiles, account }, work, organisationId);
        this.setAside.clear();
        return done;
      });
    } finally {
      this.dataVersion += 1;
      this.afterLocalChange();
    }
  }

  /** The person keeps the set-aside work on this device for now: it stays listed, the question is not asked again. */
  keepSetAside(): void {
    this.setAside.decide('kept');
    this.notify();
  }

  /** Discards the set-aside work and its captured files (the file first: a crash leaves only files, listed and discardable). */
  async discardSetAside(): Promise<void> {
    const work = this.setAsideWork();
    if (!work) throw notFound('work set aside at sign-in');
    this.setAside.clear();
    await this.uploads.discardSetAside(work.documents.map((d) => d.id));
    this.notify();
  }

  /** Every captured file kept here, with its owner and state. */
  capturedFiles(): Promise<CapturedFileStatus[]> {
    return this.uploads.list();
  }

  /**
   * Tries one of the account's files now: a sync round (which pushes what its
   * document needs first, then uploads), and answers how it went.
   */
  async uploadNow(documentId: string): Promise<{ uploaded: boolean; file: CapturedFileStatus | null }> {
    await this.uploads.assertUploadable(documentId);
    if (!this.loop || this.loopState?.connection === 'signInRequired') throw unauthorized('sign in to upload files');
    this.uploads.clearError(documentId);
    this.notify();
    await this.nextRound();
    const file = (await this.uploads.status(documentId)) ?? null;
    return { uploaded: file === null, file };
  }

  async discardCapturedFile(documentId: string): Promise<{ documentRemoved: boolean }> {
    const result = await this.uploads.discard(documentId);
    this.dataVersion += 1; // a pending document row may have gone with it
    this.notify();
    return result;
  }

  /** Starts a round now and waits for it (or for a minute at most: a line may hang). */
  private nextRound(): Promise<void> {
    const target = this.roundsStarted + 1;
    return new Promise((resolve) => {
      const timer = setTimeout(done, 60_000);
      const stop = this.onChange(() => {
        if (this.roundsEnded >= target) done();
      });
      function done() {
        clearTimeout(timer);
        stop();
        resolve();
      }
      this.loop?.wake();
    });
  }

  /** A document's bytes from the server (the caller checks access and keeps them). */
  downloadDocument(documentId: string): Promise<Uint8Array> {
    if (!this.connection || this.loopState?.connection === 'signInRequired') {
      return Promise.reject(new SignInRequiredError('not signed in to a server'));
    }
    return this.connection.download(documentId);
  }

  /** The line to the server as the sync loop last found it (undefined: not signed in to one, or not tried yet). */
  get lineState(): ConnectionState | undefined {
    return this.connection ? this.loopState?.connection : undefined;
  }

  /**
   * A site's chart aggregates from the server (see ServerConnection.siteChart).
   * While the sync loop knows the line is down it does not wait on it again:
   * the caller shows what it kept, and asks anew once the loop is back online.
   */
  fetchSiteChart(siteId: string, days: number): Promise<unknown> {
    const connection = this.connection;
    if (!connection || this.loopState?.connection === 'signInRequired') {
      return Promise.reject(new SignInRequiredError('not signed in to a server'));
    }
    if (this.loopState?.connection === 'offline') {
      return Promise.reject(new ServerUnreachableError(connection.serverUrl, new Error('offline')));
    }
    return connection.siteChart(siteId, days);
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
    this.roundsStarted += 1;
    try {
      try {
        await this.client.sync();
      } finally {
        await this.afterPull();
      }
      await this.sendCapturedFiles();
    } finally {
      this.roundsEnded += 1;
      this.notify();
    }
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

  /** Sends the account's captured files (see CapturedUploads.send); a pull then brings their documents' new status. */
  private async sendCapturedFiles(): Promise<void> {
    const connection = this.connection;
    if (!connection) return;
    const sent = await this.uploads.send(connection);
    if (sent === 0) return;
    await this.client.sync();
    await this.afterPull();
  }
}
