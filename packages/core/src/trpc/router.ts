// The one router: called in-process by the desktop app and mounted at /trpc
// by the server. Each domain writes its own router in its folder; this file
// only assembles them.
import { apiKeysRouter } from '../api-keys/router.js';
import { communitiesRouter } from '../communities/router.js';
import { documentsRouter } from '../documents/router.js';
import { alertsRouter } from '../monitoring/alerts/router.js';
import { componentsRouter } from '../monitoring/components/router.js';
import { monitoringRouter } from '../monitoring/data/router.js';
import { organisationsRouter } from '../organisations/router.js';
import { plantsRouter } from '../plants/router.js';
import { portfoliosRouter } from '../portfolios/router.js';
import { sitesRouter } from '../sites/router.js';
import { syncRouter } from '../sync/router.js';
import { me } from '../users/router.js';
import { createCallerFactory, router } from './init.js';

export const appRouter = router({
  me,
  organisations: organisationsRouter,
  sites: sitesRouter,
  portfolios: portfoliosRouter,
  apiKeys: apiKeysRouter,
  documents: documentsRouter,
  components: componentsRouter,
  alerts: alertsRouter,
  monitoring: monitoringRouter,
  plants: plantsRouter,
  communities: communitiesRouter,
  sync: syncRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
