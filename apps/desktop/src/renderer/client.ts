// The renderer's tRPC client. In Electron the preload bridge is there and
// calls go over IPC; in a browser (the web host) they go over HTTP to the
// same router. Nothing else differs.
import {
  createTRPCClient,
  httpBatchLink,
  httpSubscriptionLink,
  splitLink,
  TRPCClientError,
  type TRPCClient,
  type TRPCLink,
} from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { DesktopRouter } from '../main/router.js';
import type { HelioBridge } from '../shared/bridge.js';
import { ipcLink } from '../shared/ipc-link.js';

declare global {
  interface Window {
    helio?: HelioBridge;
  }
}

export type Outputs = inferRouterOutputs<DesktopRouter>;
export type Inputs = inferRouterInputs<DesktopRouter>;
export type Site = Outputs['sites']['get'];
export type Portfolio = Outputs['portfolios']['list'][number];
export type Organisation = Outputs['organisations']['list'][number];
export type SiteDocument = Outputs['documents']['listBySite'][number];
export type SessionStatus = Outputs['session']['status'];
export type SyncStatus = Outputs['syncClient']['status'];
export type OpenConflict = Outputs['syncClient']['conflicts'][number];
export type RejectedChange = Outputs['syncClient']['rejected'][number];
/**
 * A captured file kept on this device (capture.files): documentId, filename,
 * sizeBytes, siteId/siteName and organisationId (null when unknown), capturedAt,
 * `owner` (`beforeSignIn`, `account` with userId/serverUrl/you, or `unknown`),
 * `state` (`onDevice`, `setAside`, `waiting`, `uploading`, `failed`,
 * `otherAccount`, `noDocument`: only waiting/uploading/failed are the signed-in
 * account's to upload), `progress` while uploading, and `error` ({code, message})
 * when the server refused the last attempt. Retry with capture.upload, remove
 * with capture.discard (which also removes a document still pending here).
 */
export type CapturedFile = Outputs['capture']['files'][number];
export type LocalWork = NonNullable<Outputs['localWork']['get']>;

export const transport: 'ipc' | 'http' = window.helio ? 'ipc' : 'http';

function links(): TRPCLink<DesktopRouter>[] {
  if (window.helio) return [ipcLink<DesktopRouter>(window.helio)];
  const url = new URL('trpc', window.location.href).toString();
  return [
    splitLink({
      condition: (op) => op.type === 'subscription',
      true: httpSubscriptionLink({ url }),
      false: httpBatchLink({ url }),
    }),
  ];
}

export const api: TRPCClient<DesktopRouter> = createTRPCClient<DesktopRouter>({ links: links() });

export interface ShownError {
  message: string;
  code: string | null;
  details: { path?: string; message: string }[];
}

/** What to tell the user about a failed call: core's stable code and message, and the fields at fault. */
export function describeError(err: unknown): ShownError {
  if (err instanceof TRPCClientError) {
    const data = (err.data ?? {}) as { helioCode?: string | null; code?: string; details?: { path?: string; message: string }[] };
    return { message: err.message, code: data.helioCode ?? data.code ?? null, details: Array.isArray(data.details) ? data.details : [] };
  }
  return { message: err instanceof Error ? err.message : String(err), code: null, details: [] };
}
