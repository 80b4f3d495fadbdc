// Fixtures for driving the real desktop renderer in Debian's Chromium: the
// renderer built once per test file, the web host on a free port with its
// own data directory, and a headless browser. For sync: a real Helio server
// listening on a free port, and a TCP proxy between desktop and server whose
// line can be cut and restored.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { apiKeys, organisations, systemPrincipal, users, type Role } from '@helio/core';
import { seedDataDir } from '@helio/desktop/testing';
import { startWebHost, type DesktopRouter, type WebHost } from '@helio/desktop/web-host';
import { loadConfig, serviceContext, startServer, type RunningServer } from '@helio/server';
import { createTRPCClient, httpBatchLink, type TRPCClient } from '@trpc/client';
import { chromium, type Browser, type Page } from 'playwright-core';

const root = resolve(import.meta.dirname, '../..');
export const CHROMIUM = '/usr/bin/chromium';
export const screenshotDir = join(root, 'test/screenshots');

/** Builds the renderer into a fresh directory (so a developer's own build, or another test file, is never touched). */
export function buildRenderer(): { dir: string; remove(): void } {
  const outDir = mkdtempSync(join(tmpdir(), 'helio-renderer-'));
  const vite = join(root, 'node_modules/vite/bin/vite.js');
  const result = spawnSync(
    process.execPath,
    [vite, 'build', '--config', 'apps/desktop/vite.renderer.config.ts', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) throw new Error(`the renderer did not build:\n${result.stdout}\n${result.stderr}`);
  return { dir: outDir, remove: () => rmSync(outDir, { recursive: true, force: true }) };
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM}: these browser tests need Debian's chromium package (apt-get install -y chromium; .ci/run installs it).`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export interface HostFixture {
  host: WebHost;
  dataDir: string;
  /** The same router the page uses, over HTTP: to set up and check data without the UI. */
  api: TRPCClient<DesktopRouter>;
  close(): Promise<void>;
}

