// How the desktop's line to a server fails, sorted into the kinds the sync
// loop treats differently (unreachable, signed out, a refusal to show), and
// the readers that turn a server's answer into one of them.
import { TRPCClientError } from '@trpc/client';

/** The server cannot be reached (no network, server down, timeout): retry later. */
export class ServerUnreachableError extends Error {
  readonly code = 'SERVER_UNREACHABLE';
  constructor(serverUrl: string, cause: unknown) {
    super(`cannot reach ${serverUrl}: ${describeCause(cause)}`, { cause });
    this.name = 'ServerUnreachableError';
  }
}

/** The server no longer accepts this device's sign-in: the user must sign in again (local data and queued changes are kept). */
export class SignInRequiredError extends Error {
  readonly code = 'SIGN_IN_REQUIRED';
  constructor(message: string) {
    super(message);
    this.name = 'SignInRequiredError';
  }
}

/** The server answered with an error meant for the user (wrong password, unsupported version, ...). */
export class ServerRefusedError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ServerRefusedError';
  }
}

/**
 * What answers at the URL does not speak Helio's sign-in (a web page, another
 * service, a wrong path): said plainly, not as the parse error it causes.
 */
export class NotAHelioServerError extends ServerRefusedError {
  constructor(serverUrl: string, reason: string) {
    super('NOT_A_HELIO_SERVER', `${serverUrl} is not a Helio server: ${reason}`);
    this.name = 'NotAHelioServerError';
  }
}

function describeCause(cause: unknown): string {
  const inner = cause instanceof Error && cause.cause instanceof Error ? cause.cause : cause;
  if (inner instanceof Error) return (inner as NodeJS.ErrnoException).code ?? inner.message;
  return String(inner);
}

/** Proxies answer these when the server behind them is down or restarting: unreachable, not a refusal. */
export const GATEWAY_STATUSES = new Set([502, 503, 504]);

export function isUnauthorized(err: unknown): boolean {
  if (err instanceof TRPCClientError) return (err.data as { httpStatus?: number } | undefined)?.httpStatus === 401;
  return err instanceof ServerRefusedError && err.code === 'UNAUTHORIZED';
}

export function translate(err: unknown, serverUrl: string): unknown {
  if (err instanceof TRPCClientError) {
    if (err.cause instanceof ServerUnreachableError || err.cause instanceof SignInRequiredError) return err.cause;
    const data = err.data as { helioCode?: string | null; code?: string } | undefined;
    if (!data) return new ServerUnreachableError(serverUrl, err);
    return new ServerRefusedError(data.helioCode ?? data.code ?? 'SERVER_ERROR', err.message);
  }
  return err;
}

/**
 * The JSON body of an answer from /oauth/token. Helio answers every sign-in,
 * right or wrong, with an OAuth JSON body (RFC 6749 §5.1, §5.2): a page, a
 * "not found" or a body that is not JSON means something else answers there.
 */
export async function oauthAnswer(res: Response, serverUrl: string): Promise<Record<string, unknown>> {
  if (res.status === 404 || res.status === 405) {
    await res.body?.cancel().catch(() => undefined);
    throw new NotAHelioServerError(serverUrl, `it answered ${res.status} at Helio's sign-in address (/oauth/token)`);
  }
  const type = res.headers.get('content-type') ?? '';
  let body: unknown;
  try {
    body = await res.json();
  } catch (err) {
    if (!/json/i.test(type)) {
      const what = /html/i.test(type) ? 'a web page' : `${type.split(';')[0] || 'an untyped body'}`;
      throw new NotAHelioServerError(serverUrl, `it answered the sign-in with ${what}, not Helio's JSON`);
    }
    throw new ServerUnreachableError(serverUrl, err); // JSON cut off mid-way: the line dropped
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new NotAHelioServerError(serverUrl, 'its answer to the sign-in is not an OAuth answer');
  }
  return body as Record<string, unknown>;
}

export async function refusal(res: Response, serverUrl: string): Promise<Error> {
  if (GATEWAY_STATUSES.has(res.status)) {
    await res.body?.cancel().catch(() => undefined);
    return new ServerUnreachableError(serverUrl, new Error(`the server answered ${res.status}`));
  }
  const body = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
  if (res.status === 401) return new ServerRefusedError('UNAUTHORIZED', body.message ?? 'not signed in');
  return new ServerRefusedError(body.code ?? `HTTP_${res.status}`, body.message ?? `the server answered ${res.status}`);
}
