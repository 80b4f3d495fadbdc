// The registry syncs to every member's device: communities as the server
// holds them (devices only receive them: a community changes by import), and
// members, delivery points and assets, which a community's managers edit
// offline on the desktop and devices push through the entity services.
//
// Removing a member removes its delivery points and assets, and restoring it
// brings back those removed with it: declared (onRemove, effect 'remove'), so
// that a device replays it when it rebuilds those rows, and puts back the
// server's version when the server refuses the removal.
//
// Every writer of the registry takes its lock first (locks.ts); a push batch
// that writes these tables takes it before its first mutation (lockFirst).
import { defineSyncedTable } from '../sync/synced-table.js';
import { lockRegistry } from './locks.js';
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
    lockFirst: lockRegistry,
    columns: memberSyncColumns,
    labelColumn: 'name',
    create: (ctx, id, organisationId, fields) => createCommunityMember(ctx, { ...fields, id, organisation_id: organisationId }),
    update: (ctx, id, fields) => updateCommunityMember(ctx, id, fields),
    remove: (ctx, id) => removeCommunityMember(ctx, id),
    // removeCommunityMember removes the member's delivery points and assets; restoreCommunityMember brings them back.
    onRemove: [
      { table: 'community_delivery_points', column: 'member_id', effect: 'remove' },
      { table: 'community_assets', column: 'member_id', effect: 'remove' },
    ],
    restore: (ctx, id) => restoreCommunityMember(ctx, id),
  },
});

export const communityDeliveryPointsSync = defineSyncedTable({
  table: 'community_delivery_points',
  refersTo: ['organisations', 'communities', 'community_members'],
  writes: {
    entity: 'delivery point',
    lockFirst: lockRegistry,
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
    lockFirst: lockRegistry,
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
