// What a device's router takes from core: the same procedures as appRouter,
// with the synced writes going through the device's sync client (each
// domain's local router), and the sync panel's procedures. The desktop adds
// what only it has (its session, captured files, the server connection).
import { localApiKeysRouter } from '../api-keys/router.js';
import { localCommunitiesRouter } from '../communities/router.js';
import { localDocumentsRouter } from '../documents/router.js';
import { localAlertsRouter } from '../monitoring/alerts/router.js';
import { localComponentsRouter } from '../monitoring/components/router.js';
import { organisationsRouter } from '../organisations/router.js';
import { localPortfoliosRouter } from '../portfolios/router.js';
import { localSitesRouter } from '../sites/router.js';
import { localSyncProcedures } from '../sync/local.js';
import { syncRouter } from '../sync/router.js';
import { me } from '../users/router.js';

export const localProcedures = {
  me,
  organisations: organisationsRouter,
  sync: syncRouter,
  sites: localSitesRouter,
  portfolios: localPortfoliosRouter,
  documents: localDocumentsRouter,
  components: localComponentsRouter,
  alerts: localAlertsRouter,
  apiKeys: localApiKeysRouter,
  communities: localCommunitiesRouter,
};

export { localSyncProcedures };
