// Document metadata syncs to every member's device; the bytes do not (a
// device fetches them on demand), nor does where the server keeps them.
// Clients rename and delete documents through push; they create them through
// their own upload path (requestCapturedUpload), never through push.
import { validationError } from '../errors.js';
import { defineSyncedTable } from '../sync/synced-table.js';
import { deleteDocument, restoreDocument, updateDocument } from './service.js';

export const documentsSync = defineSyncedTable({
  table: 'documents',
  refersTo: ['organisations', 'sites'],
  userColumns: ['uploaded_by'],
  serverOnlyColumns: ['storage_key'],
  writes: {
    entity: 'document',
    columns: { filename: 'filename' },
    labelColumn: 'filename',
    create: () => {
      throw validationError('documents are added by uploading them, not through sync', [
        { path: 'op', message: 'upload the document instead' },
      ]);
    },
    update: (ctx, id, fields) => updateDocument(ctx, id, fields),
    remove: (ctx, id) => deleteDocument(ctx, id),
    restore: (ctx, id) => restoreDocument(ctx, id),
  },
});
