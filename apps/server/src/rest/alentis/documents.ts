import { documents, type documentSchemas } from '@helio/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
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
