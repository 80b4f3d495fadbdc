// Moving bytes in and out. These calls carry no principal: the signed token
// is the credential, and every lookup is scoped by the organisation it names.
import { createHash } from 'node:crypto';
import type { Transaction } from '@helio/db';
import { systemPrincipal } from '../auth/principal.js';
import { allocateChangeSeqs } from '../changes.js';
import type { ServiceContext } from '../context.js';
import { DomainError, notFound } from '../errors.js';
import * as sites from '../sites/service.js';
import { parseId } from '../validation.js';
import { DOCUMENT_COLUMNS, findDocumentRow, toDocument, type DocumentRow } from './document-row.js';
import { mediaTypeEssence, statusesWithContent, type Document } from './schema.js';
import type { DocumentStorage } from './service.js';
import { invalidToken, verifyDocumentToken } from './upload-token.js';

/** A service context without an acting principal: token-authorised calls. */
export type TransferContext = Omit<ServiceContext, 'principal'>;

export interface UploadRequest {
  documentId: string;
  token: string | undefined;
  /** The request's Content-Type header. */
  contentType: string | undefined;
  /** The request's Content-Length, or undefined for a chunked body (then only the byte count is checked). */
  contentLength: number | undefined;
  /** The request's Content-Encoding; the bytes are stored as sent, so only identity is accepted. */
  contentEncoding?: string | undefined;
  body: AsyncIterable<Uint8Array>;
  /** The absolute URL that serves a document's content for `token`; a cover image upload stores it on the site. */
  contentUrl(documentId: string, token: string): string;
}

export interface DocumentContent {
  document: Document;
  size: number;
  body: AsyncIterable<Uint8Array>;
  /** Cover images are shown in place; everything else downloads as an attachment. */
  disposition: 'inline' | 'attachment';
}

function mismatch(message: string, details: { path: string; message: string }[] = []): DomainError {
  return new DomainError('UPLOAD_MISMATCH', message, details);
}

/** Runs `fn` on the document row, locked, if it is still `pending`; undefined otherwise. */
async function whilePending<T>(
  ctx: TransferContext,
  row: DocumentRow,
  fn: (seq: number, tx: Transaction) => Promise<T>,
): Promise<T | undefined> {
  return ctx.db.transaction(async (tx) => {
    const current = await findDocumentRow(tx, row.id, true);
    if (current?.status !== 'pending') return undefined;
    return fn(await allocateChangeSeqs(tx, row.organisation_id), tx);
  });
}

async function markFailed(ctx: TransferContext, row: DocumentRow): Promise<void> {
  await whilePending(ctx, row, (seq, tx) =>
    tx.query(`UPDATE documents SET status = 'failed', updated_at = $2, change_seq = $3 WHERE id = $1`, [row.id, ctx.clock.now(), seq]),
  );
}

/**
 * Counts and hashes the body as it streams to storage, and stops it as soon
 * as it grows past the declared size so an oversize body is never stored.
 */
function meter(body: AsyncIterable<Uint8Array>, declared: number) {
  const hash = createHash('sha256');
  const state = { bytes: 0, sha256: () => hash.digest('hex') };
  async function* chunks(): AsyncGenerator<Uint8Array> {
    const iterator = body[Symbol.asyncIterator]();
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await iterator.next();
      } catch {
        throw mismatch(`the upload was interrupted after ${state.bytes} of ${declared} bytes`);
      }
      if (next.done) return;
      state.bytes += next.value.byteLength;
      if (state.bytes > declared) {
        await iterator.return?.();
        throw mismatch(`the upload is larger than the declared ${declared} bytes`, [
          { path: 'body', message: `more than ${declared} bytes` },
        ]);
      }
      hash.update(next.value);
      yield next.value;
    }
  }
  return { chunks: chunks(), state };
}

/**
 * Receives a document's bytes with its upload token. The token must be
 * authentic, unexpired, issued for this document, and unused (the document
 * still `pending`); the request's type, length and actual byte count must
 * match what was declared. Success records the SHA-256 and moves the
 * document to `uploaded`; a mismatch moves it to `failed` and keeps no bytes.
 * Either way the token is spent.
 */
