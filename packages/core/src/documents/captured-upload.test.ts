// Uploading a document captured offline under the id the device gave it:
// the row the device shows becomes the server's, and asking again is safe.
import { randomBytes, randomUUID, createHash } from 'node:crypto';
import { describeEachEngine } from '@helio/db/testing';
import { TRPCError } from '@trpc/server';
import { expect, it } from 'vitest';
import { DomainError } from '../errors.js';
import type { Clock } from '../ids.js';
import { createSite } from '../sites/service.js';
import { contextFor, lastChangeSeq, seedOrganisation } from '../testing.js';
import { createCaller } from '../trpc/router.js';
import { createMemoryBlobStore } from './blob-store.js';
import { capturedDocument, requestCapturedUpload, type DocumentStorage } from './service.js';
import { receiveUpload } from './transfer.js';
import { createDocumentTokenSigner, UPLOAD_TOKEN_TTL_MS } from './upload-token.js';

const bytes = new Uint8Array([37, 80, 68, 70, 45, 49]); // "%PDF-1"

async function* body(data: Uint8Array): AsyncGenerator<Uint8Array> {
  yield data;
}

async function domainCodeOf(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  return (err as DomainError).code;
}

describeEachEngine('captured document upload', (getDb) => {
  async function setUp() {
    let now = Date.UTC(2025, 0, 15, 9, 0, 0);
    const clock: Clock = { now: () => new Date(now) };
    const db = getDb();
    const org = await seedOrganisation(db, 'Field', clock);
    const site = await createSite(org.as.admin, { siteName: 'Barn roof' });
    const storage: DocumentStorage & { blobs: ReturnType<typeof createMemoryBlobStore> } = {
      blobs: createMemoryBlobStore(),
      signer: createDocumentTokenSigner(randomBytes(32)),
      maxUploadBytes: 1000,
    };
    const captured = {
      id: randomUUID(),
      siteId: site.id,
      filename: 'inverter.pdf',
      mimeType: 'application/pdf',
      fileSize: bytes.byteLength,
    };
    const upload = (documentId: string, token: string) =>
      receiveUpload(contextFor(db, undefined, clock), storage, {
        documentId,
        token,
        contentType: 'application/pdf',
        contentLength: bytes.byteLength,
        body: body(bytes),
        contentUrl: (id, t) => `http://localhost/documents/${id}?token=${t}`,
      });
    return { db, org, site, storage, captured, clock, advance: (ms: number) => void (now += ms), upload };
  }

  async function documentRows(db: ReturnType<typeof getDb>) {
    const { rows } = await db.query<Record<string, unknown>>(
      'SELECT id, organisation_id, site_id, file_type, filename, mime_type, size_bytes, status, uploaded_by, sha256 FROM documents ORDER BY id',
    );
    return rows;
  }

  it('creates a pending document under the given id and a token that completes its upload', async () => {
    const { db, org, site, storage, captured, clock, upload } = await setUp();
    const technicianId = (org.as.technician.principal as { userId: string }).userId;
    const issued = await requestCapturedUpload(org.as.technician, storage, captured);

    expect(issued.document).toMatchObject({
      id: captured.id,
      organisationId: org.id,
      siteId: site.id,
      type: 'documents',
      status: 'pending',
      sizeBytes: 6,
    });
    expect(issued.expiresAt).toBe(new Date(clock.now().getTime() + UPLOAD_TOKEN_TTL_MS).toISOString());
    expect(await documentRows(db)).toEqual([
      {
        id: captured.id,
        organisation_id: org.id,
        site_id: site.id,
        file_type: 'documents',
        filename: 'inverter.pdf',
        mime_type: 'application/pdf',
        size_bytes: 6,
        status: 'pending',
        uploaded_by: technicianId,
        sha256: null,
      },
    ]);
    expect(storage.signer.verify(issued.token!)).toEqual({
      purpose: 'upload',
      documentId: captured.id,
      organisationId: org.id,
      sizeBytes: 6,
      mimeType: 'application/pdf',
      expiresAt: clock.now().getTime() + UPLOAD_TOKEN_TTL_MS,
    });

    const uploaded = await upload(captured.id, issued.token!);
    expect(uploaded).toMatchObject({ id: captured.id, status: 'uploaded', sha256: createHash('sha256').update(bytes).digest('hex') });
    expect(await documentRows(db)).toEqual([expect.objectContaining({ id: captured.id, status: 'uploaded' })]);
    expect(storage.blobs.keys()).toEqual([expect.stringMatching(new RegExp(`^${org.id}/${captured.id}/`))]);
  });

  it('issues a fresh token for the same document while it is pending, and none once its bytes arrived', async () => {
    const { db, org, storage, captured, advance, upload } = await setUp();
    const first = await requestCapturedUpload(org.as.technician, storage, captured);
    const seqAfterFirst = await lastChangeSeq(db, org.id);
    advance(30_000);
    const again = await requestCapturedUpload(org.as.technician, storage, { ...captured, mimeType: 'Application/PDF' });

    expect(again.token).not.toBeNull();
    expect(again.token).not.toBe(first.token);
    expect(storage.signer.verify(again.token!)).toMatchObject({ documentId: captured.id });
    expect(again.document).toEqual(first.document);
    expect((await documentRows(db)).map((r) => r['id'])).toEqual([captured.id]);
    expect(await lastChangeSeq(db, org.id)).toBe(seqAfterFirst);

    await upload(captured.id, again.token!);
    const after = await requestCapturedUpload(org.as.technician, storage, captured);
    expect(after).toMatchObject({ token: null, expiresAt: null, document: { id: captured.id, status: 'uploaded' } });
    expect(await documentRows(db)).toEqual([expect.objectContaining({ id: captured.id, status: 'uploaded' })]);
  });

  it('gives a device what it sends for a captured document, and says whether the server still awaits its bytes', async () => {
    const { org, storage, captured, upload } = await setUp();
    const device = org.as.technician;
    expect(await capturedDocument(device, captured.id)).toBeUndefined();
    const issued = await requestCapturedUpload(org.as.technician, storage, { ...captured, documentType: 'warranty_information' });
    expect(await capturedDocument(device, captured.id)).toEqual({
      upload: { ...captured, documentType: 'warranty_information' },
      awaitingBytes: true,
    });
    // Another organisation's member gets nothing to send, nor does a viewer.
    const other = await seedOrganisation(getDb(), 'Other');
    await expect(capturedDocument(other.as.owner, captured.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(capturedDocument(org.as.viewer, captured.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await upload(captured.id, issued.token!);
    expect(await capturedDocument(device, captured.id)).toMatchObject({ awaitingBytes: false });
  });

  it('refuses the same id with other metadata and changes nothing', async () => {
    const { db, org, storage, captured } = await setUp();
    await requestCapturedUpload(org.as.technician, storage, captured);
    const before = await documentRows(db);
    const seq = await lastChangeSeq(db, org.id);

    expect(await domainCodeOf(requestCapturedUpload(org.as.technician, storage, { ...captured, fileSize: 7 }))).toBe('CONFLICT');
    expect(await domainCodeOf(requestCapturedUpload(org.as.technician, storage, { ...captured, filename: 'other.pdf' }))).toBe('CONFLICT');
    const otherSite = await createSite(org.as.admin, { siteName: 'Other roof' });
    expect(await domainCodeOf(requestCapturedUpload(org.as.technician, storage, { ...captured, siteId: otherSite.id }))).toBe('CONFLICT');
    expect(await documentRows(db)).toEqual(before);
    expect(await lastChangeSeq(db, org.id)).toBe(seq + 1); // only the other site
  });

  it("returns not found for another organisation's site and forbidden for a viewer, writing nothing", async () => {
    const { db, org, storage, captured, clock } = await setUp();
    const other = await seedOrganisation(db, 'Elsewhere', clock);
    const theirs = await createSite(other.as.admin, { siteName: 'Not yours' });
    const seqs = [await lastChangeSeq(db, org.id), await lastChangeSeq(db, other.id)];

    expect(await domainCodeOf(requestCapturedUpload(org.as.technician, storage, { ...captured, siteId: theirs.id }))).toBe('NOT_FOUND');
    expect(await domainCodeOf(requestCapturedUpload(org.as.viewer, storage, captured))).toBe('FORBIDDEN');
    expect(await documentRows(db)).toEqual([]);
    expect([await lastChangeSeq(db, org.id), await lastChangeSeq(db, other.id)]).toEqual(seqs);
  });

  it('rejects invalid input with a validation error before writing anything', async () => {
    const { db, org, storage, captured } = await setUp();
    const { id: _id, ...withoutId } = captured;
    const invalid: unknown[] = [
      withoutId,
      { ...captured, id: 'not-a-uuid' },
      { ...captured, fileSize: storage.maxUploadBytes + 1 },
      { ...captured, fileSize: 0 },
      { ...captured, fileType: 'coverImage' },
      { ...captured, fileType: 'om-documents' },
      { ...captured, mimeType: 'text/html' },
      { ...captured, filename: '../etc/passwd' },
      { ...captured, extra: true },
    ];
    const seq = await lastChangeSeq(db, org.id);
    for (const input of invalid) {
      expect(await domainCodeOf(requestCapturedUpload(org.as.technician, storage, input)), JSON.stringify(input)).toBe('VALIDATION_ERROR');
    }
    expect(await documentRows(db)).toEqual([]);
    expect(await lastChangeSeq(db, org.id)).toBe(seq);
    // The default file type is the one accepted.
    const ok = await requestCapturedUpload(org.as.technician, storage, { ...captured, fileType: 'documents' });
    expect(ok.document.type).toBe('documents');
  });

  it('is not implemented over tRPC where no document storage is configured, and works where it is', async () => {
    const { db, org, storage, captured } = await setUp();
    const withoutStorage = createCaller({ authenticate: async () => org.as.technician });
    const err = await withoutStorage.documents.requestCapturedUpload(captured).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TRPCError);
    expect((err as TRPCError).code).toBe('NOT_IMPLEMENTED');
    expect(await documentRows(db)).toEqual([]);

    const withStorage = createCaller({ authenticate: async () => org.as.technician, documentStorage: storage });
    const issued = await withStorage.documents.requestCapturedUpload(captured);
    expect(issued.document).toMatchObject({ id: captured.id, status: 'pending' });
    expect(storage.signer.verify(issued.token!)).toMatchObject({ documentId: captured.id });
    const asViewer = createCaller({ authenticate: async () => org.as.viewer, documentStorage: storage });
    await expect(asViewer.documents.requestCapturedUpload({ ...captured, id: randomUUID() })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
