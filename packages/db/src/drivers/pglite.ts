import { PGlite, types } from '@electric-sql/pglite';
import { translateDbError } from '../errors.js';
import type { Db, QueryResult, Transaction } from '../types.js';

export interface PgliteDbOptions {
  /** A data directory on disk; omit for an in-memory database. */
  dataDir?: string;
  /** An existing instance (a clone in tests); `dataDir` is ignored then. */
  instance?: PGlite;
}

// Both drivers agree on JS types: int8 as number (our counters fit in 2^53),
// timestamptz as Date, date as its `YYYY-MM-DD` text (a calendar day, in no
// zone), jsonb as objects.
const parsers = { [types.INT8]: (v: string) => Number(v), [types.DATE]: (v: string) => v };

class PgliteQueryable implements Transaction {
  constructor(protected readonly target: Pick<PGlite, 'query' | 'exec'>) {}

  async exec(sql: string): Promise<void> {
    try {
      await this.target.exec(sql);
    } catch (err) {
      throw translateDbError(err);
    }
  }

  async query<T>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
    try {
      const res = await this.target.query<T>(sql, params as unknown[] | undefined);
      // PGlite reports affectedRows 0 for SELECT; count the rows whenever a result set came back.
      return { rows: res.rows, rowCount: res.fields.length > 0 ? res.rows.length : (res.affectedRows ?? 0) };
    } catch (err) {
      throw translateDbError(err);
    }
  }
}

export class PgliteDb extends PgliteQueryable implements Db {
  readonly engine = 'pglite' as const;

  constructor(readonly pglite: PGlite) {
    super(pglite);
  }

  async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    try {
      return await this.pglite.transaction((tx) => fn(new PgliteQueryable(tx)));
    } catch (err) {
      throw translateDbError(err);
    }
  }

  async listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>> {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid channel name: ${channel}`);
    const unlisten = await this.pglite.listen(channel, onPayload);
    return () => unlisten();
  }

  async close(): Promise<void> {
    if (!this.pglite.closed) await this.pglite.close();
  }
}

export async function openPglite(options: PgliteDbOptions = {}): Promise<PgliteDb> {
  const instance = options.instance ?? (await PGlite.create({ dataDir: options.dataDir, parsers }));
  await instance.exec("SET TIME ZONE 'UTC'");
  return new PgliteDb(instance);
}

export { parsers as pgliteParsers };
