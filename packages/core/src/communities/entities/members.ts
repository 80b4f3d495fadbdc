// A community's members, one at a time: created, edited, removed and
// restored by the tRPC router and by devices' sync pushes (and on a device,
// by its own offline edits). A member goes with its delivery points and
// assets: removing it removes them, restoring it brings back those removed
// with it.
//
// Locks: the registry's first, by every write (locks.ts), then rows, then the
// organisation's change counter, as every writer of the registry takes them;
// a sync push that writes the registry takes the registry's lock before its
// first mutation (sync/push.ts).
import type { Queryable } from '@helio/db';
import { allocateChangeSeqs } from '../../changes.js';
import type { ServiceContext } from '../../context.js';
import { notFound, validationError } from '../../errors.js';
import { parseId, parseInput } from '../../validation.js';
import { lockRegistry } from '../locks.js';
import {
  areaProblem,
  assetsBehind,
  assetsNaming,
  authorizeManage,
  communityForWrite,
  memberKeyProblem,
  memberUserProblem,
  throwProblems,
} from './checks.js';
import { restorableAssets, restorableDeliveryPoints, stampRows } from './cascade.js';
import { findCommunity, findRow, COLUMNS_OF, toMemberRecord, type MemberRow } from './rows.js';
import { createMemberInput, updateMemberInput, type CommunityMemberRecord, type UpdateMemberInput } from './schema.js';

export async function createCommunityMember(ctx: ServiceContext, input: unknown): Promise<CommunityMemberRecord> {
  const data = parseInput(createMemberInput, input);
  const id = data.id ?? ctx.ids.uuid();
  return ctx.db.transaction(async (tx) => {
    await lockRegistry(tx);
    const community = await communityForWrite(tx, ctx, data.community_id, data.organisation_id);
    throwProblems('member', [
      areaProblem(community, data.area),
      await memberKeyProblem(tx, community.id, data.key, id),
      data.user_id ? await memberUserProblem(tx, community.id, data.user_id, id) : undefined,
    ]);
    const seq = await allocateChangeSeqs(tx, community.organisation_id);
    const { rows } = await tx.query<MemberRow>(
      `INSERT INTO community_members (id, organisation_id, community_id, key, user_id, name, type, role, area, status, created_at, updated_at, change_seq)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12) RETURNING ${COLUMNS_OF.community_members}`,
      [
        id,
        community.organisation_id,
        community.id,
        data.key,
        data.user_id ?? null,
        data.name,
        data.type ?? null,
        data.role,
        data.area,
        data.status,
        ctx.clock.now(),
        seq,
      ],
    );
    return toMemberRecord(rows[0]!);
  });
}

/** A member to change: live, of a live community, managed by the caller; locked. */
async function memberForWrite(tx: Queryable, ctx: ServiceContext, id: string): Promise<MemberRow> {
  const current = await findRow<MemberRow>(tx, 'community_members', id, true);
  if (!current || current.deleted_at) throw notFound('member', id);
  authorizeManage(ctx.principal, current.organisation_id, 'member', id);
  return current;
}

export async function updateCommunityMember(ctx: ServiceContext, rawId: string, input: unknown): Promise<CommunityMemberRecord> {
  const id = parseId(rawId);
  const patch = parseInput(updateMemberInput, input);
  const entries = Object.entries(patch).filter(([, v]) => v !== undefined);
  return ctx.db.transaction(async (tx) => {
    // Even an edit that checks nothing against other rows: taken first, the lock
    // orders this writer behind an import that holds rows and the change counter.
    await lockRegistry(tx);
    const current = await memberForWrite(tx, ctx, id);
    if (patch.community_id !== undefined && patch.community_id !== current.community_id)
      throw validationError('community_id cannot change: a member stays in its community', [
        { path: 'community_id', message: 'cannot change' },
      ]);
    const community = await findCommunity(tx, current.community_id);
    if (!community) throw notFound('member', id);
    const changes = (field: keyof UpdateMemberInput) => patch[field] !== undefined && patch[field] !== current[field];
    throwProblems('member', [
      changes('area') ? areaProblem(community, patch.area!) : undefined,
      changes('key') ? await memberKeyProblem(tx, community.id, patch.key!, id) : undefined,
      changes('user_id') && patch.user_id ? await memberUserProblem(tx, community.id, patch.user_id, id) : undefined,
    ]);
    const seq = await allocateChangeSeqs(tx, current.organisation_id);
    const sets = entries.map(([field], i) => `${field} = $${i + 4}`);
    const { rows } = await tx.query<MemberRow>(
      `UPDATE community_members SET ${['updated_at = $2', 'change_seq = $3', ...sets].join(', ')} WHERE id = $1 RETURNING ${COLUMNS_OF.community_members}`,
      [id, ctx.clock.now(), seq, ...entries.map(([, v]) => v)],
    );
    return toMemberRecord(rows[0]!);
  });
}

