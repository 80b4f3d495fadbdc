// The synced tables, collected from their domains. Each domain declares its
// own in `<domain>/sync.ts`; this list only says which ones Helio syncs, in
// the order a pull page lists them.
import { communitiesSync, communityAssetsSync, communityDeliveryPointsSync, communityMembersSync } from '../communities/sync.js';
import { documentsSync } from '../documents/sync.js';
import { alertsSync } from '../monitoring/alerts/sync.js';
import { componentsSync } from '../monitoring/components/sync.js';
import { organisationsSync } from '../organisations/sync.js';
import { portfoliosSync } from '../portfolios/sync.js';
import { sitesSync } from '../sites/sync.js';
import { membershipsSync } from '../users/sync.js';
import { conflictsSync } from './conflicts.js';
import { SyncSchema } from './synced-table.js';

export const syncSchema = new SyncSchema([
  organisationsSync,
  membershipsSync,
  portfoliosSync,
  sitesSync,
  componentsSync,
  alertsSync,
  documentsSync,
  communitiesSync,
  communityMembersSync,
  communityDeliveryPointsSync,
  communityAssetsSync,
  conflictsSync,
]);
