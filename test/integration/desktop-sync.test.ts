// The desktop's main-process sync against a real server over real sockets:
// sign-in, the sync loop driven by the server's events, a network cut by a
// TCP proxy, captured documents uploaded, and a restart that resumes with the
// kept refresh token. (The renderer's side is in test/e2e/desktop-sync.test.ts.)
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { documents, systemPrincipal } from '@helio/core';
import { callerFor, memoryTokenVault, openDesktopServices, type DesktopServices } from '@helio/desktop/main-services';
import { seedDataDir } from '@helio/desktop/testing';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachEngine } from '../../apps/server/src/test-engines.js';
import { documentStorage } from '../../apps/server/src/rest/alentis/documents.js';
import { serviceContext } from '../../apps/server/src/services.js';
import { twoTenantApp, type TwoTenantApp } from '../../apps/server/src/testing.js';

/** A TCP proxy standing for the laptop's network: `cut()` drops every connection and refuses new ones until `restore()`. */
async function networkProxy(target: number): Promise<{ url: string; cut(): void; restore(): void; close(): Promise<void> }> {
  let up = true;
  const open = new Set<Socket>();
  const server: Server = createServer((inbound) => {
    if (!up) return inbound.destroy();
    const outbound = new (inbound.constructor as typeof Socket)();
    outbound.connect(target, '127.0.0.1');
    for (const s of [inbound, outbound]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    cut() {
      up = false;
      for (const s of open) s.destroy();
    },
    restore() {
      up = true;
    },
    close: () => {
      for (const s of open) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `ms`. */
async function eventually<T>(check: () => Promise<T | undefined | false>, what: string, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describeEachEngine('desktop sync against a real server', (engine) => {
  let w: TwoTenantApp;
  let proxy: Awaited<ReturnType<typeof networkProxy>>;
  let dataDir: string;
  let desktop: DesktopServices | undefined;

  beforeEach(async () => {
    w = await twoTenantApp(engine);
    await w.t.app.listen({ host: '127.0.0.1', port: 0 });
    proxy = await networkProxy((w.t.app.server.address() as { port: number }).port);
    dataDir = mkdtempSync(join(tmpdir(), 'helio-desktop-sync-'));
    await seedDataDir(dataDir);
  });
  afterEach(async () => {
    await desktop?.close();
    desktop = undefined;
    await proxy.close();
    await w.t.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const signIn = async (d: DesktopServices) => {
    await d.sync.signIn({ serverUrl: proxy.url, email: w.a.owner.email, password: w.a.owner.password });
    await eventually(
      async () => (await d.sync.status()).connection === 'online' && d.sessions.current()?.organisations.has(w.a.organisationId),
      'the first sync',
    );
  };
  // The Alentis API has no single-site read: find it in the list.
  const serverSite = async (id: string) => {
    const res = await w.asA('GET', '/api/sites');
    return (res.json() as { id: string; siteName: string; capacity: number | null }[]).find((s) => s.id === id);
  };

  it('signs in, pushes local writes, follows server changes by its events, and survives a network cut', async () => {
    desktop = await openDesktopServices({ dataDir, bootstrapOrganisations: ['Offline org'] });
    const d = desktop;
    // Work done before ever signing in, in the device's own organisation, which no server has.
    const [localOrg] = d.sessions.current()!.organisations.keys();
    const early = await d.sync.write({ table: 'sites', op: 'create', organisationId: localOrg!, fields: { siteName: 'Before sign-in' } });
    await expect(d.sync.signIn({ serverUrl: proxy.url, email: w.a.owner.email, password: 'wrong password' })).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
    await signIn(d);
    expect(d.sessions.current()).toMatchObject({ source: 'server', serverUrl: proxy.url, userId: w.a.owner.id });
    // It is set aside for the person to bring into an organisation or keep, never listed as refused.
    expect(await d.sync.syncClient.rejectedChanges()).toEqual([]);
    expect(d.sync.setAsideWork()?.sites).toEqual([expect.objectContaining({ id: early.id, siteName: 'Before sign-in' })]);

    // A local write reaches the server without being asked.
    const client = d.sync.syncClient;
    const { id } = await d.sync.write({
      table: 'sites',
      op: 'create',
      organisationId: w.a.organisationId,
      fields: { siteName: 'Made on the laptop', capacity: 12 },
    });
    expect(await eventually(() => serverSite(id), 'the site on the server')).toMatchObject({
      siteName: 'Made on the laptop',
      capacity: 12,
    });
    await eventually(async () => (await client.status()).pending === 0, 'confirmation');

    // A change on the server shows up locally, pushed by the server's events (the poll is 30 s away).
    const before = (await d.sync.status()).dataVersion;
    expect((await w.asA('PUT', `/api/sites/${id}`, { siteName: 'Renamed on the server' })).statusCode).toBe(200);
    await eventually(async () => (await d.sync.status()).dataVersion > before, 'the change event', 10_000);
    const local = await d.db.query<{ site_name: string }>('SELECT site_name FROM sites WHERE id = $1', [id]);
    expect(local.rows[0]?.site_name).toBe('Renamed on the server');

    // The network goes: writes queue up and the state says so; it comes back: they go up.
    proxy.cut();
    const offline = await d.sync.write({
      table: 'sites',
      op: 'create',
      organisationId: w.a.organisationId,
      fields: { siteName: 'Written offline' },
    });
    // Offline with its next attempt planned (while an attempt runs, none is planned).
    const cutState = await eventually(async () => {
      const s = await d.sync.status();
      return s.connection === 'offline' && s.nextAttemptAt !== null && s;
    }, 'the offline state');
    expect(cutState).toMatchObject({ pending: 1, lastError: { code: 'SERVER_UNREACHABLE' }, nextAttemptAt: expect.any(String) });
    expect(await serverSite(offline.id)).toBeUndefined();
    proxy.restore();
    d.sync.syncNow();
    expect(await eventually(() => serverSite(offline.id), 'the offline site on the server')).toMatchObject({ siteName: 'Written offline' });
    await eventually(async () => {
      const s = await d.sync.status();
      return s.connection === 'online' && s.pending === 0 && s.lastError === null;
    }, 'back online');
  });

  it("starts afresh for another user: nothing queued by the first is sent as the second, and neither sees the other's refused changes", async () => {
    desktop = await openDesktopServices({ dataDir });
    const d = desktop;
    await signIn(d);
    const site = (await w.asA('POST', '/api/sites', { siteName: 'Shared laptop' })).json() as { id: string };
    await eventually(async () => (await d.db.query('SELECT 1 FROM sites WHERE id = $1', [site.id])).rowCount > 0, 'the site locally');
    // The first user writes while cut off, then hands the laptop over.
    proxy.cut();
    await d.sync.write({
      table: 'sites',
      op: 'update',
      id: site.id,
      organisationId: w.a.organisationId,
      fields: { siteName: 'Unsent by the owner' },
    });
    // The round the write started has failed; the loop waits out its backoff, which the sign-in below interrupts.
    await eventually(async () => {
      const s = await d.sync.status();
      return s.connection === 'offline' && !s.syncing && s.pending === 1;
    }, 'the failed round');
    proxy.restore();
    const firstClientId = d.sync.syncClient.clientId;
    await d.sync.signIn({ serverUrl: proxy.url, email: w.b.owner.email, password: w.b.owner.password });
    await eventually(
      async () => (await d.sync.status()).connection === 'online' && d.sessions.current()?.organisations.has(w.b.organisationId),
      'the second sign-in',
    );
    expect(d.sync.syncClient.clientId).not.toBe(firstClientId);
    expect(d.sessions.current()?.organisations.has(w.a.organisationId)).toBe(false);
    // The first user's organisation is gone from the laptop, their change was not sent, and the second user does not see it.
    expect((await d.db.query('SELECT 1 FROM sites WHERE organisation_id = $1', [w.a.organisationId])).rowCount).toBe(0);
    expect(await serverSite(site.id)).toMatchObject({ siteName: 'Shared laptop' });
    expect(await d.sync.syncClient.rejectedChanges()).toEqual([]);
    // The second user's own writes go through under the new client id.
    const { id } = await d.sync.write({
      table: 'sites',
      op: 'create',
      organisationId: w.b.organisationId,
      fields: { siteName: 'By the second user' },
    });
    await eventually(
      async () => ((await w.asB('GET', '/api/sites')).json() as { id: string }[]).some((s) => s.id === id),
      "the second user's site on the server",
    );
    // Back to the first user: their unsent change is listed for them, not sent.
    await d.sync.signIn({ serverUrl: proxy.url, email: w.a.owner.email, password: w.a.owner.password });
    const listed = await d.sync.syncClient.rejectedChanges();
    expect(listed).toEqual([expect.objectContaining({ rowId: site.id, code: 'NOT_SENT', fields: { siteName: 'Unsent by the owner' } })]);
    // Kept under a shifted (negative) number, it can still be dismissed through the window's router once read.
    expect(listed[0]!.seq).toBeLessThan(0);
    await callerFor(d).syncClient.dismissRejected({ seq: listed[0]!.seq });
    expect(await d.sync.syncClient.rejectedChanges()).toEqual([]);
  });

  it('signs out with the server out of reach: forgets the sign-in here and says the server could not revoke it', async () => {
    const vault = memoryTokenVault();
    desktop = await openDesktopServices({ dataDir, vault });
    const d = desktop;
    await signIn(d);
    expect(vault.load()).toEqual(expect.any(String));
    proxy.cut();
    await d.sync.signOut();
    expect(vault.load()).toBeUndefined();
    expect(await d.sync.status()).toMatchObject({
      connection: 'signInRequired',
      lastError: { code: 'SIGNED_OUT', message: expect.stringMatching(/could not be reached to revoke/) },
    });
    proxy.restore();
  });

  it('uploads again a captured file whose earlier upload failed on the server, instead of forgetting it', async () => {
    desktop = await openDesktopServices({ dataDir });
    const d = desktop;
    await signIn(d);
    const site = (await w.asA('POST', '/api/sites', { siteName: 'Flaky uplink' })).json() as { id: string };
    await eventually(async () => (await d.db.query('SELECT 1 FROM sites WHERE id = $1', [site.id])).rowCount > 0, 'the site locally');
    proxy.cut();
    const bytes = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 13) % 256));
    const captured = await callerFor(d).capture.document({
      siteId: site.id,
      filename: 'torn.pdf',
      mimeType: 'application/pdf',
      contentBase64: bytes.toString('base64'),
    });
    // An earlier attempt got as far as the server and broke off: the server holds the document as failed.
    const storage = documentStorage(w.t.services);
    await documents.requestCapturedUpload(serviceContext(w.t.services, systemPrincipal), storage, {
      id: captured.document.id,
      siteId: site.id,
      filename: 'torn.pdf',
      mimeType: 'application/pdf',
      fileSize: bytes.length,
    });
    await w.t.services.db.query("UPDATE documents SET status = 'failed' WHERE id = $1", [captured.document.id]);
    proxy.restore();
    d.sync.syncNow();
    // Wait for what the person sees, not for a moment on the server: the server commits the bytes a
    // moment before the desktop reads its answer, forgets its copy and pulls the document's new status.
    await eventually(
      async () => {
        const [shown] = await callerFor(d).documents.listBySite({ siteId: site.id });
        return shown?.status === 'uploaded' && (await d.sync.status()).pendingUploads === 0;
      },
      'the document shown as uploaded, with no file left waiting',
      30_000,
    );
    const stored = (
      await w.t.services.db.query<{ status: string; sha256: string }>('SELECT status, sha256 FROM documents WHERE id = $1', [
        captured.document.id,
      ])
    ).rows[0];
    expect(stored?.status).toBe('uploaded');
    expect(stored?.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('uploads a captured document under its own id once online, and resumes after a restart with the kept sign-in', async () => {
    const fakeKeychain = {
      isEncryptionAvailable: () => true,
      encryptString: (s: string) => Buffer.from(s).reverse(),
      decryptString: (b: Buffer) => Buffer.from(b).reverse().toString(),
    };
    const { refreshTokenVault } = await import('@helio/desktop/main-services');
    const vault = refreshTokenVault(fakeKeychain, join(dataDir, 'refresh-token.bin'));
    desktop = await openDesktopServices({ dataDir, vault });
    await signIn(desktop);
    const site = (await w.asA('POST', '/api/sites', { siteName: 'With a file' })).json() as { id: string };
    await eventually(
      async () => (await desktop!.db.query('SELECT 1 FROM sites WHERE id = $1', [site.id])).rowCount > 0,
      'the site locally',
    );

    // Captured while cut off: the row exists here, the bytes wait in the data directory.
    proxy.cut();
    const bytes = Buffer.from(Array.from({ length: 700_000 }, (_, i) => (i * 7) % 251));
    const caller = callerFor(desktop);
    const captured = await caller.capture.document({
      siteId: site.id,
      filename: 'inverter.pdf',
      mimeType: 'application/pdf',
      contentBase64: bytes.toString('base64'),
    });
    expect((await desktop.sync.status()).pendingUploads).toBe(1);
    proxy.restore();
    desktop.sync.syncNow();
    await eventually(async () => (await desktop!.sync.status()).pendingUploads === 0, 'the upload', 30_000);
    const doc = (
      await w.t.services.db.query<{ status: string; size_bytes: number }>('SELECT status, size_bytes FROM documents WHERE id = $1', [
        captured.document.id,
      ])
    ).rows[0];
    expect(doc).toMatchObject({ status: 'uploaded' });
    const link = (await w.asA('POST', `/api/docs/${captured.document.id}/download-url`)).json() as { url: string };
    // The URL names the host the request was made to (an injected one): fetch its path from the real server.
    const { pathname, search } = new URL(link.url);
    const downloaded = Buffer.from(await (await fetch(`${proxy.url}${pathname}${search}`)).arrayBuffer());
    expect(downloaded.equals(bytes)).toBe(true);
    await eventually(async () => {
      const local = await desktop!.db.query<{ status: string }>('SELECT status FROM documents WHERE id = $1', [captured.document.id]);
      return local.rows[0]?.status === 'uploaded';
    }, 'the uploaded status locally');

    // Restart: the refresh token from the vault signs in again; no password asked.
    await desktop.close();
    desktop = await openDesktopServices({ dataDir, vault });
    const again = (await w.asA('POST', '/api/sites', { siteName: 'While the laptop was off' })).json() as { id: string };
    await eventually(
      async () => (await desktop!.db.query('SELECT 1 FROM sites WHERE id = $1', [again.id])).rowCount > 0,
      'sync after restart',
    );
    expect((await desktop.sync.status()).connection).toBe('online');
  });
});
