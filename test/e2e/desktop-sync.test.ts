// The desktop renderer in Chromium syncing with a real Helio server: the web
// host (the same main-process services as Electron, HTTP instead of IPC)
// reaches the server through a TCP proxy whose line the tests cut and
// restore, so "offline" is a real network failure, not an emulation.
//
// The server runs on embedded PGlite in both passes of the suite (also when
// TEST_DATABASE_URL is set): what this file checks is the desktop's side of
// sync, and the server's engines are covered by its own tests.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { screenshot, type Person, type Tenant } from './desktop-fixtures.js';
import {
  createSiteByRest as createSiteOf,
  desktopSuite,
  restSite as restSiteOf,
  signedIn,
  SYNCED,
  syncIndicator,
  syncNow,
  text,
  waitForOrganisation,
  waitUntilSynced,
  type Desktop,
} from './desktop-session.js';

const suite = desktopSuite();
const openDesktop = () => suite.open();
const restSite = (tenant: Tenant, id: string) => restSiteOf(suite.server, tenant, id);
const createSiteByRest = (tenant: Tenant, body: Record<string, unknown>) => createSiteOf(suite.server, tenant, body);

const writableSiteFields = [
  'id',
  'organisationId',
  'siteName',
  'address',
  'capacity',
  'unit',
  'latitude',
  'longitude',
  'portfolioId',
  'siteManager',
  'coverImageUrl',
  'timezone',
];
const pick = (row: Record<string, unknown>, keys: string[]) => Object.fromEntries(keys.map((k) => [k, row[k]]));

