// Portfolios sync to every member's device, and clients write them through push.
import { defineSyncedTable } from '../sync/synced-table.js';
import { createPortfolios, deletePortfolio, portfolioColumns, restorePortfolio, updatePortfolio } from './service.js';

export const portfoliosSync = defineSyncedTable({
  table: 'portfolios',
  refersTo: ['organisations'],
  writes: {
    entity: 'portfolio',
    columns: portfolioColumns,
    labelColumn: 'name',
    // createPortfolios fills in UTC when no zone is given. locus_id is the
    // server's to assign: 0 is a placeholder ("not assigned yet") for a row a
    // device rebuilds before the server's version arrives.
    defaults: { tz: 'UTC', locus_id: 0 },
    create: (ctx, id, organisationId, fields) => createPortfolios(ctx, [{ ...fields, id, organisationId }]),
    update: (ctx, id, fields) => updatePortfolio(ctx, id, fields),
    remove: (ctx, id) => deletePortfolio(ctx, id),
    // deletePortfolio takes the portfolio's sites out of it.
    onRemove: { table: 'sites', column: 'portfolio_id' },
    restore: (ctx, id) => restorePortfolio(ctx, id),
  },
});
