import type { Db, Engine, Transaction } from './types.js';

let savepointCounter = 0;

/**
 * A `Db` that runs inside an open transaction: its `transaction()` opens a
 * SAVEPOINT, released on success and rolled back to on failure. Services that
 * open their own transaction can so take part in a larger one (a sync push
 * applies a batch in one transaction, and one rejected mutation must undo
 * only its own writes).
 */
export function nestedDb(tx: Transaction, engine: Engine): Db {
  const db: Db = {
    engine,
    query: (sql, params) => tx.query(sql, params),
    exec: (sql) => tx.exec(sql),
    async transaction(fn) {
      const name = `helio_sp_${++savepointCounter}`;
      await tx.query(`SAVEPOINT ${name}`);
      try {
        const result = await fn(tx);
        await tx.query(`RELEASE SAVEPOINT ${name}`);
        return result;
      } catch (err) {
        await tx.query(`ROLLBACK TO SAVEPOINT ${name}`);
        throw err;
      }
    },
    listen: async () => {
      throw new Error('listen on the outer Db, not inside a transaction');
    },
    close: async () => {
      throw new Error('a nested Db is closed by its outer transaction');
    },
  };
  return db;
}
