import { procedure, router } from '../trpc/init.js';
import { listOrganisations } from './service.js';

export const organisationsRouter = router({
  list: procedure.query(({ ctx }) => listOrganisations(ctx.service)),
});
