import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Clock } from '@helio/core';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachEngine } from '../../test-engines.js';
import { createTenant, createTestApp, type TestApp, type TestTenant } from '../../testing.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Bytes that are not all alike, so a truncated or shuffled copy never compares equal. */
function bytesOf(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out[i] = x >> 16;
  }
  return out;
}

/** A clock that stands still until moved. */
function steppingClock(): Clock & { advance(ms: number): void } {
  let now = Date.now();
  return { now: () => new Date(now), advance: (ms) => void (now += ms) };
}

interface UploadSlot {
  filename: string;
  success: boolean;
  uploadUrl: { path: string; token: string };
  documentId: string;
}

const MAX_UPLOAD = 64 * 1024;

describeEachEngine('Alentis documents', (engine) => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  let clock: ReturnType<typeof steppingClock>;

  beforeEach(async () => {
    clock = steppingClock();
    t = await createTestApp(engine, { clock, config: { maxUploadBytes: MAX_UPLOAD } });
    a = await createTenant(t.services);
    b = await createTenant(t.services);
  });
  afterEach(async () => {
    // A keep-alive connection whose last response finished just after the client read it is not
    // idle when close() looks, and would hold close() for the keep-alive timeout.
    t.app.server.closeAllConnections();
    await t.close();
  });

  async function createSite(tenant: TestTenant, siteName = 'Solar Farm Alpha'): Promise<string> {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/sites',
      headers: { 'x-api-key': tenant.keys.admin },
      payload: { siteName },
    });
    expect(res.statusCode).toBe(201);
    return res.json().id as string;
  }

  function requestUploads(key: string, payload: unknown) {
    return t.app.inject({ method: 'POST', url: '/api/docs/bulk-upload-url', headers: { 'x-api-key': key }, payload: payload as object });
  }

  async function slots(key: string, payload: unknown): Promise<UploadSlot[]> {
    const res = await requestUploads(key, payload);
    expect(res.statusCode, res.body).toBe(201);
    return res.json().results as UploadSlot[];
  }

  function pdf(filename: string, fileSize: number, documentType = 'ppa') {
    return { filename, mimeType: 'application/pdf', fileSize, documentType };
  }

  function put(slot: UploadSlot, body: Buffer, contentType = 'application/pdf', token = slot.uploadUrl.token) {
    return t.app.inject({
      method: 'PUT',
      url: `${slot.uploadUrl.path}?token=${encodeURIComponent(token)}`,
      headers: { 'content-type': contentType },
      payload: body,
    });
  }

  async function documentRow(id: string) {
    const { rows } = await t.db.query<{ status: string; sha256: string | null; change_seq: number }>(
      'SELECT status, sha256, change_seq FROM documents WHERE id = $1',
      [id],
    );
    return rows[0];
  }

  async function writesSoFar() {
    const docs = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM documents');
    const seqs = await t.db.query<{ s: number }>('SELECT coalesce(sum(last_seq), 0)::int AS s FROM organisation_change_counters');
    return { documents: docs.rows[0]!.n, changeSeqs: seqs.rows[0]!.s };
  }

  function storedBlobs(): string[] {
    const root = join(t.dataDir, 'blobs');
    try {
      return (readdirSync(root, { recursive: true, withFileTypes: true }) as { isFile(): boolean; name: string }[])
        .filter((e) => e.isFile())
        .map((e) => e.name);
    } catch {
      return [];
    }
  }

  async function listen(): Promise<string> {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    return `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  }

  it('uploads real bytes over HTTP with only the token and downloads them back byte-equal', async () => {
    const base = await listen();
    const siteId = await createSite(a);
    const report = bytesOf(40_000, 7);
    const register = Buffer.from('serial,make\nA1,Acme\n');
    const created = await fetch(`${base}/api/docs/bulk-upload-url`, {
      method: 'POST',
      headers: { 'x-api-key': a.keys.technician, 'content-type': 'application/json' },
      body: JSON.stringify({
        siteId,
        fileType: 'documents',
        files: [
          pdf('ppa_agreement.pdf', report.length),
          { filename: 'register.csv', mimeType: 'text/csv', fileSize: register.length, documentType: 'equipment_register' },
        ],
      }),
    });
    expect(created.status).toBe(201);
    const [first, second] = ((await created.json()) as { results: UploadSlot[] }).results as [UploadSlot, UploadSlot];

    // PUT, as `curl --upload-file` sends it; POST with a raw body works too. No x-api-key on either.
    const putRes = await fetch(`${base}${first.uploadUrl.path}?token=${first.uploadUrl.token}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/pdf' },
      body: report,
    });
    expect(putRes.status).toBe(200);
    expect(await putRes.json()).toMatchObject({
      id: first.documentId,
      status: 'uploaded',
      sha256: sha256(report),
      sizeBytes: report.length,
    });
    const postRes = await fetch(`${base}${second.uploadUrl.path}?token=${second.uploadUrl.token}`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: register,
    });
    expect(postRes.status).toBe(200);

    const listed = await fetch(`${base}/api/sites/${siteId}/documents`, { headers: { 'x-api-key': a.keys.viewer } });
    expect(((await listed.json()) as { filename: string; status: string }[]).map((d) => [d.filename, d.status])).toEqual([
      ['ppa_agreement.pdf', 'uploaded'],
      ['register.csv', 'uploaded'],
    ]);

    const link = await fetch(`${base}/api/docs/${first.documentId}/download-url`, {
      method: 'POST',
      headers: { 'x-api-key': a.keys.viewer },
    });
    expect(link.status).toBe(200);
    const { url, path, token } = (await link.json()) as { url: string; path: string; token: string };
    expect(url).toBe(`${base}${path}?token=${token}`);
    const download = await fetch(url);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/pdf');
    expect(download.headers.get('content-disposition')).toContain('attachment; filename="ppa_agreement.pdf"');
    expect(Buffer.from(await download.arrayBuffer()).equals(report)).toBe(true);
  });

  it("answers the bulk request in the spec's shape and stores each file as a pending document", async () => {
    const siteId = await createSite(a);
    const res = await requestUploads(a.keys.technician, {
      siteId,
      fileType: 'documents',
      files: [pdf('ppa_agreement.pdf', 1048 * 10), pdf('mcs_certificate.pdf', 5120, 'mcs_certificate')],
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.summary).toEqual({ total: 2, successful: 2, failed: 0 });
    expect(body.results).toHaveLength(2);
    for (const [i, r] of (body.results as UploadSlot[]).entries()) {
      expect(Object.keys(r).sort()).toEqual(['documentId', 'filename', 'success', 'uploadUrl']);
      expect(r).toMatchObject({ filename: ['ppa_agreement.pdf', 'mcs_certificate.pdf'][i], success: true });
      expect(r.uploadUrl.path).toBe(`/api/docs/${r.documentId}/upload`);
    }
    const doc = await t.app.inject({ url: `/api/docs/${body.results[1].documentId}`, headers: { 'x-api-key': a.keys.viewer } });
    expect(doc.json()).toEqual({
      id: body.results[1].documentId,
      siteId,
      organisationId: a.organisationId,
      type: 'documents',
      documentType: 'mcs_certificate',
      filename: 'mcs_certificate.pdf',
      status: 'pending',
      mimeType: 'application/pdf',
      sizeBytes: 5120,
      sha256: null,
      omRecordId: null,
      uploadedBy: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const seqs = await Promise.all((body.results as UploadSlot[]).map((r) => documentRow(r.documentId)));
    expect(seqs[1]!.change_seq).toBe(seqs[0]!.change_seq + 1);
  });

  it('accepts om-documents that name their O&M record', async () => {
    const siteId = await createSite(a);
    const [slot] = await slots(a.keys.technician, {
      siteId,
      fileType: 'om-documents',
      omRecordId: 'OM-2024-117',
      files: [pdf('ticket.pdf', 10, 'om_ticket')],
    });
    const doc = await t.app.inject({ url: `/api/docs/${slot!.documentId}`, headers: { 'x-api-key': a.keys.viewer } });
    expect(doc.json()).toMatchObject({ type: 'om-documents', omRecordId: 'OM-2024-117', documentType: 'om_ticket' });
  });

  const invalidRequests: [string, (siteId: string) => unknown, string][] = [
    [
      '21 files',
      (siteId) => ({ siteId, fileType: 'documents', files: Array.from({ length: 21 }, (_, i) => pdf(`f${i}.pdf`, 10)) }),
      'files',
    ],
    ['no files', (siteId) => ({ siteId, fileType: 'documents', files: [] }), 'files'],
    [
      'a disallowed MIME type',
      (siteId) => ({
        siteId,
        fileType: 'documents',
        files: [pdf('ok.pdf', 10), { filename: 'x.html', mimeType: 'text/html', fileSize: 10 }],
      }),
      'files[1].mimeType',
    ],
    [
      'an oversize file',
      (siteId) => ({ siteId, fileType: 'documents', files: [pdf('ok.pdf', 10), pdf('big.pdf', MAX_UPLOAD + 1)] }),
      'files[1].fileSize',
    ],
    [
      'a file without fileSize',
      (siteId) => ({
        siteId,
        fileType: 'documents',
        files: [{ filename: 'report.pdf', mimeType: 'application/pdf', documentType: 'ppa' }],
      }),
      'files[0].fileSize',
    ],
    ['a zero fileSize', (siteId) => ({ siteId, fileType: 'documents', files: [pdf('empty.pdf', 0)] }), 'files[0].fileSize'],
    [
      'an unknown documentType',
      (siteId) => ({ siteId, fileType: 'documents', files: [pdf('x.pdf', 10, 'report')] }),
      'files[0].documentType',
    ],
    ['an unknown fileType', (siteId) => ({ siteId, fileType: 'report', files: [pdf('x.pdf', 10)] }), 'fileType'],
    ['om-documents without omRecordId', (siteId) => ({ siteId, fileType: 'om-documents', files: [pdf('x.pdf', 10)] }), 'omRecordId'],
    [
      'a coverImage that is not an image',
      (siteId) => ({ siteId, fileType: 'coverImage', files: [pdf('cover.pdf', 10)] }),
      'files[0].mimeType',
    ],
    ['a filename with a path', (siteId) => ({ siteId, fileType: 'documents', files: [pdf('../../etc/passwd', 10)] }), 'files[0].filename'],
    ['an unknown field', (siteId) => ({ siteId, fileType: 'documents', files: [{ ...pdf('x.pdf', 10), path: '/tmp/x' }] }), 'files[0]'],
    ['a malformed siteId', () => ({ siteId: 'site-uuid-here', fileType: 'documents', files: [pdf('x.pdf', 10)] }), 'siteId'],
  ];

  it.each(invalidRequests)('rejects a request with %s with 400 and writes nothing', async (_name, body, path) => {
    const siteId = await createSite(a);
    const before = await writesSoFar();
    const res = await requestUploads(a.keys.owner, body(siteId));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect((res.json().details as { path: string }[]).map((d) => d.path)).toContain(path);
    expect(await writesSoFar()).toEqual(before);
  });

  it("returns not found for another organisation's site or document in every field, and changes nothing", async () => {
    const theirSite = await createSite(b);
    const [theirSlot] = await slots(b.keys.owner, { siteId: theirSite, fileType: 'documents', files: [pdf('secret.pdf', 5)] });
    await put(theirSlot!, bytesOf(5));
    const theirDoc = theirSlot!.documentId;
    const before = await writesSoFar();
    const key = { 'x-api-key': a.keys.owner };

    const attempts = [
      requestUploads(a.keys.owner, { siteId: theirSite, fileType: 'documents', files: [pdf('x.pdf', 10)] }),
      t.app.inject({ url: `/api/sites/${theirSite}/documents`, headers: key }),
      t.app.inject({ url: `/api/docs/${theirDoc}`, headers: key }),
      t.app.inject({ method: 'POST', url: `/api/docs/${theirDoc}/download-url`, headers: key }),
      t.app.inject({ method: 'PUT', url: `/api/docs/${theirDoc}/status`, headers: key, payload: { status: 'approved' } }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.statusCode, res.body).toBe(404);
      expect(res.json()).toMatchObject({ code: 'NOT_FOUND' });
      expect(res.body).not.toContain('secret.pdf');
    }
    expect(await writesSoFar()).toEqual(before);
    expect((await documentRow(theirDoc))!.status).toBe('uploaded');
  });

  it('refuses a viewer who asks for upload URLs or reviews, but lets them read and download', async () => {
    const siteId = await createSite(a);
    const before = await writesSoFar();
    const denied = await requestUploads(a.keys.viewer, { siteId, fileType: 'documents', files: [pdf('x.pdf', 10)] });
    expect(denied.statusCode).toBe(403);
    expect(denied.json()).toMatchObject({ code: 'FORBIDDEN' });
    expect(await writesSoFar()).toEqual(before);

    const [slot] = await slots(a.keys.technician, { siteId, fileType: 'documents', files: [pdf('x.pdf', 10)] });
    await put(slot!, bytesOf(10));
    const review = await t.app.inject({
      method: 'PUT',
      url: `/api/docs/${slot!.documentId}/status`,
      headers: { 'x-api-key': a.keys.viewer },
      payload: { status: 'approved' },
    });
    expect(review.statusCode).toBe(403);
    expect((await documentRow(slot!.documentId))!.status).toBe('uploaded');
    const link = await t.app.inject({
      method: 'POST',
      url: `/api/docs/${slot!.documentId}/download-url`,
      headers: { 'x-api-key': a.keys.viewer },
    });
    expect(link.statusCode).toBe(200);
  });

  it('asks for credentials on every route but the signed ones', async () => {
    const siteId = await createSite(a);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/docs/bulk-upload-url',
      payload: { siteId, fileType: 'documents', files: [pdf('x.pdf', 10)] },
    });
    expect(res.statusCode).toBe(401);
    expect((await t.app.inject({ url: `/api/sites/${siteId}/documents` })).statusCode).toBe(401);
  });

  it('moves a document through review one step at a time: uploaded, approved, completed', async () => {
    const siteId = await createSite(a);
    const [slot] = await slots(a.keys.technician, { siteId, fileType: 'documents', files: [pdf('x.pdf', 10)] });
    const review = (status: string, key = a.keys.technician) =>
      t.app.inject({ method: 'PUT', url: `/api/docs/${slot!.documentId}/status`, headers: { 'x-api-key': key }, payload: { status } });

    expect((await review('approved')).json()).toMatchObject({ code: 'CONFLICT' }); // still pending
    await put(slot!, bytesOf(10));
    const skipped = await review('completed'); // approval comes first
    expect(skipped.statusCode).toBe(409);
    expect(skipped.json()).toMatchObject({ code: 'CONFLICT', message: 'an uploaded document cannot become completed' });
    expect((await review('uploaded')).statusCode).toBe(400); // not a review status
    const approved = await review('approved');
    expect(approved.statusCode).toBe(200);
    expect(approved.json().status).toBe('approved');
    const completed = await review('completed', a.keys.admin);
    expect(completed.json().status).toBe('completed');
    expect((await review('approved')).statusCode).toBe(409); // completed is final
    const link = await t.app.inject({
      method: 'POST',
      url: `/api/docs/${slot!.documentId}/download-url`,
      headers: { 'x-api-key': a.keys.viewer },
    });
    expect(link.statusCode).toBe(200);
  });

  it('rejects an upload token after 60 seconds and accepts it just before', async () => {
    const siteId = await createSite(a);
    const [early, late] = await slots(a.keys.technician, { siteId, fileType: 'documents', files: [pdf('a.pdf', 10), pdf('b.pdf', 10)] });
    clock.advance(59_000);
    expect((await put(early!, bytesOf(10))).statusCode).toBe(200);
    clock.advance(1_000);
    const res = await put(late!, bytesOf(10));
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'UPLOAD_TOKEN_EXPIRED' });
    expect((await documentRow(late!.documentId))!.status).toBe('pending');
  });

  it('rejects a reused upload token and keeps the first upload', async () => {
    const siteId = await createSite(a);
    const [slot] = await slots(a.keys.technician, { siteId, fileType: 'documents', files: [pdf('a.pdf', 10)] });
    const original = bytesOf(10, 1);
    expect((await put(slot!, original)).statusCode).toBe(200);
    const again = await put(slot!, bytesOf(10, 2));
    expect(again.statusCode).toBe(403);
    expect(again.json()).toMatchObject({ code: 'UPLOAD_TOKEN_INVALID' });
    expect((await documentRow(slot!.documentId))!.sha256).toBe(sha256(original));
    expect(storedBlobs()).toHaveLength(1);
  });

  it('rejects a tampered token, a token for another document and a missing token', async () => {
    const siteId = await createSite(a);
    const [one, two] = await slots(a.keys.technician, { siteId, fileType: 'documents', files: [pdf('a.pdf', 10), pdf('b.pdf', 20)] });
    const [version, payload, signature] = one!.uploadUrl.token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = `${version}.${Buffer.from(JSON.stringify({ ...claims, sizeBytes: 20 })).toString('base64url')}.${signature}`;
    const flipped = `${version}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;

    for (const token of [forged, flipped, one!.uploadUrl.token.slice(0, -4), 'garbage']) {
      const res = await put(one!, bytesOf(10), 'application/pdf', token);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ code: 'UPLOAD_TOKEN_INVALID' });
    }
    const crossed = await put(two!, bytesOf(20), 'application/pdf', one!.uploadUrl.token);
    expect(crossed.statusCode).toBe(403);
    expect(crossed.json().message).toContain('another document');
    const missing = await t.app.inject({
      method: 'PUT',
      url: one!.uploadUrl.path,
      headers: { 'content-type': 'application/pdf' },
      payload: bytesOf(10),
    });
    expect(missing.statusCode).toBe(403);
    expect([(await documentRow(one!.documentId))!.status, (await documentRow(two!.documentId))!.status]).toEqual(['pending', 'pending']);

    // Another organisation's document: the token names its own document and organisation only.
    const theirSite = await createSite(b);
    const [theirs] = await slots(b.keys.owner, { siteId: theirSite, fileType: 'documents', files: [pdf('c.pdf', 10)] });
    const cross = await put(theirs!, bytesOf(10), 'application/pdf', one!.uploadUrl.token);
    expect(cross.statusCode).toBe(403);
    expect((await documentRow(theirs!.documentId))!.status).toBe('pending');
    expect(storedBlobs()).toEqual([]);
  });

  it('fails the document and keeps no bytes when the size or type differs from the declared one', async () => {
    const siteId = await createSite(a);
    const [short, typed] = await slots(a.keys.technician, { siteId, fileType: 'documents', files: [pdf('a.pdf', 100), pdf('b.pdf', 10)] });
    const shortRes = await put(short!, bytesOf(50));
    expect(shortRes.statusCode).toBe(400);
    expect(shortRes.json()).toMatchObject({ code: 'UPLOAD_MISMATCH', details: [{ path: 'content-length' }] });
    const typeRes = await put(typed!, bytesOf(10), 'image/png');
    expect(typeRes.statusCode).toBe(400);
    expect(typeRes.json()).toMatchObject({ code: 'UPLOAD_MISMATCH', details: [{ path: 'content-type' }] });
    expect((await documentRow(short!.documentId))!.status).toBe('failed');
    expect((await documentRow(typed!.documentId))!.status).toBe('failed');
    // The token is spent: a correct retry needs a new upload URL.
    expect((await put(typed!, bytesOf(10))).json()).toMatchObject({ code: 'UPLOAD_TOKEN_INVALID' });
    expect(storedBlobs()).toEqual([]);
  });

  it('stops a chunked upload that sends more bytes than declared and deletes what it wrote', async () => {
    const base = await listen();
    const siteId = await createSite(a);
    const [slot] = await slots(a.keys.technician, { siteId, fileType: 'documents', files: [pdf('a.pdf', 1000)] });
    const chunks = [bytesOf(600, 1), bytesOf(600, 2)];
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    const res = await fetch(`${base}${slot!.uploadUrl.path}?token=${slot!.uploadUrl.token}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/pdf' },
      body,
      duplex: 'half',
    } as RequestInit).catch(() => undefined); // the server may answer before the client has finished sending
    if (res) {
      expect(res.status).toBe(400);
      expect(((await res.json()) as { code: string }).code).toBe('UPLOAD_MISMATCH');
    }
    await expect.poll(async () => (await documentRow(slot!.documentId))!.status).toBe('failed');
    expect(storedBlobs()).toEqual([]);
  });

  it('sets the site cover image to a URL the server serves when a coverImage is uploaded', async () => {
    const base = await listen();
    const siteId = await createSite(a);
    const seqBefore = (await t.db.query<{ change_seq: number }>('SELECT change_seq FROM sites WHERE id = $1', [siteId])).rows[0]!
      .change_seq;
    const png = bytesOf(2048, 3);
    const [slot] = await slots(a.keys.technician, {
      siteId,
      fileType: 'coverImage',
      files: [{ filename: 'cover.png', mimeType: 'image/png', fileSize: png.length }],
    });
    const up = await fetch(`${base}${slot!.uploadUrl.path}?token=${slot!.uploadUrl.token}`, {
      method: 'PUT',
      headers: { 'content-type': 'image/png' },
      body: png,
    });
    expect(up.status).toBe(200);

    const site = (await (await fetch(`${base}/api/sites?siteId=${siteId}`, { headers: { 'x-api-key': a.keys.viewer } })).json()) as {
      coverImageUrl: string;
    }[];
    const coverUrl = site[0]!.coverImageUrl;
    expect(coverUrl.startsWith(`${base}/api/docs/${slot!.documentId}/content?token=`)).toBe(true);
    const seqAfter = (await t.db.query<{ change_seq: number }>('SELECT change_seq FROM sites WHERE id = $1', [siteId])).rows[0]!.change_seq;
    expect(seqAfter).toBeGreaterThan(seqBefore);

    clock.advance(24 * 3600_000); // the cover URL does not expire like a download URL
    const image = await fetch(coverUrl);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect(image.headers.get('content-disposition')).toMatch(/^inline;/);
    expect(Buffer.from(await image.arrayBuffer()).equals(png)).toBe(true);
  });

  it('rejects a download token after 5 minutes, upload tokens on the download route and download tokens on the upload route', async () => {
    const siteId = await createSite(a);
    const [slot] = await slots(a.keys.technician, { siteId, fileType: 'documents', files: [pdf('a.pdf', 10)] });
    const pending = await t.app.inject({
      method: 'POST',
      url: `/api/docs/${slot!.documentId}/download-url`,
      headers: { 'x-api-key': a.keys.viewer },
    });
    expect(pending.statusCode).toBe(409);
    await put(slot!, bytesOf(10));
    const asDownload = await t.app.inject({ url: `/api/docs/${slot!.documentId}/content?token=${slot!.uploadUrl.token}` });
    expect(asDownload.statusCode).toBe(403);
    expect(asDownload.json()).toMatchObject({ code: 'UPLOAD_TOKEN_INVALID', message: 'this is not a download or cover token' });

    const { path, token } = (
      await t.app.inject({ method: 'POST', url: `/api/docs/${slot!.documentId}/download-url`, headers: { 'x-api-key': a.keys.viewer } })
    ).json();
    const asUpload = await put(slot!, bytesOf(10), 'application/pdf', token as string);
    expect(asUpload.statusCode).toBe(403);
    expect(asUpload.json()).toMatchObject({ code: 'UPLOAD_TOKEN_INVALID', message: 'this is not an upload token' });
    clock.advance(4 * 60_000);
    const fresh = await t.app.inject({ url: `${path}?token=${token}` });
    expect(fresh.statusCode).toBe(200);
    expect(fresh.rawPayload.equals(bytesOf(10))).toBe(true);
    clock.advance(60_000);
    const stale = await t.app.inject({ url: `${path}?token=${token}` });
    expect(stale.statusCode).toBe(403);
    expect(stale.json()).toMatchObject({ code: 'UPLOAD_TOKEN_EXPIRED' });
  });

  it('describes every document route in the OpenAPI document', async () => {
    const paths = (await t.app.inject({ url: '/openapi.json' })).json().paths;
    expect(Object.keys(paths['/api/docs/bulk-upload-url'])).toEqual(['post']);
    for (const path of [
      '/api/docs/{id}/upload',
      '/api/sites/{siteId}/documents',
      '/api/docs/{id}',
      '/api/docs/{id}/download-url',
      '/api/docs/{id}/content',
      '/api/docs/{id}/status',
    ]) {
      expect(paths[path], path).toBeDefined();
    }
    expect(paths['/api/docs/{id}/upload'].put.security).toEqual([]);
  });
});
