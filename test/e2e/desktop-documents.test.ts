// The documents panel in Chromium, against a real Helio server: renaming and
// deleting documents (synced like every other change), a viewer's read-only
// list, a refused file type in one line, and a failed upload retried or
// removed next to its document. The server runs on embedded PGlite in both
// passes of the suite, as in desktop-sync.test.ts.
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { screenshot, type Person, type Tenant } from './desktop-fixtures.js';
import { desktopSuite, signedIn, SYNCED, text, type Desktop } from './desktop-session.js';

const suite = desktopSuite();
const openDesktop = () => suite.open();
/** Undoes what a test did to the server (see refuseUploadTokens). */
let restoreServer: (() => void) | undefined;

afterEach(() => {
  restoreServer?.();
  restoreServer = undefined;
});

/** Signs in through the router and opens the site's page once its organisation has arrived. */
async function openSite(desktop: Desktop, person: Person, tenant: Tenant, siteId: string): Promise<void> {
  await signedIn(desktop, person, tenant, `#/sites/${siteId}`);
  await desktop.page.getByRole('heading', { name: 'Documents' }).waitFor({ timeout: SYNCED.timeout });
}

/** A document's row: its accessible name starts with the file name (the question or error under it starts otherwise). */
const documentRow = (page: Page, filename: string) =>
  page.getByRole('row', { name: new RegExp(`^${filename.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`) });

async function createSiteByRest(tenant: Tenant, siteName: string): Promise<{ id: string }> {
  const res = await suite.server.rest(tenant.apiKey, 'POST', '/api/sites', { organisationId: tenant.organisationId, siteName });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string };
}

