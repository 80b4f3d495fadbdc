// The registry syncs to every member's device: communities as the server
// holds them (devices only receive them: a community changes by import), and
// members, delivery points and assets, which a community's managers edit
// offline on the desktop and devices push through the entity services.
//
// Removing a member removes its delivery points and assets (restoring it
// brings back those removed with it). `onRemove` cannot declare that: it
// names one table, whose column a removal clears. So a device applies the
// cascade only through the service it runs for its own write, without
// keeping the server's version of the rows it reaches: when the server
// refuses the removal (the user lost the right meanwhile, or another manager
// put an asset behind one of the member's delivery points), the device keeps
// those rows removed until the server changes them again. Declaring it needs
// an `onRemove` that names several tables and removes as well as clears.
import { defineSyncedTable } from '../sync/synced-table.js';
import { createCommunityAsset, removeCommunityAsset, restoreCommunityAsset, updateCommunityAsset } from './entities/assets.js';
import {
  createCommunityDeliveryPoint,
  removeCommunityDeliveryPoint,
  restoreCommunityDeliveryPoint,
  updateCommunityDeliveryPoint,
} from './entities/delivery-points.js';
import { createCommunityMember, removeCommunityMember, restoreCommunityMember, updateCommunityMember } from './entities/members.js';
import { assetSyncColumns, deliveryPointSyncColumns, memberSyncColumns } from './entities/schema.js';

export const communitiesSync = defineSyncedTable({
  table: 'communities',
  refersTo: ['organisations'],
});

export const communityMembersSync = defineSyncedTable({
  table: 'community_members',
  refersTo: ['organisations', 'communities'],
  // user_id is a free identity string, not always a Helio user's id (and a
  // user it names need not belong to the organisation): it is not a user column.
  writes: {
    entity: 'member',
    columns: memberSyncColumns,
    labelColumn: 'name',
    create: (ctx, id, organisationId, fields) => createCommunityMember(ctx, { ...fields, id, organisation_id: organisationId }),
    update: (ctx, id, fields) => updateCommunityMember(ctx, id, fields),
    remove: (ctx, id) => removeCommunityMember(ctx, id),
    restore: (ctx, id) => restoreCommunityMember(ctx, id),
  },
});

export const communityDeliveryPointsSync = defineSyncedTable({
  table: 'community_delivery_points',
  refersTo: ['organisations', 'communities', 'community_members'],
  writes: {
    entity: 'delivery point',
    columns: deliveryPointSyncColumns,
    labelColumn: 'pod',
    // createCommunityDeliveryPoint makes a new delivery point active unless told otherwise.
    defaults: { active: true },
    create: (ctx, id, organisationId, fields) => createCommunityDeliveryPoint(ctx, { ...fields, id, organisation_id: organisationId }),
    update: (ctx, id, fields) => updateCommunityDeliveryPoint(ctx, id, fields),
    remove: (ctx, id) => removeCommunityDeliveryPoint(ctx, id),
    restore: (ctx, id) => restoreCommunityDeliveryPoint(ctx, id),
  },
});

export const communityAssetsSync = defineSyncedTable({
  table: 'community_assets',
  refersTo: ['organisations', 'communities', 'community_members'],
  writes: {
    entity: 'asset',
    columns: assetSyncColumns,
    labelColumn: 'name',
    // createCommunityAsset stores absent object fields as empty objects.
    defaults: { properties: {}, device: {}, relationships: {} },
    create: (ctx, id, organisationId, fields) => createCommunityAsset(ctx, { ...fields, id, organisation_id: organisationId }),
    update: (ctx, id, fields) => updateCommunityAsset(ctx, id, fields),
    remove: (ctx, id) => removeCommunityAsset(ctx, id),
    restore: (ctx, id) => restoreCommunityAsset(ctx, id),
  },
});
