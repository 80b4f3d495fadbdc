import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { burstsOf } from './bursts.js';
import type { LocalSession } from '../local-session.js';
import { TokenEncryptionUnavailableError } from '../refresh-token-vault.js';
import { ServerRefusedError, ServerUnreachableError } from '../sync/server-connection.js';
import { publicProcedure, router } from '../trpc.js';

export interface SessionStatus {
  /** `local`: offline on this device, no server yet; `server`: signed in to `serverUrl`; `signedOut`: neither. */
  mode: 'local' | 'server' | 'signedOut';
  serverUrl: string | null;
  userId: string | null;
  /** Who is signed in to `serverUrl` (null on this device only, or for a session kept before the app saved it). */
  account: { name: string | null; email: string } | null;
  memberships: { organisationId: string; role: string }[];
}

function statusOf(session: LocalSession | undefined): SessionStatus {
  return {
    mode: session ? session.source : 'signedOut',
    serverUrl: session?.serverUrl ?? null,
    userId: session?.userId ?? null,
    account: session?.source === 'server' && session.account ? { name: session.account.name, email: session.account.email } : null,
    memberships: session ? [...session.organisations].map(([organisationId, role]) => ({ organisationId, role })) : [],
  };
}

export const signInInput = z.strictObject({
  serverUrl: z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }),
  email: z.email(),
  password: z.string().min(1).max(200),
});

export const sessionRouter = router({
  status: publicProcedure.query(({ ctx }) => statusOf(ctx.services.sessions.current())),
  /** The status now and after every change (sign-in, sign-out, memberships pulled by sync). */
  watch: publicProcedure.subscription(async function* ({ ctx, signal }) {
    const { sessions } = ctx.services;
    yield statusOf(sessions.current());
    for await (const _ of burstsOf((listener) => sessions.onChange(listener), signal)) yield statusOf(sessions.current());
  }),
  signIn: publicProcedure.input(signInInput).mutation(async ({ ctx, input }) => {
    try {
      await ctx.services.sync.signIn(input);
    } catch (err) {
      throw signInError(err);
    }
    return statusOf(ctx.services.sessions.current());
  }),
  /**
   * Stops syncing and forgets the server's token on this device. What is
   * stored here stays: unsent changes wait for the same account to sign in
   * again (another account sees them listed as not sent, see signIn).
   */
  signOut: publicProcedure.mutation(async ({ ctx }) => {
    await ctx.services.sync.signOut();
    return statusOf(ctx.services.sessions.current());
  }),
});

/** What the sign-in form shows: the server's reason, with a code the renderer can rely on. */
function signInError(err: unknown): TRPCError {
  if (err instanceof ServerUnreachableError) return new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: err.message, cause: err });
  if (err instanceof ServerRefusedError) {
    return new TRPCError({ code: err.code === 'INVALID_CREDENTIALS' ? 'UNAUTHORIZED' : 'BAD_REQUEST', message: err.message, cause: err });
  }
  if (err instanceof TokenEncryptionUnavailableError)
    return new TRPCError({ code: 'PRECONDITION_FAILED', message: err.message, cause: err });
  return err instanceof TRPCError
    ? err
    : new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: err instanceof Error ? err.message : String(err), cause: err });
}