/** A document uploaded through the REST API, by someone else than the desktop's user. */
async function uploadByRest(tenant: Tenant, siteId: string, filename: string, bytes: Buffer): Promise<string> {
  const requested = await suite.server.rest(tenant.apiKey, 'POST', '/api/docs/bulk-upload-url', {
    siteId,
    fileType: 'documents',
    files: [{ filename, mimeType: 'application/pdf', fileSize: bytes.length }],
  });
  expect(requested.status).toBe(201);
  const [slot] = ((await requested.json()) as { results: { documentId: string; uploadUrl: { path: string; token: string } }[] }).results;
  const put = await fetch(`${suite.server.url}${slot!.uploadUrl.path}?token=${encodeURIComponent(slot!.uploadUrl.token)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/pdf' },
    body: bytes,
  });
  expect(put.status).toBeLessThan(300);
  return slot!.documentId;
}

/** The document as the server's REST API returns it; undefined once it is gone. */
async function restDocument(tenant: Tenant, id: string): Promise<{ filename: string; status: string } | undefined> {
  const res = await suite.server.rest(tenant.apiKey, 'GET', `/api/docs/${id}`);
  if (res.status === 404) return undefined;
  expect(res.status).toBe(200);
  return (await res.json()) as { filename: string; status: string };
}

/**
 * The server cannot issue upload tokens (its storage is failing, say) until
 * the returned function is called: every upload is refused with an internal
 * error, and nothing about the document changes on the server meanwhile.
 */
function refuseUploadTokens(): () => void {
  const signer = suite.server.server.services.signer;
  const sign = signer.sign;
  signer.sign = (claims) => {
    if (claims.purpose === 'upload') throw new Error('the blob store is out of space');
    return sign.call(signer, claims);
  };
  return () => {
    signer.sign = sign;
  };
}

async function screenshotsAtWidths(page: Page, name: string): Promise<void> {
  for (const width of [390, 768, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    // Nothing in the panel is wider than the panel itself: no cut-off cells or buttons.
    const overflow = await page.getByRole('region', { name: 'Documents' }).evaluate((panel) => {
      const box = panel.getBoundingClientRect();
      return [...panel.querySelectorAll('*')]
        .filter((el) => {
          const r = el.getBoundingClientRect();
          return r.width > 0 && (r.right > box.right + 1 || r.left < box.left - 1);
        })
        .map((el) => `${el.tagName.toLowerCase()}.${el.className}`);
    });
    expect(overflow, `at ${width} px`).toEqual([]);
    await screenshot(page, `${name}-${width}`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

describe('desktop documents in Chromium', () => {
  it('renames and deletes a document, each change reaching the server through sync', { timeout: 180_000 }, async () => {
    const tenant = await suite.server.createTenant('Rename Solar', [{ name: 'Rita Names', role: 'technician' }]);
    const site = await createSiteByRest(tenant, 'Renaming Farm');
    const id = await uploadByRest(tenant, site.id, 'inverter-report.pdf', Buffer.from('%PDF-1.4\n% inverter report\n'));
    const desktop = await openDesktop();
    const { page } = desktop;
    await openSite(desktop, tenant.people[0]!, tenant, site.id);
    await expect.poll(() => text(documentRow(page, 'inverter-report.pdf')), SYNCED).toContain('Uploaded');

    // A name with a path in it is refused in words, under the document, and nothing changes.
    await page.getByRole('button', { name: 'Rename inverter-report.pdf' }).click();
    const name = page.getByLabel('New name for inverter-report.pdf');
    await name.fill('reports/inverter.pdf');
    await page.getByRole('button', { name: 'Save name' }).click();
    const alert = page.getByRole('region', { name: 'Documents' }).getByRole('alert');
    await expect.poll(() => text(alert)).toBe('A file name cannot contain / or \\ (nor control characters), and cannot be . or ..');
    expect(await alert.count()).toBe(1);

    await name.fill('inverter-report-2024.pdf');
    await page.getByRole('button', { name: 'Save name' }).click();
    await documentRow(page, 'inverter-report-2024.pdf').waitFor();
    expect(await alert.count()).toBe(0);
    await expect.poll(async () => (await restDocument(tenant, id))?.filename, SYNCED).toBe('inverter-report-2024.pdf');

    // Deleting asks first; Cancel keeps the document.
    await page.getByRole('button', { name: 'Delete inverter-report-2024.pdf' }).click();
    const question = page.getByRole('alertdialog', { name: 'Delete document' });
    expect(await text(question)).toContain('It disappears for everyone in this organisation once Helio syncs.');
    await question.getByRole('button', { name: 'Cancel' }).click();
    expect(await question.count()).toBe(0);
    expect((await restDocument(tenant, id))?.filename).toBe('inverter-report-2024.pdf');

    await page.getByRole('button', { name: 'Delete inverter-report-2024.pdf' }).click();
    await page.getByRole('button', { name: 'Delete document' }).click();
    await expect.poll(() => documentRow(page, 'inverter-report-2024.pdf').count()).toBe(0);
    await page.getByText('No documents for this site yet.').waitFor();
    await expect.poll(() => restDocument(tenant, id), SYNCED).toBeUndefined();
    await expect.poll(async () => (await desktop.fixture.api.syncClient.status.query()).pending, SYNCED).toBe(0);
  });

  it('shows a viewer the documents read-only: no adding, renaming or deleting', { timeout: 180_000 }, async () => {
    const tenant = await suite.server.createTenant('Viewer Solar', [{ name: 'Vic Views', role: 'viewer' }]);
    const site = await createSiteByRest(tenant, 'Read Only Farm');
    await uploadByRest(tenant, site.id, 'handover.pdf', Buffer.from('%PDF-1.4\n% handover\n'));
    const desktop = await openDesktop();
    const { page } = desktop;
    await openSite(desktop, tenant.people[0]!, tenant, site.id);
    const row = documentRow(page, 'handover.pdf');
    await expect.poll(() => text(row), SYNCED).toContain('Uploaded');
    await page.getByText('You are a viewer in this organisation: you can read and download documents, not add or change them.').waitFor();
    expect(await row.getByRole('button', { name: 'Download handover.pdf' }).count()).toBe(1);
    const panel = page.getByRole('region', { name: 'Documents' });
    expect(await panel.getByRole('button', { name: /Rename|Delete|Remove/ }).count()).toBe(0);
    expect(await panel.getByLabel('Add document').count()).toBe(0);
    expect(await panel.getByLabel('Document type').count()).toBe(0);
  });

  it('says in one line which kinds of file are allowed, and the file picker offers them', { timeout: 120_000 }, async () => {
    const desktop = await openDesktop();
    const { page, fixture } = desktop;
    const [organisation] = await fixture.api.organisations.list.query();
    const site = await fixture.api.sites.create.mutate({ organisationId: organisation!.id, siteName: 'Picky Farm' });
    await page.goto(`${fixture.host.url}/#/sites/${site.id}`);
    await page.getByRole('heading', { name: 'Documents' }).waitFor();

    const picker = page.getByLabel('Add document');
    await expect.poll(() => picker.getAttribute('accept')).toContain('.pdf');
    const accept = (await picker.getAttribute('accept'))!.split(',');
    expect(accept).toEqual(expect.arrayContaining(['.pdf', 'application/pdf', '.docx', '.xlsx', '.jpg', '.dwg', '.dxf', '.zip', '.csv']));
    expect(accept).not.toContain('text/html');
    const kinds =
      'PDFs, images (JPEG, PNG, WebP, GIF, TIFF, HEIC), office documents (Word, Excel, PowerPoint, OpenDocument), text files (TXT, RTF, CSV, JSON, XML), ZIP archives and CAD drawings (DWG, DXF)';
    expect(await text(page.locator('#document-file-kinds'))).toBe(`Helio accepts ${kinds}.`);

    await picker.setInputFiles({ name: 'page.html', mimeType: 'text/html', buffer: Buffer.from('<script></script>') });
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.count()).toBe(1);
    expect(await text(alert)).toBe(`page.html is not a file type Helio accepts: it accepts ${kinds}.`);
    // Shown once: the hint under the picker steps aside while the refusal says the same.
    expect(await page.getByText(kinds, { exact: false }).count()).toBe(1);
    expect(await fixture.api.documents.listBySite.query({ siteId: site.id })).toEqual([]);
    await screenshot(page, 'desktop-documents-refused-type');

    // A drawing whose type the system does not know goes by its extension; the refusal clears.
    await picker.setInputFiles({ name: 'string-layout.dwg', mimeType: '', buffer: Buffer.from('AC1032 drawing') });
    await documentRow(page, 'string-layout.dwg').waitFor();
    expect(await alert.count()).toBe(0);
    const [drawing] = await fixture.api.documents.listBySite.query({ siteId: site.id });
    expect(drawing).toMatchObject({ filename: 'string-layout.dwg', mimeType: 'image/vnd.dwg' });
  });

  it(
    'shows a failed upload next to its document in words, retries it there with its progress, and removes another',
    { timeout: 240_000 },
    async () => {
      const tenant = await suite.server.createTenant('Retry Solar', [{ name: 'Ravi Retries', role: 'technician' }]);
      const site = await createSiteByRest(tenant, 'Flaky Storage Farm');
      await uploadByRest(tenant, site.id, 'commissioning.pdf', Buffer.from('%PDF-1.4\n% commissioning\n'));
      const desktop = await openDesktop();
      const { page, line, fixture } = desktop;
      await openSite(desktop, tenant.people[0]!, tenant, site.id);
      await expect.poll(() => text(documentRow(page, 'commissioning.pdf')), SYNCED).toContain('Uploaded');

      restoreServer = refuseUploadTokens();
      const bytes = Buffer.concat([Buffer.from('%PDF-1.4\n% thermal survey\n'), randomBytes(900_000)]);
      await page.getByLabel('Add document').setInputFiles({ name: 'thermal-survey.pdf', mimeType: 'application/pdf', buffer: bytes });
      await page
        .getByLabel('Add document')
        .setInputFiles({ name: 'wrong-photo.jpg', mimeType: 'image/jpeg', buffer: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]) });
      const survey = documentRow(page, 'thermal-survey.pdf');
      const photo = documentRow(page, 'wrong-photo.jpg');
      for (const row of [survey, photo]) await expect.poll(() => text(row), SYNCED).toContain('Upload failed');
      expect(await text(survey)).toContain('The server could not take it just now. It is tried again at each sync.');
      const panel = page.getByRole('region', { name: 'Documents' });
      expect(await text(panel)).not.toMatch(/INTERNAL_ERROR|internal error|\(\w+_\w+\)/);

      // Open a question too, then look at the panel at each width.
      await page.getByRole('button', { name: 'Remove wrong-photo.jpg' }).click();
      await screenshotsAtWidths(page, 'desktop-documents-failed-upload');

      const question = page.getByRole('alertdialog', { name: 'Remove file' });
      expect(await text(question)).toContain('Remove “wrong-photo.jpg” from this device?');
      await question.getByRole('button', { name: 'Remove file' }).click();
      await expect.poll(() => photo.count(), SYNCED).toBe(0);

      // The server can take files again; a slow line keeps the retried upload on screen.
      restoreServer();
      restoreServer = undefined;
      line!.throttle(400_000);
      await survey.getByRole('button', { name: 'Retry upload of thermal-survey.pdf' }).click();
      const progress = survey.getByRole('progressbar', { name: 'Uploading thermal-survey.pdf' });
      await progress.waitFor({ timeout: SYNCED.timeout });
      expect(Number(await progress.getAttribute('max'))).toBe(bytes.length);
      await screenshot(page, 'desktop-documents-retry-progress');
      line!.throttle(null);
      await expect.poll(() => text(survey), SYNCED).toContain('Uploaded');
      expect(await text(survey)).not.toContain('Upload failed');
      await expect.poll(async () => (await fixture.api.syncClient.status.query()).pendingUploads, SYNCED).toBe(0);
      const [uploaded] = (await fixture.api.documents.listBySite.query({ siteId: site.id })).filter(
        (d) => d.filename === 'thermal-survey.pdf',
      );
      expect(await restDocument(tenant, uploaded!.id)).toMatchObject({ filename: 'thermal-survey.pdf', status: 'uploaded' });
    },
  );
});
