import type { Command } from '../command.js';
import { asSystem } from '../context.js';
import { fields, table } from '../output.js';

export const orgCreate: Command = {
  path: ['org', 'create'],
  summary: 'Create an organisation (a tenant)',
  options: {
    name: { type: 'string', value: 'name', required: true, description: 'Display name of the organisation' },
  },
  forwardable: true,
  examples: [
    'npx helio org create --name "Acme Solar"',
    'ORG=$(npx helio org create --name "Acme Solar" --json | jq -r .id)',
    'PARTNER=$(npx helio org create --name "Acme Solar" --json | jq -r .partnerId)',
  ],
  run: (cx, args) =>
    asSystem(cx, async (ctx, { organisations }) => {
      const org = await organisations.createOrganisation(ctx, { name: args.required('name') });
      return {
        json: org,
        text: `Created organisation "${org.name}"\n${fields([
          ['id', org.id],
          // Its integer id in the Locus API (/v3/partners/{partnerId}/...).
          ['partner id', org.partnerId?.toString()],
          ['created', org.createdAt],
        ])}`,
      };
    }),
};

export const orgList: Command = {
  path: ['org', 'list'],
  summary: 'List every organisation',
  options: {},
  forwardable: true,
  examples: ['npx helio org list', 'npx helio org list --json'],
  run: (cx) =>
    asSystem(cx, async (ctx, { organisations }) => {
      const orgs = await organisations.listOrganisations(ctx);
      return {
        json: orgs,
        text: orgs.length
          ? table(
              ['ID', 'NAME', 'CREATED'],
              orgs.map((o) => [o.id, o.name, o.createdAt]),
            )
          : 'No organisations yet: create one with `npx helio org create --name <name>`.',
      };
    }),
};
