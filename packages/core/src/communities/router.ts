// The community registry's procedures, for the desktop app (and any tRPC
// client): the communities of the caller's organisations, one community's
// registry whole, and single-row edits of its members, delivery points and
// assets. On the server, writes go straight to the entity services; on a
// device (localCommunitiesRouter), through the sync client, which applies the
// same services to the device's copy and queues the write for the server.
// Reads are the same on both. Communities themselves change by bundle import
// (import.ts), never row by row.
import { z } from 'zod';
import type { ServiceContext } from '../context.js';
import { notFound } from '../errors.js';
import { localProcedure, localRouter } from '../sync/local.js';
import type { SyncedTableDescriptor } from '../sync/synced-table.js';
import { procedure, router } from '../trpc/init.js';
import { createCommunityAsset, removeCommunityAsset, updateCommunityAsset } from './entities/assets.js';
import { createCommunityDeliveryPoint, removeCommunityDeliveryPoint, updateCommunityDeliveryPoint } from './entities/delivery-points.js';
import { createCommunityMember, removeCommunityMember, updateCommunityMember } from './entities/members.js';
import {
  getCommunityAsset,
  getCommunityDeliveryPoint,
  getCommunityMember,
  listCommunityRegistry,
  listRegistryCommunities,
} from './entities/registry.js';
import { findCommunity } from './entities/rows.js';
import {
  createAssetInput,
  createDeliveryPointInput,
  createMemberInput,
  updateAssetInput,
  updateDeliveryPointInput,
  updateMemberInput,
} from './entities/schema.js';
import { communityAssetsSync, communityDeliveryPointsSync, communityMembersSync } from './sync.js';

const byId = z.strictObject({ id: z.uuid() });

/**
 * A record as plain object types. The desktop's router type spells out every
 * procedure's output in its declarations, and an interface would have to be
 * named there by its module, which core's package does not export (only its
 * index): plain object types are written out instead.
 */
type Plain<T> = T extends readonly (infer E)[] ? Plain<E>[] : T extends object ? { [K in keyof T]: Plain<T[K]> } : T;
const plain = async <T>(value: Promise<T>): Promise<Plain<T>> => (await value) as Plain<T>;

const reads = {
  /** The communities of the caller's organisations (or of one), with how many members, delivery points and assets each has. */
  list: procedure
    .input(z.strictObject({ organisation_id: z.uuid().optional() }).optional())
    .query(({ ctx, input }) => plain(listRegistryCommunities(ctx.service, input ?? {}))),
  /** One community with its live members, delivery points and assets. */
  registry: procedure
    .input(z.strictObject({ communityId: z.uuid() }))
    .query(({ ctx, input }) => plain(listCommunityRegistry(ctx.service, input.communityId))),
};

/** A new row: its id (a device makes it), its organisation (checked against its community's) and its community. */
type Placed = { id?: string | undefined; organisation_id?: string | undefined; community_id: string };

/** One of the registry's entities: its services, its input schemas and its synced table. */
interface Entity<C extends z.ZodType<Placed>, U extends z.ZodType<Record<string, unknown>>, R extends { organisation_id: string }> {
  sync: SyncedTableDescriptor;
  createInput: C;
  updateInput: U;
  get(ctx: ServiceContext, id: string): Promise<R>;
  create(ctx: ServiceContext, input: z.output<C>): Promise<R>;
  update(ctx: ServiceContext, id: string, patch: z.output<U>): Promise<R>;
  remove(ctx: ServiceContext, id: string): Promise<unknown>;
}

