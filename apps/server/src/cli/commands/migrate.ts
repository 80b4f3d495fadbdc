import { migrate as applyMigrations, migrationStatus } from '@helio/db';
import type { Command } from '../command.js';

const list = (ids: readonly string[]) => (ids.length ? ids.map((id) => `  ${id}`).join('\n') : '  (none)');
const migrations = (n: number) => `${n} migration${n === 1 ? '' : 's'}`;

export const migrate: Command = {
  path: ['migrate'],
  summary: 'Apply pending database migrations (or show them with --status)',
  description:
    'Applies every pending migration, each in its own transaction, and prints the ones it applied. ' +
    'Refuses to touch a database whose applied migrations differ from this build. Safe to run again: ' +
    'an up-to-date database is left as it is.',
  options: {
    status: { type: 'boolean', description: 'Only report applied and pending migrations; change nothing' },
  },
  examples: ['npx helio migrate', 'npx helio migrate --status --json', 'npx helio migrate --database-url postgres://helio@db/helio'],
  run: (cx, args) =>
    cx.withServices(async ({ db }) => {
      const before = await migrationStatus(db);
      if (args.flag('status')) {
        return {
          json: before,
          text: `Applied migrations:\n${list(before.applied)}\nPending migrations:\n${list(before.pending)}`,
        };
      }
      const applied = await applyMigrations(db);
      return {
        json: { applied, alreadyApplied: before.applied },
        text: applied.length
          ? `Applied ${migrations(applied.length)}:\n${list(applied)}`
          : `The database is up to date (${migrations(before.applied.length)} applied earlier).`,
      };
    }),
};
