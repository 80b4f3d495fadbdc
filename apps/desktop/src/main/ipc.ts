// Connects the renderer's bridge to the desktop router: one handler per
// window, its subscriptions stopped when the page reloads or closes.
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import type { AnyTRPCRouter } from '@trpc/server';
import { INVOKE_CHANNEL, MESSAGE_CHANNEL, type BridgeResult } from '../shared/bridge.js';
import { createBridgeHandler, type BridgeHandler } from './bridge-handler.js';
import { isTrustedSender } from './security.js';

export function registerBridge(router: AnyTRPCRouter, createContext: () => unknown): () => void {
  const handlers = new Map<number, BridgeHandler>();

  const watched = new WeakSet<WebContents>();

  function stop(contents: WebContents): void {
    handlers.get(contents.id)?.stopAll();
    handlers.delete(contents.id);
  }

  function handlerFor(contents: WebContents): BridgeHandler {
    let handler = handlers.get(contents.id);
    if (!handler) {
      handler = createBridgeHandler({
        router,
        createContext,
        send: (message) => {
          if (!contents.isDestroyed()) contents.send(MESSAGE_CHANNEL, message);
        },
      });
      handlers.set(contents.id, handler);
    }
    if (!watched.has(contents)) {
      watched.add(contents);
      contents.once('destroyed', () => stop(contents));
      // A reload starts a new page whose link knows nothing of the old subscriptions.
      contents.on('did-start-navigation', (details) => {
        if (details.isMainFrame && !details.isSameDocument) stop(contents);
      });
    }
    return handler;
  }

  ipcMain.handle(INVOKE_CHANNEL, (event: IpcMainInvokeEvent, request: unknown): Promise<BridgeResult> => {
    if (!isTrustedSender(event.senderFrame, event.sender)) {
      throw new Error(`refused an IPC request from ${event.senderFrame?.url ?? 'a closed frame'}: not the Helio app`);
    }
    return handlerFor(event.sender).handle(request);
  });

  return () => {
    ipcMain.removeHandler(INVOKE_CHANNEL);
    for (const handler of handlers.values()) handler.stopAll();
    handlers.clear();
  };
}
