import type { Command } from '../command.js';
import { asSystem, requireOrganisation } from '../context.js';
import { fields } from '../output.js';

export const plantMove: Command = {
  path: ['plant', 'move'],
  summary: 'Move a plant to another organisation',
  description:
    'What the Plants API keeps to a server operator (organizationId in PATCH /api/v1/plants/{id}). The plant keeps its ' +
    'id, credentials and history; it leaves its site and component (the old organisation keeps their readings), its ' +
    'plant groups, and an organisation template the new organisation cannot use. Its serial number must be free in the new organisation (CONFLICT otherwise).',
  options: {
    plant: { type: 'string', value: 'id', required: true, description: 'The plant to move' },
    org: { type: 'string', value: 'id', required: true, description: 'The organisation it moves to' },
  },
  forwardable: true,
  examples: ['npx helio plant move --plant "$PLANT" --org "$ORG"', 'npx helio plant move --plant "$PLANT" --org "$ORG" --json'],
  run: (cx, args) =>
    asSystem(cx, async (ctx, { plants }) => {
      const org = await requireOrganisation(ctx, args.required('org'));
      const plant = await plants.updatePlant(ctx, args.required('plant'), { organizationId: org.id });
      return {
        json: plant,
        text: `Plant "${plant.name}" now belongs to organisation "${org.name}"\n${fields([
          ['plant', plant.id],
          ['serial number', plant.serialNumber],
          ['site', plant.siteId ?? undefined],
        ])}`,
      };
    }),
};
