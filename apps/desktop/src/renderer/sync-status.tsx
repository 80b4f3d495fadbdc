// The sync client's status, followed live through its subscription and shared
// by every view: the top bar and the sync panel show it, and each view of
// synced data reloads when `dataVersion` grows (a pull changed local data), so
// a change made on the server appears in the open window.
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, type SyncStatus } from './client.js';

export interface SyncStatusState {
  status: SyncStatus | undefined;
  /** The subscription failed (the main process is gone); it reconnects by itself. */
  error: unknown;
}

const SyncStatusContext = createContext<SyncStatusState>({ status: undefined, error: undefined });

export function SyncStatusProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SyncStatusState>({ status: undefined, error: undefined });
  useEffect(() => {
    const subscription = api.syncClient.watch.subscribe(undefined, {
      onData: (status) => setState({ status, error: undefined }),
      onError: (error) => setState((s) => ({ ...s, error })),
    });
    return () => subscription.unsubscribe();
  }, []);
  return <SyncStatusContext.Provider value={state}>{children}</SyncStatusContext.Provider>;
}

export function useSyncStatus(): SyncStatusState {
  return useContext(SyncStatusContext);
}

/** Put this in the deps of every load of synced data: it grows when sync changed local data. */
export function useDataVersion(): number {
  return useSyncStatus().status?.dataVersion ?? 0;
}

export const connectionLabels: Record<SyncStatus['connection'], string> = {
  local: 'On this device only',
  connecting: 'Connecting…',
  online: 'Online',
  offline: 'Offline',
  signInRequired: 'Sign in required',
};

export function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}
