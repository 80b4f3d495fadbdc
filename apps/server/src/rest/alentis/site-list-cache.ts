import { readableOrganisations, sites, type Principal, type ServiceContext, type siteSchemas } from '@helio/core';
import type { Db } from '@helio/db';
import { batchLoader } from '../batch-loader.js';

export interface SiteListCacheOptions {
  /** Most lists kept; the least recently used goes first. */
  maxEntries?: number;
  /** Most bytes of serialised lists kept. */
  maxBytes?: number;
  /** Each site as the API answers it (the service's own shape when left out). */
  shape?: (site: siteSchemas.Site) => unknown;
}

interface Entry {
  version: string;
  body: Buffer;
}

/**
 * Serialised `GET /api/sites` bodies, reused while the caller's organisations
 * have not changed. Transport caching only: the list itself comes from
 * `sites.listSites`, and every use is checked against the database with
 * `sites.siteListVersions` (one indexed read, shared by concurrent requests
 * and made after each of them arrived), so a write through any server
 * instance sharing the database is seen on the next request. Entries are
 * keyed by the organisations the caller reads and the query, so tenants never
 * share one; errors (bad filters, another tenant's ids) are never kept.
 */
export class SiteListCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly shape: (site: siteSchemas.Site) => unknown;
  private readonly versions = new WeakMap<Db, (principal: Principal) => Promise<string | null>>();

  constructor(options: SiteListCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 1000;
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.shape = options.shape ?? ((site) => site);
  }

  /** The caller's list version, read together with those of concurrent requests. */
  private version(ctx: ServiceContext): Promise<string | null> {
    let read = this.versions.get(ctx.db);
    if (!read) {
      const { db } = ctx;
      read = batchLoader((principals: Principal[]) => sites.siteListVersions({ db }, principals));
      this.versions.set(db, read);
    }
    return read(ctx.principal);
  }

  /** The JSON body of the caller's site list for this query. */
  async list(ctx: ServiceContext, query: unknown): Promise<Buffer> {
    const organisations = readableOrganisations(ctx.principal);
    // Read the version before the list: a write landing in between leaves an
    // entry that is newer than its version says, so it is refreshed, never stale.
    const version = organisations && (await this.version(ctx));
    const key = organisations && `${[...organisations].sort().join(',')}?${canonicalQuery(query)}`;
    const hit = key ? this.entries.get(key) : undefined;
    if (key && hit) {
      this.entries.delete(key);
      if (hit.version === version) {
        this.entries.set(key, hit);
        return hit.body;
      }
      this.bytes -= hit.body.length;
    }
    const body = Buffer.from(JSON.stringify((await sites.listSites(ctx, query)).map(this.shape)));
    if (key && version !== null) this.remember(key, { version, body });
    return body;
  }

  private remember(key: string, entry: Entry): void {
    if (entry.body.length > this.maxBytes) return;
    // A concurrent miss for the same key may have stored one meanwhile.
    const previous = this.entries.get(key);
    if (previous) {
      this.entries.delete(key);
      this.bytes -= previous.body.length;
    }
    this.entries.set(key, entry);
    this.bytes += entry.body.length;
    for (const [oldest, old] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= old.body.length;
    }
  }
}

/** The query string's parameters in a stable order, so equal queries share an entry. */
function canonicalQuery(query: unknown): string {
  if (!query || typeof query !== 'object') return '';
  return JSON.stringify(Object.entries(query).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
