// How commands reach the database: the CLI opens it from the configuration
// (or a server lends its own, see CommandContext.withServices), commands
// check it is migrated and act as the system principal.
import type * as core from '@helio/core';
import type { Config } from '../config.js';
import type { CommandContext, CommandServices } from './command.js';
import { CliError } from './errors.js';

// The database drivers and the domain are loaded when a command first needs
// them, not with the command table: a command a running server runs for the
// CLI (see admin-channel/) is handed over before either is needed, and
// loading them would be most of its time.

/** The domain's services, as commands use them. */
export type Core = typeof core;

/** The domain, loaded on first use. */
export const loadCore = (): Promise<Core> => import('@helio/core');

/** The CLI's own services: the configured database, open for `fn` and closed afterwards whatever happens. */
export async function withOwnDatabase<T>(config: Config, fn: (services: CommandServices) => Promise<T>): Promise<T> {
  const { openDatabase } = await import('../open-database.js');
  // Opening a PGlite data directory a server holds fails here, before the domain is loaded.
  const db = await openDatabase(config);
  try {
    const { createUuidV7Generator, systemClock } = await loadCore();
    return await fn({ db, clock: systemClock, ids: createUuidV7Generator(), config });
  } finally {
    await db.close();
  }
}

/**
 * Runs `fn` as the system principal (the operator at the shell) on a migrated
 * database, with the domain's services. Unlike `serve`, commands never apply
 * migrations on their own: a typo in --database-url must not create Helio's
 * schema somewhere unexpected.
 */
export function asSystem<T>(cx: CommandContext, fn: (ctx: core.ServiceContext, domain: Core) => Promise<T>): Promise<T> {
  return cx.withServices(async (services) => {
    const { migrationStatus } = await import('@helio/db');
    const { pending } = await migrationStatus(services.db);
    if (pending.length > 0) {
      throw new CliError('NOT_MIGRATED', `the database is not migrated (pending: ${pending.join(', ')})`, {
        hint: 'run `npx helio migrate` first (with the same --database-url / --data-dir)',
      });
    }
    const domain = await loadCore();
    const { serviceContext } = await import('../services.js');
    return fn(serviceContext(services, domain.systemPrincipal), domain);
  });
}

/**
 * The organisation an --org flag names. The system principal passes every
 * membership check, so a wrong id would otherwise surface as a foreign-key
 * failure halfway through a command.
 */
export async function requireOrganisation(ctx: core.ServiceContext, id: string): Promise<core.organisationSchemas.Organisation> {
  const { notFound, organisations, parseId } = await loadCore();
  const organisationId = parseId(id, '--org');
  const org = (await organisations.listOrganisations(ctx)).find((o) => o.id === organisationId);
  if (!org) throw notFound('organisation', organisationId);
  return org;
}
