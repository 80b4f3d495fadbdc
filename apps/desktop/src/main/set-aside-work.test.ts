import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { documents, organisations, sites, systemPrincipal, users, type sync } from '@helio/core';
import { afterEach, describe, expect, it } from 'vitest';
import { seedDataDir } from '../testing.js';
import { capturedFilesIn } from './captured-files.js';
import { sessionPrincipal } from './local-session.js';
import { createDesktopContext, desktopRouter } from './router.js';
import { openDesktopServices, type DesktopServices } from './services.js';
import { bringIn, setAsideStoreAt, snapshotWork, type SetAsideWork } from './set-aside-work.js';

const dirs: string[] = [];
const opened: DesktopServices[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'helio-set-aside-'));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const work = (over: Partial<SetAsideWork> = {}): SetAsideWork => ({
  setAsideAt: '2025-01-02T03:04:05.000Z',
  decision: 'undecided',
  organisations: [{ id: '01900000-0000-7000-8000-000000000001', name: 'My organisation' }],
  portfolios: [{ id: '01900000-0000-7000-8000-000000000002', organisationId: '01900000-0000-7000-8000-000000000001', name: 'North' }],
  sites: [],
  documents: [],
  ...over,
});

describe('the set-aside file', () => {
  it('keeps the work across a restart, merges a later set-aside by id, and remembers the choice', () => {
    const path = join(tempDir(), 'set-aside-work.json');
    const store = setAsideStoreAt(path);
    expect(store.current()).toBeUndefined();
    store.add(work());
    store.decide('kept');
    const site = { id: '01900000-0000-7000-8000-000000000003', organisationId: work().organisations[0]!.id, siteName: 'Farm', fields: {} };
    setAsideStoreAt(path).add(work({ portfolios: [{ ...work().portfolios[0]!, name: 'North renamed' }], sites: [site] }));
    const again = setAsideStoreAt(path).current()!;
    expect(again.portfolios).toEqual([{ ...work().portfolios[0]!, name: 'North renamed' }]);
    expect(again.sites).toEqual([site]);
    // New work asks again.
    expect(again.decision).toBe('undecided');
    setAsideStoreAt(path).clear();
    expect(setAsideStoreAt(path).current()).toBeUndefined();
  });

  it('survives a crash while it is rewritten: the old content stays whole, and a half-written copy is ignored', () => {
    const dir = tempDir();
    const path = join(dir, 'set-aside-work.json');
    setAsideStoreAt(path).add(work());
    // A crash in the middle of writing the next version leaves only its temporary file, half written.
    writeFileSync(`${path}.0123.tmp`, '{"version":1,"setAsideAt":');
    expect(setAsideStoreAt(path).current()).toEqual(work());
    // The store never writes in place.
    setAsideStoreAt(path).decide('kept');
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ version: 1, decision: 'kept' });
  });

  it('refuses to start on a damaged file instead of dropping the work silently', () => {
    const path = join(tempDir(), 'set-aside-work.json');
    writeFileSync(path, '{"version":1}');
    expect(() => setAsideStoreAt(path)).toThrow(/not valid/);
  });
});

