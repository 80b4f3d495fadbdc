// The desktop renderer in Chromium, against the web host: the same
// main-process services and router as Electron, with HTTP instead of IPC.
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildRenderer, goOffline, launchChromium, screenshot, startHost, type HostFixture } from './desktop-fixtures.js';

let renderer: ReturnType<typeof buildRenderer>;
let browser: Browser;
let fixture: HostFixture;
let page: Page;
let pageErrors: string[];

beforeAll(async () => {
  renderer = buildRenderer();
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  renderer?.remove();
});

beforeEach(async () => {
  fixture = await startHost(renderer.dir, ['Acme Solar', 'Beta Energy']);
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  page = await context.newPage();
  pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto(`${fixture.host.url}/#/sites`);
  await page.getByRole('heading', { name: 'Sites' }).waitFor();
});

afterEach(async () => {
  await page?.context().close();
  await fixture?.close();
  expect(pageErrors).toEqual([]);
});

async function acmeId(): Promise<string> {
  const orgs = await fixture.api.organisations.list.query();
  return orgs.find((o) => o.name === 'Acme Solar')!.id;
}

describe('desktop app in Chromium', () => {
  it('loads with the local organisations in the switcher and an empty site list', async () => {
    const switcher = page.getByLabel('Organisation');
    await expect.poll(() => switcher.locator('option').allTextContents()).toEqual(['Acme Solar', 'Beta Energy']);
    await expect.poll(() => page.getByText('No sites yet').isVisible()).toBe(true);
    expect(await page.getByRole('status', { name: 'Network status' }).textContent()).toBe('Online');
    await screenshot(page, 'desktop-sites-empty');
  });

  it('creates a portfolio and sites through the UI, and search finds them', async () => {
    await page.getByLabel('Portfolio name').fill('Portfolio North');
    await page.getByRole('button', { name: 'Create portfolio' }).click();
    await page.getByRole('button', { name: /Portfolio North/ }).waitFor();

    await page.getByLabel('Site name').fill('Solar Farm Alpha');
    await page.getByLabel('Portfolio', { exact: true }).selectOption({ label: 'Portfolio North' });
    await page.getByLabel('Time zone').fill('Europe/Berlin');
    await page.getByRole('button', { name: 'Create site' }).click();
    await page.getByRole('link', { name: 'Solar Farm Alpha' }).waitFor();

    await page.getByLabel('Site name').fill('Wind Park Beta');
    await page.getByLabel('Portfolio', { exact: true }).selectOption({ label: 'None' });
    await page.getByRole('button', { name: 'Create site' }).click();
    await page.getByRole('link', { name: 'Wind Park Beta' }).waitFor();

    const search = page.getByLabel('Search sites');
    await search.fill('alpha');
    await expect.poll(() => page.getByRole('link', { name: 'Wind Park Beta' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Solar Farm Alpha' }).count()).toBe(1);
    await search.fill('north'); // the portfolio's name finds its sites too
    await expect.poll(() => page.getByRole('link', { name: 'Solar Farm Alpha' }).count()).toBe(1);
    await search.fill('');
    await page.getByRole('button', { name: /Portfolio North/ }).click();
    await expect.poll(() => page.getByRole('link', { name: 'Wind Park Beta' }).count()).toBe(0);
    await page.getByRole('button', { name: /All sites/ }).click();
    await expect
      .poll(() =>
        page
          .getByRole('link')
          .filter({ hasText: /Solar Farm Alpha|Wind Park Beta/ })
          .count(),
      )
      .toBe(2);
    await screenshot(page, 'desktop-sites');

    const stored = await fixture.api.sites.list.query();
    expect(stored.map((s) => [s.siteName, s.timezone])).toEqual([
      ['Solar Farm Alpha', 'Europe/Berlin'],
      ['Wind Park Beta', expect.any(String)],
    ]);
  });

  it('edits every site field and shows the change after a reload', async () => {
    const organisationId = await acmeId();
    const [portfolio] = await fixture.api.portfolios.create.mutate([{ organisationId, name: 'Portfolio South' }]);
    const site = await fixture.api.sites.create.mutate({ organisationId, siteName: 'Solar Farm Gamma' });
    await page.goto(`${fixture.host.url}/#/sites/${site.id}`);
    await page.getByRole('heading', { name: 'Solar Farm Gamma' }).waitFor();

    const edits: [string, string][] = [
      ['Site name', 'Solar Farm Gamma II'],
      ['Address', '1 Sunny Lane, Freiburg'],
      ['Capacity', '1500.5'],
      ['Latitude', '47.999'],
      ['Longitude', '7.842'],
      ['Site manager', 'Ada Lovelace'],
      ['Cover image URL', 'https://example.com/cover.png'],
      ['Time zone', 'america/new_york'],
    ];
    for (const [label, value] of edits) await page.getByLabel(label, { exact: true }).fill(value);
    await page.getByLabel('Unit', { exact: true }).selectOption('kWp');
    await page.getByLabel('Portfolio', { exact: true }).selectOption({ label: 'Portfolio South' });
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText(/^Saved at/).waitFor();

    await page.reload();
    await page.getByRole('heading', { name: 'Solar Farm Gamma II' }).waitFor();
    const shown = Object.fromEntries(
      await Promise.all(edits.map(async ([label]) => [label, await page.getByLabel(label, { exact: true }).inputValue()] as const)),
    );
    expect(shown).toEqual({ ...Object.fromEntries(edits), 'Time zone': 'America/New_York' });
    expect(await page.getByLabel('Unit', { exact: true }).inputValue()).toBe('kWp');
    expect(await page.getByLabel('Portfolio', { exact: true }).inputValue()).toBe(portfolio!.id);
    await screenshot(page, 'desktop-site-detail');

    expect(await fixture.api.sites.get.query({ id: site.id })).toMatchObject({
      siteName: 'Solar Farm Gamma II',
      capacity: 1500.5,
      unit: 'kWp',
      latitude: 47.999,
      portfolioId: portfolio!.id,
      timezone: 'America/New_York',
    });
  });

  it('refuses what cannot be saved at the field it concerns, and saves nothing', async () => {
    const site = await fixture.api.sites.create.mutate({ organisationId: await acmeId(), siteName: 'Solar Farm Delta', latitude: 10 });
    await page.goto(`${fixture.host.url}/#/sites/${site.id}`);
    await page.getByRole('heading', { name: 'Solar Farm Delta' }).waitFor();
    await page.getByLabel('Latitude').fill('200');
    await page.getByLabel('Time zone').fill('Mars/Olympus');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('#site-latitude-error').getByText('Latitude is between -90 and 90 degrees.').waitFor();
    await page.locator('#site-timezone-error').getByText('Choose a time zone from the list, such as Europe/Berlin.').waitFor();
    await screenshot(page, 'desktop-site-error');
    expect(await fixture.api.sites.get.query({ id: site.id })).toMatchObject({ latitude: 10, updatedAt: site.updatedAt });
  });

  it('captures a document offline and shows it pending upload', async () => {
    const site = await fixture.api.sites.create.mutate({ organisationId: await acmeId(), siteName: 'Solar Farm Epsilon' });
    await page.goto(`${fixture.host.url}/#/sites/${site.id}`);
    await page.getByRole('heading', { name: 'Documents' }).waitFor();

    await goOffline(page, fixture.host.url);
    await expect.poll(() => page.getByRole('status', { name: 'Network status' }).textContent()).toBe('Offline');

    const bytes = Buffer.from('%PDF-1.4\n% power purchase agreement, signed on site\n');
    await page.getByLabel('Document type').selectOption({ label: 'Power purchase agreement' });
    await page.getByLabel('Add document').setInputFiles({ name: 'ppa_agreement.pdf', mimeType: 'application/pdf', buffer: bytes });
    const row = page.getByRole('row', { name: /ppa_agreement\.pdf/ });
    await row.waitFor();
    expect(await row.textContent()).toContain('Pending upload');
    expect(await row.textContent()).toContain('Power purchase agreement');
    await screenshot(page, 'desktop-documents-offline');

    const [document] = await fixture.api.documents.listBySite.query({ siteId: site.id });
    expect(document).toMatchObject({ filename: 'ppa_agreement.pdf', status: 'pending', sizeBytes: bytes.length, documentType: 'ppa' });
    expect(Buffer.from(fixture.host.services.capturedFiles.read(document!.id)!)).toEqual(bytes);

    await page.getByRole('link', { name: 'Sync' }).click();
    await page.getByText('1 file is kept on this device only, until you sign in and bring this work into an organisation.').waitFor();
    await page.getByText('Offline: changes are kept on this device').waitFor();
    await screenshot(page, 'desktop-sync');
  });

  it('refuses a file type core does not accept, with the reason', async () => {
    const site = await fixture.api.sites.create.mutate({ organisationId: await acmeId(), siteName: 'Solar Farm Zeta' });
    await page.goto(`${fixture.host.url}/#/sites/${site.id}`);
    await page.getByRole('heading', { name: 'Documents' }).waitFor();
    await page
      .getByLabel('Add document')
      .setInputFiles({ name: 'page.html', mimeType: 'text/html', buffer: Buffer.from('<script></script>') });
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('page.html is not a file type Helio accepts: it accepts PDFs');
    expect(await fixture.api.documents.listBySite.query({ siteId: site.id })).toEqual([]);
  });

  it("keeps organisations apart: switching shows only that organisation's sites", async () => {
    await fixture.api.sites.create.mutate({ organisationId: await acmeId(), siteName: 'Acme Site' });
    await page.reload();
    await page.getByRole('link', { name: 'Acme Site' }).waitFor();
    await page.getByLabel('Organisation').selectOption({ label: 'Beta Energy' });
    await page.getByText('No sites yet').waitFor();
    expect(await page.getByRole('link', { name: 'Acme Site' }).count()).toBe(0);
    await page.reload(); // the choice is remembered
    await page.getByText('No sites yet').waitFor();
    expect(await page.getByLabel('Organisation').locator('option:checked').textContent()).toBe('Beta Energy');
  });

  it('the sign-in form says why it cannot sign in when the server cannot be reached', async () => {
    await page.getByRole('link', { name: 'Server' }).click();
    // Port 1 on the loopback interface: nothing listens there, and no DNS is needed.
    await page.getByLabel('Server URL').fill('http://127.0.0.1:1');
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Password').fill('a long and secret password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const text = await alert.textContent();
    expect(text).toContain('cannot reach http://127.0.0.1:1');
    expect(text).toContain('SERVICE_UNAVAILABLE');
    // Nothing changed: still working on this device.
    expect((await fixture.api.session.status.query()).mode).toBe('local');
    await screenshot(page, 'desktop-connect');
  });
});
