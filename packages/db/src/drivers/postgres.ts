import pg from 'pg';
import { translateDbError } from '../errors.js';
import type { Db, QueryResult, Transaction } from '../types.js';

export interface PostgresDbOptions {
  connectionString: string;
  /** Pool size; the default suits a small server. */
  max?: number;
}

const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === pg.types.builtins.INT8) return (v: string) => Number(v);
    // A date has no time zone: as a Date it would be a local midnight, a day off in zones west of UTC.
    if (oid === pg.types.builtins.DATE) return (v: string) => v;
    return pg.types.getTypeParser(oid, format);
  },
};

async function run<T>(client: pg.Pool | pg.PoolClient, sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
  try {
    const res = await client.query({ text: sql, values: params as unknown[] | undefined, types: typeParsers });
    return { rows: res.rows as T[], rowCount: res.rowCount ?? res.rows.length };
  } catch (err) {
    throw translateDbError(err);
  }
}

export class PostgresDb implements Db {
  readonly engine = 'postgres' as const;

  private readonly listeners = new Set<pg.Client>();

  constructor(
    readonly pool: pg.Pool,
    private readonly connectionOptions: pg.ClientConfig = {},
  ) {}

  query<T>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
    return run<T>(this.pool, sql, params);
  }

  async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    const client = await this.pool.connect().catch((err: unknown) => {
      throw translateDbError(err);
    });
    const tx: Transaction = {
      query: (sql, params) => run(client, sql, params),
      exec: async (sql) => {
        try {
          await client.query(sql);
        } catch (err) {
          throw translateDbError(err);
        }
      },
    };
    try {
      await client.query('BEGIN');
      const result = await fn(tx);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw translateDbError(err);
    } finally {
      client.release();
    }
  }

  async exec(sql: string): Promise<void> {
    try {
      await this.pool.query(sql);
    } catch (err) {
      throw translateDbError(err);
    }
  }

  /** LISTEN holds a connection of its own, outside the pool, for as long as someone listens. */
  async listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>> {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid channel name: ${channel}`);
    const client = new pg.Client(this.connectionOptions);
    client.on('error', () => undefined);
    client.on('notification', (msg) => {
      if (msg.channel === channel) onPayload(msg.payload ?? '');
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${channel}`);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw translateDbError(err);
    }
    this.listeners.add(client);
    return async () => {
      this.listeners.delete(client);
      await client.end().catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.listeners].map((c) => c.end().catch(() => undefined)));
    this.listeners.clear();
    await this.pool.end();
  }
}

export function openPostgres(options: PostgresDbOptions): PostgresDb {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    // Every session stores and compares time in UTC.
    options: '-c TimeZone=UTC',
  });
  // An idle client losing its connection must not crash the process.
  pool.on('error', () => undefined);
  return new PostgresDb(pool, { connectionString: options.connectionString, options: '-c TimeZone=UTC' });
}
