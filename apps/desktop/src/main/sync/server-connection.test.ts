import { afterEach, describe, expect, it, vi } from 'vitest';
import { memoryTokenVault } from '../refresh-token-vault.js';
import { NotAHelioServerError, ServerConnection, ServerUnreachableError } from './server-connection.js';

const serverUrl = 'http://helio.test';

/** A fetch that answers each request with `answer(url, init)`. */
function fakeFetch(answer: (url: string, init: RequestInit) => Response | Promise<Response>): typeof fetch {
  return ((input: string | URL | Request, init?: RequestInit) => Promise.resolve(answer(String(input), init ?? {}))) as typeof fetch;
}

function signIn(fetchFn: typeof fetch) {
  return ServerConnection.signIn({ serverUrl, vault: memoryTokenVault(), fetch: fetchFn, email: 'ada@example.com', password: 'secret' });
}

/** A connection holding a token already, for the event stream. */
function connected(fetchFn: typeof fetch): ServerConnection {
  const vault = memoryTokenVault();
  vault.save('refresh-token');
  return new ServerConnection({ serverUrl, vault, fetch: fetchFn });
}

const tokenAnswer = () =>
  Response.json({ access_token: 'access', refresh_token: 'refresh', expires_in: 3600, token_type: 'Bearer' }, { status: 200 });

/** An event stream the test writes to: `push` sends text, `end` closes it. */
function eventStream() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => (controller = c) });
  const encoder = new TextEncoder();
  return {
    response: () => new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } }),
    push: (text: string) => controller.enqueue(encoder.encode(text)),
    end: () => controller.close(),
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('server connection: signing in', () => {
  it('says a URL answering the sign-in with a web page is not a Helio server', async () => {
    const page = fakeFetch(() => new Response('<!doctype html><h1>Welcome</h1>', { headers: { 'content-type': 'text/html' } }));
    const err = await signIn(page).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotAHelioServerError);
    expect((err as Error).message).toBe(`${serverUrl} is not a Helio server: it answered the sign-in with a web page, not Helio's JSON`);
    expect((err as NotAHelioServerError).code).toBe('NOT_A_HELIO_SERVER');
  });

  it('says a URL without a sign-in path (404) is not a Helio server', async () => {
    const missing = fakeFetch(() => Response.json({ message: 'Not Found' }, { status: 404 }));
    await expect(signIn(missing)).rejects.toThrow(`${serverUrl} is not a Helio server: it answered 404`);
  });

  it('says a JSON answer without a token is not a Helio server', async () => {
    const other = fakeFetch(() => Response.json({ hello: 'world' }));
    await expect(signIn(other)).rejects.toBeInstanceOf(NotAHelioServerError);
  });

  it('counts a gateway error (the server behind a proxy is down) as unreachable, not as a refusal', async () => {
    const gateway = fakeFetch(
      () => new Response('<html>502 Bad Gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } }),
    );
    await expect(signIn(gateway)).rejects.toBeInstanceOf(ServerUnreachableError);
  });

  it('still says "wrong email or password" for a Helio refusal', async () => {
    const refused = fakeFetch(() => Response.json({ error: 'invalid_grant', error_description: 'wrong' }, { status: 400 }));
    await expect(signIn(refused)).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS', message: 'wrong email or password' });
  });

  it("returns the account's name and email as the server names them", async () => {
    const helio = fakeFetch((url) => {
      if (url.endsWith('/oauth/token')) return tokenAnswer();
      const me = {
        kind: 'user',
        userId: '0190c7d2-0000-7000-8000-000000000001',
        name: 'Ada Field',
        email: 'ada@example.com',
        memberships: [],
      };
      return Response.json({ result: { data: me } });
    });
    const { me } = await signIn(helio);
    expect(me).toMatchObject({ name: 'Ada Field', email: 'ada@example.com' });
  });
});

describe('server connection: the event stream', () => {
  it('fails as unreachable when the stream falls silent for two heartbeats the server announced', async () => {
    vi.useFakeTimers();
    const stream = eventStream();
    const connection = connected(fakeFetch((url) => (url.endsWith('/oauth/token') ? tokenAnswer() : stream.response())));
    const onReady = vi.fn();
    const reading = connection.events(new AbortController().signal, { onReady, onChange: () => undefined });
    const outcome = reading.then(
      () => 'ended',
      (err: unknown) => err,
    );
    stream.push('event: ready\ndata: {"heartbeatMs":1000}\n\n');
    await vi.advanceTimersByTimeAsync(3_000);
    expect(onReady).toHaveBeenCalledOnce();
    stream.push(': keep-alive\n\n'); // a beat: still alive
    await vi.advanceTimersByTimeAsync(3_500);
    expect(await Promise.race([outcome, Promise.resolve('still open')])).toBe('still open');
    await vi.advanceTimersByTimeAsync(1_000); // 4 s of silence: two beats missed and the slack
    const err = await outcome;
    expect(err).toBeInstanceOf(ServerUnreachableError);
    expect((err as Error).message).toContain('no heartbeat');
  });

  it('fails as unreachable when the stream does not open in time (a connect on a dropped network hangs)', async () => {
    const hanging = fakeFetch((url, init) => {
      if (url.endsWith('/oauth/token')) return tokenAnswer();
      return new Promise<Response>((_, reject) => init.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
    });
    const connection = connected(hanging);
    await expect(
      connection.events(new AbortController().signal, { onReady: () => undefined, onChange: () => undefined }, { openTimeoutMs: 50 }),
    ).rejects.toBeInstanceOf(ServerUnreachableError);
  });

  it('resolves when the server ends the stream, and quietly when the caller aborts it', async () => {
    const ended = eventStream();
    const connection = connected(fakeFetch((url) => (url.endsWith('/oauth/token') ? tokenAnswer() : ended.response())));
    const reading = connection.events(new AbortController().signal, { onReady: () => undefined, onChange: () => undefined });
    ended.push('event: ready\ndata: {}\n\n');
    ended.end();
    await expect(reading).resolves.toBeUndefined();

    const open = eventStream();
    const again = connected(fakeFetch((url) => (url.endsWith('/oauth/token') ? tokenAnswer() : open.response())));
    const abort = new AbortController();
    const stopped = again.events(abort.signal, { onReady: () => abort.abort(), onChange: () => undefined });
    open.push('event: ready\ndata: {"heartbeatMs":5000}\n\n');
    await expect(stopped).resolves.toBeUndefined();
  });
});
