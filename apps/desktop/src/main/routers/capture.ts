// Documents captured on the desktop: the document row is created through
// core's document service (the same validation and authorisation as the
// server's signed-upload request) and stays `pending`; the bytes wait in the
// data directory until sync uploads them.
import { documents, documentSchemas, type documentSchemas as DocumentSchemas } from '@helio/core';
import { z } from 'zod';
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
      staged.commit(issued!.document.id);
      // Uploaded by the next sync round: start one now.
      ctx.services.sync.afterLocalChange();
      return { document: issued!.document, pendingUpload: true };
    } catch (err) {
      staged.discard();
      throw err;
    }
  }),
  /** Ids of documents whose bytes are kept on this desktop, waiting for upload. */
  pendingUploads: sessionProcedure.query(({ ctx }) => ctx.services.capturedFiles.list()),
});
