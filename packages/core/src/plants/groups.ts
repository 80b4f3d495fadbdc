// Plant groups: named sets of an organisation's plants (a fleet, a customer,
// a region). A plant may be in several groups; only the organisation's own
// live plants may join its groups.
import type { Queryable } from '@helio/db';
import { DbError } from '@helio/db';
import { readableOrganisations, targetOrganisation } from '../auth/principal.js';
import type { ServiceContext } from '../context.js';
import { conflict, DomainError } from '../errors.js';
import { parseId, parseInput } from '../validation.js';
import { authorizePlants, parsePlantId, plantNotFound } from './access.js';
import { GROUP_COLUMNS, toGroup, type GroupRow } from './rows.js';
import {
  createGroupInput,
  listGroupsQuery,
  pageMeta,
  updateGroupInput,
  type Page,
  type PlantGroup,
  type PlantGroupDetail,
} from './schema.js';

export const GROUP_NOT_FOUND = 'Plant group not found';

function groupNotFound(): DomainError {
  return new DomainError('NOT_FOUND', GROUP_NOT_FOUND);
}

async function loadGroup(q: Queryable, ctx: ServiceContext, id: string, action: 'read' | 'write', lock = false): Promise<GroupRow> {
  const groupId = parseId(id);
  const { rows } = await q.query<GroupRow>(
    `SELECT ${GROUP_COLUMNS} FROM plant_groups WHERE id = $1 AND deleted_at IS NULL${lock ? ' FOR UPDATE' : ''}`,
    [groupId],
  );
  const row = rows[0];
  if (!row) throw groupNotFound();
  authorizePlants(ctx.principal, row.organisation_id, action, groupNotFound, 'plant groups');
  return row;
}

function nameTaken(name: string): DomainError {
  return conflict(`a plant group named "${name}" already exists in this organisation`, [{ path: 'name', message: 'already used' }]);
}

/** The unique index on (organisation, lower(name)) decides between concurrent writers: the same CONFLICT. */
async function withNameConflict<T>(name: string | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (name !== undefined && err instanceof DbError && err.kind === 'unique_violation') throw nameTaken(name);
    throw err;
  }
}

async function assertNameFree(q: Queryable, organisationId: string, name: string, id: string): Promise<void> {
  const { rows } = await q.query(
    'SELECT 1 FROM plant_groups WHERE organisation_id = $1 AND lower(name) = lower($2) AND id <> $3 AND deleted_at IS NULL',
    [organisationId, name, id],
  );
  if (rows.length > 0) throw nameTaken(name);
}

async function memberIds(q: Queryable, groupId: string): Promise<string[]> {
  const { rows } = await q.query<{ plant_id: string }>(
    `SELECT m.plant_id FROM plant_group_members m JOIN plants p ON p.id = m.plant_id
     WHERE m.group_id = $1 AND p.deleted_at IS NULL ORDER BY m.added_at, m.plant_id`,
    [groupId],
  );
  return rows.map((r) => r.plant_id);
}

export async function listGroups(ctx: ServiceContext, query: unknown = {}): Promise<Page<PlantGroup>> {
  const f = parseInput(listGroupsQuery, query ?? {});
  const where = 'deleted_at IS NULL AND ($1::uuid[] IS NULL OR organisation_id = ANY($1::uuid[]))';
  const params = [readableOrganisations(ctx.principal)];
  const { rows: counted } = await ctx.db.query<{ n: number | string }>(`SELECT count(*) AS n FROM plant_groups WHERE ${where}`, params);
  const { rows } = await ctx.db.query<GroupRow>(
    `SELECT ${GROUP_COLUMNS} FROM plant_groups WHERE ${where} ORDER BY lower(name), id LIMIT $2 OFFSET $3`,
    [...params, f.limit, (f.page - 1) * f.limit],
  );
  return { data: rows.map(toGroup), meta: pageMeta(f.page, f.limit, Number(counted[0]?.n ?? 0)) };
}

export async function getGroup(ctx: ServiceContext, id: string): Promise<PlantGroupDetail> {
  const row = await loadGroup(ctx.db, ctx, id, 'read');
  return { ...toGroup(row), plantIds: await memberIds(ctx.db, row.id) };
}

