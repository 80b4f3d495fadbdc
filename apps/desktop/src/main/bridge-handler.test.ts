// The renderer's ipcLink against the main process's bridge handler, joined
// by an in-memory stand-in for the preload bridge: what runs over Electron IPC.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTRPCClient, TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BridgeMessage, HelioBridge } from '../shared/bridge.js';
import { ipcLink } from '../shared/ipc-link.js';
import { createBridgeHandler, type BridgeHandler } from './bridge-handler.js';
import { createDesktopContext, desktopRouter, type DesktopRouter } from './router.js';
import { openDesktopServices, type DesktopServices } from './services.js';

let dir: string;
let services: DesktopServices;
let handler: BridgeHandler;
const listeners = new Set<(m: BridgeMessage) => void>();
// Structured clone, as IPC does: nothing but data crosses.
const bridge: HelioBridge = {
  invoke: async (request) => structuredClone(await handler.handle(structuredClone(request))),
  onMessage(listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};
const client = createTRPCClient<DesktopRouter>({ links: [ipcLink<DesktopRouter>(bridge)] });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'helio-bridge-'));
  services = await openDesktopServices({ dataDir: dir });
  handler = createBridgeHandler({
    router: desktopRouter,
    createContext: () => createDesktopContext(services),
    send: (message) => listeners.forEach((l) => l(structuredClone(message))),
  });
});

afterAll(async () => {
  handler.stopAll();
  await services.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('tRPC over the preload bridge', () => {
  it('runs queries and mutations of core and the desktop', async () => {
    const created = await client.sites.create.mutate({ siteName: 'Over IPC', timezone: 'Europe/Berlin' });
    expect(await client.sites.get.query({ id: created.id })).toMatchObject({ siteName: 'Over IPC', timezone: 'Europe/Berlin' });
    expect((await client.session.status.query()).mode).toBe('local');
  });

  it("carries core's error code and field details to the renderer", async () => {
    const err = await client.sites.create.mutate({ siteName: 'Bad', latitude: 123 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCClientError);
    const data = (err as TRPCClientError<DesktopRouter>).data as { helioCode: string; details: { path: string }[]; code: string };
    expect(data.code).toBe('BAD_REQUEST');
    expect(data.helioCode).toBe('VALIDATION_ERROR');
    expect(data.details.map((d) => d.path)).toContain('latitude');
  });

  it('refuses a malformed request instead of running it', async () => {
    const result = await handler.handle({ kind: 'call', type: 'query', path: 'sites.list', input: undefined, extra: true });
    expect(result.ok).toBe(false);
    const unknown = await bridge.invoke({ kind: 'call', type: 'query', path: 'nothing.here', input: undefined });
    expect(unknown).toMatchObject({ ok: false, error: { data: { code: 'NOT_FOUND' } } });
  });

  it('answers an unexpected failure with its code and "internal error" only, and logs the cause with its stack', async () => {
    const logged: unknown[] = [];
    const failing = createBridgeHandler({
      router: desktopRouter,
      createContext: () => {
        throw new Error('relation "sites" does not exist at /home/tech/.config/Helio/data');
      },
      send: () => undefined,
      log: (_message, cause) => logged.push(cause),
    });
    const result = await failing.handle({ kind: 'call', type: 'query', path: 'sites.list', input: undefined });
    expect(result.ok).toBe(false);
    const shown = JSON.stringify(result);
    expect(shown).toContain('internal error');
    expect(shown).not.toContain('relation');
    expect(shown).not.toContain('/home/tech');
    expect(shown).not.toMatch(/\bat .*:\d+:\d+/);
    expect(logged).toHaveLength(1);
    expect((logged[0] as Error).message).toContain('relation "sites" does not exist');
    expect((logged[0] as Error).stack).toContain('bridge-handler.test.ts');
  });

  it('delivers subscription events until unsubscribed', async () => {
    const seen: string[] = [];
    let stopped = false;
    const subscription = client.session.watch.subscribe(undefined, {
      onData: (status) => seen.push(status.mode),
      onStopped: () => (stopped = true),
    });
    await expect.poll(() => seen).toEqual(['local']);
    const session = services.sessions.current()!;
    services.sessions.replace(undefined);
    await expect.poll(() => seen).toEqual(['local', 'signedOut']);
    services.sessions.replace(session);
    await expect.poll(() => seen).toEqual(['local', 'signedOut', 'local']);
    subscription.unsubscribe();
    services.sessions.replace(undefined);
    services.sessions.replace(session);
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toHaveLength(3);
    expect(stopped || seen.length === 3).toBe(true);
  });
});
