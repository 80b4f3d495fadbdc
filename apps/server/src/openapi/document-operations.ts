import { documentSchemas } from '@helio/core';
import { z } from 'zod';
import { commonErrors, errorBodySchema, type OperationDoc } from './describe.js';

const Document = documentSchemas.document.meta({ id: 'Document' });
const idParam = z.object({ id: z.uuid().describe('The document id') });
const tokenQuery = z.object({ token: z.string().describe('The signed token from the upload or download URL') });

const tokenErrors: OperationDoc['responses'] = {
  403: {
    description:
      'The token is missing, tampered, for another document or purpose, already used (UPLOAD_TOKEN_INVALID) or expired (UPLOAD_TOKEN_EXPIRED)',
    schema: errorBodySchema,
  },
  429: { description: 'Rate limit exceeded (RATE_LIMITED)', schema: errorBodySchema },
};

export const documentOperations: OperationDoc[] = [
  {
    method: 'post',
    path: '/api/docs/bulk-upload-url',
    tag: 'Alentis',
    summary: 'Request signed upload URLs (bulk)',
    description:
      'One to 20 files, all validated before anything is written: one bad file fails the request (400) and no document is created. ' +
      "`fileSize` is required and at most the server's upload limit; `omRecordId` is required with `om-documents`; a `coverImage` request " +
      'carries exactly one image (JPEG, PNG, WebP or GIF). Each file becomes a `pending` document and gets an upload URL: ' +
      '`PUT {path}?token={token}` with the file as the body and its declared `Content-Type`, within 60 seconds, once.',
    auth: 'credentials',
    body: documentSchemas.bulkUploadRequest,
    responses: {
      201: { description: 'Documents created, one upload URL each', schema: documentSchemas.bulkUploadResponse },
      ...commonErrors(),
    },
  },
  {
    method: 'put',
    path: '/api/docs/{id}/upload',
    tag: 'Alentis',
    summary: "Upload a document's bytes (the upload URL)",
    description:
      'No API key: the token is the credential. The body is the raw file; Content-Type and Content-Length must equal the declared ' +
      'mimeType and fileSize. POST is accepted too. Success moves the document to `uploaded` with its SHA-256; a mismatch moves it to ' +
      '`failed` (400 UPLOAD_MISMATCH) and keeps no bytes. Either way the token is spent.',
    auth: 'none',
    params: idParam,
    query: tokenQuery,
    bodyContentType: 'application/octet-stream',
    body: z.string().meta({ format: 'binary' }),
    responses: {
      200: { description: 'The uploaded document', schema: Document },
      400: {
        description: 'The upload does not match the declared type or size (UPLOAD_MISMATCH); the document is now failed',
        schema: errorBodySchema,
      },
      ...tokenErrors,
    },
  },
  {
    method: 'get',
    path: '/api/sites/{siteId}/documents',
    tag: 'Alentis',
    summary: "List a site's documents",
    auth: 'credentials',
    params: z.object({ siteId: z.uuid().describe('The site id') }),
    responses: { 200: { description: "The site's documents, oldest first", schema: z.array(Document) }, ...commonErrors() },
  },
  {
    method: 'get',
    path: '/api/docs/{id}',
    tag: 'Alentis',
    summary: "Get a document's metadata",
    auth: 'credentials',
    params: idParam,
    responses: { 200: { description: 'The document', schema: Document }, ...commonErrors() },
  },
  {
    method: 'post',
    path: '/api/docs/{id}/download-url',
    tag: 'Alentis',
    summary: 'Get a temporary download URL',
    description:
      'Valid 5 minutes, for any member (viewers too), once the bytes have arrived (409 while pending or failed). Fetch `url` without credentials.',
    auth: 'credentials',
    params: idParam,
    responses: { 200: { description: 'The signed URL', schema: documentSchemas.downloadUrl }, ...commonErrors([409]) },
  },
  {
    method: 'get',
    path: '/api/docs/{id}/content',
    tag: 'Alentis',
    summary: "Download a document's bytes (the download URL)",
    description: "No API key: the token is the credential (a 5-minute download token, or the cover token in a site's coverImageUrl).",
    auth: 'none',
    params: idParam,
    query: tokenQuery,
    responses: {
      200: {
        description: 'The file, with its Content-Type and Content-Disposition',
        contentType: 'application/octet-stream',
        schema: z.string().meta({ format: 'binary' }),
      },
      404: { description: 'The document is gone', schema: errorBodySchema },
      ...tokenErrors,
    },
  },
  {
    method: 'put',
    path: '/api/docs/{id}/status',
    tag: 'Alentis',
    summary: 'Review a document',
    description:
      'Moves `uploaded` → `approved` → `completed`, one step at a time (owner, admin or technician). Repeating the current status changes nothing; other moves are 409 CONFLICT.',
    auth: 'credentials',
    params: idParam,
    body: documentSchemas.reviewDocumentInput,
    responses: { 200: { description: 'The document', schema: Document }, ...commonErrors([409]) },
  },
];
