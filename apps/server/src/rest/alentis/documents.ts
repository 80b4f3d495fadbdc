import { documents, documentSchemas } from '@helio/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { commonErrors, type OperationDoc } from '../../openapi/describe.js';
import type { AppServices } from '../../services.js';

type IdParams = { id: string };

export function documentStorage(services: AppServices): documents.DocumentStorage {
  return { blobs: services.blobs, signer: services.signer, maxUploadBytes: services.config.maxUploadBytes };
}

/** Where clients reach this server: the configured public URL, else the address the request was sent to. */
export function publicBaseUrl(services: AppServices, request: FastifyRequest): string {
  return services.config.publicUrl?.replace(/\/+$/, '') ?? `${request.protocol}://${request.host}`;
}

/** Paths of the token-authorised routes (registered in document-transfer.ts, outside the API key check). */
export const documentPaths = {
  upload: (prefix: string, id: string) => `${prefix}/docs/${id}/upload`,
  content: (prefix: string, id: string) => `${prefix}/docs/${id}/content`,
};

/** Shared with the token-authorised routes' entries in document-transfer.ts. */
export const documentSchema = documentSchemas.document.meta({ id: 'Document' });
export const documentIdParams = z.object({ id: z.uuid().describe('The document id') });

/** The OpenAPI entries of the routes below. */
export const documentOperations = {
  requestUploads: {
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
  listForSite: {
    method: 'get',
    path: '/api/sites/{siteId}/documents',
    tag: 'Alentis',
    summary: "List a site's documents",
    auth: 'credentials',
    params: z.object({ siteId: z.uuid().describe('The site id') }),
    responses: { 200: { description: "The site's documents, oldest first", schema: z.array(documentSchema) }, ...commonErrors() },
  },
  get: {
    method: 'get',
    path: '/api/docs/{id}',
    tag: 'Alentis',
    summary: "Get a document's metadata",
    auth: 'credentials',
    params: documentIdParams,
    responses: { 200: { description: 'The document', schema: documentSchema }, ...commonErrors() },
  },
  issueDownload: {
    method: 'post',
    path: '/api/docs/{id}/download-url',
    tag: 'Alentis',
    summary: 'Get a temporary download URL',
    description:
      'Valid 5 minutes, for any member (viewers too), once the bytes have arrived (409 while pending or failed). Fetch `url` without credentials.',
    auth: 'credentials',
    params: documentIdParams,
    responses: { 200: { description: 'The signed URL', schema: documentSchemas.downloadUrl }, ...commonErrors([409]) },
  },
  review: {
    method: 'put',
    path: '/api/docs/{id}/status',
    tag: 'Alentis',
    summary: 'Review a document',
    description:
      'Moves `uploaded` → `approved` → `completed`, one step at a time (owner, admin or technician). Repeating the current status changes nothing; other moves are 409 CONFLICT.',
    auth: 'credentials',
    params: documentIdParams,
    body: documentSchemas.reviewDocumentInput,
    responses: { 200: { description: 'The document', schema: documentSchema }, ...commonErrors([409]) },
  },
} satisfies Record<string, OperationDoc>;

/** The document routes that need credentials (x-api-key or bearer); mounted inside the Alentis API. */
export function documentRoutes(app: FastifyInstance, services: AppServices): void {
  const storage = documentStorage(services);

  // 201: the request creates one document per file. All files are validated
  // first, so a response lists every file as successful or the request fails whole.
  app.post('/docs/bulk-upload-url', async (req, reply) => {
    const issued = await documents.requestUploads(req.ctx, storage, req.body);
    const body: documentSchemas.BulkUploadResponse = {
      results: issued.map((i) => ({
        filename: i.filename,
        success: true,
        uploadUrl: { path: documentPaths.upload(app.prefix, i.document.id), token: i.token },
        documentId: i.document.id,
      })),
      summary: { total: issued.length, successful: issued.length, failed: 0 },
    };
    return reply.code(201).send(body);
  });

  app.get<{ Params: { siteId: string } }>('/sites/:siteId/documents', (req) => documents.listSiteDocuments(req.ctx, req.params.siteId));

  app.get<{ Params: IdParams }>('/docs/:id', (req) => documents.getDocument(req.ctx, req.params.id));

  // POST, not GET: it mints a credential, which must not be cached or prefetched.
  app.post<{ Params: IdParams }>('/docs/:id/download-url', async (req) => {
    const { token, expiresAt } = await documents.issueDownload(req.ctx, storage, req.params.id);
    const path = documentPaths.content(app.prefix, req.params.id);
    return { url: `${publicBaseUrl(services, req)}${path}?token=${token}`, path, token, expiresAt } satisfies documentSchemas.DownloadUrl;
  });

  app.put<{ Params: IdParams }>('/docs/:id/status', (req) => documents.reviewDocument(req.ctx, req.params.id, req.body));
}
