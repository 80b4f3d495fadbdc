// Desktops in Chromium signed in to a real Helio server: each one a web host
// with its own data directory behind its own network line, and a browser
// window on it. Shared by the browser tests that sync.
import type { Browser, BrowserContextOptions, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import {
  buildRenderer,
  launchChromium,
  signInHost,
  startHelioServer,
  startHost,
  startNetworkLine,
  type HelioServerFixture,
  type HostFixture,
  type NetworkLine,
  type Person,
  type Tenant,
} from './desktop-fixtures.js';

/** Sync rounds, pulls and retries on a shared two-core machine: generous, never a fixed sleep. */
export const SYNCED = { timeout: 45_000, interval: 100 };

export interface Desktop {
  line: NetworkLine;
  fixture: HostFixture;
  page: Page;
  pageErrors: string[];
}

/**
 * Opens desktops for one test file and closes them after each test,
 * checking that no page threw: call `open` in tests, `closeAll` in afterEach.
 */
export function desktopPool(from: { browser(): Browser; server(): HelioServerFixture; rendererDir(): string }) {
  let open: Desktop[] = [];
  return {
    async open(options: BrowserContextOptions & { organisations?: string[] } = {}): Promise<Desktop> {
      const { organisations = ['Kept on this laptop'], ...context } = options;
      const line = await startNetworkLine(from.server().url);
      const fixture = await startHost(from.rendererDir(), organisations);
      const page = await (await from.browser().newContext({ viewport: { width: 1280, height: 900 }, ...context })).newPage();
      const desktop: Desktop = { line, fixture, page, pageErrors: [] };
      page.on('pageerror', (err) => desktop.pageErrors.push(err.message));
      open.push(desktop);
      return desktop;
    },
    async closeAll(): Promise<void> {
      const closing = open;
      open = [];
      for (const d of closing) {
        await d.page.context().close();
        await d.fixture.close();
        await d.line.close();
      }
      for (const d of closing) expect(d.pageErrors).toEqual([]);
    },
  };
}

/** What a test file with desktops and a server has: set up once for the file, desktops closed after each test. */
export interface DesktopSuite {
  readonly server: HelioServerFixture;
  readonly browser: Browser;
  readonly rendererDir: string;
  open(options?: BrowserContextOptions & { organisations?: string[] }): Promise<Desktop>;
}

/**
 * Registers the file's hooks: the renderer built, Chromium launched and a
 * Helio server started before its tests, all closed after them; the
 * desktops a test opened closed after it, checking that no page threw.
 */
export function desktopSuite(): DesktopSuite {
  let renderer: ReturnType<typeof buildRenderer> | undefined;
  let browser: Browser | undefined;
  let server: HelioServerFixture | undefined;
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the suite's ${what} is not started yet: use it inside a test`);
    return value;
  };
  const pool = desktopPool({
    browser: () => ready(browser, 'browser'),
    server: () => ready(server, 'server'),
    rendererDir: () => ready(renderer, 'renderer').dir,
  });
  beforeAll(async () => {
    renderer = buildRenderer();
    browser = await launchChromium();
    server = await startHelioServer();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    renderer?.remove();
  });
  afterEach(() => pool.closeAll());
  return {
    get server() {
      return ready(server, 'server');
    },
    get browser() {
      return ready(browser, 'browser');
    },
    get rendererDir() {
      return ready(renderer, 'renderer').dir;
    },
    open: (options) => pool.open(options),
  };
}

/** Signs in through the router (the connect form has its own test) and opens the window once the organisation has arrived. */
export async function signedIn(desktop: Desktop, person: Person, tenant: Tenant, route = '#/sites'): Promise<void> {
  await signInHost(desktop.fixture, desktop.line.url, person);
  await desktop.page.goto(`${desktop.fixture.host.url}/${route}`);
  await waitForOrganisation(desktop.page, tenant);
}

export async function waitForOrganisation(page: Page, tenant: Tenant): Promise<void> {
  await expect.poll(() => page.getByLabel('Organisation').locator('option').allTextContents(), SYNCED).toContain(tenant.name);
  await page.getByLabel('Organisation').selectOption({ label: tenant.name });
}

export const text = (locator: Locator) => locator.textContent().then((t) => t ?? '');
export const syncIndicator = (page: Page) => page.getByRole('status', { name: 'Sync status' });

/** Opens the sync panel by its link (a hash change, not a page load) and asks for a sync now. */
export async function syncNow(page: Page): Promise<void> {
  await page.getByRole('link', { name: /^Sync/ }).click();
  await page.getByRole('heading', { name: 'Sync', exact: true }).waitFor();
  const button = page.getByRole('button', { name: 'Sync now' });
  await expect.poll(() => button.isEnabled(), SYNCED).toBe(true);
  await button.click();
}

export async function waitUntilSynced(page: Page): Promise<void> {
  await expect.poll(() => text(page.getByRole('status', { name: 'Pending changes' })), SYNCED).toBe('No changes waiting to be sent.');
  await expect.poll(() => text(page.getByRole('status', { name: 'Connection' })), SYNCED).toBe('Online');
}

/** One site as the Alentis API returns it, or undefined once it is gone (404). */
export async function restSite(server: HelioServerFixture, tenant: Tenant, id: string): Promise<Record<string, unknown> | undefined> {
  const res = await server.rest(tenant.apiKey, 'GET', `/api/sites?siteId=${id}`);
  if (res.status === 404) return undefined;
  expect(res.status).toBe(200);
  return ((await res.json()) as Record<string, unknown>[])[0];
}

export async function createSiteByRest(server: HelioServerFixture, tenant: Tenant, body: Record<string, unknown>): Promise<{ id: string }> {
  const res = await server.rest(tenant.apiKey, 'POST', '/api/sites', { organisationId: tenant.organisationId, ...body });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string };
}
