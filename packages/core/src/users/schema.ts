import { z } from 'zod';
import { roleSchema } from '../auth/roles.js';

export const email = z
  .email()
  .max(320)
  .transform((e) => e.toLowerCase());
export const password = z.string().min(10, 'must be at least 10 characters').max(200);

export const createUserInput = z
  .strictObject({
    id: z.uuid().optional(),
    email,
    name: z.string().trim().min(1).max(200),
    password: password.optional(),
    /** With `role`: the user joins this organisation in the same transaction. */
    organisationId: z.uuid().optional(),
    role: roleSchema.optional(),
  })
  .refine((u) => Boolean(u.organisationId) === Boolean(u.role), {
    message: 'organisationId and role go together',
    path: ['role'],
  });

export const addMemberInput = z.strictObject({
  organisationId: z.uuid(),
  userId: z.uuid(),
  role: roleSchema,
});

export const removeMemberInput = z.strictObject({
  organisationId: z.uuid(),
  userId: z.uuid(),
});

export const user = z.object({
  id: z.uuid(),
  email: z.string(),
  name: z.string(),
  createdAt: z.iso.datetime(),
});
export type User = z.infer<typeof user>;

export const membership = z.object({
  id: z.uuid(),
  organisationId: z.uuid(),
  userId: z.uuid(),
  role: roleSchema,
  createdAt: z.iso.datetime(),
});
export type Membership = z.infer<typeof membership>;

/** A membership that `removeMember` ended: kept as a tombstone so that sync clients learn of it. */
export const removedMembership = membership.extend({ removedAt: z.iso.datetime() });
export type RemovedMembership = z.infer<typeof removedMembership>;
