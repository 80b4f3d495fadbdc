// The plant registry: creating, listing, reading and changing plants, and
// the lifecycle actions that need no credentials (suspend, reactivate,
// decommission). Provisioning, tokens, rotation and revocation are in
// provisioning.ts; every one of them loads its plant through
// `loadPlantForAction`, the one place a plant's visibility is decided.
//
// A plant with a site maps to one component of that site
// (component-mapping.ts): the one named,
// else the site's live component made for it earlier (its nodeId is the
// plant's serial number, or that plus `-<site's Locus id>` when the serial
// number was taken), else a new one (created through the components service,
// so that it syncs like every component) under the first of those nodeIds
// free in the organisation. Its telemetry is stored as that component's
// readings; sub-devices are children of it. A conceptual component has no
// readings of its own: a plant never maps to one. Moving a plant to another
// site maps it to a component of that site; the old component stays, with
// its readings, in the old site's history.
import { DbError, type Queryable } from '@helio/db';
import { readableOrganisations, targetOrganisation } from '../auth/principal.js';
import type { Action } from '../auth/roles.js';
import type { ServiceContext } from '../context.js';
import { conflict, forbidden, notFound, validationError, type DomainError } from '../errors.js';
import { parseInput } from '../validation.js';
import { authorizePlants, parsePlantId, plantNotFound, PLANT_OR_TEMPLATE_NOT_FOUND, SERIAL_TAKEN } from './access.js';
import { notifyPlantChanged } from './events.js';
import { actorOf, recordCreation, transition, type LifecycleAction, type LifecycleStatus } from './lifecycle.js';
import {
  GROUP_COLUMNS,
  PLANT_COLUMNS,
  plantColumns,
  templateColumns,
  toPlant,
  toTemplate,
  type GroupRow,
  type PlantRow,
  type TemplateRow,
} from './rows.js';
import {
  createPlantInput,
  listPlantsQuery,
  pageMeta,
  updatePlantInput,
  type Page,
  type Plant,
  type PlantDetail,
  type Template,
} from './schema.js';
import { ensureSystemTemplates, loadUsableTemplate } from './templates.js';
import { mapToComponent } from './component-mapping.js';
import { plantAlerts, toPlantDetail } from './detail.js';

export { CLOSED_ALERT_DAYS, toPlantDetail } from './detail.js';

export { PLANT_COLUMNS, plantColumns, toPlant, type PlantRow } from './rows.js';
export { parsePlantId, authorizePlants, plantNotFound } from './access.js';

/**
 * Loads a live plant the caller may act on: a malformed id is
 * VALIDATION_ERROR (`invalid_uuid`); a missing, decommissioned or other
 * organisation's plant is NOT_FOUND ('Plant not found'); too small a role
 * is FORBIDDEN. Inside a transaction (any `q` other than `ctx.db`) the row
 * is locked FOR UPDATE until it ends.
 */
export async function loadPlantForAction(q: Queryable, ctx: ServiceContext, id: unknown, action: Action): Promise<PlantRow> {
  const plantId = parsePlantId(id);
  const lock = q !== ctx.db;
  const { rows } = await q.query<PlantRow>(
    `SELECT ${PLANT_COLUMNS} FROM plants WHERE id = $1 AND deleted_at IS NULL${lock ? ' FOR UPDATE' : ''}`,
    [plantId],
  );
  const row = rows[0];
  if (!row) throw plantNotFound();
  authorizePlants(ctx.principal, row.organisation_id, action);
  return row;
}

/** The template of a plant row (null when it has none). */
async function templateOf(q: Queryable, row: PlantRow): Promise<Template | null> {
  if (!row.template_id) return null;
  const { rows } = await q.query<TemplateRow>(`SELECT ${templateColumns('t')} FROM device_templates t WHERE t.id = $1`, [row.template_id]);
  return rows[0] ? toTemplate(rows[0]) : null;
}

// ---------------------------------------------------------------- list

