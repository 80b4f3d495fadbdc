// The desktop's own procedures, built with core's router kit (the same auth
// middleware and error formatter as every core procedure), so a domain error
// from here reaches the renderer with the same `data.helioCode`.
import { createRouterKit, type LocalRouterContext } from '@helio/core';
import type { DesktopServices } from './services.js';

/** Signs in to a Helio server and replaces the local session; provided by the sync client. */
export interface DesktopAuth {
  signIn(input: { serverUrl: string; email: string; password: string }): Promise<void>;
  signOut(): Promise<void>;
}

export interface DesktopContext extends LocalRouterContext {
  services: DesktopServices;
}

const kit = createRouterKit<DesktopContext>();

export const router = kit.router;

/** Needs no session: status and sign-in. */
export const publicProcedure = kit.publicProcedure;

/** Runs as the session's user, like every core procedure. */
export const sessionProcedure = kit.procedure;