export async function createGroup(ctx: ServiceContext, input: unknown, opts: { organisationId?: string } = {}): Promise<PlantGroupDetail> {
  const data = parseInput(createGroupInput, input);
  const organisationId = targetOrganisation(ctx.principal, opts.organisationId ?? data.organizationId, 'write');
  authorizePlants(ctx.principal, organisationId, 'write', undefined, 'plant groups');
  const id = ctx.ids.uuid();
  const now = ctx.clock.now();
  return withNameConflict(data.name, () =>
    ctx.db.transaction(async (tx) => {
      await assertNameFree(tx, organisationId, data.name, id);
      const { rows } = await tx.query<GroupRow>(
        `INSERT INTO plant_groups (id, organisation_id, name, description, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING ${GROUP_COLUMNS}`,
        [id, organisationId, data.name, data.description ?? null, now],
      );
      return { ...toGroup(rows[0]!), plantIds: [] };
    }),
  );
}

export async function updateGroup(ctx: ServiceContext, id: string, input: unknown): Promise<PlantGroupDetail> {
  const patch = parseInput(updateGroupInput, input);
  return withNameConflict(patch.name, () =>
    ctx.db.transaction(async (tx) => {
      const current = await loadGroup(tx, ctx, id, 'write', true);
      if (patch.name !== undefined && patch.name.toLowerCase() !== current.name.toLowerCase()) {
        await assertNameFree(tx, current.organisation_id, patch.name, current.id);
      }
      let row = current;
      if (patch.name !== undefined || patch.description !== undefined) {
        const { rows } = await tx.query<GroupRow>(
          `UPDATE plant_groups SET name = COALESCE($2, name), description = CASE WHEN $3::boolean THEN $4 ELSE description END, updated_at = $5
           WHERE id = $1 RETURNING ${GROUP_COLUMNS}`,
          [current.id, patch.name ?? null, patch.description !== undefined, patch.description ?? null, ctx.clock.now()],
        );
        row = rows[0]!;
      }
      return { ...toGroup(row), plantIds: await memberIds(tx, row.id) };
    }),
  );
}

/** Deletes a group (its members are not touched: they only leave it). */
export async function deleteGroup(ctx: ServiceContext, id: string): Promise<{ message: string }> {
  await ctx.db.transaction(async (tx) => {
    const current = await loadGroup(tx, ctx, id, 'write', true);
    await tx.query('DELETE FROM plant_group_members WHERE group_id = $1', [current.id]);
    await tx.query('UPDATE plant_groups SET deleted_at = $2, updated_at = $2 WHERE id = $1', [current.id, ctx.clock.now()]);
  });
  return { message: 'Plant group deleted' };
}

/** Adds a live plant of the group's organisation to the group (adding it twice is a no-op). */
export async function addPlantToGroup(ctx: ServiceContext, groupId: string, plantId: string): Promise<PlantGroupDetail> {
  const pid = parsePlantId(plantId, 'plantId');
  return ctx.db.transaction(async (tx) => {
    const group = await loadGroup(tx, ctx, groupId, 'write', true);
    const { rows } = await tx.query<{ organisation_id: string }>(
      'SELECT organisation_id FROM plants WHERE id = $1 AND deleted_at IS NULL FOR SHARE',
      [pid],
    );
    if (!rows[0] || rows[0].organisation_id !== group.organisation_id) throw plantNotFound();
    await tx.query(
      `INSERT INTO plant_group_members (group_id, plant_id, added_at) VALUES ($1, $2, $3) ON CONFLICT (group_id, plant_id) DO NOTHING`,
      [group.id, pid, ctx.clock.now()],
    );
    await tx.query('UPDATE plant_groups SET updated_at = $2 WHERE id = $1', [group.id, ctx.clock.now()]);
    return { ...toGroup({ ...group, updated_at: ctx.clock.now() }), plantIds: await memberIds(tx, group.id) };
  });
}

/** Removes a plant from a group; NOT_FOUND when it is not a member. */
export async function removePlantFromGroup(ctx: ServiceContext, groupId: string, plantId: string): Promise<PlantGroupDetail> {
  const pid = parsePlantId(plantId, 'plantId');
  return ctx.db.transaction(async (tx) => {
    const group = await loadGroup(tx, ctx, groupId, 'write', true);
    const { rowCount } = await tx.query('DELETE FROM plant_group_members WHERE group_id = $1 AND plant_id = $2', [group.id, pid]);
    if (rowCount === 0) throw new DomainError('NOT_FOUND', 'Plant is not in this group');
    await tx.query('UPDATE plant_groups SET updated_at = $2 WHERE id = $1', [group.id, ctx.clock.now()]);
    return { ...toGroup({ ...group, updated_at: ctx.clock.now() }), plantIds: await memberIds(tx, group.id) };
  });
}
