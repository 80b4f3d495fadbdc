// Document bytes on the desktop: a file captured here is read from the
// device; any other is fetched from the server on first use and kept in the
// document cache, so it opens offline afterwards.
import { documents } from '@helio/core';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { sha256Of } from '../document-cache.js';
import { ServerRefusedError, ServerUnreachableError, SignInRequiredError } from '../sync/server-connection.js';
import { router, sessionProcedure } from '../trpc.js';

export interface DocumentFile {
  filename: string;
  mimeType: string;
  contentBase64: string;
  /** `device`: captured here; `cache`: fetched before; `server`: fetched now. */
  source: 'device' | 'cache' | 'server';
}

export const filesRouter = router({
  get: sessionProcedure.input(z.strictObject({ id: z.uuid() })).mutation(async ({ ctx, input }): Promise<DocumentFile> => {
    const doc = await documents.getDocument(ctx.service, input.id);
    const { capturedFiles, documentCache, sync } = ctx.services;
    const answer = (bytes: Uint8Array, source: DocumentFile['source']): DocumentFile => ({
      filename: doc.filename,
      mimeType: doc.mimeType,
      contentBase64: Buffer.from(bytes).toString('base64'),
      source,
    });
    const captured = capturedFiles.read(doc.id);
    if (captured) return answer(captured, 'device');
    const cached = documentCache.read(doc.id, doc.sha256);
    if (cached) return answer(cached, 'cache');
    let bytes: Uint8Array;
    try {
      bytes = await sync.downloadDocument(doc.id);
    } catch (err) {
      if (err instanceof ServerUnreachableError || err instanceof SignInRequiredError) {
        throw new TRPCError({
          code: 'PRECONDITION_FAILED',
          message: `${doc.filename} is not on this device yet: it is fetched from the server when connected (${err.message})`,
          cause: err,
        });
      }
      if (err instanceof ServerRefusedError)
        throw new TRPCError({ code: 'BAD_REQUEST', message: `the server refused ${doc.filename}: ${err.message}`, cause: err });
      throw err;
    }
    if (doc.sha256 && sha256Of(bytes) !== doc.sha256) {
      throw new TRPCError({
        code: 'CONFLICT',
        message: `${doc.filename} changed on the server since this device last synced: sync, then open it again`,
      });
    }
    documentCache.write(doc.id, bytes);
    return answer(bytes, 'server');
  }),
});
