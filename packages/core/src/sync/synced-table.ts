// What the sync engine knows of a synced table: everything it needs to pull,
// push, store, purge and report conflicts on the table's rows. Each domain
// declares its tables in its own folder (`<domain>/sync.ts`); `tables.ts`
// collects them into the schema the engine runs on. The engine's code names
// no domain table: a new synced table is a migration, a service and one
// descriptor.
import type { Queryable } from '@helio/db';
import type { ServiceContext } from '../context.js';

/** How clients write a table through push: the domain service that applies each operation, and the fields they may set. */
export interface SyncedWrites {
  /** The entity's name in messages ("site", "portfolio"). */
  entity: string;
  /** API field name → column. Only these fields may be set through sync. */
  columns: Readonly<Record<string, string>>;
  /** The column that names a row to a person, shown beside its conflicts ("site_name"). */
  labelColumn?: string;
  /**
   * Values of a row a client creates, for columns the create leaves out and
   * the service fills in (the client shows the row before the server
   * answers): `{ timezone: 'UTC' }`.
   */
  defaults?: Readonly<Record<string, unknown>>;
  create(ctx: ServiceContext, id: string, organisationId: string, fields: Record<string, unknown>): Promise<unknown>;
  update(ctx: ServiceContext, id: string, fields: Record<string, unknown>): Promise<unknown>;
  remove(ctx: ServiceContext, id: string): Promise<unknown>;
  restore(ctx: ServiceContext, id: string): Promise<unknown>;
  /**
   * What `remove` does to other tables' rows, those whose `column` names the
   * removed row: they lose it (set to null), or they are removed with it
   * (and `restore` brings back those removed with it). Declared so that a
   * client can replay it when it rebuilds a row from the server's version.
   */
  onRemove?: RemovalReach | readonly RemovalReach[];
  /**
   * A lock every writer of the table takes before any row or change counter
   * (the energy-community registry's). A push batch that may write the table
   * takes it before its first mutation: an earlier mutation of the batch
   * holds the organisation's change counter to the batch's end, and taking
   * the lock after it could deadlock with a writer holding the lock and
   * waiting for the counter.
   */
  lockFirst?: (tx: Queryable) => Promise<void>;
}

/** The rows of `table` whose `column` names a removed row, and what becomes of them. */
export interface RemovalReach {
  table: string;
  column: string;
  /** 'detach' (the default): the column is cleared. 'remove': the rows are removed too, and restored with the row. */
  effect?: 'detach' | 'remove';
}

/** A table's removal reaches, as a list. */
export function reachesOf(writes: SyncedWrites): readonly RemovalReach[] {
  const onRemove = writes.onRemove;
  return onRemove === undefined ? [] : Array.isArray(onRemove) ? onRemove : [onRemove as RemovalReach];
}

export interface SyncedTableDescriptor {
  /** The table, as the shared schema (packages/db migrations) names it. */
  table: string;
  /**
   * The tables this one's rows refer to (its foreign keys): a purge removes
   * a table's rows before those of the tables it refers to.
   */
  refersTo?: readonly string[];
  /** Columns holding user ids: the users they name go into every client's directory. */
  userColumns?: readonly string[];
  /**
   * Columns the server keeps to itself: pull leaves them out, and a client
   * keeps its own value (an empty string in a row it has none for: they are NOT NULL).
   */
  serverOnlyColumns?: readonly string[];
  /** Absent: clients only receive the table's rows. */
  writes?: SyncedWrites;
}

/** Every table is scoped to an organisation by this column (the organisations table's own rows carry it too, equal to their id). */
export const ORGANISATION_COLUMN = 'organisation_id';

/** A synced table's or column's name: plain SQL identifiers only, since they go into statements. */
export const SQL_IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** A descriptor, checked: its names go into SQL, so each must be a plain identifier. */
export function defineSyncedTable(descriptor: SyncedTableDescriptor): SyncedTableDescriptor {
  const names = [
    descriptor.table,
    ...(descriptor.refersTo ?? []),
    ...(descriptor.userColumns ?? []),
    ...(descriptor.serverOnlyColumns ?? []),
    ...Object.values(descriptor.writes?.columns ?? {}),
    ...Object.keys(descriptor.writes?.defaults ?? {}),
    ...(descriptor.writes?.labelColumn ? [descriptor.writes.labelColumn] : []),
    ...(descriptor.writes ? reachesOf(descriptor.writes).flatMap((r) => [r.table, r.column]) : []),
  ];
  const bad = names.filter((n) => !SQL_IDENTIFIER.test(n));
  if (bad.length > 0) throw new Error(`synced table ${descriptor.table}: not plain SQL identifiers: ${bad.join(', ')}`);
  return Object.freeze({ ...descriptor });
}

export type WritableTable = SyncedTableDescriptor & { writes: SyncedWrites };

/**
 * The synced tables one server or client runs on, with what the engine
 * derives from them once: the purge order, the pull statement.
 */
export class SyncSchema {
  readonly tables: readonly SyncedTableDescriptor[];
  /** Children first: a table's rows go before the rows of the tables they refer to. */
  readonly purgeOrder: readonly string[];
  private readonly byName: ReadonlyMap<string, SyncedTableDescriptor>;

  constructor(tables: readonly SyncedTableDescriptor[]) {
    this.tables = tables;
    const byName = new Map<string, SyncedTableDescriptor>();
    for (const t of tables) {
      if (byName.has(t.table)) throw new Error(`synced table ${t.table} is declared twice`);
      byName.set(t.table, t);
    }
    this.byName = byName;
    for (const t of this.writable) {
      for (const { table: target } of reachesOf(t.writes))
        if (!this.byName.get(target)?.writes)
          throw new Error(`synced table ${t.table}: onRemove reaches ${target}, not a writable synced table`);
    }
    this.purgeOrder = childrenFirst(tables);
  }

  get names(): string[] {
    return this.tables.map((t) => t.table);
  }

  get writable(): WritableTable[] {
    return this.tables.filter((t): t is WritableTable => t.writes !== undefined);
  }

  get(table: string): SyncedTableDescriptor | undefined {
    return this.byName.get(table);
  }

  /** The writable table of this name, or undefined (not synced, or read-only to clients). */
  writableTable(table: string): WritableTable | undefined {
    const t = this.byName.get(table);
    return t?.writes ? (t as WritableTable) : undefined;
  }

  /** A writable table known to be one (a name read back from the client's own outbox or a conflict record). */
  mustWrite(table: string): WritableTable {
    const t = this.writableTable(table);
    if (!t) throw new Error(`${table} is not a writable synced table`);
    return t;
  }
}

/** Orders tables so that each comes before every table it refers to (a purge's order); ties keep the declared order. */
function childrenFirst(tables: readonly SyncedTableDescriptor[]): string[] {
  const names = new Set(tables.map((t) => t.table));
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  // Visit a table's referrers before the table itself.
  const referrers = (name: string) => tables.filter((t) => t.refersTo?.includes(name)).map((t) => t.table);
  const visit = (name: string, path: readonly string[]) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') throw new Error(`synced tables refer to each other in a cycle: ${[...path, name].join(' → ')}`);
    state.set(name, 'visiting');
    for (const r of referrers(name)) visit(r, [...path, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const t of tables) {
    for (const target of t.refersTo ?? [])
      if (!names.has(target)) throw new Error(`synced table ${t.table} refers to ${target}, which is not synced`);
  }
  for (const t of tables) visit(t.table, []);
  return order;
}
