// The desktop's line to one Helio server: OAuth2 sign-in (the password grant,
// as the public client `helio-desktop`), access tokens refreshed before they
// expire, the core router at /trpc as the sync transport, and the server's
// change events. Failures are sorted (server-errors.ts) into the three kinds the sync loop
// treats differently: unreachable, signed out, or a refusal to show.
import { DESKTOP_CLIENT_ID, type AppRouter, type sync } from '@helio/core';
import { createTRPCClient, httpLink, type TRPCClient } from '@trpc/client';
import { memoryTokenVault, TokenEncryptionUnavailableError, type RefreshTokenVault } from '../refresh-token-vault.js';
import {
  GATEWAY_STATUSES,
  isUnauthorized,
  NotAHelioServerError,
  oauthAnswer,
  refusal,
  ServerRefusedError,
  ServerUnreachableError,
  SignInRequiredError,
  translate,
} from './server-errors.js';

export { NotAHelioServerError, ServerRefusedError, ServerUnreachableError, SignInRequiredError } from './server-errors.js';

const REQUEST_TIMEOUT_MS = 30_000;
/** The event stream's answer must start this soon, or the line counts as dead (a connect on a dropped network can hang for minutes). */
const EVENTS_OPEN_TIMEOUT_MS = 10_000;
/** Without a heartbeat announced by the server (older servers send one every 25 s), this much silence means a dead line. */
const DEFAULT_EVENTS_IDLE_MS = 60_000;
/** Sign-out waits this long at most for the server to revoke the token. */
const REVOKE_TIMEOUT_MS = 5_000;
/** Refresh this long before the access token expires, so a call never starts with one about to lapse. */
const REFRESH_MARGIN_MS = 60_000;

interface TokenAnswer {
  access_token: string;
  refresh_token?: string;
  expires_in: number;
}

export interface Me {
  userId: string;
  /** Who signed in, as the server knows them (null from a server too old to say). */
  name: string | null;
  email: string | null;
  memberships: { organisationId: string; role: string }[];
}

export interface ChangeEvent {
  organisationId: string;
  changeSeq: number;
}

export interface ServerConnectionOptions {
  serverUrl: string;
  vault: RefreshTokenVault;
  fetch?: typeof fetch;
  now?: () => number;
}

export class ServerConnection {
  readonly serverUrl: string;
  private readonly fetchFn: typeof fetch;
  private readonly now: () => number;
  private access: { token: string; expiresAt: number } | undefined;
  private refreshing: Promise<string> | undefined;
  private closed = false;
  private readonly trpc: TRPCClient<AppRouter>;

  constructor(private options: ServerConnectionOptions) {
    this.serverUrl = options.serverUrl.replace(/\/+$/, '');
    this.fetchFn = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
    this.trpc = createTRPCClient<AppRouter>({
      links: [
        httpLink({
          url: `${this.serverUrl}/trpc`,
          fetch: (url, init) => this.send(String(url), init as RequestInit),
          headers: async () => ({ authorization: `Bearer ${await this.accessToken()}` }),
        }),
      ],
    });
  }

  /** Signs in with the password grant: keeps the refresh token in the vault and returns who signed in. */
  static async signIn(
    options: ServerConnectionOptions & { email: string; password: string },
  ): Promise<{ connection: ServerConnection; me: Me }> {
    const connection = new ServerConnection(options);
    await connection.tokenRequest({ grant_type: 'password', username: options.email, password: options.password });
    return { connection, me: await connection.me() };
  }

  /**
   * Ends this connection's hold on the vault: a token request still under way
   * (a refresh started by the event stream) does not store its answer. Used
   * at sign-out and when another sign-in replaces this one.
   */
  close(): void {
    this.closed = true;
    this.access = undefined;
  }

