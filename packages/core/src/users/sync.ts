// Memberships sync to every member's device (who belongs, with which role);
// only the server changes them. The users they name travel in each pulled
// page's directory, never as synced rows: a device learns the name and email
// of the people it shares an organisation with, nothing more.
import { defineSyncedTable } from '../sync/synced-table.js';

export const membershipsSync = defineSyncedTable({
  table: 'memberships',
  refersTo: ['organisations'],
  userColumns: ['user_id'],
});
