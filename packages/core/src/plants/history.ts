// A plant's lifecycle history: every transition of lifecycle.ts's table, and
// every action recorded beside them (a token, a rotation, a change of the
// authentication method), with who did it and when. Written by the actions
// themselves, in their transactions; read here.
import { z } from 'zod';
import type { ServiceContext } from '../context.js';
import { parseInput } from '../validation.js';
import { lifecycleActions, lifecycleStatuses, type LifecycleStatus } from './lifecycle.js';
import { iso } from './rows.js';
import { pageMeta, pageQuery, type Page } from './schema.js';
import { loadPlantForAction } from './service.js';

export const listTransitionsQuery = z.object({ ...pageQuery });

/** One line of a plant's lifecycle history: who did what, from which state to which, and when. */
export const plantTransition = z.object({
  action: z.enum([...lifecycleActions, 'change-auth-method', 'move']),
  fromStatus: z.enum(lifecycleStatuses).nullable(),
  toStatus: z.enum(lifecycleStatuses),
  actor: z.object({
    kind: z.enum(['user', 'apiKey', 'client', 'system']),
    /** The user, API key or OAuth client; null for the server itself (the gateway, the CLI), and for those of an organisation the plant was moved from. */
    id: z.string().nullable(),
  }),
  at: z.iso.datetime({ offset: true }),
  /** What changed where the state does not say it: for change-auth-method, the old and new method. */
  reason: z.string().nullable(),
});
export type PlantTransition = z.infer<typeof plantTransition>;

/** A page of a plant's lifecycle history, newest first (every member of its organisation may read it). */
export async function listTransitions(ctx: ServiceContext, id: string, query: unknown = {}): Promise<Page<PlantTransition>> {
  const { page, limit } = parseInput(listTransitionsQuery, query ?? {});
  const plant = await loadPlantForAction(ctx.db, ctx, id, 'read');
  const [{ rows }, { rows: total }] = await Promise.all([
    ctx.db.query<{
      action: PlantTransition['action'];
      from_status: LifecycleStatus | null;
      to_status: LifecycleStatus;
      actor_kind: PlantTransition['actor']['kind'];
      actor_id: string | null;
      at: Date;
      reason: string | null;
    }>(
      // Who acted before the plant's last move to another organisation was that organisation's: their kind is told, not their id.
      `SELECT action, from_status, to_status, actor_kind, at, reason,
         CASE WHEN at < (SELECT max(m.at) FROM plant_transitions m WHERE m.plant_id = $1 AND m.action = 'move') THEN NULL ELSE actor_id END AS actor_id
       FROM plant_transitions
       WHERE plant_id = $1 ORDER BY at DESC, id DESC LIMIT $2 OFFSET $3`,
      [plant.id, limit, (page - 1) * limit],
    ),
    ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM plant_transitions WHERE plant_id = $1', [plant.id]),
  ]);
  return {
    data: rows.map((r) => ({
      action: r.action,
      fromStatus: r.from_status,
      toStatus: r.to_status,
      actor: { kind: r.actor_kind, id: r.actor_id },
      at: r.at.toISOString(),
      reason: r.reason,
    })),
    meta: pageMeta(page, limit, total[0]!.n),
  };
}

/** The recorded lifecycle transitions of a plant, oldest first. */
export async function plantTransitions(
  ctx: ServiceContext,
  id: string,
): Promise<
  { from: string | null; to: string; action: string; actorKind: string; actorId: string | null; at: string; reason: string | null }[]
> {
  const row = await loadPlantForAction(ctx.db, ctx, id, 'read');
  const { rows } = await ctx.db.query<{
    from_status: string | null;
    to_status: string;
    action: string;
    actor_kind: string;
    actor_id: string | null;
    at: Date;
    reason: string | null;
  }>('SELECT from_status, to_status, action, actor_kind, actor_id, at, reason FROM plant_transitions WHERE plant_id = $1 ORDER BY at, id', [
    row.id,
  ]);
  return rows.map((r) => ({
    from: r.from_status,
    to: r.to_status,
    action: r.action,
    actorKind: r.actor_kind,
    actorId: r.actor_id,
    at: iso(r.at)!,
    reason: r.reason,
  }));
}
