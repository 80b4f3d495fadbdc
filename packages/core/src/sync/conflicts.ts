// The sync engine's own synced table: one record per real conflict, synced
// to every member so both authors see it. Clients change it only by
// resolving a conflict (push's `resolve` mutation), never by row writes.
import { defineSyncedTable } from './synced-table.js';

export const conflictsSync = defineSyncedTable({
  table: 'sync_conflicts',
  refersTo: ['organisations'],
  userColumns: ['lost_by', 'resolved_by'],
});
