// How commands reach the database: the CLI opens it from the configuration
// (or a server lends its own, see CommandContext.withServices), commands
// check it is migrated and act as the system principal.
import {
  createUuidV7Generator,
  notFound,
  organisations,
  parseId,
  systemClock,
  systemPrincipal,
  type organisationSchemas,
  type ServiceContext,
} from '@helio/core';
import { migrationStatus } from '@helio/db';
import type { Config } from '../config.js';
import { openDatabase } from '../open-database.js';
import { serviceContext } from '../services.js';
import type { CommandContext, CommandServices } from './command.js';
import { CliError } from './errors.js';

/** The CLI's own services: the configured database, open for `fn` and closed afterwards whatever happens. */
export async function withOwnDatabase<T>(config: Config, fn: (services: CommandServices) => Promise<T>): Promise<T> {
  const db = await openDatabase(config);
  try {
    return await fn({ db, clock: systemClock, ids: createUuidV7Generator(), config });
  } finally {
    await db.close();
  }
}

/**
 * Runs `fn` as the system principal (the operator at the shell) on a migrated
 * database. Unlike `serve`, commands never apply migrations on their own: a
 * typo in --database-url must not create Helio's schema somewhere unexpected.
 */
export function asSystem<T>(cx: CommandContext, fn: (ctx: ServiceContext) => Promise<T>): Promise<T> {
  return cx.withServices(async (services) => {
    const { pending } = await migrationStatus(services.db);
    if (pending.length > 0) {
      throw new CliError('NOT_MIGRATED', `the database is not migrated (pending: ${pending.join(', ')})`, {
        hint: 'run `npx helio migrate` first (with the same --database-url / --data-dir)',
      });
    }
    return fn(serviceContext(services, systemPrincipal));
  });
}

/**
 * The organisation an --org flag names. The system principal passes every
 * membership check, so a wrong id would otherwise surface as a foreign-key
 * failure halfway through a command.
 */
export async function requireOrganisation(ctx: ServiceContext, id: string): Promise<organisationSchemas.Organisation> {
  const organisationId = parseId(id, '--org');
  const org = (await organisations.listOrganisations(ctx)).find((o) => o.id === organisationId);
  if (!org) throw notFound('organisation', organisationId);
  return org;
}
