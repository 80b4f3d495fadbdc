// The desktop's line to its server, as the window shows it: a server that
// stops or a line that drops reads "Offline" within seconds (not at the next
// 30 s poll), and "Online" again soon after it is back; the Server screen
// says who is signed in where, and says plainly when the URL is not a Helio
// server at all. A real server, the real renderer in Chromium.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { screenshot, signInHost, startHost, startNetworkLine, type HostFixture, type NetworkLine } from './desktop-fixtures.js';
import { desktopSuite, SYNCED, syncIndicator, text } from './desktop-session.js';

/** The issue: the top bar must notice within about 5 s; the deadline leaves room for a loaded machine. */
const NOTICED = { timeout: 8_000, interval: 50 };
/** After the server is back: the event stream is retried every few seconds while it is away. */
const BACK = { timeout: 20_000, interval: 100 };

const suite = desktopSuite();

const cleanups: (() => Promise<void>)[] = [];
let pageErrors: string[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  expect(pageErrors).toEqual([]);
  pageErrors = [];
});

async function openWindow(fixture: HostFixture, route: string): Promise<Page> {
  const context = await suite.browser.newContext({ viewport: { width: 1280, height: 860 } });
  cleanups.push(() => context.close());
  const page = await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto(`${fixture.host.url}/${route}`);
  return page;
}

async function host(): Promise<HostFixture> {
  const fixture = await startHost(suite.rendererDir, ['Kept on this laptop']);
  cleanups.push(() => fixture.close());
  return fixture;
}

async function line(): Promise<NetworkLine> {
  const opened = await startNetworkLine(suite.server.url);
  cleanups.push(() => opened.close());
  return opened;
}

/** A plain HTTP server that is not Helio, answering every request with `answer`. */
async function otherServer(answer: { status: number; type: string; body: string }): Promise<string> {
  const other: Server = createServer((req, res) => {
    req.resume();
    res.writeHead(answer.status, { 'content-type': answer.type }).end(answer.body);
  });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', () => resolve()));
  cleanups.push(() => new Promise<void>((resolve) => other.close(() => resolve())));
  return `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
}

describe('the connection to the server, in Chromium', () => {
  it('reads Offline within seconds when the line drops, and Online again once it is back', { timeout: 120_000 }, async () => {
    const tenant = await suite.server.createTenant('Line Solar', [{ name: 'Ines Line', role: 'technician' }]);
    const network = await line();
    const fixture = await host();
    await signInHost(fixture, network.url, tenant.people[0]!);
    const page = await openWindow(fixture, '#/sync');
    await expect.poll(() => text(syncIndicator(page)), SYNCED).toBe('Online');
    await expect.poll(() => text(page.getByRole('status', { name: 'Connection' })), SYNCED).toBe('Online');

    network.cut();
    await expect.poll(() => text(syncIndicator(page)), NOTICED).toBe('Offline');
    await expect.poll(() => text(page.getByRole('status', { name: 'Connection' })), NOTICED).toBe('Offline');
    await page.getByText('(SERVER_UNREACHABLE)').waitFor();
    await screenshot(page, 'desktop-connection-line-cut');

    network.restore();
    await expect.poll(() => text(syncIndicator(page)), BACK).toBe('Online');
    await expect.poll(() => text(page.getByRole('status', { name: 'Connection' })), BACK).toBe('Online');
  });

  it('reads Offline within seconds when the server stops, and Online again once it is back', { timeout: 120_000 }, async () => {
    const tenant = await suite.server.createTenant('Restart Solar', [{ name: 'Otto Restart', role: 'technician' }]);
    const fixture = await host();
    await signInHost(fixture, suite.server.url, tenant.people[0]!);
    const page = await openWindow(fixture, '#/sites');
    await expect.poll(() => text(syncIndicator(page)), SYNCED).toBe('Online');

    let down = true;
    cleanups.push(async () => {
      if (down) await suite.server.start(); // the next test needs it, even when this one failed
    });
    const stopping = suite.server.stop();
    try {
      await expect.poll(() => text(syncIndicator(page)), NOTICED).toBe('Offline');
    } finally {
      await stopping;
    }
    await screenshot(page, 'desktop-connection-server-stopped');

    await suite.server.start();
    down = false;
    await expect.poll(() => text(syncIndicator(page)), BACK).toBe('Online');
    // Synced again, not only reachable: a change made on the server arrives.
    const res = await suite.server.rest(tenant.apiKey, 'POST', '/api/sites', {
      organisationId: tenant.organisationId,
      siteName: 'After Restart',
    });
    expect(res.status).toBe(201);
    await page.getByLabel('Organisation').selectOption({ label: 'Restart Solar' });
    await page.getByRole('link', { name: 'After Restart' }).waitFor({ timeout: SYNCED.timeout });
  });

  it('the Server screen says who is signed in, and to which server', { timeout: 120_000 }, async () => {
    const tenant = await suite.server.createTenant('Account Solar', [{ name: 'Zofia Account-Nowak', role: 'owner' }]);
    const zofia = tenant.people[0]!;
    const fixture = await host();
    const page = await openWindow(fixture, '#/connect');
    await page.getByRole('heading', { name: 'Connect to a server' }).waitFor();
    await page.getByLabel('Server URL').fill(suite.server.url);
    await page.getByLabel('Email').fill(zofia.email);
    await page.getByLabel('Password').fill(zofia.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText(`Signed in to ${suite.server.url}.`, { exact: true }).waitFor();

    const facts = page.locator('.facts');
    await expect.poll(() => text(facts), SYNCED).toContain(`Signed in to ${suite.server.url}`);
    expect(await text(page.getByLabel('Account', { exact: true }))).toContain(`Zofia Account-Nowak (${zofia.email})`);
    expect(await text(facts)).toContain('Signed in as');
    await screenshot(page, 'desktop-connection-signed-in-as');

    // Kept across a reload of the window and a restart of the session watch.
    await page.reload();
    await expect.poll(() => text(page.getByLabel('Account', { exact: true })), SYNCED).toContain(`Zofia Account-Nowak (${zofia.email})`);
    expect(await fixture.api.session.status.query()).toMatchObject({
      mode: 'server',
      serverUrl: suite.server.url,
      account: { name: 'Zofia Account-Nowak', email: zofia.email },
    });
  });

  for (const [what, answer] of [
    ['a web page', { status: 200, type: 'text/html; charset=utf-8', body: '<!doctype html><title>Welcome</title><h1>It works!</h1>' }],
    ['"not found" on the sign-in path', { status: 404, type: 'application/json', body: '{"message":"Route POST:/oauth/token not found"}' }],
  ] as const) {
    it(`says plainly that a URL answering with ${what} is not a Helio server`, { timeout: 60_000 }, async () => {
      const url = await otherServer(answer);
      const fixture = await host();
      const page = await openWindow(fixture, '#/connect');
      await page.getByRole('heading', { name: 'Connect to a server' }).waitFor();
      await page.getByLabel('Server URL').fill(url);
      await page.getByLabel('Email').fill('ada@example.com');
      await page.getByLabel('Password').fill('a long and secret password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      const alert = page.getByRole('alert');
      await alert.waitFor();
      const shown = await text(alert);
      expect(shown).toContain(`Could not sign in: ${url} is not a Helio server`);
      expect(shown).not.toMatch(/Unexpected token|is not valid JSON|internal error/i);
      expect((await fixture.api.session.status.query()).mode).toBe('local');
      await screenshot(page, `desktop-connection-not-helio-${answer.status}`);
    });
  }
});
