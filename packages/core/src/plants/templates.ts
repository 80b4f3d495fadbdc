// Device templates: how a device's telemetry keys map to Helio's base fields
// (signals) and which commands it understands (actions). Helio's system
// templates are shared and read-only; an organisation writes its own. Every
// change bumps the version (the decoder's cache follows it).
import type { Queryable } from '@helio/db';
import { readableOrganisations, targetOrganisation } from '../auth/principal.js';
import type { ServiceContext } from '../context.js';
import { conflict, DomainError, forbidden, validationError } from '../errors.js';
import { parseId, parseInput } from '../validation.js';
import { authorizePlants } from './access.js';
import { TEMPLATE_COLUMNS, toTemplate, type TemplateRow } from './rows.js';
import { createTemplateInput, listTemplatesQuery, pageMeta, updateTemplateInput, type Page, type Template } from './schema.js';
import { ensureSystemTemplates } from './system-templates.js';

export { ensureSystemTemplates, insertSystemTemplates, systemTemplates, SYSTEM_TEMPLATE_IDS } from './system-templates.js';

export const TEMPLATE_NOT_FOUND = 'Template not found';

function templateNotFound(message = TEMPLATE_NOT_FOUND): DomainError {
  return new DomainError('NOT_FOUND', message);
}

/**
 * A live template an organisation's plant may use (a system template or one
 * of the organisation's), of level PLANT, share-locked when `q` is a
 * transaction (a concurrent deletion waits). Unknown or another
 * organisation's: NOT_FOUND (`message`); another level: VALIDATION_ERROR.
 */
export async function loadUsableTemplate(
  q: Queryable,
  organisationId: string,
  templateId: string,
  path = 'templateId',
  message = TEMPLATE_NOT_FOUND,
): Promise<Template> {
  const { rows } = await q.query<TemplateRow>(
    `SELECT ${TEMPLATE_COLUMNS} FROM device_templates WHERE id = $1 AND deleted_at IS NULL
       AND (organisation_id IS NULL OR organisation_id = $2) FOR SHARE`,
    [templateId, organisationId],
  );
  const row = rows[0];
  if (!row) throw templateNotFound(message);
  if (row.level !== 'PLANT') {
    throw validationError(`template ${row.id} is of level ${row.level}: a plant takes a template of level PLANT`, [
      { path, message: `template of level ${row.level}, not PLANT`, issue: 'wrong_level' },
    ]);
  }
  return toTemplate(row);
}

/** A live template the caller may see (a system template, or one of its organisations'). */
async function loadTemplate(q: Queryable, ctx: ServiceContext, id: string, action: 'read' | 'write', lock = false): Promise<TemplateRow> {
  const templateId = parseId(id);
  const { rows } = await q.query<TemplateRow>(
    `SELECT ${TEMPLATE_COLUMNS} FROM device_templates WHERE id = $1 AND deleted_at IS NULL${lock ? ' FOR UPDATE' : ''}`,
    [templateId],
  );
  const row = rows[0];
  if (!row) throw templateNotFound();
  if (row.organisation_id === null) {
    if (action !== 'read') throw forbidden('system templates are read-only: create a template of your own');
    return row;
  }
  authorizePlants(ctx.principal, row.organisation_id, action, () => templateNotFound(), 'templates');
  return row;
}

export async function listTemplates(ctx: ServiceContext, query: unknown = {}): Promise<Page<Template>> {
  const f = parseInput(listTemplatesQuery, query ?? {});
  await ensureSystemTemplates(ctx.db);
  const where = `deleted_at IS NULL
    AND (organisation_id IS NULL OR $1::uuid[] IS NULL OR organisation_id = ANY($1::uuid[]))
    AND ($2::text IS NULL OR level = $2)`;
  const params = [readableOrganisations(ctx.principal), f.level ?? null];
  const { rows: counted } = await ctx.db.query<{ n: number | string }>(`SELECT count(*) AS n FROM device_templates WHERE ${where}`, params);
  const { rows } = await ctx.db.query<TemplateRow>(
    `SELECT ${TEMPLATE_COLUMNS} FROM device_templates WHERE ${where}
     ORDER BY is_system DESC, lower(name), id LIMIT $3 OFFSET $4`,
    [...params, f.limit, (f.page - 1) * f.limit],
  );
  return { data: rows.map(toTemplate), meta: pageMeta(f.page, f.limit, Number(counted[0]?.n ?? 0)) };
}

export async function getTemplate(ctx: ServiceContext, id: string): Promise<Template> {
  await ensureSystemTemplates(ctx.db);
  return toTemplate(await loadTemplate(ctx.db, ctx, id, 'read'));
}

export async function createTemplate(ctx: ServiceContext, input: unknown, opts: { organisationId?: string } = {}): Promise<Template> {
  const data = parseInput(createTemplateInput, input);
  const organisationId = targetOrganisation(ctx.principal, opts.organisationId ?? data.organizationId, 'write');
  authorizePlants(ctx.principal, organisationId, 'write', undefined, 'templates');
  const now = ctx.clock.now();
  const { rows } = await ctx.db.query<TemplateRow>(
    `INSERT INTO device_templates (id, organisation_id, name, level, type, is_system, version, signals, actions, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, false, 1, $6, $7, $8, $8) RETURNING ${TEMPLATE_COLUMNS}`,
    [ctx.ids.uuid(), organisationId, data.name, data.level, data.type, JSON.stringify(data.signals), JSON.stringify(data.actions), now],
  );
  return toTemplate(rows[0]!);
}

