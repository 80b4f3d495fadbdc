import type { Queryable } from '@helio/db';
import type { Document, DocumentStatus, DocumentType, FileType } from './schema.js';

export interface DocumentRow {
  id: string;
  organisation_id: string;
  site_id: string;
  file_type: FileType;
  document_type: DocumentType | null;
  om_record_id: string | null;
  filename: string;
  mime_type: string;
  size_bytes: number;
  status: DocumentStatus;
  sha256: string | null;
  storage_key: string;
  uploaded_by: string | null;
  created_at: Date;
  updated_at: Date;
}

export const DOCUMENT_COLUMNS =
  'id, organisation_id, site_id, file_type, document_type, om_record_id, filename, mime_type, size_bytes, status, sha256, storage_key, uploaded_by, created_at, updated_at';

/** The public shape: everything but the storage key, which stays internal. */
export function toDocument(r: DocumentRow): Document {
  return {
    id: r.id,
    siteId: r.site_id,
    organisationId: r.organisation_id,
    type: r.file_type,
    documentType: r.document_type,
    filename: r.filename,
    status: r.status,
    mimeType: r.mime_type,
    sizeBytes: r.size_bytes,
    sha256: r.sha256,
    omRecordId: r.om_record_id,
    uploadedBy: r.uploaded_by,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

/** A live document by id (any organisation: the caller scopes it), locked when `forUpdate`. */
export async function findDocumentRow(q: Queryable, id: string, forUpdate = false): Promise<DocumentRow | undefined> {
  const { rows } = await q.query<DocumentRow>(
    `SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE id = $1 AND deleted_at IS NULL${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0];
}
