import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { organisations, sites, systemPrincipal } from '@helio/core';
import { DataDirLockedError } from '@helio/db/data-dir-lock';
import { afterEach, describe, expect, it } from 'vitest';
import { createDesktopContext, desktopRouter } from './router.js';
import { seedDataDir } from '../testing.js';
import { openDesktopServices, type DesktopServices } from './services.js';

const dirs: string[] = [];
const opened: DesktopServices[] = [];

/** A new data directory; `seeded`: with the migrated database the app would have made on its first start (see seedDataDir). */
async function tempDir(seeded = true): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'helio-desktop-'));
  dirs.push(dir);
  if (seeded) await seedDataDir(dir);
  return dir;
}

async function open(dataDir: string, bootstrapOrganisations?: string[]): Promise<DesktopServices> {
  const services = await openDesktopServices({ dataDir, bootstrapOrganisations });
  opened.push(services);
  return services;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('desktop services', () => {
  it('bootstraps a local organisation and user once, and keeps them across restarts', async () => {
    // A first start on an empty directory: initdb and every migration, as on a new laptop.
    const dir = await tempDir(false);
    const first = await open(dir, ['Acme Solar', 'Beta Energy']);
    const session = first.sessions.current()!;
    expect(session.source).toBe('local');
    expect([...session.organisations.values()]).toEqual(['owner', 'owner']);
    await first.close();

    const again = await open(dir, ['Something else']);
    expect(again.sessions.current()).toEqual(session);
    const names = (await desktopRouter.createCaller(createDesktopContext(again)).organisations.list()).map((o) => o.name);
    expect(names).toEqual(['Acme Solar', 'Beta Energy']);
  });

  it('refuses a second open of the same data directory while the first is open', async () => {
    const dir = await tempDir();
    await open(dir);
    await expect(openDesktopServices({ dataDir: dir })).rejects.toBeInstanceOf(DataDirLockedError);
  });

  it('acts as the session user, not as the system principal', async () => {
    const services = await open(await tempDir());
    const me = await desktopRouter.createCaller(createDesktopContext(services)).me();
    expect(me.kind).toBe('user');
    expect(me.userId).toBe(services.sessions.current()!.userId);
  });

  it("returns not found for another organisation's site", async () => {
    const services = await open(await tempDir());
    const system = { db: services.db, clock: services.clock, ids: services.ids, principal: systemPrincipal };
    const other = await organisations.createOrganisation(system, { name: 'Not mine' });
    const theirs = await sites.createSite(system, { organisationId: other.id, siteName: 'Their site' });
    const caller = desktopRouter.createCaller(createDesktopContext(services));
    await expect(caller.sites.get({ id: theirs.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await caller.sites.list()).toEqual([]);
  });

  it('answers UNAUTHORIZED for data once signed out, while the session status still answers', async () => {
    const services = await open(await tempDir());
    services.sessions.replace(undefined);
    const caller = desktopRouter.createCaller(createDesktopContext(services));
    await expect(caller.sites.list()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(await caller.session.status()).toMatchObject({ mode: 'signedOut', memberships: [] });
  });

  it('keeps a captured document pending with its bytes on disk, and keeps nothing for a refused one', async () => {
    const services = await open(await tempDir());
    const caller = desktopRouter.createCaller(createDesktopContext(services));
    const site = await caller.sites.create({ siteName: 'Field site' });
    const bytes = Buffer.from('%PDF-1.4\n% handover\n');
    const captured = await caller.capture.document({
      siteId: site.id,
      filename: 'handover.pdf',
      mimeType: 'application/pdf',
      documentType: 'handover_document',
      contentBase64: bytes.toString('base64'),
    });
    expect(captured.document).toMatchObject({ status: 'pending', sizeBytes: bytes.length, filename: 'handover.pdf' });
    expect(Buffer.from(services.capturedFiles.read(captured.document.id)!)).toEqual(bytes);

    await expect(
      caller.capture.document({ siteId: site.id, filename: 'page.html', mimeType: 'text/html', contentBase64: bytes.toString('base64') }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(services.capturedFiles.list()).toEqual([captured.document.id]);
  });
});