export async function receiveUpload(ctx: TransferContext, storage: DocumentStorage, req: UploadRequest): Promise<Document> {
  parseId(req.documentId);
  const claims = verifyDocumentToken(storage.signer, req.token, ['upload'], req.documentId, ctx.clock.now());
  const row = await findDocumentRow(ctx.db, claims.documentId);
  if (!row || row.organisation_id !== claims.organisationId) throw invalidToken('the document of this token no longer exists');
  if (row.status !== 'pending') throw invalidToken(`the upload token was already used (document is ${row.status})`);

  const problems: { path: string; message: string }[] = [];
  const type = req.contentType === undefined ? undefined : mediaTypeEssence(req.contentType);
  if (type !== claims.mimeType) {
    problems.push({ path: 'content-type', message: `expected ${claims.mimeType}, got ${type ?? 'none'}` });
  }
  if (req.contentLength !== undefined && req.contentLength !== claims.sizeBytes) {
    problems.push({ path: 'content-length', message: `expected ${claims.sizeBytes}, got ${req.contentLength}` });
  }
  const encoding = req.contentEncoding?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') {
    problems.push({ path: 'content-encoding', message: 'send the file as is, without Content-Encoding' });
  }
  if (problems.length > 0) {
    await markFailed(ctx, row);
    throw mismatch(`the upload does not match the declared file: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`, problems);
  }

  // Each attempt writes its own key, so two racing uses of one token can never overwrite each other's bytes.
  const key = `${row.storage_key}/${ctx.ids.uuid()}`;
  const metered = meter(req.body, claims.sizeBytes);
  try {
    await storage.blobs.put(key, metered.chunks);
    if (metered.state.bytes !== claims.sizeBytes) {
      throw mismatch(`the upload has ${metered.state.bytes} bytes, not the declared ${claims.sizeBytes}`, [
        { path: 'body', message: `${metered.state.bytes} bytes` },
      ]);
    }
  } catch (err) {
    // The error the client should see is `err`; clean-up failures must not hide it.
    await Promise.allSettled([storage.blobs.delete(key), markFailed(ctx, row)]);
    throw err;
  }

  const sha256 = metered.state.sha256();
  const uploaded = await whilePending(ctx, row, async (seq, tx) => {
    const { rows } = await tx.query<DocumentRow>(
      `UPDATE documents SET status = 'uploaded', sha256 = $2, storage_key = $3, updated_at = $4, change_seq = $5
       WHERE id = $1 RETURNING ${DOCUMENT_COLUMNS}`,
      [row.id, sha256, key, ctx.clock.now(), seq],
    );
    return rows[0]!;
  });
  if (!uploaded) {
    // Another request with the same token finished (or failed) first.
    await storage.blobs.delete(key);
    throw invalidToken('the upload token was already used');
  }

  if (uploaded.file_type === 'coverImage') {
    const coverToken = storage.signer.sign({ purpose: 'cover', documentId: uploaded.id, organisationId: uploaded.organisation_id });
    // The token already proved the right to write to this organisation's site;
    // the update goes through the sites service so it validates and bumps change_seq.
    await sites.updateSite({ db: ctx.db, clock: ctx.clock, ids: ctx.ids, principal: systemPrincipal }, uploaded.site_id, {
      coverImageUrl: req.contentUrl(uploaded.id, coverToken),
    });
  }
  return toDocument(uploaded);
}

/**
 * Opens a document's bytes with a download token (5 min) or, for a cover
 * image, the cover token in the site's coverImageUrl.
 */
export async function openContent(
  ctx: TransferContext,
  storage: DocumentStorage,
  documentId: string,
  token: string | undefined,
): Promise<DocumentContent> {
  parseId(documentId);
  const claims = verifyDocumentToken(storage.signer, token, ['download', 'cover'], documentId, ctx.clock.now());
  const row = await findDocumentRow(ctx.db, claims.documentId);
  if (!row || row.organisation_id !== claims.organisationId || !statusesWithContent.includes(row.status)) {
    throw notFound('document', documentId);
  }
  if (claims.purpose === 'cover' && row.file_type !== 'coverImage') throw invalidToken('this is not a cover image');
  const blob = await storage.blobs.get(row.storage_key);
  if (!blob) {
    throw new DomainError('INTERNAL_ERROR', `the content of document ${documentId} is missing from storage`);
  }
  return { document: toDocument(row), size: blob.size, body: blob.body, disposition: claims.purpose === 'cover' ? 'inline' : 'attachment' };
}
