// Part 2 of bench/sync.ts: how soon a write on the server shows on a second,
// connected desktop, end to end: PostgreSQL commit and NOTIFY, the server's
// change feed and event stream, the desktop's sync loop and pull, its local
// database, and the `syncClient.watch` subscription a window listens to
// (through the web host, the desktop app without Electron). The peer is a bare
// PostgreSQL LISTEN/NOTIFY round trip between two connections, measured in
// turns with it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWebHost, type DesktopRouter } from '@helio/desktop/web-host';
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import pg from 'pg';
import { status } from './sync-initial.js';
import type { ServerProcess } from './sync-remote.js';
import type { Seeded } from './sync-server.js';

export interface LiveResult {
  helioMs: number[];
  notifyMs: number[];
  /** Changes not seen within the timeout. */
  missed: number;
}

const TIMEOUT_MS = 10_000;

/** Two connections: one listens, the other notifies; the time from sending NOTIFY to the listener's event. */
async function notifyPeer(databaseUrl: string): Promise<{ roundTrip(): Promise<number>; close(): Promise<void> }> {
  const listener = new pg.Client({ connectionString: databaseUrl });
  const notifier = new pg.Client({ connectionString: databaseUrl });
  await listener.connect();
  await notifier.connect();
  await listener.query('LISTEN helio_bench');
  let n = 0;
  return {
    roundTrip: () =>
      new Promise<number>((resolve, reject) => {
        const payload = String(++n);
        const began = performance.now();
        const onNotification = (message: pg.Notification) => {
          if (message.payload !== payload) return;
          listener.off('notification', onNotification);
          resolve(performance.now() - began);
        };
        listener.on('notification', onNotification);
        notifier.query(`NOTIFY helio_bench, '${payload}'`).catch(reject);
      }),
    close: async () => {
      await listener.end();
      await notifier.end();
    },
  };
}

interface WatchedStatus {
  connection: string;
  dataVersion: number;
  pending: number;
  syncing: boolean;
}

export async function liveChanges(
  server: ServerProcess,
  seeded: Seeded,
  siteIds: readonly string[],
  databaseUrl: string,
  changes: number,
): Promise<LiveResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'helio-bench-desktop-'));
  // The page is never loaded: any existing directory will do as the renderer's.
  const host = await startWebHost({ dataDir, rendererDir: dataDir, port: 0 });
  const peer = await notifyPeer(databaseUrl);
  const url = `${host.url}/trpc`;
  const desktop = createTRPCClient<DesktopRouter>({
    links: [
      splitLink({ condition: (op) => op.type === 'subscription', true: httpSubscriptionLink({ url }), false: httpBatchLink({ url }) }),
    ],
  });

  // Each yield of the subscription, with when it arrived.
  const yields: { at: number; status: WatchedStatus }[] = [];
  let wake: (() => void) | undefined;
  const subscription = desktop.syncClient.watch.subscribe(undefined, {
    onData: (s: WatchedStatus) => {
      yields.push({ at: performance.now(), status: s });
      wake?.();
    },
    onError: (err: unknown) => console.error('syncClient.watch failed:', err),
  });
  /** Resolves at the next yield after `seen` yields, or rejects after the timeout. */
  const yieldAfter = async (seen: number, deadline: number): Promise<void> => {
    while (yields.length <= seen) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error('timed out');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  };

  try {
    status('[2] desktop: signing in…');
    await desktop.session.signIn.mutate({ serverUrl: seeded.url, email: seeded.user.email, password: seeded.user.password });
    // Connected and caught up: online, and the first site already in the local database.
    const deadline = performance.now() + 60_000;
    for (let seen = 0; ; seen = yields.length) {
      const last = yields.at(-1)?.status;
      if (
        last?.connection === 'online' &&
        !last.syncing &&
        (await desktop.sites.get.query({ id: siteIds[0]! }).then(
          () => true,
          () => false,
        ))
      )
        break;
      await yieldAfter(seen, deadline);
    }

    const result: LiveResult = { helioMs: [], notifyMs: [], missed: 0 };
    for (let i = 0; i < changes; i++) {
      status(`[2] change ${i + 1}/${changes}`);
      result.notifyMs.push(await peer.roundTrip());
      const id = siteIds[i % siteIds.length]!;
      const siteName = `Live change ${i + 1}`;
      let seen = yields.length;
      const began = performance.now();
      await server.call({ kind: 'updateSite', id, fields: { siteName } });
      try {
        for (;;) {
          await yieldAfter(seen, began + TIMEOUT_MS);
          seen = yields.length;
          const at = yields[seen - 1]!.at;
          if ((await desktop.sites.get.query({ id })).siteName === siteName) {
            result.helioMs.push(at - began);
            break;
          }
        }
      } catch {
        result.missed++;
      }
      // Writes arrive now and then, not back to back.
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 60));
    }
    status('');
    return result;
  } finally {
    subscription.unsubscribe();
    await peer.close();
    await host.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