export async function listPlants(ctx: ServiceContext, query: unknown = {}): Promise<Page<Plant>> {
  const f = parseInput(listPlantsQuery, query ?? {});
  const orgs = readableOrganisations(ctx.principal);
  const params = [orgs, f.authMethod ?? null];
  const where = `p.deleted_at IS NULL
    AND ($1::uuid[] IS NULL OR p.organisation_id = ANY($1::uuid[]))
    AND ($2::text IS NULL OR p.auth_method = $2)`;
  const { rows: counted } = await ctx.db.query<{ n: number | string }>(`SELECT count(*) AS n FROM plants p WHERE ${where}`, params);
  const total = Number(counted[0]?.n ?? 0);
  const { rows } = await ctx.db.query<PlantRow & { t_id: string | null }>(
    `SELECT ${plantColumns('p')}, t.id AS t_id, t.organisation_id AS t_organisation_id, t.name AS t_name, t.level AS t_level,
            t.type AS t_type, t.is_system AS t_is_system, t.version AS t_version, t.signals AS t_signals, t.actions AS t_actions,
            t.created_at AS t_created_at, t.updated_at AS t_updated_at
     FROM plants p LEFT JOIN device_templates t ON t.id = p.template_id
     WHERE ${where}
     ORDER BY p.created_at DESC, p.id DESC
     LIMIT $3 OFFSET $4`,
    [...params, f.limit, (f.page - 1) * f.limit],
  );
  const data = rows.map((r) => {
    const t = r as unknown as Record<string, unknown>;
    const template =
      r.t_id === null
        ? null
        : toTemplate({
            id: r.t_id,
            organisation_id: t.t_organisation_id as string | null,
            name: t.t_name as string,
            level: t.t_level as TemplateRow['level'],
            type: t.t_type as string,
            is_system: t.t_is_system as boolean,
            version: t.t_version as number,
            signals: t.t_signals as TemplateRow['signals'],
            actions: t.t_actions as TemplateRow['actions'],
            created_at: t.t_created_at as Date,
            updated_at: t.t_updated_at as Date,
            deleted_at: null,
          });
    return toPlant(r, template);
  });
  return { data, meta: pageMeta(f.page, f.limit, total) };
}

// ---------------------------------------------------------------- create

async function assertSerialFree(q: Queryable, organisationId: string, serialNumber: string, plantId: string): Promise<void> {
  const { rows } = await q.query(
    'SELECT 1 FROM plants WHERE organisation_id = $1 AND serial_number = $2 AND id <> $3 AND deleted_at IS NULL',
    [organisationId, serialNumber, plantId],
  );
  if (rows.length > 0) throw serialTaken();
}

function serialTaken(): DomainError {
  return conflict(SERIAL_TAKEN, [{ path: 'serialNumber', message: 'already used by a live plant of the organisation' }]);
}

/** A concurrent insert of the same serial number loses on the unique index: the same CONFLICT. */
function isSerialViolation(err: unknown): boolean {
  return err instanceof DbError && err.kind === 'unique_violation' && /plants_serial_live_idx/.test(err.message + String(err.cause ?? ''));
}

async function withSerialConflict<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isSerialViolation(err)) throw serialTaken();
    throw err;
  }
}

/** Helio's extra plant fields and their columns (shared by create and update). */
const extraColumns = {
  externalPlantId: 'external_plant_id',
  description: 'description',
  tag: 'tag',
  latitude: 'latitude',
  longitude: 'longitude',
  capacityKwh: 'capacity_kwh',
  fvePeakPowerKwp: 'fve_peak_power_kwp',
  plantWithLoad: 'plant_with_load',
  configEnabled: 'config_enabled',
} as const;

export async function createPlant(ctx: ServiceContext, input: unknown, opts: { organisationId?: string } = {}): Promise<Plant> {
  const data = parseInput(createPlantInput, input);
  const organisationId = targetOrganisation(ctx.principal, opts.organisationId ?? data.organizationId, 'write');
  authorizePlants(ctx.principal, organisationId, 'write');
  if (data.templateId) await ensureSystemTemplates(ctx.db);
  const id = ctx.ids.uuid();
  const now = ctx.clock.now();
  return withSerialConflict(() =>
    ctx.db.transaction(async (tx) => {
      const template = data.templateId ? await loadUsableTemplate(tx, organisationId, data.templateId, 'templateId') : null;
      await assertSerialFree(tx, organisationId, data.serialNumber, id);
      const mapping =
        data.siteId || data.componentId
          ? await mapToComponent(
              tx,
              ctx,
              organisationId,
              { id, name: data.name, serialNumber: data.serialNumber, type: data.type, template },
              data.siteId,
              data.componentId,
            )
          : null;
      const extras = Object.entries(extraColumns).filter(([k]) => data[k as keyof typeof extraColumns] !== undefined);
      const cols = [
        'id',
        'organisation_id',
        'site_id',
        'component_id',
        'template_id',
        'name',
        'serial_number',
        'type',
        'auth_method',
        'metadata',
        'created_at',
        'updated_at',
        ...extras.map(([, c]) => c),
      ];
      const values = [
        id,
        organisationId,
        mapping?.siteId ?? null,
        mapping?.componentId ?? null,
        template?.id ?? null,
        data.name,
        data.serialNumber,
        data.type,
        data.authMethod,
        JSON.stringify(data.metadata),
        now,
        now,
        ...extras.map(([k]) => data[k as keyof typeof extraColumns]),
      ];
      const { rows } = await tx.query<PlantRow>(
        `INSERT INTO plants (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING ${PLANT_COLUMNS}`,
        values,
      );
      await recordCreation(tx, id, actorOf(ctx.principal), { id: ctx.ids.uuid(), at: now });
      return toPlant(rows[0]!, template);
    }),
  );
}

