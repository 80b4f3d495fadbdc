import { components, componentSchemas, parseId, parseInput } from '@helio/core';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { commonErrors, type OperationDoc } from '../../openapi/describe.js';

const Component = componentSchemas.component.meta({ id: 'Component' });
const DeletedComponent = z
  .object({ id: z.uuid(), locusId: z.number().int().nullable(), deleted: z.literal(true) })
  .meta({ id: 'DeletedComponent' });
const siteParams = z.object({ siteId: z.uuid().describe('The site id') });
const componentParams = z.object({ componentId: z.uuid().describe('The component id') });

const attributes =
  "Attributes as in the Locus v3 component object: `nodeId` (the device's own identifier, unique among the organisation's live components), `name`, `nodeType`, `application`, `generationType`, `oem`, `model`, `isConceptualNode`, `serialNumber`, `description`; and `parentId`, the id of a component of the same site to hang it under (absent or null: directly under the site).";

/** The OpenAPI entries of the routes below. */
export const componentOperations = {
  list: {
    method: 'get',
    path: '/api/sites/{siteId}/components',
    tag: 'Alentis',
    summary: "List a site's components",
    description:
      'Every live component of the site, oldest first, each with its `parentId` (null: directly under the site), from which the tree is built. `nodeId` filters by node id; `%` in it stands for any characters.',
    auth: 'credentials',
    params: siteParams,
    query: componentSchemas.siteComponentsQuery,
    responses: { 200: { description: 'The components', schema: z.array(Component) }, ...commonErrors() },
  },
  create: {
    method: 'post',
    path: '/api/sites/{siteId}/components',
    tag: 'Alentis',
    summary: 'Add a component to a site',
    description: `${attributes} Required: \`nodeId\`, \`name\`, \`nodeType\`; \`application\` defaults to GENERATION, \`generationType\` to SOLAR, \`isConceptualNode\` to false. The answer carries the component's Locus integer id as \`locusId\`. Role technician or above.`,
    auth: 'credentials',
    params: siteParams,
    body: componentSchemas.createSiteComponentInput,
    responses: {
      201: { description: 'The created component', schema: Component },
      ...commonErrors([409]),
    },
  },
  get: {
    method: 'get',
    path: '/api/components/{componentId}',
    tag: 'Alentis',
    summary: 'Get a component',
    auth: 'credentials',
    params: componentParams,
    responses: { 200: { description: 'The component', schema: Component }, ...commonErrors() },
  },
  update: {
    method: 'patch',
    path: '/api/components/{componentId}',
    tag: 'Alentis',
    summary: 'Update or move a component',
    description:
      'A partial update: fields left out stay as they are; `null` clears an optional field. Changing `parentId` moves the component (with everything under it); `parentId: null` moves it directly under the site. A move under one of its own descendants is refused (400), and so is a parent on another site; a component stays on its site. A `nodeId` another live component of the organisation has is a 409.',
    auth: 'credentials',
    params: componentParams,
    body: componentSchemas.updateComponentInput,
    responses: { 200: { description: 'The updated component', schema: Component }, ...commonErrors([409]) },
  },
  remove: {
    method: 'delete',
    path: '/api/components/{componentId}',
    tag: 'Alentis',
    summary: 'Remove a component',
    description: 'The components directly under it move up to the site (their `parentId` becomes null); its readings stay on the server.',
    auth: 'credentials',
    params: componentParams,
    responses: { 200: { description: 'The component was removed', schema: DeletedComponent }, ...commonErrors() },
  },
} satisfies Record<string, OperationDoc>;

export function componentRoutes(app: FastifyInstance): void {
  app.get<{ Params: { siteId: string } }>('/sites/:siteId/components', (req) => {
    const siteId = parseId(req.params.siteId, 'siteId');
    return components.listComponents(req.ctx, { ...parseInput(componentSchemas.siteComponentsQuery, req.query), siteId });
  });

  app.post<{ Params: { siteId: string } }>('/sites/:siteId/components', async (req, reply) => {
    const siteId = parseId(req.params.siteId, 'siteId');
    const body = parseInput(componentSchemas.createSiteComponentInput, req.body);
    return reply.code(201).send(await components.createComponent(req.ctx, { ...body, siteId }));
  });

  app.get<{ Params: { componentId: string } }>('/components/:componentId', (req) =>
    components.getComponent(req.ctx, parseId(req.params.componentId, 'componentId')),
  );

  app.patch<{ Params: { componentId: string } }>('/components/:componentId', (req) =>
    components.updateComponent(req.ctx, parseId(req.params.componentId, 'componentId'), req.body),
  );

  app.delete<{ Params: { componentId: string } }>('/components/:componentId', async (req) => {
    const deleted = await components.deleteComponent(req.ctx, parseId(req.params.componentId, 'componentId'));
    return { id: deleted.id, locusId: deleted.locusId, deleted: true };
  });
}
