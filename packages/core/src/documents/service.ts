import type { Queryable } from '@helio/db';
import { actingUserId, authorize } from '../auth/principal.js';
import { withArticle } from '../auth/roles.js';
import { allocateChangeSeqs } from '../changes.js';
import type { ServiceContext } from '../context.js';
import { conflict, notFound } from '../errors.js';
import * as sites from '../sites/service.js';
import { parseId, parseInput } from '../validation.js';
import type { BlobStore } from './blob-store.js';
import { DOCUMENT_COLUMNS, findDocumentRow, toDocument, type DocumentRow } from './document-row.js';
import {
  bulkUploadRequestSchema,
  capturedUploadSchema,
  reviewDocumentInput,
  reviewTransitions,
  statusesWithContent,
  updateDocumentInput,
  type Document,
} from './schema.js';
import { DOWNLOAD_TOKEN_TTL_MS, UPLOAD_TOKEN_TTL_MS, type DocumentTokenSigner } from './upload-token.js';

/** What the documents capability needs beyond a service context. */
export interface DocumentStorage {
  blobs: BlobStore;
  signer: DocumentTokenSigner;
  /** Largest document accepted, in bytes. */
  maxUploadBytes: number;
}

export interface IssuedUpload {
  filename: string;
  document: Document;
  /** The upload token: the only credential the upload needs. */
  token: string;
  expiresAt: string;
}

export interface IssuedDownload {
  token: string;
  expiresAt: string;
}

const bulkSchemas = new Map<number, ReturnType<typeof bulkUploadRequestSchema>>();

function bulkSchema(maxUploadBytes: number) {
  let schema = bulkSchemas.get(maxUploadBytes);
  if (!schema) bulkSchemas.set(maxUploadBytes, (schema = bulkUploadRequestSchema(maxUploadBytes)));
  return schema;
}

/** Loads a live document the caller may read, or NOT_FOUND (also for another organisation's). */
async function loadReadable(ctx: ServiceContext, id: string, forUpdate = false, q: Queryable = ctx.db): Promise<DocumentRow> {
  parseId(id);
  const row = await findDocumentRow(q, id, forUpdate);
  if (!row) throw notFound('document', id);
  authorize(ctx.principal, row.organisation_id, 'read', 'document', id);
  return row;
}

/**
 * The bulk signed-upload request: validates every file first (any invalid
 * file fails the whole request and nothing is written), then creates one
 * `pending` document per file in one transaction and signs a 60 s upload
 * token for each, bound to the document, organisation, size and type.
 */
export async function requestUploads(ctx: ServiceContext, storage: DocumentStorage, input: unknown): Promise<IssuedUpload[]> {
  const data = parseInput(bulkSchema(storage.maxUploadBytes), input);
  const site = await sites.getSite(ctx, data.siteId);
  authorize(ctx.principal, site.organisationId, 'write', 'site', site.id);
  const organisationId = site.organisationId;
  const now = ctx.clock.now();
  const expiresAt = now.getTime() + UPLOAD_TOKEN_TTL_MS;
  const uploadedBy = actingUserId(ctx.principal);

  const rows = await ctx.db.transaction(async (tx) => {
    const firstSeq = await allocateChangeSeqs(tx, organisationId, data.files.length);
    const created: DocumentRow[] = [];
    for (const [i, file] of data.files.entries()) {
      const pending = {
        id: ctx.ids.uuid(),
        organisationId,
        siteId: site.id,
        fileType: data.fileType,
        omRecordId: data.omRecordId,
        ...file,
      };
      created.push(await insertPending(tx, pending, uploadedBy, now, firstSeq + i));
    }
    return created;
  });
  return rows.map((row) => issueUpload(storage, row, expiresAt));
}

interface PendingDocument {
  id: string;
  organisationId: string;
  siteId: string;
  fileType: string;
  omRecordId?: string | undefined;
  filename: string;
  mimeType: string;
  fileSize: number;
  documentType?: string | undefined;
}

async function insertPending(
  tx: Queryable,
  doc: PendingDocument,
  uploadedBy: string | null,
  now: Date,
  changeSeq: number,
): Promise<DocumentRow> {
  const { rows } = await tx.query<DocumentRow>(
    `INSERT INTO documents (id, organisation_id, site_id, file_type, document_type, om_record_id, filename,
       mime_type, size_bytes, status, storage_key, uploaded_by, created_at, updated_at, change_seq)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10, $11, $12, $12, $13)
     RETURNING ${DOCUMENT_COLUMNS}`,
    [
      doc.id,
      doc.organisationId,
      doc.siteId,
      doc.fileType,
      doc.documentType ?? null,
      doc.omRecordId ?? null,
      doc.filename,
      doc.mimeType,
      doc.fileSize,
      // The document's namespace in blob storage; each upload attempt stores under it.
      `${doc.organisationId}/${doc.id}`,
      uploadedBy,
      now,
      changeSeq,
    ],
  );
  return rows[0]!;
}

