import { roles, roleSchema, validationError, type Role } from '@helio/core/basics';
import type { Command } from '../command.js';
import { asSystem, requireOrganisation } from '../context.js';
import { fields } from '../output.js';
import { UsageError } from '../args.js';

const path = ['user', 'create'] as const;

export const userCreate: Command = {
  path,
  summary: 'Create a user, optionally as a member of an organisation',
  description:
    'Creates a user account. With --org and --role the user also becomes a member of that organisation. ' +
    'Prefer --password-stdin to --password: a password on the command line is visible to other local users ' +
    'and lands in shell history. Without a password the user cannot sign in with the OAuth password grant.',
  options: {
    email: { type: 'string', value: 'email', required: true, description: 'Email address, the sign-in name; stored lower-case' },
    name: { type: 'string', value: 'name', required: true, description: 'Display name' },
    password: { type: 'string', value: 'password', description: 'Password, at least 10 characters' },
    'password-stdin': { type: 'boolean', description: 'Read the password from standard input (one trailing newline is dropped)' },
    org: { type: 'string', value: 'id', description: 'Organisation to add the user to (needs --role)' },
    role: { type: 'string', value: 'role', description: `Role in --org: ${roles.join(', ')}` },
  },
  forwardable: true,
  examples: [
    'printf %s "$PASSWORD" | npx helio user create --email ada@example.com --name "Ada Lovelace" --password-stdin --org "$ORG" --role owner',
    'npx helio user create --email viewer@example.com --name "Read Only" --org "$ORG" --role viewer --json',
  ],
  async run(cx, args) {
    if (args.string('password') !== undefined && args.flag('password-stdin')) {
      throw new UsageError('give --password or --password-stdin, not both', path);
    }
    const org = args.string('org');
    const role = args.string('role');
    if ((org === undefined) !== (role === undefined)) throw new UsageError('--org and --role go together', path);
    const password = args.flag('password-stdin') ? (await cx.io.readStdin()).replace(/\r?\n$/, '') : args.string('password');

    return asSystem(cx, async (ctx, { users }) => {
      // The user and its membership are written in one transaction by core;
      // these checks only give the flags clearer messages.
      let membership: { organisationId: string; role: Role } | undefined;
      if (org !== undefined) {
        const { id: organisationId } = await requireOrganisation(ctx, org);
        const parsed = roleSchema.safeParse(role);
        if (!parsed.success) {
          throw validationError(`--role must be one of ${roles.join(', ')}`, [
            { path: 'role', message: `must be one of ${roles.join(', ')}` },
          ]);
        }
        membership = { organisationId, role: parsed.data };
      }
      const user = await users.createUser(ctx, { email: args.required('email'), name: args.required('name'), password, ...membership });
      const member = membership ? { ...membership, userId: user.id } : null;
      const lines = [
        `Created user ${user.email} ("${user.name}")`,
        fields([
          ['id', user.id],
          ['password', password === undefined ? 'none (cannot sign in with a password)' : 'set'],
          ['organisation', member ? `${member.organisationId} as ${member.role}` : 'none'],
        ]),
      ];
      return { json: { user, membership: member }, text: lines.join('\n') };
    });
  },
};
