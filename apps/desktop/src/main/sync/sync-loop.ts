// The sync loop of the main process: one sync at a time, started by a local
// write, by the server's change events, by the network coming back or the
// machine waking, and otherwise at most every 30 s (every 5 min while the
// event stream is up). Failures back off exponentially, up to a minute.
//
// The event stream is also how the loop notices the server is gone: when it
// breaks (reset, refused, silent past the heartbeat), the connection reads
// offline at once; when the server ends it, one round checks at once. While
// the server cannot be reached the stream is retried every few seconds, and
// the first stream that opens syncs and reads online again.
import { ServerRefusedError, ServerUnreachableError, SignInRequiredError, type ServerConnection } from './server-connection.js';

export type ConnectionState = 'connecting' | 'online' | 'offline' | 'signInRequired';

export interface LoopState {
  connection: ConnectionState;
  syncing: boolean;
  lastError: { code: string; message: string } | null;
  nextAttemptAt: string | null;
}

export interface SyncLoopOptions {
  connection: ServerConnection;
  /** One round: push, pull, uploads. Throws what the connection throws. */
  round(): Promise<void>;
  onState(state: LoopState): void;
  /** For tests: a shorter poll. */
  pollMs?: number;
}

export const POLL_MS = 30_000;
const POLL_WITH_EVENTS_MS = 5 * 60_000;
const MIN_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 60_000;
/** While the server cannot be reached, the event stream retries at least this often: its return is seen within seconds. */
const MAX_PROBE_MS = 4_000;
/** A timer tick this much later than due means the machine slept. */
const SLEEP_GAP_MS = 20_000;

export function errorState(err: unknown): { code: string; message: string } {
  if (err instanceof ServerUnreachableError || err instanceof SignInRequiredError || err instanceof ServerRefusedError) {
    return { code: err.code, message: err.message };
  }
  const code = (err as { code?: unknown }).code;
  return { code: typeof code === 'string' ? code : 'SYNC_FAILED', message: err instanceof Error ? err.message : String(err) };
}

export class SyncLoop {
  private state: LoopState = { connection: 'connecting', syncing: false, lastError: null, nextAttemptAt: null };
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private failures = 0;
  private retry: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private events: AbortController | undefined;
  private eventsUp = false;
  private readonly pollMs: number;

  constructor(private readonly options: SyncLoopOptions) {
    this.pollMs = options.pollMs ?? POLL_MS;
  }

  start(): void {
    this.stopped = false;
    void this.eventLoop();
    this.schedulePoll();
    let last = Date.now();
    this.watchdog = setInterval(() => {
      const now = Date.now();
      if (now - last > 5_000 + SLEEP_GAP_MS) this.wake(); // resumed from sleep: sockets may be dead
      last = now;
    }, 5_000);
    this.watchdog.unref?.();
    this.requestSync();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    clearTimeout(this.poll);
    clearInterval(this.watchdog);
    this.events?.abort();
    await this.running;
  }

  current(): LoopState {
    return this.state;
  }

  /** Syncs as soon as the one running (if any) ends. */
  requestSync(): void {
    if (this.stopped || this.state.connection === 'signInRequired') return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.retry);
    this.running = this.runRound().finally(() => {
      this.running = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.requestSync();
      }
    });
  }

  /** The network is back or the machine woke up: forget the backoff, reconnect the events and sync now. */
  wake(): void {
    if (this.stopped) return;
    this.failures = 0;
    this.events?.abort();
    this.requestSync();
  }

  private set(patch: Partial<LoopState>): void {
    this.state = { ...this.state, ...patch };
    this.options.onState(this.state);
  }

  private async runRound(): Promise<void> {
    this.set({ syncing: true, nextAttemptAt: null });
    try {
      await this.options.round();
      this.failures = 0;
      this.set({ syncing: false, connection: 'online', lastError: null });
      this.schedulePoll();
    } catch (err) {
      this.failures += 1;
      if (err instanceof SignInRequiredError) {
        this.set({ syncing: false, connection: 'signInRequired', lastError: errorState(err) });
        this.events?.abort();
        return;
      }
      const delay = this.backoff();
      // A refusal is an answer: the server is there, whatever the event stream said.
      const connection =
        err instanceof ServerUnreachableError
          ? 'offline'
          : err instanceof ServerRefusedError || this.state.connection === 'connecting'
            ? 'online'
            : this.state.connection;
      this.set({ syncing: false, connection, lastError: errorState(err), nextAttemptAt: new Date(Date.now() + delay).toISOString() });
      if (!this.stopped) {
        this.retry = setTimeout(() => this.requestSync(), delay);
        this.retry.unref?.();
      }
    }
  }

  private schedulePoll(): void {
    clearTimeout(this.poll);
    if (this.stopped) return;
    this.poll = setTimeout(
      () => {
        this.requestSync();
        this.schedulePoll();
      },
      this.eventsUp ? Math.max(this.pollMs, POLL_WITH_EVENTS_MS) : this.pollMs,
    );
    this.poll.unref?.();
  }

  /**
   * The event stream broke: the server cannot be reached. Said now, as a
   * failed round would say it (offline, the error, the next try a second
   * away), rather than at the next poll. A round under way says it itself
   * when it fails.
   */
  private markUnreachable(err: unknown): void {
    if (this.stopped || this.running || this.state.connection === 'signInRequired' || this.state.connection === 'offline') return;
    this.failures += 1;
    const delay = this.backoff();
    this.set({ connection: 'offline', lastError: errorState(err), nextAttemptAt: new Date(Date.now() + delay).toISOString() });
    clearTimeout(this.retry);
    this.retry = setTimeout(() => this.requestSync(), delay);
    this.retry.unref?.();
  }

  /** The pause before the next round after `failures` failures in a row, with jitter. */
  private backoff(): number {
    return Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** (this.failures - 1)) * (0.8 + Math.random() * 0.4);
  }

  /** Keeps the server's event stream open: every change event asks for a sync. */
  private async eventLoop(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      if (this.state.connection === 'signInRequired') {
        await delay(1_000);
        continue;
      }
      this.events = new AbortController();
      let unreachable = false;
      try {
        await this.options.connection.events(this.events.signal, {
          onReady: () => {
            failures = 0;
            this.eventsUp = true;
            this.schedulePoll();
            // Whatever changed while the stream was down is fetched now.
            this.requestSync();
          },
          onChange: () => this.requestSync(),
        });
        // The server ended the stream (it is stopping, or a proxy closed it): one round tells which, now.
        if (this.eventsUp && !this.events.signal.aborted) this.requestSync();
      } catch (err) {
        if (err instanceof SignInRequiredError) this.set({ connection: 'signInRequired', lastError: errorState(err) });
        if (err instanceof ServerUnreachableError && !this.events.signal.aborted) {
          unreachable = true;
          this.markUnreachable(err);
        }
        failures += 1;
      }
      if (this.eventsUp) {
        this.eventsUp = false;
        this.schedulePoll(); // back to polling every 30 s while the stream is down
      }
      if (this.stopped) return;
      const backoff = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** Math.min(failures, 6));
      await delay(unreachable ? Math.min(backoff, MAX_PROBE_MS) : backoff, this.events.signal.aborted ? undefined : this.events.signal);
    }
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref?.();
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
