// Document metadata syncs to every member's device; the bytes do not (a
// device fetches them on demand), nor does where the server keeps them.
// Clients create documents through their own upload path, not push.
import { defineSyncedTable } from '../sync/synced-table.js';

export const documentsSync = defineSyncedTable({
  table: 'documents',
  refersTo: ['organisations', 'sites'],
  userColumns: ['uploaded_by'],
  serverOnlyColumns: ['storage_key'],
});
