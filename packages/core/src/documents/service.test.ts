import { createHash } from 'node:crypto';
import { describeEachEngine } from '@helio/db/testing';
import { expect, it } from 'vitest';
import { systemPrincipal, type Principal } from '../auth/principal.js';
import type { ServiceContext } from '../context.js';
import { isDomainError } from '../errors.js';
import { createUuidV7Generator, systemClock } from '../ids.js';
import * as organisations from '../organisations/service.js';
import * as sites from '../sites/service.js';
import * as users from '../users/service.js';
import { createMemoryBlobStore } from './blob-store.js';
import { documentMimeTypeFor } from './schema.js';
import {
  deleteDocument,
  getDocument,
  listSiteDocuments,
  requestUploads,
  restoreDocument,
  updateDocument,
  type DocumentStorage,
} from './service.js';
import { receiveUpload, type UploadRequest } from './transfer.js';
import { createDocumentTokenSigner } from './upload-token.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function* chunks(...parts: (Uint8Array | Error)[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (part instanceof Error) throw part;
    yield part;
  }
}

describeEachEngine('documents service', (getDb) => {
  async function setUp() {
    const base = { db: getDb(), clock: systemClock, ids: createUuidV7Generator() };
    const system: ServiceContext = { ...base, principal: systemPrincipal };
    const org = await organisations.createOrganisation(system, { name: 'Org' });
    const user = await users.createUser(system, { email: `tech-${org.id}@example.com`, name: 'Tech' });
    await users.addMember(system, { organisationId: org.id, userId: user.id, role: 'technician' });
    const principal: Principal = { kind: 'user', userId: user.id, memberships: new Map([[org.id, 'technician']]) };
    const ctx: ServiceContext = { ...base, principal };
    const site = await sites.createSite(ctx, { siteName: 'Site' });
    const blobs = createMemoryBlobStore();
    const storage: DocumentStorage = { blobs, signer: createDocumentTokenSigner('x'.repeat(32)), maxUploadBytes: 1_000_000 };
    return { base, ctx, user, site, blobs, storage };
  }

  async function pendingPdf(setup: Awaited<ReturnType<typeof setUp>>, fileSize: number) {
    const [slot] = await requestUploads(setup.ctx, setup.storage, {
      siteId: setup.site.id,
      fileType: 'documents',
      files: [{ filename: 'a.pdf', mimeType: 'application/pdf', fileSize }],
    });
    return slot!;
  }

  function uploadOf(documentId: string, token: string, body: AsyncIterable<Uint8Array>, contentLength?: number): UploadRequest {
    return {
      documentId,
      token,
      contentType: 'application/pdf',
      contentLength,
      body,
      contentUrl: (id, t) => `http://localhost/${id}?token=${t}`,
    };
  }

  async function statusOf(id: string): Promise<string> {
    const { rows } = await getDb().query<{ status: string }>('SELECT status FROM documents WHERE id = $1', [id]);
    return rows[0]!.status;
  }

  it('records the requesting user as uploader and gives each document its own change sequence', async () => {
    const { ctx, user, site, storage } = await setUp();
    const issued = await requestUploads(ctx, storage, {
      siteId: site.id,
      fileType: 'documents',
      files: [1, 2, 3].map((i) => ({ filename: `f${i}.pdf`, mimeType: 'Application/PDF', fileSize: i })),
    });
    expect(issued.map((i) => i.document.uploadedBy)).toEqual([user.id, user.id, user.id]);
    expect(issued.map((i) => i.document.mimeType)).toEqual(['application/pdf', 'application/pdf', 'application/pdf']);
    const { rows } = await getDb().query<{ change_seq: number }>('SELECT change_seq FROM documents ORDER BY change_seq');
    const seqs = rows.map((r) => r.change_seq);
    expect(new Set(seqs).size).toBe(3);
    expect(seqs[2]! - seqs[0]!).toBe(2);
  });

  it('keeps exactly one upload when the same token is used twice at once', async () => {
    const setup = await setUp();
    const { base, storage, blobs } = setup;
    const slot = await pendingPdf(setup, 4);
    const first = new Uint8Array([1, 2, 3, 4]);
    const second = new Uint8Array([9, 9, 9, 9]);
    const results = await Promise.allSettled([
      receiveUpload(base, storage, uploadOf(slot.document.id, slot.token, chunks(first.subarray(0, 2), first.subarray(2)), 4)),
      receiveUpload(base, storage, uploadOf(slot.document.id, slot.token, chunks(second.subarray(0, 2), second.subarray(2)), 4)),
    ]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(isDomainError(refused[0]!.reason) && refused[0]!.reason.code).toBe('UPLOAD_TOKEN_INVALID');

    expect(blobs.keys()).toHaveLength(1);
    const stored = await blobs.get(blobs.keys()[0]!);
    const bytes: number[] = [];
    for await (const c of stored!.body) bytes.push(...c);
    const winner = (ok[0] as PromiseFulfilledResult<{ sha256: string | null }>).value;
    expect(winner.sha256).toBe(sha256(new Uint8Array(bytes)));
    expect(await statusOf(slot.document.id)).toBe('uploaded');
  });

  it('fails the document and keeps no bytes when a chunked body ends short of the declared size', async () => {
    const setup = await setUp();
    const { base, storage, blobs } = setup;
    const slot = await pendingPdf(setup, 10);
    const err = await receiveUpload(base, storage, uploadOf(slot.document.id, slot.token, chunks(new Uint8Array(6)))).catch(
      (e: unknown) => e,
    );
    expect(isDomainError(err) && err.code).toBe('UPLOAD_MISMATCH');
    expect(await statusOf(slot.document.id)).toBe('failed');
    expect(blobs.keys()).toEqual([]);
  });

  it('treats a body that breaks off mid-stream as a failed upload', async () => {
    const setup = await setUp();
    const { base, storage, blobs } = setup;
    const slot = await pendingPdf(setup, 10);
    const body = chunks(new Uint8Array(5), Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    const err = await receiveUpload(base, storage, uploadOf(slot.document.id, slot.token, body, 10)).catch((e: unknown) => e);
    expect(isDomainError(err) && err.code).toBe('UPLOAD_MISMATCH');
    expect(await statusOf(slot.document.id)).toBe('failed');
    expect(blobs.keys()).toEqual([]);
  });

  it('renames a document, and refuses a name with a path in it', async () => {
    const setup = await setUp();
    const slot = await pendingPdf(setup, 4);
    const renamed = await updateDocument(setup.ctx, slot.document.id, { filename: 'inverter-2.pdf' });
    expect(renamed).toMatchObject({ filename: 'inverter-2.pdf', mimeType: 'application/pdf', sizeBytes: 4 });
    const err = await updateDocument(setup.ctx, slot.document.id, { filename: '../etc/passwd' }).catch((e: unknown) => e);
    expect(isDomainError(err) && err.code).toBe('VALIDATION_ERROR');
    expect((await getDocument(setup.ctx, slot.document.id)).filename).toBe('inverter-2.pdf');
  });

  it('lets a viewer read documents but neither rename nor delete them', async () => {
    const setup = await setUp();
    const slot = await pendingPdf(setup, 4);
    const organisationId = setup.site.organisationId;
    const viewer: ServiceContext = {
      ...setup.base,
      principal: { kind: 'user', userId: setup.user.id, memberships: new Map([[organisationId, 'viewer']]) },
    };
    expect(await listSiteDocuments(viewer, setup.site.id)).toHaveLength(1);
    // One at a time: a second call started beside the first would reject while nothing awaits it yet.
    for (const attempt of [
      () => updateDocument(viewer, slot.document.id, { filename: 'b.pdf' }),
      () => deleteDocument(viewer, slot.document.id),
    ]) {
      const err = await attempt().catch((e: unknown) => e);
      expect(isDomainError(err) && err.code).toBe('FORBIDDEN');
    }
  });

  it('deletes a document from its site and brings it back when restored', async () => {
    const setup = await setUp();
    const slot = await pendingPdf(setup, 4);
    await deleteDocument(setup.ctx, slot.document.id);
    expect(await listSiteDocuments(setup.ctx, setup.site.id)).toEqual([]);
    const err = await getDocument(setup.ctx, slot.document.id).catch((e: unknown) => e);
    expect(isDomainError(err) && err.code).toBe('NOT_FOUND');
    await restoreDocument(setup.ctx, slot.document.id);
    expect((await listSiteDocuments(setup.ctx, setup.site.id)).map((d) => d.id)).toEqual([slot.document.id]);
  });

  it('names the media type of an allowed file by its extension, and none for another', () => {
    expect(documentMimeTypeFor('Layout.DWG')).toBe('image/vnd.dwg');
    expect(documentMimeTypeFor('scan.heic')).toBe('image/heic');
    expect(documentMimeTypeFor('page.html')).toBeUndefined();
    expect(documentMimeTypeFor('README')).toBeUndefined();
  });
});
