// Work made on a desktop before its first sign-in, in Chromium against a real
// Helio server: it is offered at sign-in, brought into one of the account's
// organisations (documents and their files included) or kept on the device
// (listed, and discardable), never hidden and never listed as could-not-sync;
// and the captured-file counter counts only files the signed-in account will
// upload, across sign-out, another account and a restart.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startWebHost, type DesktopRouter } from '@helio/desktop/web-host';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { screenshot, signInHost, type Tenant } from './desktop-fixtures.js';
import { desktopSuite, SYNCED, syncIndicator, text, type Desktop } from './desktop-session.js';

const LOCAL_ORGANISATION = 'My organisation';
const suite = desktopSuite();
const openDesktop = () => suite.open({ organisations: [LOCAL_ORGANISATION] });

/** Closes the web host and opens the same data directory again, as quitting and starting the app does. */
async function restart(desktop: Desktop): Promise<void> {
  const { fixture } = desktop;
  await fixture.host.close();
  const host = await startWebHost({
    dataDir: fixture.dataDir,
    rendererDir: suite.rendererDir,
    port: 0,
    bootstrapOrganisations: [LOCAL_ORGANISATION],
  });
  desktop.fixture = {
    ...fixture,
    host,
    api: createTRPCClient<DesktopRouter>({ links: [httpBatchLink({ url: `${host.url}/trpc` })] }),
    close: async () => {
      await host.close();
      await fixture.close().catch(() => undefined); // removes the directory (its first host is closed already)
    },
  };
}

const filesStatus = (page: Page) => page.getByRole('status', { name: 'Files waiting for upload' });

/** Before any sign-in: a portfolio, a site in it and a captured document, made through the UI. */
async function makeLocalWork(desktop: Desktop, names: { portfolio: string; site: string; file: string }) {
  const { page, fixture } = desktop;
  await page.goto(`${fixture.host.url}/#/sites`);
  await page.getByRole('heading', { name: 'Sites' }).waitFor();
  await page.getByLabel('Portfolio name').fill(names.portfolio);
  await page.getByRole('button', { name: 'Create portfolio' }).click();
  await page.getByRole('button', { name: new RegExp(names.portfolio) }).waitFor();
  await page.getByLabel('Site name').fill(names.site);
  await page.getByLabel('Portfolio', { exact: true }).selectOption({ label: names.portfolio });
  await page.getByLabel('Time zone').fill('Europe/Berlin');
  await page.getByRole('button', { name: 'Create site' }).click();
  await page.getByRole('link', { name: names.site }).click();
  await page.getByRole('heading', { name: 'Documents' }).waitFor();
  const bytes = Buffer.from(`%PDF-1.4\n% ${names.file}, captured before signing in\n${'x'.repeat(20_000)}`);
  await page.getByLabel('Add document').setInputFiles({ name: names.file, mimeType: 'application/pdf', buffer: bytes });
  await page.getByRole('row', { name: new RegExp(names.file.replace('.', '\\.')) }).waitFor();
  const [site] = await fixture.api.sites.list.query();
  const [portfolio] = await fixture.api.portfolios.list.query();
  const [document] = await fixture.api.documents.listBySite.query({ siteId: site!.id });
  return { site: site!, portfolio: portfolio!, document: document!, bytes };
}

