// The preload script: one bridge, two functions, nothing else. It runs
// sandboxed, so it may only use `contextBridge` and `ipcRenderer`; neither
// leaks into the page, which gets plain functions that take and return data.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  INVOKE_CHANNEL,
  MESSAGE_CHANNEL,
  type BridgeMessage,
  type BridgeRequest,
  type BridgeResult,
  type HelioBridge,
} from '../shared/bridge.js';

const bridge: HelioBridge = {
  invoke: (request: BridgeRequest) => ipcRenderer.invoke(INVOKE_CHANNEL, request) as Promise<BridgeResult>,
  onMessage(listener) {
    // Wrap the listener so the page never sees the IpcRendererEvent (it carries `sender`, an ipcRenderer).
    const forward = (_event: IpcRendererEvent, message: BridgeMessage) => listener(message);
    ipcRenderer.on(MESSAGE_CHANNEL, forward);
    return () => {
      ipcRenderer.removeListener(MESSAGE_CHANNEL, forward);
    };
  },
};

contextBridge.exposeInMainWorld('helio', bridge);
