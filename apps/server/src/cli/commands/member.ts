import type { ServiceContext } from '@helio/core';
import { notFound, roles, validationError, withArticle } from '@helio/core/basics';
import { z } from 'zod';
import type { Args } from '../args.js';
import type { Command } from '../command.js';
import { asSystem, loadCore, requireOrganisation } from '../context.js';
import { fields } from '../output.js';

const userOption = { type: 'string', value: 'email|id', required: true, description: 'The user, by email address or id' } as const;

/** The user a --user flag names, by email (anything with an @) or by id; `label` is how messages name them. */
async function requireUser(ctx: ServiceContext, ref: string): Promise<{ id: string; label: string }> {
  if (ref.includes('@')) {
    const { users } = await loadCore();
    const user = await users.findUserByEmail(ctx, ref);
    if (!user) throw notFound('user', ref);
    return { id: user.id, label: user.email };
  }
  if (!z.uuid().safeParse(ref).success) {
    throw validationError('--user must be an email address or a user id', [{ path: 'user', message: 'an email address or a UUID' }]);
  }
  return { id: ref, label: `user ${ref}` };
}

/** The organisation (--org) and user (--user) both commands act on. */
async function memberTarget(ctx: ServiceContext, args: Args) {
  const org = await requireOrganisation(ctx, args.required('org'));
  return { org, user: await requireUser(ctx, args.required('user')) };
}

export const memberAdd: Command = {
  path: ['member', 'add'],
  summary: "Add a user to an organisation, or change a member's role",
  description: 'Makes an existing user a member of the organisation with the role; for a user who is a member already, changes their role.',
  options: {
    org: { type: 'string', value: 'id', required: true, description: 'Organisation to add the user to' },
    user: userOption,
    role: { type: 'string', value: 'role', required: true, description: `Role in --org: ${roles.join(', ')}` },
  },
  forwardable: true,
  examples: [
    'npx helio member add --org "$ORG" --user ada@example.com --role technician',
    'npx helio member add --org "$ORG" --user "$USER_ID" --role viewer --json',
  ],
  run: (cx, args) =>
    asSystem(cx, async (ctx, { users }) => {
      const { org, user } = await memberTarget(ctx, args);
      const membership = await users.addMember(ctx, { organisationId: org.id, userId: user.id, role: args.required('role') });
      const details = fields([
        ['membership', membership.id],
        ['user', membership.userId],
      ]);
      return { json: membership, text: `${user.label} is now ${withArticle(membership.role)} in organisation "${org.name}"\n${details}` };
    }),
};

export const memberRemove: Command = {
  path: ['member', 'remove'],
  summary: 'Take a user out of an organisation',
  description:
    "Ends the user's membership: their OAuth tokens stop reaching the organisation at once, and a desktop app they are " +
    "signed in to removes the organisation's data at its next sync, listing any changes not yet synced there as " +
    "could not sync. The organisation's last owner cannot be removed (CONFLICT): make another member an owner first.",
  options: {
    org: { type: 'string', value: 'id', required: true, description: 'Organisation to take the user out of' },
    user: userOption,
  },
  forwardable: true,
  examples: [
    'npx helio member remove --org "$ORG" --user ada@example.com',
    'npx helio member remove --org "$ORG" --user "$USER_ID" --json',
  ],
  run: (cx, args) =>
    asSystem(cx, async (ctx, { users }) => {
      const { org, user } = await memberTarget(ctx, args);
      const removed = await users.removeMember(ctx, { organisationId: org.id, userId: user.id });
      const details = fields([
        ['membership', removed.id],
        ['user', removed.userId],
        ['removed', removed.removedAt],
      ]);
      return { json: removed, text: `Removed ${user.label} (${removed.role}) from organisation "${org.name}"\n${details}` };
    }),
};
