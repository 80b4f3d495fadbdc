// Sites sync to every member's device, and clients write them through push.
import { defineSyncedTable } from '../sync/synced-table.js';
import { createSite, deleteSite, restoreSite, siteColumns, updateSite } from './service.js';

export const sitesSync = defineSyncedTable({
  table: 'sites',
  refersTo: ['organisations', 'portfolios'],
  writes: {
    entity: 'site',
    columns: siteColumns,
    labelColumn: 'site_name',
    // Values the service fills in, for a row a device rebuilds from its own
    // create before the server's version arrives (other columns left out
    // take their column defaults). locus_id is the server's to assign and
    // has no column default: 0 is a placeholder, "not assigned yet".
    defaults: { timezone: 'UTC', locus_id: 0 },
    create: (ctx, id, organisationId, fields) => createSite(ctx, { ...fields, id, organisationId }),
    update: (ctx, id, fields) => updateSite(ctx, id, fields),
    remove: (ctx, id) => deleteSite(ctx, id),
    restore: (ctx, id) => restoreSite(ctx, id),
  },
});