/** Changes an organisation's template and bumps its version. System templates are read-only (FORBIDDEN). */
export async function updateTemplate(ctx: ServiceContext, id: string, input: unknown): Promise<Template> {
  const patch = parseInput(updateTemplateInput, input);
  const updated = await ctx.db.transaction(async (tx) => {
    const current = await loadTemplate(tx, ctx, id, 'write', true);
    if (patch.level !== undefined && patch.level !== 'PLANT' && current.level === 'PLANT') {
      const { rows } = await tx.query('SELECT 1 FROM plants WHERE template_id = $1 AND deleted_at IS NULL LIMIT 1', [current.id]);
      if (rows.length > 0) {
        throw conflict(`template ${current.id} is used by plants: it must stay of level PLANT`, [
          { path: 'level', message: 'plants use this template' },
        ]);
      }
    }
    const sets: string[] = [];
    const values: unknown[] = [];
    const set = (column: string, value: unknown) => {
      values.push(value);
      sets.push(`${column} = $${values.length + 2}`);
    };
    if (patch.name !== undefined) set('name', patch.name);
    if (patch.level !== undefined) set('level', patch.level);
    if (patch.type !== undefined) set('type', patch.type);
    if (patch.signals !== undefined) set('signals', JSON.stringify(patch.signals));
    if (patch.actions !== undefined) set('actions', JSON.stringify(patch.actions));
    if (sets.length === 0) return toTemplate(current);
    const { rows } = await tx.query<TemplateRow>(
      `UPDATE device_templates SET ${['version = version + 1', 'updated_at = $2', ...sets].join(', ')}
       WHERE id = $1 RETURNING ${TEMPLATE_COLUMNS}`,
      [current.id, ctx.clock.now(), ...values],
    );
    return toTemplate(rows[0]!);
  });
  forgetDecoding(updated.id);
  return updated;
}

/** Deletes an organisation's template; refused (CONFLICT) while live plants use it. */
export async function deleteTemplate(ctx: ServiceContext, id: string): Promise<{ message: string }> {
  return ctx.db.transaction(async (tx) => {
    const current = await loadTemplate(tx, ctx, id, 'write', true);
    const { rows } = await tx.query<{ n: number | string }>(
      'SELECT count(*) AS n FROM plants WHERE template_id = $1 AND deleted_at IS NULL',
      [current.id],
    );
    const n = Number(rows[0]?.n ?? 0);
    if (n > 0) {
      throw conflict(`template ${current.id} is used by ${n} plant${n === 1 ? '' : 's'}: assign them another template first`, [
        { path: 'id', message: 'in use', plants: n },
      ]);
    }
    await tx.query('UPDATE device_templates SET deleted_at = $2, updated_at = $2 WHERE id = $1', [current.id, ctx.clock.now()]);
    return { message: 'Template deleted' };
  });
}

// ---------------------------------------------------------------- decoding

interface Cached {
  version: number;
  template: Template;
}

/** Templates by id, each at the version last loaded. */
const decodingCache = new Map<string, Cached>();
/** When each id's version was last checked: versions are trusted for VERSION_TTL_MS (another server may change them). */
const versionChecked = new Map<string, { version: number; at: number }>();
const VERSION_TTL_MS = 1000;
const MAX_CACHED = 5000;

/** This server changed the template: its next decoding checks the version at once. */
function forgetDecoding(templateId: string): void {
  versionChecked.delete(templateId);
}

/**
 * A template for the telemetry decoder (system side: no authorisation),
 * cached per id and version: a change reaches the decoder within a second,
 * on every server. Null when there is no such template. A deleted
 * template still decodes (deletion is refused while a live plant uses it).
 */
export async function templateForDecoding(q: Queryable, templateId: string | null): Promise<Template | null> {
  if (!templateId) return null;
  const now = Date.now();
  const checked = versionChecked.get(templateId);
  const cached = decodingCache.get(templateId);
  if (cached && checked && now - checked.at < VERSION_TTL_MS && checked.version === cached.version) return cached.template;
  const { rows: v } = await q.query<{ version: number }>('SELECT version FROM device_templates WHERE id = $1', [templateId]);
  if (!v[0]) {
    decodingCache.delete(templateId);
    versionChecked.delete(templateId);
    return null;
  }
  const version = v[0].version;
  if (versionChecked.size >= MAX_CACHED) versionChecked.clear();
  versionChecked.set(templateId, { version, at: now });
  if (cached && cached.version === version) return cached.template;
  const { rows } = await q.query<TemplateRow>(`SELECT ${TEMPLATE_COLUMNS} FROM device_templates WHERE id = $1`, [templateId]);
  if (!rows[0]) return null;
  const template = toTemplate(rows[0]);
  if (decodingCache.size >= MAX_CACHED) decodingCache.clear();
  decodingCache.set(templateId, { version: template.version, template });
  versionChecked.set(templateId, { version: template.version, at: now });
  return template;
}
