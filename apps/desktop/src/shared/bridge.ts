// The one bridge between the renderer and the Electron main process. The
// preload script exposes it as `window.helio`; the renderer's tRPC link and
// the main process's IPC handler speak these shapes. Types and constants
// only: this file is bundled into all three worlds.

/** ipcRenderer.invoke channel: every request from the renderer. */
export const INVOKE_CHANNEL = 'helio:invoke';
/** webContents.send channel: every message from the main process. */
export const MESSAGE_CHANNEL = 'helio:message';

export type ProcedureType = 'query' | 'mutation' | 'subscription';

export type BridgeRequest =
  /** A query or mutation; answered with a BridgeResult. */
  | { kind: 'call'; type: 'query' | 'mutation'; path: string; input: unknown }
  /** Starts a subscription; its events arrive as `subscription` messages with the same id. */
  | { kind: 'subscribe'; id: string; path: string; input: unknown }
  | { kind: 'unsubscribe'; id: string };

/** The formatted tRPC error shape (core's errorFormatter adds `data.helioCode` and `data.details`). */
export interface BridgeErrorShape {
  message: string;
  code: number;
  data: Record<string, unknown>;
}

export type BridgeResult = { ok: true; data: unknown } | { ok: false; error: BridgeErrorShape };

export type BridgeMessage =
  | { kind: 'subscription'; id: string; event: 'started' }
  | { kind: 'subscription'; id: string; event: 'data'; data: unknown }
  | { kind: 'subscription'; id: string; event: 'error'; error: BridgeErrorShape }
  | { kind: 'subscription'; id: string; event: 'stopped' };

/** What the preload script puts on `window.helio`. */
export interface HelioBridge {
  invoke(request: BridgeRequest): Promise<BridgeResult>;
  /** Calls `listener` for each message from the main process; returns a function that stops it. */
  onMessage(listener: (message: BridgeMessage) => void): () => void;
}
