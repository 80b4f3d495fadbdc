// The synced tables, declared once: which columns a client may write (by API
// field name) and which service applies each operation. A table joins sync by
// being listed here and in protocol.ts; the same services as REST do the
// writing, so validation and authorisation are the same.
import type { ServiceContext } from '../context.js';
import * as portfolios from '../portfolios/service.js';
import * as sites from '../sites/service.js';
import type { WritableTableName } from './protocol.js';

export interface WritableTable {
  /** API field name → column. Only these fields may be set through sync. */
  columns: Readonly<Record<string, string>>;
  entity: string;
  create(ctx: ServiceContext, id: string, organisationId: string, fields: Record<string, unknown>): Promise<unknown>;
  update(ctx: ServiceContext, id: string, fields: Record<string, unknown>): Promise<unknown>;
  remove(ctx: ServiceContext, id: string): Promise<unknown>;
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
    restore: (ctx, id) => portfolios.restorePortfolio(ctx, id),
  },
};
