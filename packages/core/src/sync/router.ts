// The sync protocol's procedures: inputs are validated by the services,
// which also check the protocol version before anything else.
import { z } from 'zod';
import { procedure, router } from '../trpc/init.js';
import { pull } from './pull.js';
import { push } from './push.js';

export const syncRouter = router({
  push: procedure.input(z.unknown()).mutation(({ ctx, input }) => push(ctx.service, input)),
  pull: procedure.input(z.unknown()).query(({ ctx, input }) => pull(ctx.service, input)),
});