// ---------------------------------------------------------------- read

export async function getPlant(ctx: ServiceContext, id: string): Promise<PlantDetail> {
  const row = await loadPlantForAction(ctx.db, ctx, id, 'read');
  const template = await templateOf(ctx.db, row);
  const alerts = await plantAlerts(ctx.db, row, ctx.clock.now());
  const { rows: groups } = await ctx.db.query<GroupRow>(
    `SELECT ${GROUP_COLUMNS.split(', ')
      .map((c) => `g.${c}`)
      .join(', ')} FROM plant_groups g JOIN plant_group_members m ON m.group_id = g.id
     WHERE m.plant_id = $1 AND g.deleted_at IS NULL ORDER BY lower(g.name), g.id`,
    [row.id],
  );
  return toPlantDetail(row, template, alerts, groups);
}

// ---------------------------------------------------------------- update

const updatableColumns = {
  name: 'name',
  serialNumber: 'serial_number',
  type: 'type',
  authMethod: 'auth_method',
  ...extraColumns,
} as const;

/**
 * The states a plant's authMethod may change in: before it is first
 * provisioned and after it is revoked, when it holds no credentials that
 * work. Otherwise the old method's credentials (a certificate, a password,
 * tokens) would stay valid under the new method's name.
 */
const AUTH_METHOD_CHANGEABLE: ReadonlySet<LifecycleStatus> = new Set(['PENDING', 'REVOKED']);

export const AUTH_METHOD_RULE =
  'authMethod can change only before provisioning or after revoke: revoke the plant, change it, provision again';

function authMethodLocked(status: LifecycleStatus): DomainError {
  return validationError(`a ${status} plant's authMethod cannot change: ${AUTH_METHOD_RULE}`, [
    { path: 'authMethod', message: AUTH_METHOD_RULE, issue: 'auth_method_locked', lifecycleStatus: status },
  ]);
}

export async function updatePlant(ctx: ServiceContext, id: string, input: unknown): Promise<Plant> {
  const plantId = parsePlantId(id);
  const patch = parseInput(updatePlantInput, input);
  if (patch.templateId) await ensureSystemTemplates(ctx.db);
  let notify = false;
  const result = await withSerialConflict(() =>
    ctx.db.transaction(async (tx) => {
      const current = await loadPlantForAction(tx, ctx, plantId, 'write');
      // Checked once the plant is found: another organisation's plant is NOT_FOUND whatever the patch. Its own
      // organisation named again (a client sending the plant back whole) moves nothing, and is no move to refuse.
      const moves = patch.organizationId !== undefined && patch.organizationId.toLowerCase() !== current.organisation_id;
      if (moves && ctx.principal.kind !== 'system') {
        throw forbidden('only a server operator may move a plant to another organisation');
      }
      // The authentication method is a credential matter (admins), and changes only while no credential works.
      const authMethodChange = patch.authMethod !== undefined && patch.authMethod !== current.auth_method;
      if (authMethodChange) {
        authorizePlants(ctx.principal, current.organisation_id, 'manage');
        if (!AUTH_METHOD_CHANGEABLE.has(current.lifecycle_status)) throw authMethodLocked(current.lifecycle_status);
      }
      const sets: string[] = [];
      const values: unknown[] = [];
      const set = (column: string, value: unknown) => {
        values.push(value);
        sets.push(`${column} = $${values.length + 1}`);
      };
      let organisationId = current.organisation_id;
      if (moves) {
        organisationId = patch.organizationId!.toLowerCase();
        const { rows } = await tx.query('SELECT 1 FROM organisations WHERE id = $1 FOR SHARE', [organisationId]);
        if (rows.length === 0) throw notFound('organisation', organisationId);
        set('organisation_id', organisationId);
        // The site, its component and the groups were the old organisation's.
        if (patch.siteId === undefined && patch.componentId === undefined && current.site_id) {
          set('site_id', null);
          set('component_id', null);
        }
        await tx.query('DELETE FROM plant_group_members WHERE plant_id = $1', [plantId]);
        notify = true;
      }
      // The template: unassigned (null), replaced (a PLANT template the organisation may use) or kept.
      let template: Template | null;
      if (patch.templateId === null) {
        template = null;
        set('template_id', null);
      } else if (patch.templateId !== undefined) {
        template = await loadUsableTemplate(tx, organisationId, patch.templateId, 'templateId', PLANT_OR_TEMPLATE_NOT_FOUND);
        set('template_id', template.id);
      } else {
        template = await templateOf(tx, current);
        if (moves && template && !template.isSystem && template.organizationId !== organisationId) {
          template = null;
          set('template_id', null);
        }
      }
      const name = patch.name ?? current.name;
      const serialNumber = patch.serialNumber ?? current.serial_number;
      if (moves || serialNumber !== current.serial_number) await assertSerialFree(tx, organisationId, serialNumber, plantId);
      if (patch.siteId === null) {
        set('site_id', null);
        set('component_id', null);
      } else if (patch.siteId !== undefined || patch.componentId !== undefined) {
        const wanted = patch.siteId ?? (patch.componentId ? undefined : (current.site_id ?? undefined));
        const sameMapping =
          !moves &&
          (patch.siteId === undefined || patch.siteId.toLowerCase() === current.site_id) &&
          (patch.componentId === undefined || patch.componentId.toLowerCase() === current.component_id) &&
          current.component_id !== null;
        if (!sameMapping) {
          const mapping = await mapToComponent(
            tx,
            ctx,
            organisationId,
            { id: plantId, name, serialNumber, type: patch.type ?? current.type, template },
            wanted,
            patch.componentId,
          );
          set('site_id', mapping.siteId);
          set('component_id', mapping.componentId);
        }
      }
      for (const [field, column] of Object.entries(updatableColumns)) {
        const value = patch[field as keyof typeof updatableColumns];
        if (value !== undefined) set(column, value);
      }
      if (patch.metadata !== undefined) set('metadata', JSON.stringify(patch.metadata));
      if (sets.length === 0) return toPlant(current, template);
      const now = ctx.clock.now();
      const { rows } = await tx.query<PlantRow>(
        `UPDATE plants SET ${['updated_at = $' + (values.length + 2), ...sets].join(', ')} WHERE id = $1 RETURNING ${PLANT_COLUMNS}`,
        [plantId, ...values, now],
      );
      // In the plant's history beside its transitions (the state stays). A move names neither organisation: the
      // new one reads the history and has no business with the old one's id.
      const recorded: [action: string, reason: string | null][] = [];
      if (authMethodChange) recorded.push(['change-auth-method', `${current.auth_method} → ${patch.authMethod}`]);
      if (moves) recorded.push(['move', 'moved from another organisation by a server operator']);
      for (const [action, reason] of recorded) {
        const actor = actorOf(ctx.principal);
        await tx.query(
          `INSERT INTO plant_transitions (id, plant_id, from_status, to_status, action, actor_kind, actor_id, at, reason)
           VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8)`,
          [ctx.ids.uuid(), plantId, current.lifecycle_status, action, actor.kind, actor.id, now, reason],
        );
        notify = true;
      }
      return toPlant(rows[0]!, template);
    }),
  );
  if (notify) notifyPlantChanged(plantId);
  return result;
}

