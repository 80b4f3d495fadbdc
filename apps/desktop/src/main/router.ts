// The desktop router: core's procedures for a device (the same paths the
// server mounts at /trpc, with synced writes going through the sync client),
// called in-process as the session's user, plus what only a desktop has.
import { localProcedures, unauthorized, type ServiceContext } from '@helio/core';
import { sessionPrincipal } from './local-session.js';
import { captureRouter } from './routers/capture.js';
import { chartsRouter } from './routers/charts.js';
import { filesRouter } from './routers/files.js';
import { localWorkRouter } from './routers/local-work.js';
import { sessionRouter } from './routers/session.js';
import { syncClientRouter } from './routers/sync-client.js';
import type { DesktopServices } from './services.js';
import { router, type DesktopContext } from './trpc.js';

export const desktopRouter = router({
  ...localProcedures,
  session: sessionRouter,
  capture: captureRouter,
  charts: chartsRouter,
  files: filesRouter,
  localWork: localWorkRouter,
  syncClient: syncClientRouter,
});
export type DesktopRouter = typeof desktopRouter;

/** The context of every call, from IPC or the web host: the session as it is at the moment of the call. */
export function createDesktopContext(services: DesktopServices): DesktopContext {
  return {
    services,
    localSync: services.sync,
    async authenticate(): Promise<ServiceContext> {
      const session = services.sessions.current();
      if (!session) throw unauthorized('not signed in: connect to a server and sign in');
      return { db: services.db, clock: services.clock, ids: services.ids, principal: sessionPrincipal(session) };
    },
  };
}
