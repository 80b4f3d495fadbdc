import { z } from 'zod';
import { roleSchema } from '../auth/roles.js';

export const createApiKeyInput = z.strictObject({
  organisationId: z.uuid().optional(),
  name: z.string().trim().min(1).max(200),
  role: roleSchema.default('admin'),
});

export const apiKey = z.object({
  id: z.uuid(),
  organisationId: z.uuid(),
  name: z.string(),
  role: roleSchema,
  /** The non-secret start of the key, enough to recognise it in a list. */
  prefix: z.string(),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().nullable(),
  revokedAt: z.iso.datetime().nullable(),
});
export type ApiKey = z.infer<typeof apiKey>;

export const createdApiKey = apiKey.extend({
  /** The whole key. Shown once; only its hash is stored. */
  key: z.string(),
});
export type CreatedApiKey = z.infer<typeof createdApiKey>;