function issueUpload(storage: DocumentStorage, row: DocumentRow, expiresAt: number): IssuedUpload {
  return {
    filename: row.filename,
    document: toDocument(row),
    token: storage.signer.sign({
      purpose: 'upload',
      documentId: row.id,
      organisationId: row.organisation_id,
      sizeBytes: row.size_bytes,
      mimeType: row.mime_type,
      expiresAt,
    }),
    expiresAt: new Date(expiresAt).toISOString(),
  };
}

/**
 * The upload of a document captured offline (the desktop app): the document
 * keeps the id it was given on the device, so the row the device already
 * shows becomes the server's. Safe to repeat: while the document is pending
 * a fresh token is issued; once its bytes arrived, `token` is null and
 * nothing more is needed. The same id with other metadata is a CONFLICT.
 */
export async function requestCapturedUpload(
  ctx: ServiceContext,
  storage: DocumentStorage,
  input: unknown,
): Promise<{ document: Document; token: string | null; expiresAt: string | null }> {
  const data = parseInput(capturedUploadSchema(storage.maxUploadBytes), input);
  const site = await sites.getSite(ctx, data.siteId);
  authorize(ctx.principal, site.organisationId, 'write', 'site', site.id);
  const now = ctx.clock.now();
  const expiresAt = now.getTime() + UPLOAD_TOKEN_TTL_MS;
  const row = await ctx.db.transaction(async (tx) => {
    const existing = await findDocumentRow(tx, data.id, true);
    if (existing) {
      // Another organisation's document is not there, as far as this caller can tell.
      if (existing.organisation_id !== site.organisationId) throw conflict(`document id ${data.id} cannot be used: choose another`);
      const same =
        existing.organisation_id === site.organisationId &&
        existing.site_id === site.id &&
        existing.size_bytes === data.fileSize &&
        existing.mime_type === data.mimeType &&
        existing.filename === data.filename;
      if (!same) throw conflict(`document ${data.id} already exists with other metadata`);
      if (existing.status !== 'failed') return existing;
      // An earlier attempt sent bytes that did not match: the document waits for them again.
      const seq = await allocateChangeSeqs(tx, existing.organisation_id);
      const { rows: reopened } = await tx.query<DocumentRow>(
        `UPDATE documents SET status = 'pending', updated_at = $2, change_seq = $3 WHERE id = $1 RETURNING ${DOCUMENT_COLUMNS}`,
        [existing.id, now, seq],
      );
      return reopened[0]!;
    }
    const seq = await allocateChangeSeqs(tx, site.organisationId);
    return insertPending(tx, { ...data, organisationId: site.organisationId }, actingUserId(ctx.principal), now, seq);
  });
  if (row.status !== 'pending') return { document: toDocument(row), token: null, expiresAt: null };
  const issued = issueUpload(storage, row, expiresAt);
  return { document: issued.document, token: issued.token, expiresAt: issued.expiresAt };
}

/** What a device sends to upload a document it captured (see requestCapturedUpload). */
export interface CapturedUploadRequest {
  id: string;
  siteId: string;
  filename: string;
  mimeType: string;
  fileSize: number;
  documentType?: string;
}

/**
 * A document captured on a device, as the device sends it to the server:
 * the upload request for its bytes, and whether the server still awaits
 * them (its row is pending or failed). Undefined when the device no longer
 * holds the document (its organisation was removed from the device).
 */
export async function capturedDocument(
  ctx: ServiceContext,
  id: string,
): Promise<{ upload: CapturedUploadRequest; awaitingBytes: boolean } | undefined> {
  const { rows } = await ctx.db.query<{
    organisation_id: string;
    site_id: string;
    filename: string;
    mime_type: string;
    size_bytes: number;
    document_type: string | null;
    status: string;
  }>(
    'SELECT organisation_id, site_id, filename, mime_type, size_bytes, document_type, status FROM documents WHERE id = $1 AND deleted_at IS NULL',
    [id],
  );
  const doc = rows[0];
  if (!doc) return undefined;
  authorize(ctx.principal, doc.organisation_id, 'write', 'document', id);
  return {
    upload: {
      id,
      siteId: doc.site_id,
      filename: doc.filename,
      mimeType: doc.mime_type,
      fileSize: Number(doc.size_bytes),
      ...(doc.document_type ? { documentType: doc.document_type } : {}),
    },
    awaitingBytes: doc.status === 'pending' || doc.status === 'failed',
  };
}

export async function getDocument(ctx: ServiceContext, id: string): Promise<Document> {
  return toDocument(await loadReadable(ctx, id));
}

/** A site's live documents, oldest first. Another organisation's site is NOT_FOUND. */
export async function listSiteDocuments(ctx: ServiceContext, siteId: string): Promise<Document[]> {
  parseId(siteId, 'siteId');
  const site = await sites.getSite(ctx, siteId);
  const { rows } = await ctx.db.query<DocumentRow>(
    `SELECT ${DOCUMENT_COLUMNS} FROM documents
     WHERE site_id = $1 AND organisation_id = $2 AND deleted_at IS NULL
     ORDER BY created_at, id`,
    [site.id, site.organisationId],
  );
  return rows.map(toDocument);
}

