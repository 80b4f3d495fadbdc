/**
 * Driver errors are translated once, here, by PostgreSQL SQLSTATE, so that
 * callers can react to a unique violation without knowing the engine.
 */
export type DbErrorKind =
  | 'unique_violation'
  | 'foreign_key_violation'
  | 'check_violation'
  | 'not_null_violation'
  | 'invalid_text'
  | 'serialization_failure'
  | 'connection'
  | 'other';

const bySqlState: Record<string, DbErrorKind> = {
  '23505': 'unique_violation',
  '23503': 'foreign_key_violation',
  '23514': 'check_violation',
  '23502': 'not_null_violation',
  '22P02': 'invalid_text',
  '40001': 'serialization_failure',
  '40P01': 'serialization_failure',
};

export class DbError extends Error {
  readonly kind: DbErrorKind;
  readonly sqlState: string | undefined;
  readonly constraint: string | undefined;

  constructor(kind: DbErrorKind, message: string, sqlState?: string, constraint?: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'DbError';
    this.kind = kind;
    this.sqlState = sqlState;
    this.constraint = constraint;
  }
}

interface DriverErrorLike {
  code?: unknown;
  constraint?: unknown;
  message?: unknown;
}

export function translateDbError(err: unknown): unknown {
  if (err instanceof DbError || typeof err !== 'object' || err === null) return err;
  const e = err as DriverErrorLike;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const message = typeof e.message === 'string' ? e.message : 'database error';
  if (code && /^[0-9A-Z]{5}$/.test(code)) {
    const kind = bySqlState[code] ?? (code.startsWith('08') ? 'connection' : 'other');
    return new DbError(kind, message, code, typeof e.constraint === 'string' ? e.constraint : undefined, err);
  }
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ENOTFOUND') {
    return new DbError('connection', message, undefined, undefined, err);
  }
  return err;
}
