// The synced tables, declared once: which columns a client may write (by API
// field name) and which service applies each operation. A table joins sync by
// being listed here and in protocol.ts; the same services as REST do the
// writing, so validation and authorisation are the same.
import type { ServiceContext } from '../context.js';
import * as portfolios from '../portfolios/service.js';
import * as sites from '../sites/service.js';
import type { SyncedTableName, WritableTableName } from './protocol.js';

export interface WritableTable {
  /** API field name → column. Only these fields may be set through sync. */
  columns: Readonly<Record<string, string>>;
  entity: string;
  create(ctx: ServiceContext, id: string, organisationId: string, fields: Record<string, unknown>): Promise<unknown>;
  update(ctx: ServiceContext, id: string, fields: Record<string, unknown>): Promise<unknown>;
  remove(ctx: ServiceContext, id: string): Promise<unknown>;
  /**
   * What `remove` does to another table's rows: those whose `column` names
   * the removed row lose it (set to null). Declared so that a client can
   * replay it when it rebuilds a row from the server's version.
   */
  onRemove?: { table: WritableTableName; column: string };
  restore(ctx: ServiceContext, id: string): Promise<unknown>;
}

export const writable: Readonly<Record<WritableTableName, WritableTable>> = {
  sites: {
    entity: 'site',
    columns: sites.siteColumns,
    create: (ctx, id, organisationId, fields) => sites.createSite(ctx, { ...fields, id, organisationId }),
    update: (ctx, id, fields) => sites.updateSite(ctx, id, fields),
    remove: (ctx, id) => sites.deleteSite(ctx, id),
    restore: (ctx, id) => sites.restoreSite(ctx, id),
  },
  portfolios: {
    entity: 'portfolio',
    columns: { name: 'name' },
    create: (ctx, id, organisationId, fields) => portfolios.createPortfolios(ctx, [{ ...fields, id, organisationId }]),
    update: (ctx, id, fields) => portfolios.updatePortfolio(ctx, id, fields),
    remove: (ctx, id) => portfolios.deletePortfolio(ctx, id),
    onRemove: { table: 'sites', column: 'portfolio_id' },
    restore: (ctx, id) => portfolios.restorePortfolio(ctx, id),
  },
};

/**
 * Columns that stay on the server: pull leaves them out, and a client keeps
 * its own value (an empty string in a row it has not got one for, as the
 * columns are NOT NULL).
 */
export const serverOnlyColumns: Partial<Record<SyncedTableName, readonly string[]>> = {
  documents: ['storage_key'],
};
