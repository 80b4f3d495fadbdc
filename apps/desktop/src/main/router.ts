// The desktop router: every procedure of core's appRouter (the same paths
// the server mounts at /trpc), called in-process as the session's user, plus
// what only a desktop has. New desktop-only routers go in `desktopOnly`;
// their keys must not collide with appRouter's (mergeRouters throws if they do).
import { appRouter, unauthorized, type ServiceContext } from '@helio/core';
import { sessionPrincipal } from './local-session.js';
import { captureRouter } from './routers/capture.js';
import { sessionRouter } from './routers/session.js';
import type { DesktopServices } from './services.js';
import { mergeRouters, router, type DesktopAuth, type DesktopContext } from './trpc.js';

const desktopOnly = router({
  session: sessionRouter,
  capture: captureRouter,
});

export const desktopRouter = mergeRouters(appRouter, desktopOnly);
export type DesktopRouter = typeof desktopRouter;

/** The context of every call, from IPC or the web host: the session as it is at the moment of the call. */
export function createDesktopContext(services: DesktopServices, auth?: DesktopAuth): DesktopContext {
  return {
    services,
    auth,
    async authenticate(): Promise<ServiceContext> {
      const session = services.sessions.current();
      if (!session) throw unauthorized('not signed in: connect to a server and sign in');
      return { db: services.db, clock: services.clock, ids: services.ids, principal: sessionPrincipal(session) };
    },
  };
}
