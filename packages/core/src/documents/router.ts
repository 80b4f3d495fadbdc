// The documents procedures. Uploads and downloads go through the signed URLs
// of the REST API; the router lists, reads and reviews document metadata. A
// device reads its synced copy; reviews and upload URLs need the server.
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { localRouter, serverOnly } from '../sync/local.js';
import { procedure, router } from '../trpc/init.js';
import { reviewDocumentInput } from './schema.js';
import { getDocument, issueDownload, listSiteDocuments, requestCapturedUpload, reviewDocument } from './service.js';

const byId = z.strictObject({ id: z.uuid() });

const notImplemented = (message: string) => new TRPCError({ code: 'NOT_IMPLEMENTED', message });

const reads = {
  listBySite: procedure.input(z.strictObject({ siteId: z.uuid() })).query(({ ctx, input }) => listSiteDocuments(ctx.service, input.siteId)),
  get: procedure.input(byId).query(({ ctx, input }) => getDocument(ctx.service, input.id)),
};

export const documentsRouter = router({
  ...reads,
  /** A document captured offline on the desktop, uploaded under its own id: see documents.requestCapturedUpload. */
  requestCapturedUpload: procedure.input(z.unknown()).mutation(({ ctx, input }) => {
    if (!ctx.documentStorage) throw notImplemented('this Helio stores no document bytes: upload to the server');
    return requestCapturedUpload(ctx.service, ctx.documentStorage, input);
  }),
  /** A short-lived token for GET /api/docs/:id/content: how the desktop fetches a document's bytes on demand. */
  requestDownload: procedure.input(byId).mutation(({ ctx, input }) => {
    if (!ctx.documentStorage) throw notImplemented('this Helio stores no document bytes: download from the server');
    return issueDownload(ctx.service, ctx.documentStorage, input.id);
  }),
  review: procedure
    .input(reviewDocumentInput.extend({ id: z.uuid() }))
    .mutation(({ ctx, input }) => reviewDocument(ctx.service, input.id, { status: input.status })),
});

export const localDocumentsRouter = localRouter({
  ...reads,
  review: serverOnly('Reviewing a document'),
  requestCapturedUpload: serverOnly('Requesting an upload URL'),
});
