// Every failure the CLI reports has a stable code: the domain codes from core,
// plus the few that only exist at the command line. Mapped here, once.
import type { ErrorCode, ErrorDetail } from '@helio/core/basics';

export type CliErrorCode =
  ErrorCode | 'USAGE_ERROR' | 'CONFIG_ERROR' | 'NOT_MIGRATED' | 'MIGRATION_MISMATCH' | 'DATA_DIR_LOCKED' | 'DATABASE_ERROR' | 'PORT_IN_USE';

export class CliError extends Error {
  readonly code: CliErrorCode;
  readonly exitCode: 1 | 2;
  readonly hint: string | undefined;
  readonly details: ErrorDetail[];

  constructor(code: CliErrorCode, message: string, options: { exitCode?: 1 | 2; hint?: string; details?: ErrorDetail[] } = {}) {
    super(message);
    this.name = 'CliError';
    this.code = code;
    this.exitCode = options.exitCode ?? 1;
    this.hint = options.hint;
    this.details = options.details ?? [];
  }
}

export interface ReportedError {
  code: CliErrorCode;
  message: string;
  details: ErrorDetail[];
  hint?: string;
  exitCode: 1 | 2;
  /** Only for errors nobody anticipated: where it happened. */
  stack?: string;
}

/** Turns anything thrown into what the user is told, with its code and exit status. */
export async function reportError(err: unknown): Promise<ReportedError> {
  if (err instanceof CliError) {
    return { code: err.code, message: err.message, details: err.details, exitCode: err.exitCode, ...(err.hint ? { hint: err.hint } : {}) };
  }
  // Every module imports CliError from here, so the classes that tell the
  // other errors apart (the domain's, the drivers', the configuration's) are
  // loaded only once something else was thrown, not with every command line.
  const [
    { isDomainError, toDomainError },
    { DbError, MigrationMismatchError, translateDbError },
    { DataDirLockedError },
    { ConfigError },
    { PortInUseError },
  ] = await Promise.all([
    import('@helio/core/basics'),
    import('@helio/db'),
    import('@helio/db/data-dir-lock'),
    import('../config.js'),
    import('../port-in-use.js'),
  ]);
  // Driver errors that escaped a query (a refused connection) get their kind here too.
  err = translateDbError(err);
  const domain = toDomainError(err);
  if (isDomainError(domain)) return { code: domain.code, message: domain.message, details: domain.details, exitCode: 1 };
  if (err instanceof ConfigError) return { code: 'CONFIG_ERROR', message: err.message, details: [], exitCode: 1 };
  if (err instanceof PortInUseError) return { code: 'PORT_IN_USE', message: err.message, details: [], exitCode: 1 };
  if (err instanceof DataDirLockedError) return { code: 'DATA_DIR_LOCKED', message: err.message, details: [], exitCode: 1 };
  if (err instanceof MigrationMismatchError) return { code: 'MIGRATION_MISMATCH', message: err.message, details: [], exitCode: 1 };
  if (err instanceof DbError) {
    // A refused connection to several addresses is an AggregateError with an empty message.
    const why = err.message || String((err.cause as { code?: unknown } | undefined)?.code ?? 'unknown error');
    const message = err.kind === 'connection' ? `cannot reach the database: ${why}` : `database error: ${why}`;
    return { code: 'DATABASE_ERROR', message, details: [], exitCode: 1 };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return { code: 'INTERNAL_ERROR', message: e.message, details: [], exitCode: 1, ...(e.stack ? { stack: e.stack } : {}) };
}
