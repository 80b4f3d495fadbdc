// Editing in the desktop app as a technician in the field does it, through
// the real renderer in Chromium against a real Helio server: an open form
// that sync changes underneath, numbers in the person's own locale, errors
// next to their field, what a viewer may not change, renaming, deleting and
// sorting.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { screenshot, type Tenant } from './desktop-fixtures.js';
import { createSiteByRest, desktopSuite, restSite, signedIn, SYNCED, syncIndicator, text } from './desktop-session.js';

const suite = desktopSuite();

const put = async (tenant: Tenant, id: string, body: Record<string, unknown>) =>
  expect((await suite.server.rest(tenant.apiKey, 'PUT', `/api/sites/${id}`, body)).status).toBe(200);

/** Saved here and then on the server: the sync indicator comes back to Online with nothing pending. */
async function savedAndSynced(page: Page): Promise<void> {
  await page.getByText(/^Saved at/).waitFor();
  await expect.poll(() => text(syncIndicator(page)), SYNCED).toBe('Online');
}

describe('editing in the desktop app', () => {
  it(
    'an open form takes what the office changed meanwhile, and Save sends only what the technician changed',
    { timeout: 180_000 },
    async () => {
      const tenant = await suite.server.createTenant('Open Form Solar', [{ name: 'Tess Field', role: 'technician' }]);
      const site = await createSiteByRest(suite.server, tenant, {
        siteName: 'Hill Farm',
        address: '1 Hill Road',
        latitude: 51.5,
        timezone: 'Europe/London',
      });
      const desktop = await suite.open();
      const { page } = desktop;
      await signedIn(desktop, tenant.people[0]!, tenant, `#/sites/${site.id}`);
      await expect.poll(() => page.getByLabel('Address').inputValue(), SYNCED).toBe('1 Hill Road');

      await page.getByLabel('Site manager').fill('Tess Field');
      // The office moves the site while the form is open.
      await put(tenant, site.id, { address: '9 Valley Road', latitude: 50.25 });
      await expect.poll(() => page.getByLabel('Address').inputValue(), SYNCED).toBe('9 Valley Road');
      expect(await page.getByLabel('Latitude').inputValue()).toBe('50.25');
      expect(await page.getByLabel('Site manager').inputValue()).toBe('Tess Field');
      expect(await page.getByText('Updated while this page was open.').count()).toBe(2);

      await page.getByRole('button', { name: 'Save changes' }).click();
      await savedAndSynced(page);
      expect(await restSite(suite.server, tenant, site.id)).toMatchObject({
        address: '9 Valley Road',
        latitude: 50.25,
        siteManager: 'Tess Field',
      });
    },
  );

  it('a field changed here and by the office shows both values until the technician chooses', { timeout: 180_000 }, async () => {
    const tenant = await suite.server.createTenant('Both Sides Solar', [{ name: 'Uma Field', role: 'technician' }]);
    const site = await createSiteByRest(suite.server, tenant, {
      siteName: 'Dune Farm',
      address: '1 Dune Road',
      siteManager: 'Office',
      timezone: 'Europe/Paris',
    });
    const desktop = await suite.open();
    const { page } = desktop;
    await signedIn(desktop, tenant.people[0]!, tenant, `#/sites/${site.id}`);
    await expect.poll(() => page.getByLabel('Address').inputValue(), SYNCED).toBe('1 Dune Road');

    await page.getByLabel('Address').fill('2 Dune Road, gate B');
    await page.getByLabel('Site manager').fill('Uma Field');
    await put(tenant, site.id, { address: '3 Dune Road' });
    const choice = page.getByRole('group', { name: /^Changed elsewhere to/ });
    await choice.waitFor({ timeout: SYNCED.timeout });
    expect(await text(choice)).toContain('Changed elsewhere to 3 Dune Road while you were editing. Yours: 2 Dune Road, gate B.');
    expect(await page.getByLabel('Address').inputValue()).toBe('2 Dune Road, gate B');
    await screenshot(page, 'desktop-site-changed-elsewhere');

    // Saving before choosing saves nothing and says why, at the field.
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Choose which value to keep before saving.').waitFor();
    expect(await restSite(suite.server, tenant, site.id)).toMatchObject({ address: '3 Dune Road', siteManager: 'Office' });

    await choice.getByRole('button', { name: 'Keep mine' }).click();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await savedAndSynced(page);
    expect(await restSite(suite.server, tenant, site.id)).toMatchObject({ address: '2 Dune Road, gate B', siteManager: 'Uma Field' });

    // And the other way: the office's value taken, nothing of the technician's sent for that field.
    await page.getByLabel('Address').fill('4 Dune Road');
    await put(tenant, site.id, { address: '5 Dune Road' });
    await choice.waitFor({ timeout: SYNCED.timeout });
    await choice.getByRole('button', { name: 'Use “5 Dune Road”' }).click();
    expect(await page.getByLabel('Address').inputValue()).toBe('5 Dune Road');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('No changes to save.').waitFor();
    expect(await restSite(suite.server, tenant, site.id)).toMatchObject({ address: '5 Dune Road' });
  });

  it(
    'reads numbers in the technician’s locale and refuses what is not a number at the field, saving nothing',
    { timeout: 180_000 },
    async () => {
      const tenant = await suite.server.createTenant('Komma Solar', [{ name: 'Jonas Feld', role: 'technician' }]);
      const site = await createSiteByRest(suite.server, tenant, {
        siteName: 'Feld Süd',
        capacity: 2.25,
        unit: 'kWp',
        timezone: 'Europe/Berlin',
      });
      const desktop = await suite.open({ locale: 'de-DE' });
      const { page } = desktop;
      await signedIn(desktop, tenant.people[0]!, tenant, `#/sites/${site.id}`);
      await expect.poll(() => page.getByLabel('Capacity').inputValue(), SYNCED).toBe('2,25');

      await page.getByLabel('Capacity').fill('4,5');
      await page.getByLabel('Latitude').fill('48,1374');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await savedAndSynced(page);
      expect(await restSite(suite.server, tenant, site.id)).toMatchObject({ capacity: 4.5, latitude: 48.1374 });

      for (const typo of ['abc', '4,5,6']) {
        await page.getByLabel('Capacity').fill(typo);
        await page.getByRole('button', { name: 'Save changes' }).click();
        await page.getByText('Enter a number, such as 4,5.').waitFor();
        expect(await text(page.getByRole('status').filter({ hasText: 'Nothing was saved' }))).toBe(
          'Nothing was saved: check the fields marked below.',
        );
        expect(await page.getByLabel('Capacity').getAttribute('aria-invalid')).toBe('true');
      }
      expect(await page.getByText(/^Saved at/).count()).toBe(0);
      await screenshot(page, 'desktop-site-number-refused');
      expect((await desktop.fixture.api.sites.get.query({ id: site.id })).capacity).toBe(4.5);
      expect(await restSite(suite.server, tenant, site.id)).toMatchObject({ capacity: 4.5 });
    },
  );

  it('shows each refused field next to it, in plain words, once', { timeout: 180_000 }, async () => {
    const tenant = await suite.server.createTenant('Plain Words Solar', [{ name: 'Ivo Field', role: 'technician' }]);
    const site = await createSiteByRest(suite.server, tenant, { siteName: 'Cliff Farm', latitude: 10, timezone: 'Europe/Lisbon' });
    const desktop = await suite.open();
    const { page } = desktop;
    await signedIn(desktop, tenant.people[0]!, tenant, `#/sites/${site.id}`);
    await expect.poll(() => page.getByLabel('Latitude').inputValue(), SYNCED).toBe('10');

    await page.getByLabel('Latitude').fill('200');
    await page.getByLabel('Time zone').fill('Mars/Olympus');
    await page.getByLabel('Site name').fill('');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Latitude is between -90 and 90 degrees.').waitFor();
    expect(await page.getByLabel('Latitude').getAttribute('aria-describedby')).toBe('site-latitude-error');
    await page.getByText('Choose a time zone from the list, such as Europe/Berlin.').waitFor();
    await page.getByText('Give the site a name.').waitFor();
    const body = await text(page.locator('body'));
    expect(body).not.toContain('VALIDATION_ERROR');
    expect(body).not.toContain('patch.');
    expect(body.split('Latitude is between').length).toBe(2);
    await screenshot(page, 'desktop-site-field-errors');
    expect(await desktop.fixture.api.sites.get.query({ id: site.id })).toMatchObject({ siteName: 'Cliff Farm', latitude: 10 });

    // Typing again clears the field's message.
    await page.getByLabel('Latitude').fill('45');
    expect(await page.getByText('Latitude is between -90 and 90 degrees.').count()).toBe(0);
  });

  it('shows a viewer everything read-only, with nothing offered that the server would refuse', { timeout: 180_000 }, async () => {
    const tenant = await suite.server.createTenant('Read Only Solar', [{ name: 'Vic Viewer', role: 'viewer' }]);
    await createSiteByRest(suite.server, tenant, { siteName: 'Glass Farm', address: '1 Glass Road', timezone: 'Europe/Rome' });
    expect(
      (
        await suite.server.rest(tenant.apiKey, 'POST', '/api/portfolios', [
          { organisationId: tenant.organisationId, name: 'Glass Portfolio' },
        ])
      ).status,
    ).toBe(201);
    const desktop = await suite.open();
    const { page } = desktop;
    await signedIn(desktop, tenant.people[0]!, tenant);
    await page.getByRole('link', { name: 'Glass Farm' }).waitFor({ timeout: SYNCED.timeout });
    await page.getByText('You are a viewer in this organisation: you can read its sites, not change them.').waitFor();
    expect(await page.getByRole('button', { name: 'Create site' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Create portfolio' }).count()).toBe(0);
    await page.getByRole('button', { name: /Glass Portfolio/ }).click();
    expect(await page.getByRole('button', { name: /Rename|Delete/ }).count()).toBe(0);
    await page.getByRole('button', { name: /^All sites/ }).click();

    await page.getByRole('link', { name: 'Glass Farm' }).click();
    await page.getByText('You are a viewer in this organisation: you can read this site, not change it.').waitFor();
    for (const label of ['Site name', 'Address', 'Capacity', 'Latitude', 'Site manager', 'Time zone']) {
      expect(await page.getByLabel(label, { exact: true }).isEditable(), label).toBe(false);
    }
    for (const label of ['Unit', 'Portfolio']) expect(await page.getByLabel(label, { exact: true }).isDisabled(), label).toBe(true);
    expect(await page.getByRole('button', { name: 'Save changes' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Delete site' }).count()).toBe(0);
    await screenshot(page, 'desktop-site-viewer');
  });

  it('renames and deletes a portfolio and deletes a site, after confirming, and the server follows', { timeout: 180_000 }, async () => {
    const tenant = await suite.server.createTenant('Tidy Solar', [{ name: 'Rita Field', role: 'technician' }]);
    const created = await suite.server.rest(tenant.apiKey, 'POST', '/api/portfolios', [
      { organisationId: tenant.organisationId, name: 'Old Name' },
    ]);
    expect(created.status).toBe(201);
    const [portfolio] = (await created.json()) as { id: string }[];
    const kept = await createSiteByRest(suite.server, tenant, { siteName: 'Kept Farm', portfolioId: portfolio!.id });
    const gone = await createSiteByRest(suite.server, tenant, { siteName: 'Closed Farm' });
    const desktop = await suite.open();
    const { page } = desktop;
    await signedIn(desktop, tenant.people[0]!, tenant);
    await page.getByRole('button', { name: /Old Name/ }).click();

    await page.getByRole('button', { name: 'Rename “Old Name”' }).click();
    await page.getByLabel('New name for Old Name').fill('North Cluster');
    await page.getByRole('button', { name: 'Rename', exact: true }).click();
    await page.getByRole('button', { name: /^North Cluster/ }).waitFor();
    await page.getByRole('button', { name: 'Delete “North Cluster”' }).click();
    const question = page.getByRole('alertdialog', { name: 'Delete “North Cluster”' });
    expect(await text(question)).toContain('Its site stays, outside any portfolio.');
    await question.getByRole('button', { name: 'Delete this portfolio' }).click();
    await expect.poll(() => page.getByRole('button', { name: /North Cluster/ }).count()).toBe(0);
    await page.getByRole('button', { name: /^All sites/ }).click();

    await page.getByRole('link', { name: 'Closed Farm' }).click();
    await page.getByRole('button', { name: 'Delete site' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Cancel' }).click();
    expect(await page.getByRole('heading', { name: 'Closed Farm' }).count()).toBe(1);
    await page.getByRole('button', { name: 'Delete site' }).click();
    await screenshot(page, 'desktop-site-delete-confirm');
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete this site' }).click();
    await page.getByRole('link', { name: 'Kept Farm' }).waitFor();
    expect(await page.getByRole('link', { name: 'Closed Farm' }).count()).toBe(0);

    await expect.poll(() => restSite(suite.server, tenant, gone.id), SYNCED).toBeUndefined();
    expect(await restSite(suite.server, tenant, kept.id)).toMatchObject({ siteName: 'Kept Farm', portfolioId: null });
    const portfolios = (await (await suite.server.rest(tenant.apiKey, 'GET', '/api/portfolios')).json()) as { id: string }[];
    expect(portfolios.map((p) => p.id)).not.toContain(portfolio!.id);
  });

  it('sorts the sites table by each column it shows, both ways', { timeout: 180_000 }, async () => {
    const tenant = await suite.server.createTenant('Sorted Solar', [{ name: 'Sam Field', role: 'technician' }]);
    await createSiteByRest(suite.server, tenant, {
      siteName: 'Bravo',
      capacity: 2,
      unit: 'MWp',
      address: 'C street',
      timezone: 'Europe/Berlin',
    });
    await createSiteByRest(suite.server, tenant, {
      siteName: 'alpha',
      capacity: 900,
      unit: 'kWp',
      address: 'A street',
      timezone: 'Asia/Tokyo',
    });
    await createSiteByRest(suite.server, tenant, { siteName: 'Charlie 10', timezone: 'America/Chicago' });
    await createSiteByRest(suite.server, tenant, { siteName: 'Charlie 9', capacity: 5, unit: 'kWp', address: 'B street', timezone: 'UTC' });
    const desktop = await suite.open();
    const { page } = desktop;
    await signedIn(desktop, tenant.people[0]!, tenant);
    const names = () => page.locator('.site-table tbody tr td:first-child').allTextContents();
    await expect.poll(names, SYNCED).toEqual(['alpha', 'Bravo', 'Charlie 9', 'Charlie 10']);

    const header = (name: string) => page.getByRole('columnheader', { name: new RegExp(`^${name}`) });
    await header('Site').getByRole('button').click();
    expect(await names()).toEqual(['Charlie 10', 'Charlie 9', 'Bravo', 'alpha']);
    expect(await header('Site').getAttribute('aria-sort')).toBe('descending');
    await header('Capacity').getByRole('button').click();
    expect(await names()).toEqual(['Charlie 9', 'alpha', 'Bravo', 'Charlie 10']);
    await header('Capacity').getByRole('button').click();
    expect(await names()).toEqual(['Bravo', 'alpha', 'Charlie 9', 'Charlie 10']);
    await header('Time zone').getByRole('button').click();
    expect(await names()).toEqual(['Charlie 10', 'alpha', 'Bravo', 'Charlie 9']);
    await header('Address').getByRole('button').click();
    expect(await names()).toEqual(['alpha', 'Charlie 9', 'Bravo', 'Charlie 10']);
    // The order is a preference of this device: it survives a reload.
    await page.reload();
    await expect.poll(names, SYNCED).toEqual(['alpha', 'Charlie 9', 'Bravo', 'Charlie 10']);
  });
});
