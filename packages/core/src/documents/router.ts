// The documents procedures. Uploads and downloads go through the signed URLs
// of the REST API; the router lists, reads, renames, deletes and reviews
// document metadata. A device reads its synced copy and renames and deletes
// through its sync client (as sites do); reviews and upload URLs need the server.
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { localProcedure, localRouter, serverOnly } from '../sync/local.js';
import { procedure, router } from '../trpc/init.js';
import { acceptedDocumentKinds, documentAccept, documentMimeTypeByExtension, reviewDocumentInput, updateDocumentInput } from './schema.js';
import {
  deleteDocument,
  getDocument,
  issueDownload,
  listSiteDocuments,
  requestCapturedUpload,
  reviewDocument,
  updateDocument,
} from './service.js';
import { documentsSync } from './sync.js';

const byId = z.strictObject({ id: z.uuid() });
const updateInput = z.strictObject({ id: z.uuid(), patch: updateDocumentInput });

const notImplemented = (message: string) => new TRPCError({ code: 'NOT_IMPLEMENTED', message });

const reads = {
  listBySite: procedure.input(z.strictObject({ siteId: z.uuid() })).query(({ ctx, input }) => listSiteDocuments(ctx.service, input.siteId)),
  get: procedure.input(byId).query(({ ctx, input }) => getDocument(ctx.service, input.id)),
  /** The files a document may be: for a file picker (`accept`), for saying what is allowed, and each extension's media type. */
  fileTypes: procedure.query(() => ({
    accept: documentAccept,
    kinds: acceptedDocumentKinds,
    mimeTypeByExtension: documentMimeTypeByExtension,
  })),
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
  update: procedure.input(updateInput).mutation(({ ctx, input }) => updateDocument(ctx.service, input.id, input.patch)),
  delete: procedure.input(byId).mutation(async ({ ctx, input }) => {
    await deleteDocument(ctx.service, input.id);
    return { id: input.id, deleted: true as const };
  }),
  review: procedure
    .input(reviewDocumentInput.extend({ id: z.uuid() }))
    .mutation(({ ctx, input }) => reviewDocument(ctx.service, input.id, { status: input.status })),
});

export const localDocumentsRouter = localRouter({
  ...reads,
  update: localProcedure.input(updateInput).mutation(async ({ ctx, input }) => {
    const current = await getDocument(ctx.service, input.id);
    await ctx.localSync.write({
      table: documentsSync.table,
      op: 'update',
      id: input.id,
      organisationId: current.organisationId,
      fields: input.patch,
    });
    return getDocument(ctx.service, input.id);
  }),
  delete: localProcedure.input(byId).mutation(async ({ ctx, input }) => {
    const current = await getDocument(ctx.service, input.id);
    await ctx.localSync.write({ table: documentsSync.table, op: 'delete', id: input.id, organisationId: current.organisationId });
    return { id: input.id, deleted: true as const };
  }),
  review: serverOnly('Reviewing a document'),
  requestCapturedUpload: serverOnly('Requesting an upload URL'),
});
