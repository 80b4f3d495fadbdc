/** A row-returning SQL call. Parameters use PostgreSQL's `$1` placeholders on both engines. */
export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
}

/** A connection inside an open transaction. */
export interface Transaction extends Queryable {
  /** Runs a multi-statement script without parameters. */
  exec(sql: string): Promise<void>;
}

export type Engine = 'pglite' | 'postgres';

/**
 * The one seam between Helio and a database engine. Core receives a `Db` and
 * never learns which engine is behind it.
 */
export interface Db extends Queryable {
  readonly engine: Engine;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /** Runs a multi-statement script (migrations) without parameters. */
  exec(sql: string): Promise<void>;
  /**
   * Calls `onPayload` for every NOTIFY on `channel`, delivered when the
   * notifying transaction commits. Resolves to a function that stops listening.
   */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