describe('desktop sync in Chromium', () => {
  it(
    'signs in through the connect form, creates a site offline, and the server has it after reconnecting',
    { timeout: 180_000 },
    async () => {
      const tenant = await suite.server.createTenant('Offline Solar', [{ name: 'Ada Field', role: 'technician' }]);
      const ada = tenant.people[0]!;
      const { page, line, fixture } = await openDesktop();

      await page.goto(`${fixture.host.url}/#/connect`);
      await page.getByRole('heading', { name: 'Connect to a server' }).waitFor();
      await page.getByLabel('Server URL').fill(line.url);
      await page.getByLabel('Email').fill(ada.email);
      await page.getByLabel('Password').fill('not the password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      const refused = page.getByRole('alert');
      await refused.waitFor();
      expect(await text(refused)).toMatch(/Could not sign in:.+\(UNAUTHORIZED\)/);
      await screenshot(page, 'desktop-sync-connect-refused');

      await page.getByLabel('Password').fill(ada.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText(`Signed in to ${line.url}.`, { exact: true }).waitFor();
      await expect.poll(() => page.getByRole('alert').count()).toBe(0);
      await expect.poll(() => text(syncIndicator(page)), SYNCED).toBe('Online');
      await waitForOrganisation(page, tenant);
      await screenshot(page, 'desktop-sync-connect-signed-in');

      line.cut();
      await page.getByRole('link', { name: 'Sites', exact: true }).click();
      await page.getByLabel('Site name').fill('Offline Farm');
      await page.getByLabel('Time zone').fill('Europe/Berlin');
      await page.getByRole('button', { name: 'Create site' }).click();
      const link = page.getByRole('link', { name: 'Offline Farm' });
      await link.waitFor();
      await expect.poll(() => text(syncIndicator(page)), SYNCED).toBe('Offline · 1 pending change');

      // Edited offline too: local reads show the change at once.
      await link.click();
      await page.getByLabel('Address').fill('7 Quarry Lane, Leeds');
      await page.getByLabel('Capacity').fill('850');
      await page.getByLabel('Unit', { exact: true }).selectOption('kWp');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.getByText(/^Saved at/).waitFor();
      await expect.poll(() => text(syncIndicator(page)), SYNCED).toBe('Offline · 2 pending changes');
      const siteId = decodeURIComponent(new URL(page.url()).hash.split('/')[2]!);

      await page.getByRole('link', { name: /^Sync/ }).click();
      expect(await text(page.getByRole('status', { name: 'Connection' }))).toBe('Offline');
      expect(await text(page.getByRole('status', { name: 'Pending changes' }))).toBe(
        '2 changes are saved on this device, waiting to be sent to the server.',
      );
      await page.getByText('(SERVER_UNREACHABLE)').waitFor();
      await screenshot(page, 'desktop-sync-offline');
      expect(await restSite(tenant, siteId)).toBeUndefined();

      line.restore();
      await syncNow(page);
      await waitUntilSynced(page);
      await screenshot(page, 'desktop-sync-online');

      const local = await fixture.api.sites.get.query({ id: siteId });
      const remote = await restSite(tenant, siteId);
      expect(remote).toMatchObject({
        siteName: 'Offline Farm',
        timezone: 'Europe/Berlin',
        address: '7 Quarry Lane, Leeds',
        capacity: 850,
        unit: 'kWp',
      });
      expect(pick(remote!, writableSiteFields)).toEqual(pick(local, writableSiteFields));
    },
  );

  it('shows a change made through REST in the open window without reloading it', { timeout: 120_000 }, async () => {
    const tenant = await suite.server.createTenant('Live Solar', [{ name: 'Ben Watch', role: 'technician' }]);
    const site = await createSiteByRest(tenant, { siteName: 'Ridge Farm', address: '1 Ridge Road', timezone: 'Europe/London' });
    const desktop = await openDesktop();
    const { page } = desktop;
    await signedIn(desktop, tenant.people[0]!, tenant);
    await page.getByRole('link', { name: 'Ridge Farm' }).waitFor({ timeout: SYNCED.timeout });
    // A page load would drop this; a hash change or a re-render keeps it.
    await page.evaluate('window.__sameDocument = true');

    // In the list...
    expect((await suite.server.rest(tenant.apiKey, 'PUT', `/api/sites/${site.id}`, { siteName: 'Ridge Farm North' })).status).toBe(200);
    await page.getByRole('link', { name: 'Ridge Farm North' }).waitFor({ timeout: SYNCED.timeout });

    // ...and in the site's detail.
    await page.getByRole('link', { name: 'Ridge Farm North' }).click();
    await expect.poll(() => page.getByLabel('Address').inputValue(), SYNCED).toBe('1 Ridge Road');
    expect(
      (await suite.server.rest(tenant.apiKey, 'PUT', `/api/sites/${site.id}`, { address: '2 Ridge Road', capacity: 1200, unit: 'kWp' }))
        .status,
    ).toBe(200);
    await expect.poll(() => page.getByLabel('Address').inputValue(), SYNCED).toBe('2 Ridge Road');
    expect(await page.getByLabel('Capacity').inputValue()).toBe('1200');
    expect(await page.getByLabel('Unit', { exact: true }).inputValue()).toBe('kWp');
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    await screenshot(page, 'desktop-sync-live-change');
  });

  it(
    'shows a conflict from two offline desktops on both, and resolving it in the UI converges everyone',
    { timeout: 240_000 },
    async () => {
      const tenant = await suite.server.createTenant('Shared Solar', [
        { name: 'Ada North', role: 'technician' },
        { name: 'Ben South', role: 'technician' },
      ]);
      const [ada, ben] = tenant.people as [Person, Person];
      const site = await createSiteByRest(tenant, { siteName: 'Shared Farm', address: '0 Old Road', timezone: 'Europe/London' });
      const a = await openDesktop();
      const b = await openDesktop();
      await Promise.all([signedIn(a, ada, tenant, `#/sites/${site.id}`), signedIn(b, ben, tenant, `#/sites/${site.id}`)]);
      for (const d of [a, b]) await expect.poll(() => d.page.getByLabel('Address').inputValue(), SYNCED).toBe('0 Old Road');

      a.line.cut();
      b.line.cut();
      const edit = async (d: Desktop, address: string) => {
        await d.page.getByLabel('Address').fill(address);
        await d.page.getByRole('button', { name: 'Save changes' }).click();
        await d.page.getByText(/^Saved at/).waitFor();
        await expect.poll(() => text(syncIndicator(d.page)), SYNCED).toBe('Offline · 1 pending change');
      };
      // Ben edits first, so Ada's later edit wins and Ben's is the one shown as lost.
      await edit(b, '2 South Road');
      await edit(a, '1 North Road');

      a.line.restore();
      await syncNow(a.page);
      await waitUntilSynced(a.page);
      expect(await restSite(tenant, site.id)).toMatchObject({ address: '1 North Road' });
      b.line.restore();
      await syncNow(b.page);
      await waitUntilSynced(b.page);
      expect(await restSite(tenant, site.id)).toMatchObject({ address: '1 North Road' });

      for (const [d, name] of [
        [a, 'ada'],
        [b, 'ben'],
      ] as const) {
        const conflict = d.page.getByRole('article', { name: 'Shared Farm: Address' });
        await conflict.waitFor({ timeout: SYNCED.timeout });
        expect(await text(conflict.getByRole('region', { name: 'Kept (on the server)' }))).toContain('1 North Road');
        const lost = await text(conflict.getByRole('region', { name: 'Lost' }));
        expect(lost).toContain('2 South Road');
        expect(lost).toContain('Changed by Ben South');
        await expect.poll(() => text(d.page.getByRole('link', { name: /^Sync/ }))).toBe('Sync1');
        await screenshot(d.page, `desktop-sync-conflict-${name}`);
      }

      await b.page.getByRole('article', { name: 'Shared Farm: Address' }).getByRole('button', { name: 'Restore my value' }).click();
      await expect.poll(async () => (await restSite(tenant, site.id))?.['address'], SYNCED).toBe('2 South Road');
      for (const d of [a, b]) {
        await d.page.getByText('No conflicts to review.').waitFor({ timeout: SYNCED.timeout });
        expect(await d.page.getByRole('article').count()).toBe(0);
        expect(await text(d.page.getByRole('link', { name: /^Sync/ }))).toBe('Sync');
        await d.page.getByRole('link', { name: 'Sites', exact: true }).click();
        await d.page.getByRole('link', { name: 'Shared Farm' }).click();
        await expect.poll(() => d.page.getByLabel('Address').inputValue(), SYNCED).toBe('2 South Road');
      }
      await screenshot(a.page, 'desktop-sync-conflict-resolved');
      for (const d of [a, b]) expect(await d.fixture.api.syncClient.conflicts.query()).toEqual([]);
    },
  );

  it('captures a document offline, uploads it after reconnecting, and REST returns the same bytes', { timeout: 180_000 }, async () => {
    const tenant = await suite.server.createTenant('Paper Solar', [{ name: 'Cleo Docs', role: 'technician' }]);
    const site = await createSiteByRest(tenant, { siteName: 'Archive Farm', timezone: 'Europe/Paris' });
    const desktop = await openDesktop();
    const { page, line, fixture } = desktop;
    await signedIn(desktop, tenant.people[0]!, tenant, `#/sites/${site.id}`);
    await page.getByRole('heading', { name: 'Documents' }).waitFor({ timeout: SYNCED.timeout });

    line.cut();
    const bytes = Buffer.concat([Buffer.from('%PDF-1.4\n% inspection report\n'), randomBytes(1_500_000)]);
    await page.getByLabel('Document type').selectOption({ label: 'O&M ticket' });
    await page.getByLabel('Add document').setInputFiles({ name: 'inspection-report.pdf', mimeType: 'application/pdf', buffer: bytes });
    const row = page.getByRole('row', { name: /inspection-report\.pdf/ });
    await row.waitFor();
    expect(await text(row)).toContain('Pending upload');
    await screenshot(page, 'desktop-sync-document-offline');

    await page.getByRole('link', { name: /^Sync/ }).click();
    await expect
      .poll(() => text(page.getByRole('status', { name: 'Files waiting for upload' })), SYNCED)
      .toBe('1 file is kept on this device, waiting for upload.');

    // A slow line keeps the upload on screen long enough to see its progress.
    line.throttle(600_000);
    line.restore();
    await syncNow(page);
    const progress = page.getByRole('progressbar', { name: 'Uploading inspection-report.pdf' });
    await progress.waitFor({ timeout: SYNCED.timeout });
    expect(Number(await progress.getAttribute('max'))).toBe(bytes.length);
    await screenshot(page, 'desktop-sync-upload-progress');
    await expect
      .poll(() => text(page.getByRole('status', { name: 'Files waiting for upload' })), SYNCED)
      .toBe('No files waiting for upload.');
    line.throttle(null);
    await expect.poll(async () => (await fixture.api.syncClient.status.query()).pendingUploads, SYNCED).toBe(0);

    const [document] = await fixture.api.documents.listBySite.query({ siteId: site.id });
    expect(document).toMatchObject({ filename: 'inspection-report.pdf', sizeBytes: bytes.length, documentType: 'om_ticket' });
    const issued = await suite.server.rest(tenant.apiKey, 'POST', `/api/docs/${document!.id}/download-url`);
    expect(issued.status).toBe(200);
    const { url } = (await issued.json()) as { url: string };
    const downloaded = await fetch(url);
    expect(downloaded.status).toBe(200);
    expect(Buffer.from(await downloaded.arrayBuffer()).equals(bytes)).toBe(true);

    // The window follows: the pulled row says the server has the file.
    await page.getByRole('link', { name: 'Sites', exact: true }).click();
    await page.getByRole('link', { name: 'Archive Farm' }).click();
    await expect.poll(() => text(page.getByRole('row', { name: /inspection-report\.pdf/ })), SYNCED).toContain('Uploaded');
  });

  it(
    'fetches the file of a document uploaded elsewhere on demand, and opens it again offline from the cache',
    { timeout: 180_000 },
    async () => {
      const tenant = await suite.server.createTenant('Cache Solar', [{ name: 'Dan Files', role: 'viewer' }]);
      const site = await createSiteByRest(tenant, { siteName: 'Library Farm' });
      // Uploaded through the REST API, by someone else.
      const bytes = Buffer.concat([Buffer.from('%PDF-1.4\n% warranty\n'), randomBytes(300_000)]);
      const requested = await suite.server.rest(tenant.apiKey, 'POST', '/api/docs/bulk-upload-url', {
        siteId: site.id,
        fileType: 'documents',
        files: [{ filename: 'warranty.pdf', mimeType: 'application/pdf', fileSize: bytes.length }],
      });
      expect(requested.status).toBe(201);
      const [slot] = ((await requested.json()) as { results: { uploadUrl: { path: string; token: string } }[] }).results;
      const put = await fetch(`${suite.server.url}${slot!.uploadUrl.path}?token=${encodeURIComponent(slot!.uploadUrl.token)}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/pdf' },
        body: bytes,
      });
      expect(put.status).toBeLessThan(300);

      const desktop = await openDesktop();
      const { page, line } = desktop;
      await signedIn(desktop, tenant.people[0]!, tenant, `#/sites/${site.id}`);
      const download = page.getByRole('button', { name: 'Download warranty.pdf' });
      await download.waitFor({ timeout: SYNCED.timeout });
      const saved = async () => {
        const [file] = await Promise.all([page.waitForEvent('download'), download.click()]);
        expect(file.suggestedFilename()).toBe('warranty.pdf');
        const { readFile } = await import('node:fs/promises');
        return readFile((await file.path())!);
      };
      expect((await saved()).equals(bytes)).toBe(true);
      await expect
        .poll(() => text(page.getByRole('status').filter({ hasText: 'warranty.pdf' })), SYNCED)
        .toContain('fetched from the server');

      // With the line cut, the kept copy opens.
      line.cut();
      expect((await saved()).equals(bytes)).toBe(true);
      await expect
        .poll(() => text(page.getByRole('status').filter({ hasText: 'warranty.pdf' })), SYNCED)
        .toContain('read from this device');
      await screenshot(page, 'desktop-sync-document-cached');
    },
  );

  it('lists a change the server refused under "Could not sync", with its reason, until dismissed', { timeout: 120_000 }, async () => {
    const tenant = await suite.server.createTenant('Strict Solar', [{ name: 'Dana Field', role: 'technician' }]);
    const dana = tenant.people[0]!;
    const site = await createSiteByRest(tenant, { siteName: 'Guarded Farm', siteManager: 'Office', timezone: 'Europe/Madrid' });
    const desktop = await openDesktop();
    const { page, line } = desktop;
    await signedIn(desktop, dana, tenant, `#/sites/${site.id}`);
    await expect.poll(() => page.getByLabel('Site manager').inputValue(), SYNCED).toBe('Office');

    line.cut();
    await page.getByLabel('Site manager').fill('Dana Field');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText(/^Saved at/).waitFor();
    await expect.poll(() => text(syncIndicator(page)), SYNCED).toBe('Offline · 1 pending change');
    // Meanwhile an admin makes Dana a viewer: the server refuses her change when it arrives.
    await suite.server.setRole(tenant, dana, 'viewer');

    line.restore();
    await syncNow(page);
    const refused = page.getByRole('list', { name: 'Changes the server refused' }).getByRole('listitem');
    await expect.poll(() => refused.count(), SYNCED).toBe(1);
    const item = await text(refused);
    expect(item).toContain('(FORBIDDEN)');
    expect(item).toContain('Tried to: change site “Guarded Farm”');
    expect(item).toContain('Site managerDana Field');
    expect(item).not.toContain('Time zone'); // only the field she changed was sent
    await waitUntilSynced(page);
    await screenshot(page, 'desktop-sync-could-not-sync');
    expect(await restSite(tenant, site.id)).toMatchObject({ siteManager: 'Office' });

    const dismiss = refused.getByRole('button', { name: 'Dismiss' });
    await expect.poll(() => dismiss.isEnabled(), SYNCED).toBe(true);
    await dismiss.click();
    await page.getByText('Nothing was refused.').waitFor();
    await page.getByRole('link', { name: 'Sites', exact: true }).click();
    await page.getByRole('link', { name: 'Guarded Farm' }).click();
    // The refused change is undone here too: the window shows the server's value.
    await expect.poll(() => page.getByLabel('Site manager').inputValue(), SYNCED).toBe('Office');
  });

  it(
    'signs out keeping the data and an unsent change, which reaches the server once the same account signs in again',
    { timeout: 120_000 },
    async () => {
      const tenant = await suite.server.createTenant('Handover Solar', [{ name: 'Eli Field', role: 'technician' }]);
      const eli = tenant.people[0]!;
      const site = await createSiteByRest(tenant, { siteName: 'Quiet Meadow', siteManager: 'Office', timezone: 'Europe/Oslo' });
      const desktop = await openDesktop();
      const { page, line, fixture } = desktop;
      await signedIn(desktop, eli, tenant, '#/connect');
      await page.getByText(/Everything is stored on this device/).waitFor();

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByText(/you signed out on this device/).waitFor();
      await expect.poll(() => page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
      expect(await text(page.locator('.topbar .mode'))).toBe(`Not signed in to ${line.url}`);
      // The server revoked the sign-in: none of this user's desktop tokens works any more.
      const { rows } = await suite.server.server.services.db.query<{ live: number }>(
        `SELECT count(*)::int AS live FROM oauth_tokens t JOIN users u ON u.id = t.user_id WHERE u.email = $1 AND t.revoked_at IS NULL AND t.expires_at > now()`,
        [eli.email],
      );
      expect(rows[0]!.live).toBe(0);
      await screenshot(page, 'desktop-sync-signed-out');

      // Signed out, the data is still here and still editable; the change waits.
      await page.getByRole('link', { name: 'Sites', exact: true }).click();
      await page.getByRole('link', { name: 'Quiet Meadow' }).click();
      await page.getByLabel('Site manager').fill('Eli Field');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.getByText(/^Saved at/).waitFor();
      await expect.poll(() => text(syncIndicator(page)), SYNCED).toMatch(/1 pending change$/);
      expect(await restSite(tenant, site.id)).toMatchObject({ siteManager: 'Office' });
      await page.getByRole('link', { name: /^Sync/ }).click();
      await page.getByText('signed out: the server has revoked this device’s sign-in').waitFor();
      expect(await text(page.getByRole('status', { name: 'Pending changes' }))).toBe(
        '1 change is saved on this device, waiting to be sent to the server.',
      );

      await page.getByRole('link', { name: 'Server', exact: true }).click();
      await page.getByLabel('Server URL').fill(line.url);
      await page.getByLabel('Email').fill(eli.email);
      await page.getByLabel('Password').fill(eli.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText(`Signed in to ${line.url}.`, { exact: true }).waitFor();
      await expect.poll(async () => (await restSite(tenant, site.id))?.['siteManager'], SYNCED).toBe('Eli Field');
      await expect.poll(() => text(syncIndicator(page)), SYNCED).toBe('Online');
      expect((await fixture.api.sites.get.query({ id: site.id })).siteManager).toBe('Eli Field');
    },
  );
});