const members = {
  sync: communityMembersSync,
  createInput: createMemberInput,
  updateInput: updateMemberInput,
  get: getCommunityMember,
  create: createCommunityMember,
  update: updateCommunityMember,
  remove: removeCommunityMember,
};
const deliveryPoints = {
  sync: communityDeliveryPointsSync,
  createInput: createDeliveryPointInput,
  updateInput: updateDeliveryPointInput,
  get: getCommunityDeliveryPoint,
  create: createCommunityDeliveryPoint,
  update: updateCommunityDeliveryPoint,
  remove: removeCommunityDeliveryPoint,
};
const assets = {
  sync: communityAssetsSync,
  createInput: createAssetInput,
  updateInput: updateAssetInput,
  get: getCommunityAsset,
  create: createCommunityAsset,
  update: updateCommunityAsset,
  remove: removeCommunityAsset,
};

type Update<U extends z.ZodType> = { id: string; patch: z.output<U> };
const updateOf = <U extends z.ZodType>(e: { updateInput: U }) => z.strictObject({ id: z.uuid(), patch: e.updateInput });

function entityRouter<C extends z.ZodType<Placed>, U extends z.ZodType<Record<string, unknown>>, R extends { organisation_id: string }>(
  e: Entity<C, U, R>,
) {
  return router({
    get: procedure.input(byId).query(({ ctx, input }) => plain(e.get(ctx.service, input.id))),
    // tRPC cannot infer a generic schema's output here; at each call site the schemas are concrete.
    create: procedure.input(e.createInput).mutation(({ ctx, input }) => plain(e.create(ctx.service, input as z.output<C>))),
    update: procedure.input(updateOf(e)).mutation(({ ctx, input }) => {
      const { id, patch } = input as Update<U>;
      return plain(e.update(ctx.service, id, patch));
    }),
    delete: procedure.input(byId).mutation(async ({ ctx, input }) => {
      await e.remove(ctx.service, input.id);
      return { id: input.id, deleted: true as const };
    }),
  });
}

/**
 * The organisation a device's queued create goes to: the one named, else its
 * community's. The service checks both when it applies the write (the
 * community must be that organisation's, the caller one of its managers).
 */
async function organisationOf(ctx: ServiceContext, input: Placed): Promise<string> {
  if (input.organisation_id) return input.organisation_id;
  const community = await findCommunity(ctx.db, input.community_id);
  if (!community) throw notFound('community', input.community_id);
  return community.organisation_id;
}

function localEntityRouter<
  C extends z.ZodType<Placed>,
  U extends z.ZodType<Record<string, unknown>>,
  R extends { organisation_id: string },
>(e: Entity<C, U, R>) {
  const table = e.sync.table;
  return localRouter({
    get: procedure.input(byId).query(({ ctx, input }) => plain(e.get(ctx.service, input.id))),
    create: localProcedure.input(e.createInput).mutation(async ({ ctx, input }) => {
      const data = input as z.output<C>;
      const { id, organisation_id: _, ...fields } = data;
      const organisationId = await organisationOf(ctx.service, data);
      const written = await ctx.localSync.write({ table, op: 'create', id, organisationId, fields });
      return plain(e.get(ctx.service, written.id));
    }),
    update: localProcedure.input(updateOf(e)).mutation(async ({ ctx, input }) => {
      const { id, patch } = input as Update<U>;
      const current = await e.get(ctx.service, id);
      await ctx.localSync.write({ table, op: 'update', id, organisationId: current.organisation_id, fields: patch });
      return plain(e.get(ctx.service, id));
    }),
    delete: localProcedure.input(byId).mutation(async ({ ctx, input }) => {
      const current = await e.get(ctx.service, input.id);
      await ctx.localSync.write({ table, op: 'delete', id: input.id, organisationId: current.organisation_id });
      return { id: input.id, deleted: true as const };
    }),
  });
}

export const communitiesRouter = router({
  ...reads,
  members: entityRouter(members),
  deliveryPoints: entityRouter(deliveryPoints),
  assets: entityRouter(assets),
});

export const localCommunitiesRouter = localRouter({
  ...reads,
  members: localEntityRouter(members),
  deliveryPoints: localEntityRouter(deliveryPoints),
  assets: localEntityRouter(assets),
});
