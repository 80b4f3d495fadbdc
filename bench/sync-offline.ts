// Part 3 of bench/sync.ts: offline writes queued on a client, then drained
// when the network comes back, with the event loop watched the whole time
// (in the desktop app the sync client shares the Electron main process with
// the IPC that serves the UI). The peer is the server applying the same
// writes through its core services, in one process, without a network.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createUuidV7Generator, type sync } from '@helio/core';
import type { Db } from '@helio/db';
import { status } from './sync-initial.js';
import type { SwitchableTransport } from './sync-remote.js';
import type { DirectWrite } from './sync-server.js';

export interface DrainResult {
  mutations: number;
  /** The offline writes themselves (not the goal; for reference). */
  writeMs: number;
  drainMs: number;
  /** Event-loop delay during the drain, in ms. */
  stallMaxMs: number;
  stallP99Ms: number;
  /** How late a small read the UI makes every 50 ms was answered during the drain: event loop and database waits. */
  uiReadMaxMs: number;
  uiReadP99Ms: number;
  rejected: number;
  conflicts: number;
  /** Why a sync failed and was tried again. */
  retries: string[];
}

/** Half updates of existing sites, half new sites, interleaved; the same list for the client and the peer. */
export function offlineWrites(count: number): DirectWrite[] {
  const ids = createUuidV7Generator();
  return Array.from({ length: count }, (_, i): DirectWrite =>
    i % 2 === 0
      ? { op: 'update', index: i / 2, fields: { capacity: 1000 + i, siteManager: `Offline manager ${i}` } }
      : { op: 'create', id: ids.uuid(), fields: { siteName: `Offline site ${i}`, capacity: i, unit: 'kWp', timezone: 'Europe/Berlin' } },
  );
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function drainOffline(
  client: sync.SyncClient,
  db: Db,
  transport: SwitchableTransport,
  organisationId: string,
  writes: readonly DirectWrite[],
): Promise<DrainResult> {
  const updates = writes.filter((w) => w.op === 'update').length;
  const { rows: targets } = await db.query<{ id: string }>(
    'SELECT id FROM sites WHERE organisation_id = $1 AND deleted_at IS NULL ORDER BY change_seq LIMIT $2',
    [organisationId, updates],
  );
  if (targets.length < updates)
    throw new Error(`the client holds ${targets.length} sites, ${updates} are needed: raise --rows or lower --mutations`);

  transport.online = false;
  const wrote = performance.now();
  for (const [i, w] of writes.entries()) {
    if (w.op === 'update') await client.write({ table: 'sites', op: 'update', id: targets[w.index]!.id, organisationId, fields: w.fields });
    else await client.write({ table: 'sites', op: 'create', id: w.id, organisationId, fields: w.fields });
    if (i % 250 === 0) status(`  offline writes: ${i}/${writes.length}`);
    // Each write is its own UI event in the app: let the event loop (sockets, timers) run between them.
    await new Promise((resolve) => setImmediate(resolve));
  }
  const writeMs = performance.now() - wrote;
  const queued = (await client.status()).pending;
  if (queued !== writes.length) throw new Error(`${queued} mutations queued, expected ${writes.length}`);

  // A UI read every 50 ms: one site by id, as a detail screen asks for it. Its
  // latency counts from when it was due, so it includes the wait for the event
  // loop (a stalled loop fires the timer late) and for the database (PGlite
  // runs one transaction at a time).
  const probeId = targets[0]!.id;
  const uiReads: number[] = [];
  let probing = true;
  const probe = (async () => {
    while (probing) {
      const due = performance.now() + 50;
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (!probing) return;
      await db.query('SELECT site_name, capacity FROM sites WHERE id = $1', [probeId]);
      uiReads.push(performance.now() - due);
    }
  })();

  const loop = monitorEventLoopDelay({ resolution: 10 });
  transport.online = true;
  loop.enable();
  const began = performance.now();
  const pulledBefore = transport.changes;
  const progress = setInterval(
    () => status(`  draining: ${((performance.now() - began) / 1000).toFixed(0)} s, ${transport.changes - pulledBefore} rows pulled back`),
    1000,
  );
  let drainMs: number;
  const retries: string[] = [];
  try {
    // As the desktop's sync loop does: sync again after a failure (a connection
    // the server closed while the client was offline, say) and until nothing is pending.
    for (let round = 0; ; round++) {
      try {
        await client.sync();
      } catch (err) {
        if (round >= 10) throw err;
        retries.push(err instanceof Error ? err.message : String(err));
        continue;
      }
      if ((await client.status()).pending === 0) break;
      if (round >= 10) throw new Error(`still ${(await client.status()).pending} mutations pending after ${round + 1} syncs`);
    }
    drainMs = performance.now() - began;
  } finally {
    clearInterval(progress);
    loop.disable();
    probing = false;
    await probe;
  }
  status('');
  const after = await client.status();
  uiReads.sort((a, b) => a - b);
  return {
    mutations: writes.length,
    writeMs,
    drainMs,
    stallMaxMs: loop.max / 1e6,
    stallP99Ms: loop.percentile(99) / 1e6,
    uiReadMaxMs: uiReads.at(-1) ?? 0,
    uiReadP99Ms: percentile(uiReads, 99),
    rejected: after.rejected,
    conflicts: after.conflicts,
    retries,
  };
}