async function atWidths(page: Page, name: string): Promise<void> {
  for (const width of [390, 768, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    await screenshot(page, `${name}-${width}`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function signInThroughForm(page: Page, serverUrl: string, person: { email: string; password: string }): Promise<void> {
  await page.getByRole('link', { name: 'Server', exact: true }).click();
  await page.getByLabel('Server URL').fill(serverUrl);
  await page.getByLabel('Email').fill(person.email);
  await page.getByLabel('Password').fill(person.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText(`Signed in to ${serverUrl}.`, { exact: true }).waitFor({ timeout: SYNCED.timeout });
}

async function restJson(tenant: Tenant, path: string): Promise<unknown> {
  const res = await suite.server.rest(tenant.apiKey, 'GET', path);
  return res.status === 200 ? res.json() : undefined;
}

describe('work made before the first sign-in, in Chromium', () => {
  it(
    'is offered at sign-in and brought into an organisation: the server has the portfolio, the site and the document with its bytes',
    { timeout: 240_000 },
    async () => {
      const tenant = await suite.server.createTenant('Adopt Solar', [{ name: 'Tess Field', role: 'technician' }]);
      const desktop = await openDesktop();
      const { page, line, fixture } = desktop;
      const made = await makeLocalWork(desktop, { portfolio: 'Field Portfolio', site: 'Meadow Farm', file: 'survey.pdf' });

      // Before any sign-in nothing claims it will be sent.
      await page.getByRole('link', { name: /^Sync/ }).click();
      await expect
        .poll(() => text(page.getByRole('status', { name: 'Pending changes' })), SYNCED)
        .toBe(
          '2 changes are saved on this device only. They stay here; when you sign in, you can bring them into one of your organisations.',
        );
      await expect
        .poll(() => text(filesStatus(page)), SYNCED)
        .toBe('1 file is kept on this device only, until you sign in and bring this work into an organisation.');
      expect(await text(syncIndicator(page))).not.toContain('to upload');
      await screenshot(page, 'desktop-local-work-before-sign-in');

      await signInThroughForm(page, line.url, tenant.people[0]!);
      const prompt = page.getByRole('region', { name: 'Work made on this device before you signed in' });
      await prompt.waitFor({ timeout: SYNCED.timeout });
      expect(await text(prompt.getByRole('status', { name: 'Work set aside' }))).toContain('1 portfolio, 1 site and 1 document');
      const items = await prompt.getByRole('list', { name: 'Work set aside' }).getByRole('listitem').allTextContents();
      expect(items.join('\n')).toMatch(/Field Portfolio[\s\S]*Meadow Farm[\s\S]*survey\.pdf/);
      const target = prompt.getByLabel('Organisation to bring it into');
      await expect.poll(() => target.locator('option').allTextContents(), SYNCED).toEqual(['Adopt Solar (technician)']);
      await atWidths(page, 'desktop-local-work-prompt');
      // Nothing was listed as could-not-sync, and nothing of it is counted as waiting to upload.
      expect(await fixture.api.syncClient.rejected.query()).toEqual([]);
      expect((await fixture.api.syncClient.status.query()).pendingUploads).toBe(0);

      await prompt.getByRole('button', { name: 'Bring it into Adopt Solar' }).click();
      await page.getByText(/^Brought 1 portfolio, 1 site and 1 document into Adopt Solar/).waitFor({ timeout: SYNCED.timeout });

      await expect
        .poll(() => restJson(tenant, `/api/sites?siteId=${made.site.id}`), SYNCED)
        .toEqual([
          expect.objectContaining({ id: made.site.id, siteName: 'Meadow Farm', timezone: 'Europe/Berlin', portfolioId: made.portfolio.id }),
        ]);
      expect(await restJson(tenant, '/api/portfolios')).toEqual([
        expect.objectContaining({ id: made.portfolio.id, name: 'Field Portfolio' }),
      ]);
      let url = '';
      await expect
        .poll(async () => {
          const res = await suite.server.rest(tenant.apiKey, 'POST', `/api/docs/${made.document.id}/download-url`);
          if (res.status !== 200) return res.status;
          url = ((await res.json()) as { url: string }).url;
          return 200;
        }, SYNCED)
        .toBe(200);
      const downloaded = Buffer.from(await (await fetch(url)).arrayBuffer());
      expect(downloaded.equals(made.bytes)).toBe(true);

      await page.getByRole('link', { name: /^Sync/ }).click();
      await expect.poll(() => text(filesStatus(page)), SYNCED).toBe('No files waiting for upload.');
      await expect.poll(() => text(page.getByRole('status', { name: 'Pending changes' })), SYNCED).toBe('No changes waiting to be sent.');
      await page.getByText('Nothing was refused.').waitFor();
      expect(await page.getByRole('region', { name: 'Work made on this device before you signed in' }).count()).toBe(0);
      expect(await fixture.api.syncClient.rejected.query()).toEqual([]);
      await atWidths(page, 'desktop-local-work-sync-brought-in');

      await page.getByRole('link', { name: 'Sites', exact: true }).click();
      await page.getByRole('link', { name: 'Meadow Farm' }).click();
      await expect.poll(() => text(page.getByRole('row', { name: /survey\.pdf/ })), SYNCED).toContain('Uploaded');
    },
  );

  it(
    'keeps the work on this device when asked, listed after a restart, counts no file for other accounts, and discards it',
    { timeout: 300_000 },
    async () => {
      const tess = await suite.server.createTenant('Keep Solar', [{ name: 'Ann Keep', role: 'owner' }]);
      const other = await suite.server.createTenant('Other Solar', [{ name: 'Bob Other', role: 'technician' }]);
      const desktop = await openDesktop();
      const { page, line } = desktop;
      const made = await makeLocalWork(desktop, { portfolio: 'Kept Portfolio', site: 'Quarry Farm', file: 'keep.pdf' });

      await signInThroughForm(page, line.url, tess.people[0]!);
      const prompt = page.getByRole('region', { name: 'Work made on this device before you signed in' });
      await prompt.getByRole('button', { name: 'Keep it on this device' }).click();
      await expect.poll(() => prompt.count()).toBe(0);
      // The Sites screen says where that work is, rather than showing a list without it.
      await page.getByRole('link', { name: 'Sites', exact: true }).click();
      await expect
        .poll(() => text(page.getByRole('status', { name: 'Work set aside' })), SYNCED)
        .toContain('Work made on this device before you signed in (1 portfolio, 1 site and 1 document) is kept on this device');

      // A file Ann captures while cut off is hers to upload: counted. The set-aside one is not.
      const site = (await (
        await suite.server.rest(tess.apiKey, 'POST', '/api/sites', { organisationId: tess.organisationId, siteName: 'Ann Site' })
      ).json()) as { id: string };
      await expect.poll(async () => (await desktop.fixture.api.sites.list.query()).length, SYNCED).toBe(1);
      line.cut();
      await desktop.fixture.api.capture.document.mutate({
        siteId: site.id,
        filename: 'ann.pdf',
        mimeType: 'application/pdf',
        contentBase64: Buffer.from('%PDF-1.4\n% Ann\n').toString('base64'),
      });
      await page.getByRole('link', { name: /^Sync/ }).click();
      await expect.poll(() => text(filesStatus(page)), SYNCED).toBe('1 file is kept on this device, waiting for upload.');
      await expect.poll(() => text(syncIndicator(page)), SYNCED).toContain('1 file to upload');
      const panel = page.getByRole('region', { name: 'Work made on this device before you signed in' });
      await panel.waitFor();
      expect(await text(panel)).toContain('Kept on this device');
      expect(await text(page.getByRole('listitem', { name: 'keep.pdf' }))).toContain('Set aside before sign-in');
      await atWidths(page, 'desktop-local-work-sync-kept');

      // Signed out: Ann's file still waits for her; the set-aside one is still not counted.
      await desktop.fixture.api.session.signOut.mutate();
      line.restore();
      expect((await desktop.fixture.api.syncClient.status.query()).pendingUploads).toBe(1);

      // Another account: nothing here is Bob's to upload.
      await signInHost(desktop.fixture, line.url, other.people[0]!);
      await expect.poll(async () => (await desktop.fixture.api.syncClient.status.query()).pendingUploads, SYNCED).toBe(0);
      await expect.poll(() => text(filesStatus(page)), SYNCED).toBe('No files waiting for upload.');
      await expect.poll(() => text(page.getByRole('listitem', { name: 'ann.pdf' })), SYNCED).toContain('Belongs to another account');
      expect(await text(syncIndicator(page))).not.toContain('to upload');

      // A restart: still listed, still not counted.
      await restart(desktop);
      await page.goto(`${desktop.fixture.host.url}/#/sync`);
      const again = page.getByRole('region', { name: 'Work made on this device before you signed in' });
      await again.waitFor({ timeout: SYNCED.timeout });
      expect(await text(again.getByRole('status', { name: 'Work set aside' }))).toContain('1 portfolio, 1 site and 1 document');
      // The names are listed once the set-aside work is read back after the restart, a moment after its summary.
      await expect.poll(() => text(again), SYNCED).toContain('Quarry Farm');
      await expect.poll(() => text(filesStatus(page)), SYNCED).toBe('No files waiting for upload.');
      expect((await desktop.fixture.api.syncClient.status.query()).pendingUploads).toBe(0);
      expect(await text(syncIndicator(page))).not.toContain('to upload');
      expect(await desktop.fixture.api.syncClient.rejected.query()).toEqual([]);

      await again.getByRole('button', { name: 'Discard…' }).click();
      await again.getByRole('alertdialog').getByRole('button', { name: 'Discard for good' }).click();
      await expect.poll(() => again.count(), SYNCED).toBe(0);
      await expect.poll(() => page.getByRole('listitem', { name: 'keep.pdf' }).count(), SYNCED).toBe(0);

      // Ann's file can be discarded by the person too (Bob cannot upload it).
      const ann = page.getByRole('listitem', { name: 'ann.pdf' });
      expect(await ann.getByRole('button', { name: 'Upload ann.pdf now' }).count()).toBe(0);
      await ann.getByRole('button', { name: 'Discard ann.pdf' }).click();
      await ann.getByRole('alertdialog').getByRole('button', { name: 'Discard for good' }).click();
      await expect.poll(() => page.getByRole('list', { name: 'Captured files on this device' }).count(), SYNCED).toBe(0);
      expect(readdirSync(join(desktop.fixture.dataDir, 'captured'))).toEqual([]);
      expect(made.document.filename).toBe('keep.pdf');
    },
  );
});