/**
 * Removes a member with its delivery points and assets, each under a change
 * number of its own. Refused while another member's asset sits behind one
 * of its delivery points or names one of its assets: the registry would be
 * left naming what is gone (an export no import would take).
 */
export async function removeCommunityMember(ctx: ServiceContext, rawId: string): Promise<CommunityMemberRecord> {
  const id = parseId(rawId);
  return ctx.db.transaction(async (tx) => {
    await lockRegistry(tx);
    const current = await memberForWrite(tx, ctx, id);
    const { rows: points } = await tx.query<{ id: string; pod: string }>(
      'SELECT id, pod FROM community_delivery_points WHERE member_id = $1 AND deleted_at IS NULL ORDER BY id FOR UPDATE',
      [id],
    );
    const { rows: assets } = await tx.query<{ id: string; key: string }>(
      'SELECT id, key FROM community_assets WHERE member_id = $1 AND deleted_at IS NULL ORDER BY id FOR UPDATE',
      [id],
    );
    const behind = await assetsBehind(
      tx,
      current.community_id,
      points.map((p) => p.pod),
      id,
    );
    const naming = await assetsNaming(
      tx,
      current.community_id,
      assets.map((a) => a.key),
      { member: id },
    );
    throwProblems('member', [
      behind.length > 0
        ? {
            path: 'delivery_points',
            message: `assets of other members sit behind its delivery points: ${behind.join(', ')}`,
            type: 'in_use',
          }
        : undefined,
      naming.length > 0
        ? { path: 'assets', message: `assets of other members name its assets: ${naming.join(', ')}`, type: 'in_use' }
        : undefined,
    ]);
    const first = await allocateChangeSeqs(tx, current.organisation_id, 1 + points.length + assets.length);
    const now = ctx.clock.now();
    const removed = await stampRows<MemberRow>(tx, 'community_members', [id], now, first, now);
    await stampRows(
      tx,
      'community_delivery_points',
      points.map((p) => p.id),
      now,
      first + 1,
      now,
    );
    await stampRows(
      tx,
      'community_assets',
      assets.map((a) => a.id),
      now,
      first + 1 + points.length,
      now,
    );
    return toMemberRecord(removed[0]!);
  });
}

/**
 * Brings a removed member back, with the delivery points and assets removed
 * with it (those whose POD, key or sensor id another row has taken
 * meanwhile, or whose references are gone, stay removed). The member itself
 * comes back only if its key, user id and area are still its to have: else
 * CONFLICT (or VALIDATION_ERROR for a gone area), and it stays removed.
 */
export async function restoreCommunityMember(ctx: ServiceContext, rawId: string): Promise<CommunityMemberRecord> {
  const id = parseId(rawId);
  return ctx.db.transaction(async (tx) => {
    await lockRegistry(tx);
    const current = await findRow<MemberRow>(tx, 'community_members', id, true);
    if (!current) throw notFound('member', id);
    authorizeManage(ctx.principal, current.organisation_id, 'member', id);
    if (!current.deleted_at) return toMemberRecord(current);
    const community = await communityForWrite(tx, ctx, current.community_id);
    throwProblems('member', [
      areaProblem(community, current.area),
      await memberKeyProblem(tx, community.id, current.key, id),
      current.user_id ? await memberUserProblem(tx, community.id, current.user_id, id) : undefined,
    ]);
    const points = await restorableDeliveryPoints(tx, community, id, current.deleted_at);
    const assets = await restorableAssets(tx, community, id, current.deleted_at, points.pods);
    const first = await allocateChangeSeqs(tx, current.organisation_id, 1 + points.ids.length + assets.length);
    const now = ctx.clock.now();
    const restored = await stampRows<MemberRow>(tx, 'community_members', [id], null, first, now);
    await stampRows(tx, 'community_delivery_points', points.ids, null, first + 1, now);
    await stampRows(tx, 'community_assets', assets, null, first + 1 + points.ids.length, now);
    return toMemberRecord(restored[0]!);
  });
}
