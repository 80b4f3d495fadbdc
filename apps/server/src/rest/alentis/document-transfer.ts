// The routes the signed URLs point at. The token in `?token=` is the
// credential, so these are mounted beside the Alentis API, not inside its
// API key check, and `curl --upload-file` works without headers beyond
// Content-Type.
import { Readable } from 'node:stream';
import { documentTransfer } from '@helio/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppServices } from '../../services.js';
import { documentPaths, documentStorage, publicBaseUrl } from './documents.js';

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
