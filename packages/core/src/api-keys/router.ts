// The API-key procedures. A device lists the keys it knows of; keys are made
// and revoked on the server only (a key shown once must come from there).
import { z } from 'zod';
import { localRouter, serverOnly } from '../sync/local.js';
import { procedure, router } from '../trpc/init.js';
import { createApiKeyInput } from './schema.js';
import { createApiKey, listApiKeys, revokeApiKey } from './service.js';

const list = procedure
  .input(z.strictObject({ organisationId: z.uuid().optional() }).optional())
  .query(({ ctx, input }) => listApiKeys(ctx.service, input ?? {}));

export const apiKeysRouter = router({
  list,
  create: procedure.input(createApiKeyInput).mutation(({ ctx, input }) => createApiKey(ctx.service, input)),
  revoke: procedure.input(z.strictObject({ id: z.uuid() })).mutation(({ ctx, input }) => revokeApiKey(ctx.service, input.id)),
});

export const localApiKeysRouter = localRouter({
  list,
  create: serverOnly('Creating an API key'),
  revoke: serverOnly('Revoking an API key'),
});
