// Alerts sync to every member's device, read-only but for acknowledging: a
// technician sees a site's open alerts offline and acknowledges them there.
// A device writes `acknowledgedAt` and `acknowledgedBy` (its user); creating,
// deleting or restoring an alert is refused, on the device at once (the
// local write runs the same service) and by the server's push.
import { defineSyncedTable } from '../../sync/synced-table.js';
import { acknowledgeAlert, alertColumns, serverOwned } from './service.js';

export const alertsSync = defineSyncedTable({
  table: 'alerts',
  refersTo: ['organisations', 'sites', 'components'],
  // The acknowledging user goes into the devices' directory, so a device can name them.
  userColumns: ['acknowledged_by'],
  writes: {
    entity: 'alert',
    columns: alertColumns,
    // Names the row beside an acknowledgement conflict ("System Disconnect").
    labelColumn: 'alert_type',
    create: () => Promise.reject(serverOwned('create')),
    update: (ctx, id, fields) => acknowledgeAlert(ctx, id, fields),
    remove: () => Promise.reject(serverOwned('delete')),
    restore: () => Promise.reject(serverOwned('restore')),
  },
});
