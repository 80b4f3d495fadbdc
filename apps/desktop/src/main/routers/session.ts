import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import type { LocalSession, SessionStore } from '../local-session.js';
import { publicProcedure, router } from '../trpc.js';

export interface SessionStatus {
  /** `local`: offline on this device, no server yet; `server`: signed in to `serverUrl`; `signedOut`: neither. */
  mode: 'local' | 'server' | 'signedOut';
  serverUrl: string | null;
  userId: string | null;
  memberships: { organisationId: string; role: string }[];
  /** Whether this build can sign in to a server (the sync client provides it). */
  canSignIn: boolean;
}

function statusOf(session: LocalSession | undefined, canSignIn: boolean): SessionStatus {
  return {
    mode: session ? session.source : 'signedOut',
    serverUrl: session?.serverUrl ?? null,
    userId: session?.userId ?? null,
    memberships: session ? [...session.organisations].map(([organisationId, role]) => ({ organisationId, role })) : [],
    canSignIn,
  };
}

/** Yields once per burst of session changes until `signal` aborts. */
async function* sessionChanges(store: SessionStore, signal: AbortSignal | undefined): AsyncGenerator<void> {
  let changed = false;
  let wake: (() => void) | undefined;
  const stop = store.onChange(() => {
    changed = true;
    wake?.();
  });
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort);
  try {
    while (!signal?.aborted) {
      if (!changed) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      if (signal?.aborted) return;
      changed = false;
      yield;
    }
  } finally {
    stop();
    signal?.removeEventListener('abort', onAbort);
  }
}

export const signInInput = z.strictObject({
  serverUrl: z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }),
  email: z.email(),
  password: z.string().min(1).max(200),
});

export const sessionRouter = router({
  status: publicProcedure.query(({ ctx }) => statusOf(ctx.services.sessions.current(), Boolean(ctx.auth))),
  /** The status now and after every change (sign-in, sign-out, memberships pulled by sync). */
  watch: publicProcedure.subscription(async function* ({ ctx, signal }) {
    const { sessions } = ctx.services;
    yield statusOf(sessions.current(), Boolean(ctx.auth));
    for await (const _ of sessionChanges(sessions, signal)) yield statusOf(sessions.current(), Boolean(ctx.auth));
  }),
  signIn: publicProcedure.input(signInInput).mutation(async ({ ctx, input }) => {
    if (!ctx.auth) {
      throw new TRPCError({ code: 'NOT_IMPLEMENTED', message: 'signing in to a server is not available in this build yet: Helio works offline on this device' });
    }
    await ctx.auth.signIn(input);
    return statusOf(ctx.services.sessions.current(), true);
  }),
});