describe('captured files', () => {
  it('keeps a record beside the bytes, and removes records whose bytes never arrived at the next start', () => {
    const dir = tempDir();
    const files = capturedFilesIn(dir);
    const record = {
      documentId: '01900000-0000-7000-8000-0000000000aa',
      filename: 'a.pdf',
      mimeType: 'application/pdf',
      sizeBytes: 3,
      documentType: null,
      siteId: null,
      siteName: null,
      organisationId: null,
      capturedAt: '2025-01-02T03:04:05.000Z',
      capturedBy: { userId: '01900000-0000-7000-8000-0000000000bb', serverUrl: null },
    };
    files.stage(new Uint8Array([1, 2, 3])).commit(record);
    // A crash between writing a record and renaming its bytes into place.
    writeFileSync(join(dir, '01900000-0000-7000-8000-0000000000cc.json'), '{}');
    writeFileSync(join(dir, 'x.staging'), 'half');
    const again = capturedFilesIn(dir);
    expect(again.list()).toEqual([record.documentId]);
    expect(again.record(record.documentId)).toEqual(record);
    expect(readdirSync(dir).sort()).toEqual([record.documentId, `${record.documentId}.json`]);
    again.remove(record.documentId);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('still lists a file whose record was cut short (a power cut while it was written)', () => {
    const dir = tempDir();
    const documentId = '01900000-0000-7000-8000-0000000000dd';
    writeFileSync(join(dir, documentId), 'the bytes');
    writeFileSync(join(dir, `${documentId}.json`), '{"version":1,"documentId":"0190');
    const files = capturedFilesIn(dir);
    expect(files.list()).toEqual([documentId]);
    expect(files.record(documentId)).toBeUndefined();
    expect(Buffer.from(files.read(documentId)!).toString()).toBe('the bytes');
  });
});

describe('bringing set-aside work into an organisation', () => {
  /** A desktop with work made before signing in: a portfolio, a site in it, and a captured document. */
  async function desktopWithLocalWork() {
    const dataDir = tempDir();
    await seedDataDir(dataDir);
    const services = await openDesktopServices({ dataDir, bootstrapOrganisations: ['My organisation'] });
    opened.push(services);
    const caller = desktopRouter.createCaller(createDesktopContext(services));
    const [portfolio] = await caller.portfolios.create([{ name: 'North' }]);
    const site = await caller.sites.create({
      siteName: 'Hill Farm',
      address: '1 Hill Road',
      capacity: 40,
      unit: 'kWp',
      portfolioId: portfolio!.id,
    });
    const bytes = Buffer.from('%PDF-1.4\n% survey\n');
    const { document } = await caller.capture.document({
      siteId: site.id,
      filename: 'survey.pdf',
      mimeType: 'application/pdf',
      documentType: 'other',
      contentBase64: bytes.toString('base64'),
    });
    return { services, caller, portfolio: portfolio!, site, document, bytes };
  }

  // The first test of a process also builds the migrated template database (seedDataDir): PGlite's initdb is slow on a busy machine.
  it('re-creates the rows with their ids as queued writes, and the captured file becomes the account’s', { timeout: 120_000 }, async () => {
    const { services, caller, portfolio, site, document } = await desktopWithLocalWork();
    expect((await caller.capture.files())[0]).toMatchObject({ state: 'onDevice', owner: { kind: 'beforeSignIn' } });
    const local = services.sessions.current()!;
    const system = { db: services.db, clock: services.clock, ids: services.ids, principal: systemPrincipal };
    const localCtx = { ...system, principal: sessionPrincipal(local) };
    const snapshot = await snapshotWork(
      localCtx,
      new Map([[[...local.organisations.keys()][0]!, 'My organisation']]),
      services.clock.now(),
    );
    expect(snapshot.portfolios.map((p) => p.name)).toEqual(['North']);
    expect(snapshot.sites).toEqual([
      expect.objectContaining({ id: site.id, fields: expect.objectContaining({ portfolioId: portfolio.id, capacity: 40, unit: 'kWp' }) }),
    ]);
    expect(snapshot.documents.map((d) => d.id)).toEqual([document.id]);

    // What a sign-in does: the work is set aside and the device starts afresh, listing nothing as could-not-sync.
    const client = services.sync.syncClient;
    await client.startOver('setAside');
    expect(await client.status()).toMatchObject({ pending: 0, rejected: 0 });
    expect(await client.rejectedChanges()).toEqual([]);
    // The account's organisation, as the first pull brings it (the same user stands for the account here).
    const target = await organisations.createOrganisation(system, { name: 'Solar Co' });
    await users.addMember(system, { organisationId: target.id, userId: local.userId, role: 'technician' });

    const writes: sync.LocalWrite[] = [];
    const deps = {
      ctx: await client.context(),
      write: (w: sync.LocalWrite) => {
        writes.push(w);
        return client.write(w);
      },
      storage: services.documentStorage,
      capturedFiles: services.capturedFiles,
      account: { userId: local.userId, serverUrl: 'https://helio.example.com' },
    };
    expect(await bringIn(deps, snapshot, target.id)).toEqual({ portfolios: 1, sites: 1, documents: 1, withoutFile: [] });
    expect(writes.map((w) => [w.table, w.op, w.id, w.organisationId])).toEqual([
      ['portfolios', 'create', portfolio.id, target.id],
      ['sites', 'create', site.id, target.id],
    ]);
    const ctx = await client.context();
    expect(await sites.getSite(ctx, site.id)).toMatchObject({
      organisationId: target.id,
      portfolioId: portfolio.id,
      siteName: 'Hill Farm',
      capacity: 40,
    });
    expect(await documents.getDocument(ctx, document.id)).toMatchObject({
      organisationId: target.id,
      status: 'pending',
      filename: 'survey.pdf',
    });
    expect(services.capturedFiles.record(document.id)).toMatchObject({
      organisationId: target.id,
      capturedBy: { userId: local.userId, serverUrl: 'https://helio.example.com' },
    });
    expect((await client.status()).pending).toBe(2);

    // Run again (a crash after the portfolio and the site): nothing is written twice.
    writes.length = 0;
    expect(await bringIn({ ...deps, ctx: await client.context() }, snapshot, target.id)).toMatchObject({ sites: 1, documents: 1 });
    expect(writes).toEqual([]);
    expect((await client.status()).pending).toBe(2);
  });

  it('finishes after a crash half-way, and refuses an organisation where the role may not write', { timeout: 120_000 }, async () => {
    const { services, site } = await desktopWithLocalWork();
    const local = services.sessions.current()!;
    const system = { db: services.db, clock: services.clock, ids: services.ids, principal: systemPrincipal };
    const snapshot = await snapshotWork({ ...system, principal: sessionPrincipal(local) }, new Map(), services.clock.now());
    const client = services.sync.syncClient;
    await client.startOver('setAside');
    const viewerOrg = await organisations.createOrganisation(system, { name: 'Read only' });
    await users.addMember(system, { organisationId: viewerOrg.id, userId: local.userId, role: 'viewer' });
    const target = await organisations.createOrganisation(system, { name: 'Solar Co' });
    await users.addMember(system, { organisationId: target.id, userId: local.userId, role: 'admin' });
    const base = {
      storage: services.documentStorage,
      capturedFiles: services.capturedFiles,
      account: { userId: local.userId, serverUrl: 'https://helio.example.com' },
    };
    await expect(
      bringIn({ ...base, ctx: await client.context(), write: (w) => client.write(w) }, snapshot, viewerOrg.id),
    ).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    expect((await client.status()).pending).toBe(0);

    // The process dies while writing the site.
    const crashing = (w: sync.LocalWrite) => (w.table === 'sites' ? Promise.reject(new Error('power cut')) : client.write(w));
    await expect(bringIn({ ...base, ctx: await client.context(), write: crashing }, snapshot, target.id)).rejects.toThrow('power cut');
    expect((await client.status()).pending).toBe(1);
    expect(existsSync(join(services.dataDir, 'captured', snapshot.documents[0]!.id))).toBe(true);
    await bringIn({ ...base, ctx: await client.context(), write: (w) => client.write(w) }, snapshot, target.id);
    expect((await client.status()).pending).toBe(2);
    expect(await sites.getSite(await client.context(), site.id)).toMatchObject({ organisationId: target.id });
  });
});
