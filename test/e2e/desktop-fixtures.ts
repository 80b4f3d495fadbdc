// Fixtures for driving the real desktop renderer in Debian's Chromium: the
// renderer built once per test file, the web host on a free port with its
// own data directory, and a headless browser.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startWebHost, type DesktopRouter, type WebHost } from '@helio/desktop/web-host';
import { createTRPCClient, httpBatchLink, type TRPCClient } from '@trpc/client';
import { chromium, type Browser, type Page } from 'playwright-core';

const root = resolve(import.meta.dirname, '../..');
export const CHROMIUM = '/usr/bin/chromium';
export const screenshotDir = join(root, 'test/screenshots');

/** Builds the renderer into a fresh directory (so a developer's own build, or another test file, is never touched). */
export function buildRenderer(): { dir: string; remove(): void } {
  const outDir = mkdtempSync(join(tmpdir(), 'helio-renderer-'));
  const vite = join(root, 'node_modules/vite/bin/vite.js');
  const result = spawnSync(process.execPath, [vite, 'build', '--config', 'apps/desktop/vite.renderer.config.ts', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`the renderer did not build:\n${result.stdout}\n${result.stderr}`);
  return { dir: outDir, remove: () => rmSync(outDir, { recursive: true, force: true }) };
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}: these browser tests need Debian's chromium package (apt-get install -y chromium; .ci/run installs it).`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
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
  await page.context().route('**/*', (route) => (route.request().url().startsWith(`${hostUrl}/`) ? route.continue() : route.abort('internetdisconnected')));
  // A string, because this project compiles without the DOM's types.
  await page.evaluate(`Object.defineProperty(Navigator.prototype, 'onLine', { configurable: true, get: () => false });
    window.dispatchEvent(new Event('offline'));`);
}
