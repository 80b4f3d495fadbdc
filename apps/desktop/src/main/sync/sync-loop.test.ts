import { afterEach, describe, expect, it, vi } from 'vitest';
import { ServerRefusedError, ServerUnreachableError, type ServerConnection } from './server-connection.js';
import { SyncLoop, type LoopState } from './sync-loop.js';

type Handlers = { onReady(): void; onChange(event: { organisationId: string; changeSeq: number }): void };

/**
 * A server seen through the loop's two doors: `events` (each call is one
 * stream, which the test opens, breaks or ends) and `round`.
 */
function fakeServer() {
  let up = true;
  const streams: { handlers: Handlers; break(err?: unknown): void; end(): void }[] = [];
  let roundFails: (() => Error) | undefined;
  const server = {
    rounds: 0,
    /** Tries to open a stream, successful or not. */
    attempts: 0,
    streams,
    get open() {
      return streams.length;
    },
    /** The server goes away (its streams break) or comes back. */
    setUp(value: boolean) {
      up = value;
    },
    failRoundsWith(make: (() => Error) | undefined) {
      roundFails = make;
    },
    connection: {
      events: (signal: AbortSignal, handlers: Handlers) =>
        new Promise<void>((resolve, reject) => {
          server.attempts += 1;
          if (!up) return reject(new ServerUnreachableError('http://helio.test', new Error('ECONNREFUSED')));
          streams.push({
            handlers,
            break: (err) => reject(err ?? new ServerUnreachableError('http://helio.test', new Error('ECONNRESET'))),
            end: resolve,
          });
          signal.addEventListener('abort', () => resolve());
          handlers.onReady();
        }),
    } as unknown as ServerConnection,
    round: () => {
      server.rounds += 1;
      if (!up) return Promise.reject(new ServerUnreachableError('http://helio.test', new Error('ECONNREFUSED')));
      return roundFails ? Promise.reject(roundFails()) : Promise.resolve();
    },
  };
  return server;
}

function startLoop(server: ReturnType<typeof fakeServer>) {
  const states: LoopState[] = [];
  const loop = new SyncLoop({ connection: server.connection, round: () => server.round(), onState: (s) => states.push(s) });
  loop.start();
  return { loop, states, current: () => loop.current() };
}

let running: SyncLoop | undefined;

afterEach(async () => {
  await running?.stop();
  running = undefined;
  vi.useRealTimers();
});

describe('sync loop: noticing the server come and go', () => {
  it('reads offline as soon as the event stream breaks, not at the next poll', async () => {
    vi.useFakeTimers();
    const server = fakeServer();
    const { loop, current } = startLoop(server);
    running = loop;
    await vi.advanceTimersByTimeAsync(10);
    expect(current().connection).toBe('online');

    server.setUp(false);
    server.streams[0]!.break();
    await vi.advanceTimersByTimeAsync(10);
    expect(current().connection).toBe('offline');
    expect(current().lastError?.code).toBe('SERVER_UNREACHABLE');
  });

  it('checks the server with a round at once when it ends the stream', async () => {
    vi.useFakeTimers();
    const server = fakeServer();
    const { loop, current } = startLoop(server);
    running = loop;
    await vi.advanceTimersByTimeAsync(10);
    const before = server.rounds;

    server.setUp(false); // stopping: it ends its streams, then refuses connections
    server.streams[0]!.end();
    await vi.advanceTimersByTimeAsync(10);
    expect(server.rounds).toBeGreaterThan(before);
    expect(current().connection).toBe('offline');
  });

  it('retries the stream every few seconds while the server is away, and reads online once it answers', async () => {
    vi.useFakeTimers();
    const server = fakeServer();
    const { loop, current } = startLoop(server);
    running = loop;
    await vi.advanceTimersByTimeAsync(10);
    server.setUp(false);
    server.streams[0]!.break();
    // A long spell away: the backoff would reach a minute, the stream's retries stay within seconds.
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(current().connection).toBe('offline');
    server.attempts = 0;
    await vi.advanceTimersByTimeAsync(20_000);
    expect(server.attempts).toBeGreaterThanOrEqual(4);

    server.setUp(true);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(current().connection).toBe('online');
    expect(server.open).toBe(2);
  });

  it('reads online when the server answers with a refusal: it is there', async () => {
    vi.useFakeTimers();
    const server = fakeServer();
    const { loop, current } = startLoop(server);
    running = loop;
    await vi.advanceTimersByTimeAsync(10);
    server.setUp(false);
    server.streams[0]!.break();
    await vi.advanceTimersByTimeAsync(10);
    expect(current().connection).toBe('offline');

    server.setUp(true);
    server.failRoundsWith(() => new ServerRefusedError('INTERNAL_ERROR', 'internal error'));
    loop.requestSync();
    await vi.advanceTimersByTimeAsync(10);
    expect(current().connection).toBe('online');
    expect(current().lastError?.code).toBe('INTERNAL_ERROR');
  });

  it('does not read offline when it closes the stream itself (wake, stop)', async () => {
    vi.useFakeTimers();
    const server = fakeServer();
    const { loop, states } = startLoop(server);
    running = loop;
    await vi.advanceTimersByTimeAsync(10);
    loop.wake();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(states.map((s) => s.connection)).not.toContain('offline');
    expect(server.open).toBe(2);
  });
});
