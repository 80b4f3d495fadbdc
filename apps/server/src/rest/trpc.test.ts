import { apiKeys, createCaller, documents, sites, type AppRouter } from '@helio/core';
import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { serviceContext } from '../services.js';
import { describeEachEngine } from '../test-engines.js';
import { createTenant, createTestApp, type TestApp, type TestTenant } from '../testing.js';

describeEachEngine('tRPC router', (engine) => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  beforeEach(async () => {
    t = await createTestApp(engine);
    a = await createTenant(t.services);
    b = await createTenant(t.services);
  });
  afterEach(() => t.close());

  it('runs the same services in-process through createCaller', async () => {
    const principal = await apiKeys.authenticateApiKey(t.services, a.keys.technician);
    const caller = createCaller({ authenticate: async () => serviceContext(t.services, principal) });
    const site = await caller.sites.create({ siteName: 'Caller Site', timezone: 'Europe/Berlin' });
    expect(site).toMatchObject({ siteName: 'Caller Site', timezone: 'Europe/Berlin', organisationId: a.organisationId });
    const viaService = await sites.getSite(serviceContext(t.services, principal), site.id);
    expect(viaService.siteName).toBe('Caller Site');
    await expect(caller.sites.update({ id: site.id, patch: { timezone: 'Mars/Olympus' } })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('serves the router over HTTP with bearer credentials and keeps tenants apart', async () => {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const address = t.app.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/trpc`;
    const client = (key: string) =>
      createTRPCClient<AppRouter>({ links: [httpBatchLink({ url, headers: { authorization: `Bearer ${key}` } })] });

    const mine = await client(a.keys.admin).sites.create.mutate({ siteName: 'Over HTTP' });
    expect((await client(a.keys.viewer).sites.list.query()).map((s) => s.id)).toEqual([mine.id]);
    expect(await client(b.keys.owner).sites.list.query()).toEqual([]);

    const foreign = await client(b.keys.owner)
      .sites.get.query({ id: mine.id })
      .catch((e: unknown) => e);
    expect(foreign).toBeInstanceOf(TRPCClientError);
    expect((foreign as TRPCClientError<AppRouter>).data).toMatchObject({ code: 'NOT_FOUND', helioCode: 'NOT_FOUND' });

    const viewerWrite = await client(a.keys.viewer)
      .sites.delete.mutate({ id: mine.id })
      .catch((e: unknown) => e);
    expect((viewerWrite as TRPCClientError<AppRouter>).data).toMatchObject({ code: 'FORBIDDEN', helioCode: 'FORBIDDEN' });
    const keyAboveOwnRole = await client(a.keys.admin)
      .apiKeys.create.mutate({ name: 'too strong', role: 'owner' })
      .catch((e: unknown) => e);
    expect((keyAboveOwnRole as TRPCClientError<AppRouter>).message).toBe('an admin cannot create a key with the owner role');

    const anonymous = await client('not-a-token')
      .me.query()
      .catch((e: unknown) => e);
    expect((anonymous as TRPCClientError<AppRouter>).data).toMatchObject({ code: 'UNAUTHORIZED' });
    expect((await client(a.keys.viewer).sites.get.query({ id: mine.id })).siteName).toBe('Over HTTP');
  });

  it("lists and reviews document metadata, and hides other tenants' documents", async () => {
    const ctxA = serviceContext(t.services, await apiKeys.authenticateApiKey(t.services, a.keys.technician));
    const ctxB = serviceContext(t.services, await apiKeys.authenticateApiKey(t.services, b.keys.owner));
    const site = await sites.createSite(ctxA, { siteName: 'With documents' });
    const storage = { blobs: t.services.blobs, signer: t.services.signer, maxUploadBytes: 1_000_000 };
    const [issued] = await documents.requestUploads(ctxA, storage, {
      siteId: site.id,
      fileType: 'documents',
      files: [{ filename: 'ppa.pdf', mimeType: 'application/pdf', fileSize: 10, documentType: 'ppa' }],
    });
    const callerA = createCaller({ authenticate: async () => ctxA });
    const callerB = createCaller({ authenticate: async () => ctxB });
    const listed = await callerA.documents.listBySite({ siteId: site.id });
    expect(listed.map((d) => [d.id, d.filename, d.status])).toEqual([[issued!.document.id, 'ppa.pdf', 'pending']]);
    await expect(callerB.documents.listBySite({ siteId: site.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(callerB.documents.get({ id: issued!.document.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // Nothing was uploaded, so it cannot be approved yet.
    await expect(callerA.documents.review({ id: issued!.document.id, status: 'approved' })).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('answers errors with their code and message only, never a stack or a server path, even without credentials', async () => {
    const answers = [
      await t.app.inject({ url: '/trpc/me' }),
      await t.app.inject({ url: '/trpc/me', headers: { authorization: 'Bearer not-a-token' } }),
      await t.app.inject({ url: '/trpc/no.such.procedure' }),
      await t.app.inject({ url: `/trpc/sites.get?input=${encodeURIComponent('{"id":"nope"}')}`, headers: { 'x-api-key': a.keys.viewer } }),
    ];
    expect(answers.map((r) => r.statusCode)).toEqual([401, 401, 404, 400]);
    for (const res of answers) {
      const { error } = res.json<{ error: { message: string; code: number; data: Record<string, unknown> } }>();
      expect(Object.keys(error).sort()).toEqual(['code', 'data', 'message']);
      expect(Object.keys(error.data).sort()).toEqual(['code', 'details', 'helioCode', 'httpStatus', 'path']);
      expect(res.body).not.toContain(process.cwd());
      expect(res.body).not.toMatch(/\bat .*:\d+:\d+/);
    }
    expect(answers[0]!.json().error).toMatchObject({
      message: expect.stringMatching(/^missing credentials/),
      data: { helioCode: 'UNAUTHORIZED' },
    });
    expect(answers[3]!.json().error.data).toMatchObject({ helioCode: 'VALIDATION_ERROR', details: [{ path: 'id' }] });
  });

  it('answers an unexpected failure with "internal error" on tRPC and REST, and logs the cause with its stack', async () => {
    const stream = new PassThrough();
    let log = '';
    stream.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')));
    const app = await buildApp(t.services, { logger: true, logStream: stream });
    try {
      // A failure no service anticipates: the database refuses the query.
      await t.db.query('ALTER TABLE sites RENAME TO sites_moved_away');
      const headers = { authorization: `Bearer ${a.keys.admin}` };
      const viaTrpc = await app.inject({ url: '/trpc/sites.list', headers });
      expect(viaTrpc.statusCode).toBe(500);
      expect(viaTrpc.json()).toEqual({
        error: {
          message: 'internal error',
          code: -32603,
          data: { code: 'INTERNAL_SERVER_ERROR', httpStatus: 500, path: 'sites.list', helioCode: 'INTERNAL_ERROR', details: [] },
        },
      });
      const viaRest = await app.inject({ url: '/api/sites', headers });
      expect(viaRest.statusCode).toBe(500);
      expect(viaRest.json()).toEqual({
        statusCode: 500,
        error: 'Internal Server Error',
        message: 'internal error',
        code: 'INTERNAL_ERROR',
        details: [],
      });
    } finally {
      await app.close();
    }
    // The operator still learns what happened, and where.
    const failures = log
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { level: number; err?: { message: string; stack: string } })
      .filter((line) => line.level >= 50);
    expect(failures).toHaveLength(2);
    for (const failure of failures) {
      expect(failure.err?.message).toMatch(/relation "sites" does not exist/);
      expect(failure.err?.stack).toMatch(/\bat .*:\d+:\d+/);
    }
  });
});
