export type { Db, Engine, Queryable, QueryResult, Transaction } from './types.js';
export { DbError, translateDbError, type DbErrorKind } from './errors.js';
export { migrate, migrationStatus, assertMigrated, MigrationMismatchError, type MigrationStatus } from './migrate.js';
export { migrations, type Migration } from './migrations/index.js';
export { nestedDb } from './nested.js';
