// A member's delivery points (grid connections, by POD code), one at a time.
// A POD is unique in the installation; assets name a delivery point by its
// POD, so a delivery point with assets behind it keeps its POD and stays
// until they move (the registry never names what is gone).
import type { Queryable } from '@helio/db';
import { allocateChangeSeqs } from '../../changes.js';
import type { ServiceContext } from '../../context.js';
import { notFound, validationError } from '../../errors.js';
import { parseId, parseInput } from '../../validation.js';
import { lockRegistry } from '../locks.js';
import {
  assetsBehind,
  authorizeManage,
  communityForWrite,
  liveMember,
  podProblem,
  throwProblems,
  topologyProblem,
  type Problem,
} from './checks.js';
import { stampRows } from './cascade.js';
import { COLUMNS_OF, findCommunity, findRow, toDeliveryPointRecord, type DeliveryPointRow } from './rows.js';
import { createDeliveryPointInput, updateDeliveryPointInput, type DeliveryPointRecord, type UpdateDeliveryPointInput } from './schema.js';

export async function createCommunityDeliveryPoint(ctx: ServiceContext, input: unknown): Promise<DeliveryPointRecord> {
  const data = parseInput(createDeliveryPointInput, input);
  const id = data.id ?? ctx.ids.uuid();
  return ctx.db.transaction(async (tx) => {
    await lockRegistry(tx);
    const community = await communityForWrite(tx, ctx, data.community_id, data.organisation_id);
    await liveMember(tx, community.id, data.member_id);
    throwProblems('delivery point', [topologyProblem(community, data.topology_node), await podProblem(tx, community.id, data.pod, id)]);
    const seq = await allocateChangeSeqs(tx, community.organisation_id);
    const { rows } = await tx.query<DeliveryPointRow>(
      `INSERT INTO community_delivery_points (id, organisation_id, community_id, member_id, pod, type, description, address, tariff, active,
         topology_node, created_at, updated_at, change_seq)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13) RETURNING ${COLUMNS_OF.community_delivery_points}`,
      [
        id,
        community.organisation_id,
        community.id,
        data.member_id,
        data.pod,
        data.type,
        data.description ?? null,
        data.address ?? null,
        data.tariff ?? null,
        data.active ?? true,
        data.topology_node ?? null,
        ctx.clock.now(),
        seq,
      ],
    );
    return toDeliveryPointRecord(rows[0]!);
  });
}

async function deliveryPointForWrite(tx: Queryable, ctx: ServiceContext, id: string): Promise<DeliveryPointRow> {
  const current = await findRow<DeliveryPointRow>(tx, 'community_delivery_points', id, true);
  if (!current || current.deleted_at) throw notFound('delivery point', id);
  authorizeManage(ctx.principal, current.organisation_id, 'delivery point', id);
  return current;
}

/** A problem when assets of the community sit behind the POD: it may not change or go. */
async function podInUse(tx: Queryable, current: DeliveryPointRow): Promise<Problem | undefined> {
  const behind = await assetsBehind(tx, current.community_id, [current.pod]);
  if (behind.length === 0) return undefined;
  return { path: 'pod', message: `assets sit behind POD ${current.pod}: ${behind.join(', ')} (move them first)`, type: 'in_use' };
}

export async function updateCommunityDeliveryPoint(ctx: ServiceContext, rawId: string, input: unknown): Promise<DeliveryPointRecord> {
  const id = parseId(rawId);
  const patch = parseInput(updateDeliveryPointInput, input);
  const entries = Object.entries(patch).filter(([, v]) => v !== undefined);
  return ctx.db.transaction(async (tx) => {
    // Even an edit that checks nothing against other rows: taken first, the lock
    // orders this writer behind an import that holds rows and the change counter.
    await lockRegistry(tx);
    const current = await deliveryPointForWrite(tx, ctx, id);
    if (patch.community_id !== undefined && patch.community_id !== current.community_id)
      throw validationError('community_id cannot change: a delivery point stays in its community', [
        { path: 'community_id', message: 'cannot change' },
      ]);
    const community = await findCommunity(tx, current.community_id);
    if (!community) throw notFound('delivery point', id);
    const changes = (field: keyof UpdateDeliveryPointInput) => patch[field] !== undefined && patch[field] !== current[field];
    if (changes('member_id')) await liveMember(tx, community.id, patch.member_id!);
    throwProblems('delivery point', [
      changes('topology_node') ? topologyProblem(community, patch.topology_node) : undefined,
      changes('pod') ? await podProblem(tx, community.id, patch.pod!, id) : undefined,
      changes('pod') ? await podInUse(tx, current) : undefined,
    ]);
    const seq = await allocateChangeSeqs(tx, current.organisation_id);
    const sets = entries.map(([field], i) => `${field} = $${i + 4}`);
    const { rows } = await tx.query<DeliveryPointRow>(
      `UPDATE community_delivery_points SET ${['updated_at = $2', 'change_seq = $3', ...sets].join(', ')}
       WHERE id = $1 RETURNING ${COLUMNS_OF.community_delivery_points}`,
      [id, ctx.clock.now(), seq, ...entries.map(([, v]) => v)],
    );
    return toDeliveryPointRecord(rows[0]!);
  });
}

/** Removes a delivery point; refused (CONFLICT) while assets sit behind it. */
export async function removeCommunityDeliveryPoint(ctx: ServiceContext, rawId: string): Promise<DeliveryPointRecord> {
  const id = parseId(rawId);
  return ctx.db.transaction(async (tx) => {
    await lockRegistry(tx);
    const current = await deliveryPointForWrite(tx, ctx, id);
    throwProblems('delivery point', [await podInUse(tx, current)]);
    const seq = await allocateChangeSeqs(tx, current.organisation_id);
    const [row] = await stampRows<DeliveryPointRow>(tx, 'community_delivery_points', [id], ctx.clock.now(), seq, ctx.clock.now());
    return toDeliveryPointRecord(row!);
  });
}

/** Brings a removed delivery point back, if its member is live, its POD free and its topology node still there. */
export async function restoreCommunityDeliveryPoint(ctx: ServiceContext, rawId: string): Promise<DeliveryPointRecord> {
  const id = parseId(rawId);
  return ctx.db.transaction(async (tx) => {
    await lockRegistry(tx);
    const current = await findRow<DeliveryPointRow>(tx, 'community_delivery_points', id, true);
    if (!current) throw notFound('delivery point', id);
    authorizeManage(ctx.principal, current.organisation_id, 'delivery point', id);
    if (!current.deleted_at) return toDeliveryPointRecord(current);
    const community = await communityForWrite(tx, ctx, current.community_id);
    await liveMember(tx, community.id, current.member_id);
    throwProblems('delivery point', [
      topologyProblem(community, current.topology_node),
      await podProblem(tx, community.id, current.pod, id),
    ]);
    const seq = await allocateChangeSeqs(tx, current.organisation_id);
    const [row] = await stampRows<DeliveryPointRow>(tx, 'community_delivery_points', [id], null, seq, ctx.clock.now());
    return toDeliveryPointRecord(row!);
  });
}