export async function startHost(rendererDir: string, bootstrapOrganisations: string[]): Promise<HostFixture> {
  const dataDir = mkdtempSync(join(tmpdir(), 'helio-desktop-e2e-'));
  await seedDataDir(dataDir);
  const host = await startWebHost({ dataDir, rendererDir, port: 0, bootstrapOrganisations });
  const api = createTRPCClient<DesktopRouter>({ links: [httpBatchLink({ url: `${host.url}/trpc` })] });
  return {
    host,
    dataDir,
    api,
    close: async () => {
      await host.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

/**
 * Cuts this page off the network, as a laptop without Wi-Fi. The web host's
 * own origin stays reachable: it stands in for Electron's IPC, which needs no
 * network. (Chromium's offline emulation would cut that too.)
 */
export async function goOffline(page: Page, hostUrl: string): Promise<void> {
  await page
    .context()
    .route('**/*', (route) => (route.request().url().startsWith(`${hostUrl}/`) ? route.continue() : route.abort('internetdisconnected')));
  // A string, because this project compiles without the DOM's types.
  await page.evaluate(`Object.defineProperty(Navigator.prototype, 'onLine', { configurable: true, get: () => false });
    window.dispatchEvent(new Event('offline'));`);
}

/** Signs a desktop in to `serverUrl` through its router, as the connect form does. */
export async function signInHost(fixture: HostFixture, serverUrl: string, person: Person): Promise<void> {
  await fixture.api.session.signIn.mutate({ serverUrl, email: person.email, password: person.password });
}

export interface Person {
  id: string;
  name: string;
  email: string;
  password: string;
}

export interface Tenant {
  organisationId: string;
  name: string;
  /** An admin API key, for the `x-api-key` header. */
  apiKey: string;
  people: Person[];
}

export interface HelioServerFixture {
  /** Where the server listens (desktops reach it through a proxy; REST calls go straight here). */
  url: string;
  server: RunningServer;
  /** An organisation with members who sign in with a password, and an admin API key. */
  createTenant(name: string, people: { name: string; role: Role }[]): Promise<Tenant>;
  /** An admin changes a member's role on the server (as `helio user` or the admin API would). */
  setRole(tenant: Tenant, person: Person, role: Role): Promise<void>;
  /** A REST call as the holder of `apiKey`; objects go as JSON. */
  rest(apiKey: string, method: string, path: string, body?: unknown): Promise<Response>;
  /** Stops the server as a crash or an upgrade would, keeping its data; `start()` brings it back at the same URL. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

let personCounter = 0;

/** A real Helio server (`startServer`, as `helio serve` runs it) on embedded PGlite, listening on a free loopback port. */
export async function startHelioServer(): Promise<HelioServerFixture> {
  const dataDir = mkdtempSync(join(tmpdir(), 'helio-server-e2e-'));
  // The server's PGlite lives in the same place (`<dataDir>/pglite`) and runs the same migrations.
  await seedDataDir(dataDir);
  const configOn = (port: number) =>
    loadConfig({
      env: {},
      overrides: {
        dataDir,
        host: '127.0.0.1',
        port,
        secret: 'e2e-secret-that-is-at-least-32-characters',
        rateLimitPerMinute: 1_000_000,
        // The desktop talks HTTP only; the MQTT gateway would hold fixed ports other test files may want.
        mqtt: { enabled: false },
        logLevel: 'silent',
      },
    });
  let server = await startServer(configOn(0), { logger: false });
  let stopped = false;
  const port = Number(new URL(server.url).port);
  const system = () => serviceContext(server.services, systemPrincipal);
  return {
    url: server.url,
    get server() {
      return server;
    },
    async stop() {
      stopped = true;
      await server.close();
    },
    async start() {
      server = await startServer(configOn(port), { logger: false });
      stopped = false;
    },
    async createTenant(name, people) {
      const ctx = system();
      const org = await organisations.createOrganisation(ctx, { name });
      const members: Person[] = [];
      for (const p of people) {
        const email = `${p.name.toLowerCase().replace(/\W+/g, '.')}.${++personCounter}@example.com`;
        const password = 'correct horse battery staple';
        const user = await users.createUser(ctx, { name: p.name, email, password, organisationId: org.id, role: p.role });
        members.push({ id: user.id, name: p.name, email, password });
      }
      const { key } = await apiKeys.createApiKey(ctx, { organisationId: org.id, name: 'e2e admin key', role: 'admin' });
      return { organisationId: org.id, name, apiKey: key, people: members };
    },
    async setRole(tenant, person, role) {
      await users.addMember(system(), { organisationId: tenant.organisationId, userId: person.id, role });
    },
    rest: (apiKey, method, path, body) =>
      fetch(`${server.url}${path}`, {
        method,
        headers: { 'x-api-key': apiKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    close: async () => {
      if (!stopped) await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface NetworkLine {
  /** The proxy's URL: sign the desktop in to this one. */
  url: string;
  /** Pulls the cable: every open connection is reset and new ones are refused until `restore()`. */
  cut(): void;
  restore(): void;
  /** Slows what the desktop sends (bytes per second; null: full speed), so an upload stays visible. */
  throttle(bytesPerSecond: number | null): void;
  close(): Promise<void>;
}

/** A TCP proxy in front of `targetUrl` (node:net), standing in for the desktop's network. */
export async function startNetworkLine(targetUrl: string): Promise<NetworkLine> {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  let down = false;
  let rate: number | null = null;
  const proxy = createServer((client) => {
    if (down) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    const drop = () => {
      sockets.delete(client);
      sockets.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    upstream.pipe(client);
    client.on('end', () => upstream.end());
    client.on('data', (chunk: Buffer) => {
      const flushed = upstream.write(chunk);
      const waitMs = rate ? (chunk.byteLength / rate) * 1000 : 0;
      if (flushed && waitMs === 0) return;
      client.pause();
      let holds = (flushed ? 0 : 1) + (waitMs > 0 ? 1 : 0);
      const release = () => {
        if (--holds === 0) client.resume();
      };
      if (!flushed) upstream.once('drain', release);
      if (waitMs > 0) setTimeout(release, waitMs);
    });
  });
  await new Promise<void>((resolvePromise, reject) => {
    proxy.once('error', reject);
    proxy.listen(0, '127.0.0.1', () => resolvePromise());
  });
  const { port } = proxy.address() as { port: number };
  const resetAll = () => {
    for (const socket of sockets) socket.resetAndDestroy();
    sockets.clear();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    cut: () => {
      down = true;
      resetAll();
    },
    restore: () => {
      down = false;
    },
    throttle: (bytesPerSecond) => {
      rate = bytesPerSecond;
    },
    close: async () => {
      resetAll();
      await new Promise<void>((resolvePromise) => proxy.close(() => resolvePromise()));
    },
  };
}
