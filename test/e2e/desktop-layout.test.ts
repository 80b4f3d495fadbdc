// The desktop renderer's layout in Chromium, from a phone held upright to a
// laptop: signed in to a real server, every screen fits the window (nothing
// scrolls sideways but a wide table inside its panel), the top bar's items
// and each screen's main controls are on screen and clear of one another,
// inputs are not squashed, and on touch-sized windows every control is big
// enough for a finger.
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildRenderer,
  launchChromium,
  screenshot,
  signInHost,
  startHelioServer,
  startHost,
  type HelioServerFixture,
  type HostFixture,
} from './desktop-fixtures.js';

const SYNCED = { timeout: 45_000, interval: 100 };
/** Phones held upright (360, 390), a tablet in portrait (768), a laptop (1280). */
const widths = [360, 390, 768, 1280] as const;
const screenshotWidths = new Set<number>([390, 768, 1280]);
/** Apple's and Google's smallest comfortable touch target is 44/48 px; the issue asks for 40 at least. */
const TOUCH_PX = 40;

let renderer: ReturnType<typeof buildRenderer>;
let browser: Browser;
let server: HelioServerFixture;
let fixture: HostFixture;
let siteId: string;

beforeAll(async () => {
  renderer = buildRenderer();
  browser = await launchChromium();
  server = await startHelioServer();
  // Long names, as real ones are: they must wrap, not widen the page.
  const tenant = await server.createTenant('North Sea Coast Solar Cooperative', [{ name: 'Adaeze Okonkwo-Lindqvist', role: 'owner' }]);
  const res = await server.rest(tenant.apiKey, 'POST', '/api/sites', {
    organisationId: tenant.organisationId,
    siteName: 'Hafenstraße Logistics Centre Rooftop Array',
    address: '112 Hafenstraße, Gewerbegebiet Nord, 26789 Leer (Ostfriesland), Germany',
    timezone: 'Europe/Berlin',
    capacity: 1480.5,
    unit: 'kWp',
    siteManager: 'Maximiliane Oberhausen-Wendt',
  });
  expect(res.status).toBe(201);
  siteId = ((await res.json()) as { id: string }).id;
  // A document uploaded through the REST API, so the site page has a documents table.
  const bytes = Buffer.from('%PDF-1.4\n% commissioning report\n');
  const requested = await server.rest(tenant.apiKey, 'POST', '/api/docs/bulk-upload-url', {
    siteId,
    fileType: 'documents',
    files: [{ filename: 'commissioning-report-inverter-room-2-final-signed.pdf', mimeType: 'application/pdf', fileSize: bytes.length }],
  });
  expect(requested.status).toBe(201);
  const [slot] = ((await requested.json()) as { results: { uploadUrl: { path: string; token: string } }[] }).results;
  const put = await fetch(`${server.url}${slot!.uploadUrl.path}?token=${encodeURIComponent(slot!.uploadUrl.token)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/pdf' },
    body: bytes,
  });
  expect(put.status).toBeLessThan(300);

  fixture = await startHost(renderer.dir, ['Kept on this laptop']);
  await signInHost(fixture, server.url, tenant.people[0]!);
  await until(
    async () => (await fixture.api.documents.listBySite.query({ siteId }).catch(() => [])).length > 0,
    'the site to arrive by sync',
  );
}, 180_000);

afterAll(async () => {
  await fixture?.close();
  await browser?.close();
  await server?.close();
  renderer?.remove();
});

/** For hooks, where expect.poll is not available. */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + SYNCED.timeout;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, SYNCED.interval));
  }
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

async function boxOf(locator: Locator, what: string): Promise<Box> {
  await locator.waitFor({ state: 'visible' });
  const box = await locator.boundingBox();
  if (!box) throw new Error(`${what} has no box`);
  return box;
}

/** Within the window's width, and not zero-sized or hidden. */
async function expectOnScreen(page: Page, locator: Locator, what: string, width: number): Promise<Box> {
  const box = await boxOf(locator, what);
  expect.soft(box.width, `${what} has no width`).toBeGreaterThan(0);
  expect.soft(box.x, `${what} starts left of the window`).toBeGreaterThanOrEqual(0);
  expect.soft(box.x + box.width, `${what} ends right of the window (${width} px)`).toBeLessThanOrEqual(width + 0.5);
  expect.soft(await locator.isVisible(), `${what} is not visible`).toBe(true);
  return box;
}

function overlap(a: Box, b: Box): boolean {
  const eps = 0.5;
  return a.x + a.width > b.x + eps && b.x + b.width > a.x + eps && a.y + a.height > b.y + eps && b.y + b.height > a.y + eps;
}

/** What the window must hold on every screen: no sideways scrolling, and the top bar's items on screen, clear of one another. */
async function checkShell(page: Page, width: number, screen: string): Promise<void> {
  const sizes = (await page.evaluate(
    '({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, bodyWidth: document.body.scrollWidth })',
  )) as { scrollWidth: number; innerWidth: number; bodyWidth: number };
  expect.soft(sizes.innerWidth, `${screen} at ${width} px: the page was laid out wider than the window`).toBe(width);
  expect.soft(sizes.scrollWidth, `${screen} at ${width} px scrolls sideways`).toBeLessThanOrEqual(sizes.innerWidth);

  const items: [string, Locator][] = [
    ['the brand', page.locator('.topbar .brand')],
    ['the organisation switcher', page.getByLabel('Organisation')],
    ['who is signed in where', page.locator('.topbar .mode')],
    ['the sync status', page.getByRole('status', { name: 'Sync status' })],
    ['the network status', page.getByRole('status', { name: 'Network status' })],
  ];
  const boxes: [string, Box][] = [];
  for (const [what, locator] of items) boxes.push([what, await expectOnScreen(page, locator, `${screen} at ${width} px: ${what}`, width)]);
  for (let i = 0; i < boxes.length; i += 1) {
    for (let j = i + 1; j < boxes.length; j += 1) {
      const [a, boxA] = boxes[i]!;
      const [b, boxB] = boxes[j]!;
      expect.soft(overlap(boxA, boxB), `${screen} at ${width} px: ${a} overlaps ${b}`).toBe(false);
    }
  }
  const nav = page.getByRole('navigation', { name: 'Sections' }).getByRole('link');
  for (const name of ['Sites', 'Sync', 'Server']) {
    await expectOnScreen(page, nav.filter({ hasText: name }), `${screen} at ${width} px: the ${name} link`, width);
  }
}

/** Inputs keep a usable width; on a touch-sized window, controls are big enough for a finger. */
async function checkControls(page: Page, width: number, screen: string): Promise<void> {
  const controls = (await page.evaluate(`[...document.querySelectorAll('main input:not([type=hidden]), main select, main button, nav a')]
    .filter((e) => e.getClientRects().length > 0)
    .map((e) => {
      const r = e.getBoundingClientRect();
      return { what: (e.labels?.[0]?.textContent || e.getAttribute('aria-label') || e.textContent || e.id || e.tagName).trim(), tag: e.tagName, type: e.type ?? '', x: r.x, width: r.width, height: r.height };
    })`)) as { what: string; tag: string; type: string; x: number; width: number; height: number }[];
  expect(controls.length).toBeGreaterThan(0);
  for (const c of controls) {
    const what = `${screen} at ${width} px: ${c.tag.toLowerCase()} "${c.what}"`;
    // Inside a table that scrolls in its panel, a control may sit past the edge: it scrolls into view.
    if (c.tag === 'INPUT' && c.type !== 'file')
      expect.soft(c.width, `${what} is squashed`).toBeGreaterThanOrEqual(Math.min(120, width / 3));
    if (width <= 768) expect.soft(c.height, `${what} is too small to touch`).toBeGreaterThanOrEqual(TOUCH_PX);
  }
}

interface Screen {
  name: string;
  route: () => string;
  heading: (page: Page) => Locator;
  /** The controls people come to this screen for: each must be on screen. */
  keyControls: (page: Page) => [string, Locator][];
}

const screens: Screen[] = [
  {
    name: 'sites',
    route: () => '#/sites',
    heading: (page) => page.getByRole('heading', { name: 'Sites', exact: true }),
    keyControls: (page) => [
      ['the search field', page.getByLabel('Search sites')],
      ['the site link', page.getByRole('link', { name: 'Hafenstraße Logistics Centre Rooftop Array' })],
      ['the Create site button', page.getByRole('button', { name: 'Create site' })],
    ],
  },
  {
    name: 'site',
    route: () => `#/sites/${siteId}`,
    heading: (page) => page.getByRole('heading', { name: 'Hafenstraße Logistics Centre Rooftop Array' }),
    keyControls: (page) => [
      ['the Save button', page.getByRole('button', { name: 'Save changes' })],
      ['the address field', page.getByLabel('Address', { exact: true })],
      ['the time zone field', page.getByLabel('Time zone', { exact: true })],
      ['the document name', page.getByRole('cell', { name: 'commissioning-report-inverter-room-2-final-signed.pdf' })],
      ['the Add document field', page.getByLabel('Add document')],
    ],
  },
  {
    name: 'sync',
    route: () => '#/sync',
    heading: (page) => page.getByRole('heading', { name: 'Sync', exact: true }),
    keyControls: (page) => [['the Sync now button', page.getByRole('button', { name: 'Sync now' })]],
  },
  {
    name: 'server',
    route: () => '#/connect',
    heading: (page) => page.getByRole('heading', { name: 'Connect to a server' }),
    keyControls: (page) => [
      ['the server URL field', page.getByLabel('Server URL')],
      ['the Sign in button', page.getByRole('button', { name: 'Sign in' })],
      ['the Sign out button', page.getByRole('button', { name: 'Sign out' })],
    ],
  },
];

describe('desktop layout in Chromium', () => {
  for (const width of widths) {
    it(`fits a ${width} px wide window on every screen`, { timeout: 120_000 }, async () => {
      const touch = width <= 768;
      const context = await browser.newContext({ viewport: { width, height: 860 }, isMobile: touch, hasTouch: touch });
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (err) => pageErrors.push(err.message));
      try {
        for (const screen of screens) {
          await page.goto(`${fixture.host.url}/${screen.route()}`);
          await screen.heading(page).waitFor();
          await expect.poll(() => page.getByRole('status', { name: 'Sync status' }).textContent(), SYNCED).toMatch(/^Online/);
          await checkShell(page, width, screen.name);
          for (const [what, locator] of screen.keyControls(page)) {
            await expectOnScreen(page, locator.first(), `${screen.name} at ${width} px: ${what}`, width);
          }
          await checkControls(page, width, screen.name);
          if (screenshotWidths.has(width)) await screenshot(page, `desktop-layout-${screen.name}-${width}`);
        }
      } finally {
        await context.close();
      }
      expect(pageErrors).toEqual([]);
    });
  }
});
