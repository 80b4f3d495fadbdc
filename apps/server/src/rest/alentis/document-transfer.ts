// The routes the signed URLs point at. The token in `?token=` is the
// credential, so these are mounted beside the Alentis API, not inside its
// API key check, and `curl --upload-file` works without headers beyond
// Content-Type.
import { Readable } from 'node:stream';
import { documentTransfer } from '@helio/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { errorBodySchema, type OperationDoc } from '../../openapi/describe.js';
import type { AppServices } from '../../services.js';
import { documentIdParams, documentPaths, documentSchema, documentStorage, publicBaseUrl } from './documents.js';

type TokenRoute = { Params: { id: string }; Querystring: { token?: string } };

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf` (RFC 6266), safe for any file name. */
export function contentDisposition(kind: 'inline' | 'attachment', filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

const tokenQuery = z.object({ token: z.string().describe('The signed token from the upload or download URL') });

const tokenErrors: OperationDoc['responses'] = {
  403: {
    description:
      'The token is missing, tampered, for another document or purpose, already used (UPLOAD_TOKEN_INVALID) or expired (UPLOAD_TOKEN_EXPIRED)',
    schema: errorBodySchema,
  },
  429: { description: 'Rate limit exceeded (RATE_LIMITED)', schema: errorBodySchema },
};

/** The OpenAPI entries of the routes below (POST to the upload URL is listed in openapi/operations.ts as undocumented). */
export const documentTransferOperations = {
  upload: {
    method: 'put',
    path: '/api/docs/{id}/upload',
    tag: 'Alentis',
    summary: "Upload a document's bytes (the upload URL)",
    description:
      'No API key: the token is the credential. The body is the raw file; Content-Type and Content-Length must equal the declared ' +
      'mimeType and fileSize. POST is accepted too. Success moves the document to `uploaded` with its SHA-256; a mismatch moves it to ' +
      '`failed` (400 UPLOAD_MISMATCH) and keeps no bytes. Either way the token is spent.',
    auth: 'none',
    params: documentIdParams,
    query: tokenQuery,
    bodyContentType: 'application/octet-stream',
    body: z.string().meta({ format: 'binary' }),
    responses: {
      200: { description: 'The uploaded document', schema: documentSchema },
      400: {
        description: 'The upload does not match the declared type or size (UPLOAD_MISMATCH); the document is now failed',
        schema: errorBodySchema,
      },
      ...tokenErrors,
    },
  },
  content: {
    method: 'get',
    path: '/api/docs/{id}/content',
    tag: 'Alentis',
    summary: "Download a document's bytes (the download URL)",
    description: "No API key: the token is the credential (a 5-minute download token, or the cover token in a site's coverImageUrl).",
    auth: 'none',
    params: documentIdParams,
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
} satisfies Record<string, OperationDoc>;

export function documentTransferRoutes(services: AppServices) {
  const storage = documentStorage(services);
  return async (app: FastifyInstance): Promise<void> => {
    // Upload bodies are any type and up to maxUploadBytes: leave them unread
    // here (so the JSON body limit does not apply) and stream request.raw.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));

    const upload = async (req: FastifyRequest<TokenRoute>) => {
      const length = header(req, 'content-length');
      return documentTransfer.receiveUpload(services, storage, {
        documentId: req.params.id,
        token: req.query.token,
        contentType: header(req, 'content-type'),
        contentLength: length === undefined ? undefined : Number(length),
        contentEncoding: header(req, 'content-encoding'),
        body: req.raw,
        contentUrl: (id, token) => `${publicBaseUrl(services, req)}${documentPaths.content(app.prefix, id)}?token=${token}`,
      });
    };
    app.put<TokenRoute>('/docs/:id/upload', upload);
    app.post<TokenRoute>('/docs/:id/upload', upload);

    // Stored files are mostly compressed already (PDF, images, office, zip) and keep their Content-Length.
    app.get<TokenRoute>('/docs/:id/content', { compress: false }, async (req, reply: FastifyReply) => {
      const content = await documentTransfer.openContent(services, storage, req.params.id, req.query.token);
      const { document } = content;
      return (
        reply
          .header('content-type', document.mimeType)
          .header('content-length', content.size)
          .header('content-disposition', contentDisposition(content.disposition, document.filename))
          .header('etag', `"${document.sha256}"`)
          .header('cache-control', content.disposition === 'inline' ? 'private, max-age=3600' : 'private, no-store')
          // Served from the API's origin: never let a browser sniff or run it.
          .header('x-content-type-options', 'nosniff')
          .header('content-security-policy', "default-src 'none'; sandbox")
          .send(Readable.from(content.body, { objectMode: false }))
      );
    });
  };
}