// ---------------------------------------------------------------- lifecycle

const done: Record<'suspend' | 'reactivate' | 'decommission', string> = {
  suspend: 'Plant suspended',
  reactivate: 'Plant reactivated',
  decommission: 'Plant decommissioned',
};

async function lifecycleAction(
  ctx: ServiceContext,
  id: string,
  action: 'suspend' | 'reactivate' | 'decommission',
): Promise<{ message: string }> {
  const plantId = parsePlantId(id);
  await ctx.db.transaction(async (tx) => {
    const row = await loadPlantForAction(tx, ctx, plantId, 'manage');
    const now = ctx.clock.now();
    const to = await transition(tx, row, action satisfies LifecycleAction, actorOf(ctx.principal), { id: ctx.ids.uuid(), at: now });
    if (action === 'decommission') {
      // Kept for history and refused everywhere; its serial number is free again. Its certificate ends with it.
      await tx.query(
        `UPDATE plants SET lifecycle_status = $2, deleted_at = $3, updated_at = $3, status = 'OFFLINE', tokens_valid_after = $3
         WHERE id = $1`,
        [plantId, to, now],
      );
      await tx.query(`UPDATE plant_certificates SET state = 'revoked', ended_at = $2 WHERE plant_id = $1 AND state = 'active'`, [
        plantId,
        now,
      ]);
    } else {
      await tx.query('UPDATE plants SET lifecycle_status = $2, updated_at = $3 WHERE id = $1', [plantId, to, now]);
    }
  });
  notifyPlantChanged(plantId);
  return { message: done[action] };
}

/** Suspends a plant: refused at connect (and disconnected) until reactivated. */
export function suspendPlant(ctx: ServiceContext, id: string): Promise<{ message: string }> {
  return lifecycleAction(ctx, id, 'suspend');
}

/** Reactivates a suspended plant: ACTIVE if it ever connected, else PROVISIONED. */
export function reactivatePlant(ctx: ServiceContext, id: string): Promise<{ message: string }> {
  return lifecycleAction(ctx, id, 'reactivate');
}

/** Deletes a plant: decommissioned, kept for history, its serial number freed. */
export function decommissionPlant(ctx: ServiceContext, id: string): Promise<{ message: string }> {
  return lifecycleAction(ctx, id, 'decommission');
}
