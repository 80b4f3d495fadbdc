// Every member's device holds its organisations; only the server changes them.
import { defineSyncedTable } from '../sync/synced-table.js';

export const organisationsSync = defineSyncedTable({ table: 'organisations' });
