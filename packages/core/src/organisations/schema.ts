import { z } from 'zod';

export const organisationName = z.string().trim().min(1).max(200);

export const createOrganisationInput = z.strictObject({
  id: z.uuid().optional(),
  name: organisationName,
});
export type CreateOrganisationInput = z.input<typeof createOrganisationInput>;

export const organisation = z.object({
  id: z.uuid(),
  /** The Locus partner id (null only on a device, for an organisation of its own that no server has). */
  partnerId: z.int().nullable(),
  /** The Locus client id answering for the organisation's sites outside any portfolio ("Sites without a portfolio"). */
  unassignedClientId: z.int().nullable(),
  name: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Organisation = z.infer<typeof organisation>;
