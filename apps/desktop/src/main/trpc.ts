// The desktop's own procedures. They merge into core's appRouter (see
// router.ts), whose error formatter then shapes their errors too, so a
// domain error from here reaches the renderer with the same `data.helioCode`.
import { errorFormatter, toTRPCError, type RouterContext, type ServiceContext } from '@helio/core';
import { initTRPC, TRPCError } from '@trpc/server';
import type { DesktopServices } from './services.js';

/** Signs in to a Helio server and replaces the local session; provided by the sync client. */
export interface DesktopAuth {
  signIn(input: { serverUrl: string; email: string; password: string }): Promise<void>;
  signOut(): Promise<void>;
}

export interface DesktopContext extends RouterContext {
  services: DesktopServices;
}

const t = initTRPC.context<DesktopContext>().create({ errorFormatter });

export const router = t.router;

/** Needs no session: status and sign-in. */
export const publicProcedure = t.procedure;

/** Runs as the session's user, like every core procedure. */
export const sessionProcedure = t.procedure.use(async ({ ctx, next }) => {
  let service: ServiceContext;
  try {
    service = await ctx.authenticate();
  } catch (err) {
    throw toTRPCError(err);
  }
  const result = await next({ ctx: { ...ctx, service } });
  if (!result.ok) {
    const converted = toTRPCError(result.error.cause);
    if (converted instanceof TRPCError) throw converted;
  }
  return result;
});
