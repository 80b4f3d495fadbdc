import { z } from 'zod';

/** The Locus v3 component vocabularies (the spec's component object). */
export const nodeTypes = ['METER', 'INVERTER', 'STRING', 'COMBINER', 'WEATHERSTATION', 'BATTERY', 'GATEWAY', 'SENSOR', 'OTHER'] as const;
export const applications = ['GENERATION', 'NET-GRID'] as const;
export const generationTypes = ['SOLAR', 'WIND', 'THERMAL', 'OTHER', 'NET-GRID', 'EVSE'] as const;

export type NodeType = (typeof nodeTypes)[number];
export type Application = (typeof applications)[number];
export type GenerationType = (typeof generationTypes)[number];

/** What a create leaves out and the service fills in. */
export const componentDefaults = { application: 'GENERATION', generationType: 'SOLAR', isConceptualNode: false } as const;

const componentFields = {
  /** The device's own identifier (a MAC address, a logger's serial); unique among an organisation's live components. */
  nodeId: z.string().trim().min(1).max(200),
  name: z.string().trim().min(1).max(200),
  nodeType: z.enum(nodeTypes),
  application: z.enum(applications),
  generationType: z.enum(generationTypes),
  oem: z.string().trim().max(200).nullable(),
  model: z.string().trim().max(200).nullable(),
  isConceptualNode: z.boolean(),
  serialNumber: z.string().trim().max(200).nullable(),
  description: z.string().trim().max(2000).nullable(),
  /** The parent component (of the same site); null: directly under the site. */
  parentId: z.uuid().nullable(),
};

export const createComponentInput = z.strictObject({
  /** Clients may choose the id (UUID v7) so rows can be created offline. */
  id: z.uuid().optional(),
  /** Optional: the site decides; when given, it must be the site's organisation. */
  organisationId: z.uuid().optional(),
  siteId: z.uuid(),
  parentId: componentFields.parentId.optional(),
  nodeId: componentFields.nodeId,
  name: componentFields.name,
  nodeType: componentFields.nodeType,
  application: componentFields.application.optional(),
  generationType: componentFields.generationType.optional(),
  oem: componentFields.oem.optional(),
  model: componentFields.model.optional(),
  isConceptualNode: componentFields.isConceptualNode.optional(),
  serialNumber: componentFields.serialNumber.optional(),
  description: componentFields.description.optional(),
});
export type CreateComponentInput = z.input<typeof createComponentInput>;

/** A component created under a site named elsewhere (the REST path): its attributes and parentId. */
export const createSiteComponentInput = createComponentInput.omit({ siteId: true, organisationId: true });

/**
 * A partial update: absent fields stay, `null` clears. Moving a component is
 * changing its `parentId` (null: to directly under the site). `siteId` never
 * changes; it is accepted only with the component's own site (a device
 * restoring a deleted component sends every field back).
 */
export const updateComponentInput = z
  .strictObject({
    siteId: z.uuid(),
    ...componentFields,
  })
  .partial();
export type UpdateComponentInput = z.input<typeof updateComponentInput>;

export const listComponentsInput = z.strictObject({
  siteId: z.uuid().optional(),
  organisationId: z.uuid().optional(),
  /** A node id, where `%` stands for any run of characters (as Locus' `nodeId` search). */
  nodeId: z.string().min(1).max(200).optional(),
});
export type ListComponentsInput = z.input<typeof listComponentsInput>;

/** The filters of a site's component list. */
export const siteComponentsQuery = listComponentsInput.pick({ nodeId: true });

export const component = z.object({
  id: z.uuid(),
  /** The Locus integer id; null while a component created offline waits for the server's. */
  locusId: z.number().int().nullable(),
  organisationId: z.uuid(),
  siteId: z.uuid(),
  parentId: z.uuid().nullable(),
  nodeId: z.string(),
  name: z.string(),
  nodeType: z.enum(nodeTypes),
  application: z.enum(applications),
  generationType: z.enum(generationTypes),
  oem: z.string().nullable(),
  model: z.string().nullable(),
  isConceptualNode: z.boolean(),
  serialNumber: z.string().nullable(),
  description: z.string().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Component = z.infer<typeof component>;