  /**
   * Asks the server to revoke this sign-in (RFC 7009, the refresh token and
   * with it the session's access tokens), then closes the connection. Returns
   * whether the server confirmed; an unreachable or older server leaves the
   * token to lapse when it expires.
   */
  async revoke(): Promise<boolean> {
    const token = this.options.vault.load();
    this.close();
    if (!token) return false;
    try {
      const res = await this.send(
        `${this.serverUrl}/oauth/revoke`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ token, token_type_hint: 'refresh_token', client_id: DESKTOP_CLIENT_ID }).toString(),
        },
        REVOKE_TIMEOUT_MS,
      );
      return res.ok;
    } catch (err) {
      if (err instanceof ServerUnreachableError) return false;
      throw err;
    }
  }

  /** Moves the kept refresh token to `vault` (after a sign-in is complete); false when that vault refuses it. */
  persistTo(vault: RefreshTokenVault): boolean {
    const token = this.options.vault.load();
    try {
      if (token) vault.save(token);
    } catch (err) {
      if (err instanceof TokenEncryptionUnavailableError) return false; // kept in memory: sign in again after a restart
      throw err;
    }
    this.options = { ...this.options, vault };
    return true;
  }

  /** Whether a refresh token is kept, so the connection can work without asking for the password. */
  hasCredentials(): boolean {
    return this.access !== undefined || this.options.vault.load() !== undefined;
  }

  me(): Promise<Me> {
    return this.call(async () => {
      const me = await this.trpc.me.query();
      if (!me.userId) throw new ServerRefusedError('NOT_A_USER', 'the server does not see a user behind this sign-in');
      return { userId: me.userId, name: me.name ?? null, email: me.email ?? null, memberships: me.memberships };
    });
  }

  /** The core router's sync procedures, authenticated, as the sync client's transport. */
  transport(): sync.SyncTransport {
    return {
      push: (request) => this.call(() => this.trpc.sync.push.mutate(request)),
      pull: (request) => this.call(() => this.trpc.sync.pull.query(request)),
    };
  }

  /** Asks to upload a captured document under its own id (see core's requestCapturedUpload). */
  requestCapturedUpload(input: {
    id: string;
    siteId: string;
    filename: string;
    mimeType: string;
    fileSize: number;
    documentType?: string | undefined;
  }) {
    return this.call(() => this.trpc.documents.requestCapturedUpload.mutate(input)) as Promise<{
      token: string | null;
      document: { status: string };
    }>;
  }

  /**
   * A site's chart aggregates from the server (daily energy for `days` days
   * beside the expected energy, today's power beside the modeled power):
   * never raw readings, which stay on the server.
   */
  siteChart(siteId: string, days: number): Promise<unknown> {
    return this.call(() => this.trpc.monitoring.siteChart.query({ siteId, days }));
  }

  /** A document's bytes, through a download token the server signs for this user. */
  async download(documentId: string): Promise<Uint8Array> {
    const { token } = await this.call(() => this.trpc.documents.requestDownload.mutate({ id: documentId }));
    const res = await this.send(
      `${this.serverUrl}/api/docs/${encodeURIComponent(documentId)}/content?token=${encodeURIComponent(token)}`,
      {},
    );
    if (!res.ok) throw await refusal(res, this.serverUrl);
    try {
      return new Uint8Array(await res.arrayBuffer());
    } catch (err) {
      throw new ServerUnreachableError(this.serverUrl, err);
    }
  }

  /** Sends a document's bytes to its signed upload URL, reporting each chunk sent. */
  async upload(documentId: string, token: string, mimeType: string, bytes: Uint8Array, onProgress: (sent: number) => void): Promise<void> {
    const chunk = 64 * 1024;
    let sent = 0;
    // A slow line may take long: the upload fails only when nothing moves for a while, not after a fixed time.
    const stalled = new AbortController();
    let idle: NodeJS.Timeout | undefined;
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => stalled.abort(new Error('the upload stalled')), REQUEST_TIMEOUT_MS);
    };
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        armIdle();
        if (sent > 0) onProgress(sent); // asked for more: the chunk before has been taken
        if (sent >= bytes.byteLength) {
          controller.close();
          return;
        }
        const next = bytes.subarray(sent, Math.min(sent + chunk, bytes.byteLength));
        sent += next.byteLength;
        controller.enqueue(next);
      },
    });
    const url = `${this.serverUrl}/api/docs/${encodeURIComponent(documentId)}/upload?token=${encodeURIComponent(token)}`;
    try {
      armIdle();
      const res = await this.send(
        url,
        {
          method: 'PUT',
          headers: { 'content-type': mimeType, 'content-length': String(bytes.byteLength) },
          body,
          duplex: 'half',
          signal: stalled.signal,
        } as RequestInit,
        null,
      ).catch((err: unknown) => {
        throw stalled.signal.aborted ? new ServerUnreachableError(this.serverUrl, stalled.signal.reason) : err;
      });
      if (!res.ok) throw await refusal(res, this.serverUrl);
      onProgress(bytes.byteLength);
    } finally {
      clearTimeout(idle);
    }
  }

  /**
   * Reads the server's change events until `signal` aborts or the server ends
   * the stream (then it resolves; the caller reconnects). `onReady` runs when
   * the stream is open. A line that stays silent for longer than the server's
   * heartbeat allows (it announces its period in `ready`), or an answer that
   * does not start within EVENTS_OPEN_TIMEOUT_MS, is dead: ServerUnreachableError.
   */
  async events(
    signal: AbortSignal,
    handlers: { onReady(): void; onChange(event: ChangeEvent): void },
    options: { openTimeoutMs?: number } = {},
  ): Promise<void> {
    const opening = new AbortController();
    const openTimer = setTimeout(() => opening.abort(), options.openTimeoutMs ?? EVENTS_OPEN_TIMEOUT_MS);
    let opened: ReadableStream<Uint8Array>;
    try {
      opened = await this.call(async () => {
        const headers = { authorization: `Bearer ${await this.accessToken()}`, accept: 'text/event-stream' };
        const res = await this.send(`${this.serverUrl}/sync/events`, { headers, signal: AbortSignal.any([signal, opening.signal]) }, null);
        if (!res.ok || !res.body) throw await refusal(res, this.serverUrl);
        return res.body;
      });
    } catch (err) {
      if (opening.signal.aborted && !signal.aborted) {
        throw new ServerUnreachableError(this.serverUrl, new Error('the event stream did not open in time'));
      }
      throw err;
    } finally {
      clearTimeout(openTimer);
    }
    const reader = opened.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let idleMs = DEFAULT_EVENTS_IDLE_MS;
    let silent = false;
    let idle: NodeJS.Timeout | undefined;
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        silent = true;
        void reader.cancel();
      }, idleMs);
    };
    // The caller's abort ends the read at once, whatever the fetch below does with the signal.
    const stop = () => void reader.cancel();
    signal.addEventListener('abort', stop);
    try {
      if (signal.aborted) {
        stop();
        return;
      }
      armIdle();
      for (;;) {
        const { value, done } = await reader.read();
        if (silent) throw new Error(`no heartbeat from the server for ${Math.round(idleMs / 1000)} s`);
        if (done) return;
        armIdle();
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = block.split('\n');
          const event = lines
            .find((l) => l.startsWith('event:'))
            ?.slice(6)
            .trim();
          const data = lines
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).trim())
            .join('\n');
          if (event === 'ready') {
            idleMs = idleAfter(data) ?? idleMs;
            armIdle();
            handlers.onReady();
          }
          if (event === 'change') handlers.onChange(JSON.parse(data) as ChangeEvent);
        }
      }
    } catch (err) {
      await reader.cancel().catch(() => undefined); // close the stream, so the server drops its subscription
      if (signal.aborted) return;
      throw new ServerUnreachableError(this.serverUrl, err);
    } finally {
      clearTimeout(idle);
      signal.removeEventListener('abort', stop);
      reader.releaseLock();
    }
  }

  /** Runs `fn` with a valid access token; after a 401 it refreshes once and tries again. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    await this.accessToken();
    try {
      return await fn();
    } catch (err) {
      if (!isUnauthorized(err)) throw translate(err, this.serverUrl);
      this.access = undefined;
      await this.accessToken();
      try {
        return await fn();
      } catch (again) {
        if (isUnauthorized(again)) throw new SignInRequiredError('the server no longer accepts this sign-in: sign in again');
        throw translate(again, this.serverUrl);
      }
    }
  }

  /** A valid access token, refreshed with the stored refresh token when needed (one refresh at a time: tokens rotate). */
  private async accessToken(): Promise<string> {
    if (this.access && this.access.expiresAt - REFRESH_MARGIN_MS > this.now()) return this.access.token;
    this.refreshing ??= (async () => {
      try {
        const refreshToken = this.options.vault.load();
        if (!refreshToken) throw new SignInRequiredError('not signed in on this device: sign in again');
        return await this.tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken });
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  private async tokenRequest(form: Record<string, string>): Promise<string> {
    const res = await this.send(`${this.serverUrl}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...form, client_id: DESKTOP_CLIENT_ID }).toString(),
    });
    if (GATEWAY_STATUSES.has(res.status)) throw new ServerUnreachableError(this.serverUrl, new Error(`the server answered ${res.status}`));
    const answer = await oauthAnswer(res, this.serverUrl);
    if (!res.ok) {
      const body = answer as { error?: string; error_description?: string; message?: string };
      if (body.error === 'invalid_grant' && form['grant_type'] === 'refresh_token') {
        if (!this.closed) this.options.vault.clear();
        throw new SignInRequiredError('your sign-in has expired or was revoked: sign in again');
      }
      if (body.error === 'invalid_grant') throw new ServerRefusedError('INVALID_CREDENTIALS', 'wrong email or password');
      if (body.error === 'invalid_client')
        throw new ServerRefusedError(
          'DESKTOP_SIGN_IN_DISABLED',
          `this server does not accept sign-in from the desktop app: ${body.error_description ?? ''}`.trim(),
        );
      throw new ServerRefusedError(
        body.error ?? `HTTP_${res.status}`,
        body.error_description ?? body.message ?? `the server answered ${res.status}`,
      );
    }
    const token = answer as Partial<TokenAnswer>;
    if (typeof token.access_token !== 'string' || typeof token.expires_in !== 'number') {
      throw new NotAHelioServerError(this.serverUrl, 'its answer to the sign-in carries no access token');
    }
    if (this.closed) throw new SignInRequiredError('signed out');
    this.access = { token: token.access_token, expiresAt: this.now() + token.expires_in * 1000 };
    if (token.refresh_token) {
      try {
        this.options.vault.save(token.refresh_token);
      } catch (err) {
        if (!(err instanceof TokenEncryptionUnavailableError)) throw err;
        // No keychain any more: keep going on this token in memory; the user signs in again after a restart.
        this.options = { ...this.options, vault: memoryTokenVault() };
        this.options.vault.save(token.refresh_token);
      }
    }
    return token.access_token;
  }

  /** fetch with a timeout; network failures become ServerUnreachableError. `timeoutMs` null: none (event streams). */
  private async send(url: string, init: RequestInit, timeoutMs: number | null = REQUEST_TIMEOUT_MS): Promise<Response> {
    const signals = [init.signal, timeoutMs === null ? undefined : AbortSignal.timeout(timeoutMs)].filter((s): s is AbortSignal =>
      Boolean(s),
    );
    try {
      return await this.fetchFn(url, { ...init, signal: signals.length > 0 ? AbortSignal.any(signals) : null });
    } catch (err) {
      if (init.signal?.aborted) throw err;
      throw new ServerUnreachableError(this.serverUrl, err);
    }
  }
}

/** The heartbeat period a `ready` event announces, as the silence after which the line counts as dead: two beats missed. */
function idleAfter(data: string): number | undefined {
  try {
    const heartbeatMs = (JSON.parse(data) as { heartbeatMs?: unknown }).heartbeatMs;
    return typeof heartbeatMs === 'number' && heartbeatMs > 0 ? heartbeatMs * 2 + 2_000 : undefined;
  } catch {
    return undefined;
  }
}
