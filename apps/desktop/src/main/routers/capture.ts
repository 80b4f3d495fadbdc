// Documents captured on the desktop: the document row is created through
// core's document service (the same validation and authorisation as the
// server's signed-upload request) and stays `pending`; the bytes wait in the
// data directory until sync uploads them.
import { documents, documentSchemas, sites, type documentSchemas as DocumentSchemas } from '@helio/core';
import { z } from 'zod';
import type { CapturedFileStatus } from '../captured-file-status.js';
import { MAX_CAPTURE_BYTES } from '../services.js';
import { router, sessionProcedure } from '../trpc.js';

export const captureDocumentInput = z.strictObject({
  siteId: z.uuid(),
  filename: z.string(),
  mimeType: z.string(),
  documentType: z.enum(documentSchemas.documentTypes).optional(),
  /** The file's bytes, base64: JSON over HTTP and structured clone over IPC both carry it unchanged. */
  contentBase64: z.base64().max(Math.ceil(MAX_CAPTURE_BYTES / 3) * 4, `files are at most ${MAX_CAPTURE_BYTES / 1024 / 1024} MiB`),
});

export interface CapturedDocument {
  document: DocumentSchemas.Document;
  /** True while the bytes are kept on this desktop only. */
  pendingUpload: boolean;
}

export const captureRouter = router({
  document: sessionProcedure.input(captureDocumentInput).mutation(async ({ ctx, input }): Promise<CapturedDocument> => {
    const bytes = Buffer.from(input.contentBase64, 'base64');
    const staged = ctx.services.capturedFiles.stage(bytes);
    try {
      const [issued] = await documents.requestUploads(ctx.service, ctx.services.documentStorage, {
        siteId: input.siteId,
        fileType: 'documents',
        files: [{ filename: input.filename, mimeType: input.mimeType, fileSize: bytes.byteLength, documentType: input.documentType }],
      });
      const { document } = issued!;
      const session = ctx.services.sessions.current();
      const site = await sites.getSite(ctx.service, document.siteId);
      staged.commit({
        documentId: document.id,
        filename: document.filename,
        mimeType: document.mimeType,
        sizeBytes: document.sizeBytes,
        documentType: document.documentType,
        siteId: document.siteId,
        siteName: site.siteName,
        organisationId: document.organisationId,
        capturedAt: document.createdAt,
        // Before any sign-in the local user captures it: no account owns it yet (serverUrl null).
        capturedBy: { userId: session?.userId ?? '00000000-0000-0000-0000-000000000000', serverUrl: session?.serverUrl ?? null },
      });
      // Uploaded by the next sync round: start one now.
      ctx.services.sync.afterLocalChange();
      return { document: issued!.document, pendingUpload: true };
    } catch (err) {
      staged.discard();
      throw err;
    }
  }),
  /** Ids of documents whose bytes are kept on this desktop (whoever uploads them: see `files`). */
  pendingUploads: sessionProcedure.query(({ ctx }) => ctx.services.capturedFiles.list()),
  /**
   * Every captured file kept on this device, oldest first: its name, size,
   * site and organisation, who captured it (`owner`), and its `state`
   * (see CapturedFileState: only `waiting`, `uploading` and `failed` files
   * are the signed-in account's to upload), with the last refusal in `error`.
   */
  files: sessionProcedure.query(({ ctx }): Promise<CapturedFileStatus[]> => ctx.services.sync.capturedFiles()),
  /**
   * Tries one file's upload now (a sync round): `uploaded` once the server
   * has it, else the file as it stands (`failed` with the reason). A file the
   * signed-in account may not upload is refused with why.
   */
  upload: sessionProcedure
    .input(z.strictObject({ documentId: z.uuid() }))
    .mutation(({ ctx, input }) => ctx.services.sync.uploadNow(input.documentId)),
  /**
   * Discards a kept file's bytes. A document still pending on this device
   * (the server never had its bytes) is removed with it: `documentRemoved`.
   */
  discard: sessionProcedure
    .input(z.strictObject({ documentId: z.uuid() }))
    .mutation(({ ctx, input }) => ctx.services.sync.discardCapturedFile(input.documentId)),
});
