import type { apiKeySchemas } from '@helio/core';
import { roles } from '@helio/core/basics';
import type { Command } from '../command.js';
import { asSystem, requireOrganisation } from '../context.js';
import { fields, table } from '../output.js';

export const apikeyCreate: Command = {
  path: ['apikey', 'create'],
  summary: 'Create an API key for an organisation (the key is shown once)',
  description:
    'Creates an organisation-scoped API key for the x-api-key header. The whole key is printed once, now; ' +
    'Helio stores only its hash, so store it before you close the terminal.',
  options: {
    org: { type: 'string', value: 'id', required: true, description: 'Organisation the key acts for' },
    name: { type: 'string', value: 'name', required: true, description: 'What the key is for, to recognise it in lists' },
    role: { type: 'string', value: 'role', description: `Role the key acts with: ${roles.join(', ')} (default: admin)` },
  },
  forwardable: true,
  examples: [
    'npx helio apikey create --org "$ORG" --name "billing export" --role viewer',
    'KEY=$(npx helio apikey create --org "$ORG" --name ci --json | jq -r .key)',
  ],
  run: (cx, args) =>
    asSystem(cx, async (ctx, { apiKeys }) => {
      const org = await requireOrganisation(ctx, args.required('org'));
      const created = await apiKeys.createApiKey(ctx, { organisationId: org.id, name: args.required('name'), role: args.string('role') });
      const text = [
        `Created API key "${created.name}" (${created.role}) for organisation "${org.name}"`,
        fields([
          ['id', created.id],
          ['prefix', created.prefix],
          ['key', created.key],
        ]),
        '',
        'This is the only time the key is shown: store it now. Send it as the x-api-key header.',
      ].join('\n');
      return { json: created, text };
    }),
};

const keyTable = (keys: readonly apiKeySchemas.ApiKey[]) =>
  table(
    ['ID', 'ORGANISATION', 'NAME', 'ROLE', 'PREFIX', 'CREATED', 'LAST USED', 'REVOKED'],
    keys.map((k) => [k.id, k.organisationId, k.name, k.role, k.prefix, k.createdAt, k.lastUsedAt, k.revokedAt]),
  );

export const apikeyList: Command = {
  path: ['apikey', 'list'],
  summary: 'List API keys, newest first (prefixes only, never the keys)',
  options: {
    org: { type: 'string', value: 'id', description: 'Only the keys of this organisation (default: every organisation)' },
  },
  forwardable: true,
  examples: ['npx helio apikey list', 'npx helio apikey list --org "$ORG" --json'],
  run: (cx, args) =>
    asSystem(cx, async (ctx, { apiKeys }) => {
      const org = args.string('org');
      const organisationId = org === undefined ? undefined : (await requireOrganisation(ctx, org)).id;
      const keys = await apiKeys.listApiKeys(ctx, organisationId ? { organisationId } : {});
      return { json: keys, text: keys.length ? keyTable(keys) : 'No API keys.' };
    }),
};

export const apikeyRevoke: Command = {
  path: ['apikey', 'revoke'],
  summary: 'Revoke an API key; requests made with it are refused from then on',
  options: {},
  positionals: [{ name: 'id', description: 'The key id (the ID column of `apikey list`, not the key itself)' }],
  forwardable: true,
  examples: ['npx helio apikey revoke 0197a5b2-6c1e-7c3a-9d8e-2f4b5a6c7d8e'],
  run: (cx, args) =>
    asSystem(cx, async (ctx, { apiKeys }) => {
      const key = await apiKeys.revokeApiKey(ctx, args.positional(0));
      return {
        json: key,
        text: `Revoked API key "${key.name}" (${key.prefix}) at ${key.revokedAt ?? '?'}\n${fields([
          ['id', key.id],
          ['organisation', key.organisationId],
        ])}`,
      };
    }),
};