/**
 * Review: `uploaded → approved → completed`, one step at a time, by anyone
 * who may write (owner, admin, technician). Asking for the current status
 * again changes nothing; any other move is a CONFLICT.
 */
export async function reviewDocument(ctx: ServiceContext, id: string, input: unknown): Promise<Document> {
  const { status } = parseInput(reviewDocumentInput, input);
  return ctx.db.transaction(async (tx) => {
    const row = await loadReadable(ctx, id, true, tx);
    authorize(ctx.principal, row.organisation_id, 'write', 'document', id);
    if (row.status === status) return toDocument(row);
    if (!reviewTransitions[row.status].includes(status)) {
      throw conflict(`${withArticle(row.status)} document cannot become ${status}`, [
        {
          path: 'status',
          message: `allowed from ${row.status}: ${reviewTransitions[row.status].join(', ') || 'none'}`,
          from: row.status,
          to: status,
        },
      ]);
    }
    const seq = await allocateChangeSeqs(tx, row.organisation_id);
    const { rows } = await tx.query<DocumentRow>(
      `UPDATE documents SET status = $2, updated_at = $3, change_seq = $4 WHERE id = $1 RETURNING ${DOCUMENT_COLUMNS}`,
      [id, status, ctx.clock.now(), seq],
    );
    return toDocument(rows[0]!);
  });
}

/** Renames a document, for anyone who may write in its organisation. Its bytes and the rest of its metadata stay. */
export async function updateDocument(ctx: ServiceContext, id: string, input: unknown): Promise<Document> {
  const { filename } = parseInput(updateDocumentInput, input);
  return ctx.db.transaction(async (tx) => {
    const row = await loadReadable(ctx, id, true, tx);
    authorize(ctx.principal, row.organisation_id, 'write', 'document', id);
    if (row.filename === filename) return toDocument(row);
    const seq = await allocateChangeSeqs(tx, row.organisation_id);
    const { rows } = await tx.query<DocumentRow>(
      `UPDATE documents SET filename = $2, updated_at = $3, change_seq = $4 WHERE id = $1 RETURNING ${DOCUMENT_COLUMNS}`,
      [id, filename, ctx.clock.now(), seq],
    );
    return toDocument(rows[0]!);
  });
}

/** Deletes a document (a tombstone: its bytes stay stored, so a sync conflict can bring it back). */
export async function deleteDocument(ctx: ServiceContext, id: string): Promise<Document> {
  return ctx.db.transaction(async (tx) => {
    const row = await loadReadable(ctx, id, true, tx);
    authorize(ctx.principal, row.organisation_id, 'write', 'document', id);
    const seq = await allocateChangeSeqs(tx, row.organisation_id);
    const now = ctx.clock.now();
    const { rows } = await tx.query<DocumentRow>(
      `UPDATE documents SET deleted_at = $2, updated_at = $2, change_seq = $3 WHERE id = $1 RETURNING ${DOCUMENT_COLUMNS}`,
      [id, now, seq],
    );
    return toDocument(rows[0]!);
  });
}

/** Brings a deleted document back (a sync conflict resolved as restored). */
export async function restoreDocument(ctx: ServiceContext, id: string): Promise<Document> {
  parseId(id);
  return ctx.db.transaction(async (tx) => {
    const { rows: found } = await tx.query<DocumentRow & { deleted_at: Date | null }>(
      `SELECT ${DOCUMENT_COLUMNS}, deleted_at FROM documents WHERE id = $1 FOR UPDATE`,
      [id],
    );
    const row = found[0];
    if (!row) throw notFound('document', id);
    authorize(ctx.principal, row.organisation_id, 'write', 'document', id);
    if (!row.deleted_at) return toDocument(row);
    const seq = await allocateChangeSeqs(tx, row.organisation_id);
    const { rows } = await tx.query<DocumentRow>(
      `UPDATE documents SET deleted_at = NULL, updated_at = $2, change_seq = $3 WHERE id = $1 RETURNING ${DOCUMENT_COLUMNS}`,
      [id, ctx.clock.now(), seq],
    );
    return toDocument(rows[0]!);
  });
}

/** A download token valid 5 minutes, for a document whose bytes have arrived. Readers (viewers too) may download. */
export async function issueDownload(ctx: ServiceContext, storage: DocumentStorage, id: string): Promise<IssuedDownload> {
  const row = await loadReadable(ctx, id);
  if (!statusesWithContent.includes(row.status)) {
    throw conflict(`document ${id} is ${row.status}: it has no content to download`);
  }
  const expiresAt = ctx.clock.now().getTime() + DOWNLOAD_TOKEN_TTL_MS;
  const token = storage.signer.sign({ purpose: 'download', documentId: row.id, organisationId: row.organisation_id, expiresAt });
  return { token, expiresAt: new Date(expiresAt).toISOString() };
}
