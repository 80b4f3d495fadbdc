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
    // createSite fills in UTC when no time zone is given.
    defaults: { timezone: 'UTC' },
    create: (ctx, id, organisationId, fields) => createSite(ctx, { ...fields, id, organisationId }),
    update: (ctx, id, fields) => updateSite(ctx, id, fields),
    remove: (ctx, id) => deleteSite(ctx, id),
    restore: (ctx, id) => restoreSite(ctx, id),
  },
});
