import { grantTypes, roles } from '@helio/core/basics';
import type { Command } from '../command.js';
import { asSystem, requireOrganisation } from '../context.js';
import { fields } from '../output.js';

export const oauthClientCreate: Command = {
  path: ['oauth-client', 'create'],
  summary: 'Register an OAuth2 client for POST /oauth/token (the secret is shown once)',
  description:
    'Registers a client for the token endpoint. The desktop app and user-facing integrations use the password ' +
    'and refresh_token grants; a machine-to-machine client uses client_credentials and must then be bound to an ' +
    'organisation with a role (--org and --role), which its tokens act with. The client secret is printed once, now.',
  options: {
    name: { type: 'string', value: 'name', required: true, description: 'What the client is, e.g. "Helio desktop"' },
    grants: {
      type: 'string',
      value: 'list',
      description: `Comma-separated grants from ${grantTypes.join(', ')} (default: password,refresh_token)`,
    },
    org: {
      type: 'string',
      value: 'id',
      description: 'Organisation the client is bound to (needs --role; required for client_credentials)',
    },
    role: { type: 'string', value: 'role', description: `Role of a bound client: ${roles.join(', ')}` },
    concurrency: {
      type: 'string',
      value: 'n',
      description: 'Requests the client may have in flight at once on the Locus v3 API, per user (default 1, as Locus)',
    },
  },
  forwardable: true,
  examples: [
    'npx helio oauth-client create --name "Helio desktop"',
    'npx helio oauth-client create --name "SCADA bridge" --grants client_credentials --org "$ORG" --role technician --json',
    'npx helio oauth-client create --name "Locus integration" --grants client_credentials --org "$ORG" --role viewer --concurrency 4',
  ],
  run: (cx, args) =>
    asSystem(cx, async (ctx, { oauth }) => {
      const org = args.string('org');
      const organisationId = org === undefined ? undefined : (await requireOrganisation(ctx, org)).id;
      const grants = args
        .string('grants')
        ?.split(',')
        .map((g) => g.trim())
        .filter((g) => g !== '');
      const concurrency = args.string('concurrency');
      // A number the schema then bounds; text that is no integer reaches it as text and is refused there, by name.
      const concurrencyLimit = concurrency === undefined ? undefined : /^\d+$/.test(concurrency) ? Number(concurrency) : concurrency;
      const client = await oauth.createOAuthClient(ctx, {
        name: args.required('name'),
        grants,
        organisationId,
        role: args.string('role'),
        concurrencyLimit,
      });
      const text = [
        `Created OAuth client "${client.name}"`,
        fields([
          ['id', client.id],
          ['client_id', client.clientId],
          ['client_secret', client.clientSecret],
          ['grants', client.grants.join(', ')],
          ['concurrency', `${client.concurrencyLimit ?? 1} request(s) at a time on /v3`],
          [
            'organisation',
            client.organisationId ? `${client.organisationId} as ${client.role ?? '?'}` : 'none (acts for the signed-in user)',
          ],
        ]),
        '',
        'This is the only time the client secret is shown: store it now.',
      ].join('\n');
      return { json: client, text };
    }),
};
