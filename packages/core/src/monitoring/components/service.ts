// The component tree under a site: meters, inverters, strings, weather
// stations, each a Locus component. The tree is kept whole here, since the
// table has no foreign key on parent_id (a device may receive a child before
// its parent): a parent is a live component of the same site, a move never
// makes a cycle, and a removed component's children move up to the site.
//
// Locks are taken rows first, the organisation's change counter last (as
// every writer of a synced table does), and the checks that depend on other
// writers' rows (no cycle, a free nodeId) run after the counter is taken:
// the counter serialises the organisation's writers, so two concurrent moves
// or creates cannot each pass a check that together they break.
import type { Queryable } from '@helio/db';
import { authorize, readableOrganisations } from '../../auth/principal.js';
import { allocateChangeSeqs } from '../../changes.js';
import type { ServiceContext } from '../../context.js';
import { conflict, notFound, validationError } from '../../errors.js';
import { parseId, parseInput } from '../../validation.js';
import {
  componentDefaults,
  createComponentInput,
  listComponentsInput,
  updateComponentInput,
  type Application,
  type Component,
  type GenerationType,
  type NodeType,
} from './schema.js';

export interface ComponentRow {
  id: string;
  organisation_id: string;
  site_id: string;
  parent_id: string | null;
  locus_id: number;
  node_id: string;
  name: string;
  node_type: string;
  application: string;
  generation_type: string;
  oem: string | null;
  model: string | null;
  is_conceptual_node: boolean;
  serial_number: string | null;
  description: string | null;
  created_at: Date;
  updated_at: Date;
}

export const COMPONENT_COLUMNS =
  'id, organisation_id, site_id, parent_id, locus_id, node_id, name, node_type, application, generation_type, oem, model, is_conceptual_node, serial_number, description, created_at, updated_at';

/** The component's site is live: a deleted site's components are gone with it (and come back with it). */
const SITE_LIVE = 'EXISTS (SELECT 1 FROM sites s WHERE s.id = components.site_id AND s.deleted_at IS NULL)';

export function toComponent(r: ComponentRow): Component {
  return {
    id: r.id,
    // A device's placeholder for a component it created offline is not a Locus id.
    locusId: r.locus_id > 0 ? r.locus_id : null,
    organisationId: r.organisation_id,
    siteId: r.site_id,
    parentId: r.parent_id,
    nodeId: r.node_id,
    name: r.name,
    nodeType: r.node_type as NodeType,
    application: r.application as Application,
    generationType: r.generation_type as GenerationType,
    oem: r.oem,
    model: r.model,
    isConceptualNode: r.is_conceptual_node,
    serialNumber: r.serial_number,
    description: r.description,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

// Maps API field names to columns; the one place a component field's column is named.
export const componentColumns = {
  siteId: 'site_id',
  parentId: 'parent_id',
  nodeId: 'node_id',
  name: 'name',
  nodeType: 'node_type',
  application: 'application',
  generationType: 'generation_type',
  oem: 'oem',
  model: 'model',
  isConceptualNode: 'is_conceptual_node',
  serialNumber: 'serial_number',
  description: 'description',
} as const;

/** Loads a live component (of a live site) the caller may see, locking it for update when inside a write. */
async function loadComponent(q: Queryable, ctx: ServiceContext, id: string, forUpdate = false): Promise<ComponentRow> {
  parseId(id);
  const { rows } = await q.query<ComponentRow>(
    `SELECT ${COMPONENT_COLUMNS} FROM components WHERE id = $1 AND deleted_at IS NULL AND ${SITE_LIVE}${forUpdate ? ' FOR UPDATE OF components' : ''}`,
    [id],
  );
  const row = rows[0];
  if (!row) throw notFound('component', id);
  authorize(ctx.principal, row.organisation_id, 'read', 'component', id);
  return row;
}

/**
 * The organisation of a live site, share-locking it until the transaction
 * ends, so that a concurrent deletion of the site waits for the new
 * component (or commits first, and the site is not found).
 */
async function lockLiveSite(tx: Queryable, siteId: string): Promise<string | undefined> {
  const { rows } = await tx.query<{ organisation_id: string }>(
    'SELECT organisation_id FROM sites WHERE id = $1 AND deleted_at IS NULL FOR SHARE',
    [siteId],
  );
  return rows[0]?.organisation_id;
}

/** A live component, share-locked: a concurrent removal of it waits, or has committed and it is not found. */
async function lockLiveComponent(tx: Queryable, id: string): Promise<{ organisation_id: string; site_id: string } | undefined> {
  const { rows } = await tx.query<{ organisation_id: string; site_id: string }>(
    'SELECT organisation_id, site_id FROM components WHERE id = $1 AND deleted_at IS NULL FOR SHARE',
    [id],
  );
  return rows[0];
}

/**
 * A parent is of the same organisation, or it does not exist for the caller;
 * and of the same site, or the tree would span two sites.
 */
function checkParent(
  parent: { organisation_id: string; site_id: string } | undefined,
  parentId: string,
  organisationId: string,
  siteId: string,
): void {
  if (!parent || parent.organisation_id !== organisationId) throw notFound('parent component', parentId);
  if (parent.site_id !== siteId) {
    throw validationError(`parent component ${parentId} is on another site: a component's parent must be on its own site`, [
      { path: 'parentId', message: 'a component of another site' },
    ]);
  }
}

/**
 * Whether `ancestorId` is `componentId` or above it in the tree. UNION, not
 * UNION ALL: a device may briefly hold a cycle (its own pending move over one
 * the server made), and the walk must still end.
 */
async function isAncestorOrSelf(q: Queryable, ancestorId: string, componentId: string): Promise<boolean> {
  const { rows } = await q.query(
    `WITH RECURSIVE up (id, parent_id) AS (
       SELECT id, parent_id FROM components WHERE id = $1
       UNION
       SELECT c.id, c.parent_id FROM components c JOIN up ON c.id = up.parent_id
     )
     SELECT 1 FROM up WHERE id = $2 LIMIT 1`,
    [componentId, ancestorId],
  );
  return rows.length > 0;
}

async function assertNoCycle(q: Queryable, id: string, parentId: string): Promise<void> {
  if (parentId === id) {
    throw validationError(`component ${id} cannot be its own parent`, [{ path: 'parentId', message: 'the component itself' }]);
  }
  if (await isAncestorOrSelf(q, id, parentId)) {
    throw validationError(
      `moving component ${id} under ${parentId} would make a cycle: ${parentId} is inside ${id} (move ${parentId} out first)`,
      [{ path: 'parentId', message: 'a component inside this one' }],
    );
  }
}

/** CONFLICT when another live component of the organisation (on a live site) has this nodeId. */
async function assertNodeIdFree(q: Queryable, organisationId: string, nodeId: string, id: string): Promise<void> {
  const { rows } = await q.query<{ id: string; name: string }>(
    `SELECT id, name FROM components
     WHERE organisation_id = $1 AND node_id = $2 AND id <> $3 AND deleted_at IS NULL AND ${SITE_LIVE} LIMIT 1`,
    [organisationId, nodeId, id],
  );
  const other = rows[0];
  if (other) {
    throw conflict(`nodeId ${nodeId} is already used by component "${other.name}" (${other.id}) in this organisation`, [
      { path: 'nodeId', message: 'already used by another component', componentId: other.id },
    ]);
  }
}

/** `%` is the only wildcard: `_` and `\` match themselves. */
function nodeIdPattern(nodeId: string): string {
  return nodeId.replace(/[\\_]/g, (c) => `\\${c}`);
}

export async function listComponents(ctx: ServiceContext, filter: unknown = {}): Promise<Component[]> {
  const f = parseInput(listComponentsInput, filter);
  if (f.organisationId) authorize(ctx.principal, f.organisationId, 'read', 'organisation', f.organisationId);
  const { rows } = await ctx.db.query<ComponentRow>(
    `SELECT ${COMPONENT_COLUMNS} FROM components
     WHERE deleted_at IS NULL AND ${SITE_LIVE}
       AND ($1::uuid[] IS NULL OR organisation_id = ANY($1::uuid[]))
       AND ($2::uuid IS NULL OR site_id = $2)
       AND ($3::uuid IS NULL OR organisation_id = $3)
       AND ($4::text IS NULL OR node_id LIKE $4)
     ORDER BY created_at, id`,
    [readableOrganisations(ctx.principal), f.siteId ?? null, f.organisationId ?? null, f.nodeId ? nodeIdPattern(f.nodeId) : null],
  );
  // A site the caller cannot see is "not found", as a lookup by id would be; checked only when nothing matched.
  if (rows.length === 0 && f.siteId) await assertSiteReadable(ctx, f.siteId);
  return rows.map(toComponent);
}

async function assertSiteReadable(ctx: ServiceContext, siteId: string): Promise<void> {
  const { rows } = await ctx.db.query<{ organisation_id: string }>(
    'SELECT organisation_id FROM sites WHERE id = $1 AND deleted_at IS NULL',
    [siteId],
  );
  if (!rows[0]) throw notFound('site', siteId);
  authorize(ctx.principal, rows[0].organisation_id, 'read', 'site', siteId);
}

export async function getComponent(ctx: ServiceContext, id: string): Promise<Component> {
  return toComponent(await loadComponent(ctx.db, ctx, id));
}

export async function createComponent(ctx: ServiceContext, input: unknown): Promise<Component> {
  const data = parseInput(createComponentInput, input);
  const id = data.id ?? ctx.ids.uuid();
  return ctx.db.transaction(async (tx) => {
    const organisationId = await lockLiveSite(tx, data.siteId);
    // A site of another organisation than the one named (a device's mutation says which) is not found either.
    if (!organisationId || (data.organisationId && data.organisationId !== organisationId)) throw notFound('site', data.siteId);
    authorize(ctx.principal, organisationId, 'write', 'site', data.siteId);
    if (data.parentId) checkParent(await lockLiveComponent(tx, data.parentId), data.parentId, organisationId, data.siteId);
    const seq = await allocateChangeSeqs(tx, organisationId);
    await assertNodeIdFree(tx, organisationId, data.nodeId, id);
    const now = ctx.clock.now();
    const { rows } = await tx.query<ComponentRow>(
      `INSERT INTO components (id, organisation_id, site_id, parent_id, node_id, name, node_type, application, generation_type,
         oem, model, is_conceptual_node, serial_number, description, created_at, updated_at, change_seq)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16)
       RETURNING ${COMPONENT_COLUMNS}`,
      [
        id,
        organisationId,
        data.siteId,
        data.parentId ?? null,
        data.nodeId,
        data.name,
        data.nodeType,
        data.application ?? componentDefaults.application,
        data.generationType ?? componentDefaults.generationType,
        data.oem ?? null,
        data.model ?? null,
        data.isConceptualNode ?? componentDefaults.isConceptualNode,
        data.serialNumber ?? null,
        data.description ?? null,
        now,
        seq,
      ],
    );
    return toComponent(rows[0]!);
  });
}

export async function updateComponent(ctx: ServiceContext, rawId: string, input: unknown): Promise<Component> {
  const id = parseId(rawId).toLowerCase();
  const patch = parseInput(updateComponentInput, input);
  const target = patch.parentId?.toLowerCase();
  if (target === id) await assertNoCycle(ctx.db, id, target);
  return ctx.db.transaction(async (tx) => {
    // A move locks the component and its new parent (so that removing the
    // parent waits, and then takes the component with it to the site) in id
    // order, as removals lock children: two crossing moves (x under y, y under
    // x) then queue on the first row instead of deadlocking, and the second
    // is refused as a cycle. The current parent needs no lock: it is not a move.
    const { rows: peeked } = await tx.query<{ parent_id: string | null }>('SELECT parent_id FROM components WHERE id = $1', [id]);
    const moving = (parentId: string | null | undefined): parentId is string => !!parentId && parentId !== peeked[0]?.parent_id;
    let parent: Awaited<ReturnType<typeof lockLiveComponent>>;
    if (moving(target) && target < id) parent = await lockLiveComponent(tx, target);
    const current = await loadComponent(tx, ctx, id, true);
    if (moving(target) && target > id) parent = await lockLiveComponent(tx, target);
    authorize(ctx.principal, current.organisation_id, 'write', 'component', id);
    if (patch.siteId !== undefined && patch.siteId.toLowerCase() !== current.site_id) {
      throw validationError('siteId cannot change: a component stays on its site (remove it and create it on the other site)', [
        { path: 'siteId', message: 'cannot change' },
      ]);
    }
    const moves = !!target && target !== current.parent_id;
    if (moves) {
      // Moved by someone else since the peek: lock the parent now, out of order (rare; a deadlock there is refused, to be retried).
      if (!moving(target)) parent = await lockLiveComponent(tx, target);
      checkParent(parent, target, current.organisation_id, current.site_id);
    }
    const { siteId: _sameSite, ...changes } = patch;
    const entries = Object.entries(changes).filter(([, v]) => v !== undefined) as [keyof typeof componentColumns, unknown][];
    const seq = await allocateChangeSeqs(tx, current.organisation_id);
    if (moves) await assertNoCycle(tx, id, target);
    if (patch.nodeId !== undefined && patch.nodeId !== current.node_id)
      await assertNodeIdFree(tx, current.organisation_id, patch.nodeId, id);
    const sets = entries.map(([field], i) => `${componentColumns[field]} = $${i + 4}`);
    const { rows } = await tx.query<ComponentRow>(
      `UPDATE components SET ${['updated_at = $2', 'change_seq = $3', ...sets].join(', ')}
       WHERE id = $1 RETURNING ${COMPONENT_COLUMNS}`,
      [id, ctx.clock.now(), seq, ...entries.map(([, v]) => v)],
    );
    return toComponent(rows[0]!);
  });
}

/**
 * Tombstones a component. Its children move up to the site (parent null),
 * each under a change number of its own; tombstoned children too, as a
 * device replays the removal on every row that names the parent.
 */
export async function deleteComponent(ctx: ServiceContext, id: string): Promise<Component> {
  return ctx.db.transaction(async (tx) => {
    const current = await loadComponent(tx, ctx, id, true);
    authorize(ctx.principal, current.organisation_id, 'write', 'component', id);
    const children = await tx.query<{ id: string }>('SELECT id FROM components WHERE parent_id = $1 ORDER BY id FOR UPDATE', [id]);
    const first = await allocateChangeSeqs(tx, current.organisation_id, children.rowCount + 1);
    const now = ctx.clock.now();
    for (const [i, child] of children.rows.entries()) {
      await tx.query('UPDATE components SET parent_id = NULL, updated_at = $2, change_seq = $3 WHERE id = $1', [child.id, now, first + i]);
    }
    const { rows } = await tx.query<ComponentRow>(
      `UPDATE components SET deleted_at = $2, updated_at = $2, change_seq = $3 WHERE id = $1 RETURNING ${COMPONENT_COLUMNS}`,
      [id, now, first + children.rowCount],
    );
    return toComponent(rows[0]!);
  });
}

/**
 * Brings a deleted component back (a sync conflict resolution, or undoing a
 * delete). Its parent may have gone meanwhile: it comes back directly under
 * the site then. Its nodeId may have been given to another component: that
 * is a CONFLICT, and it stays deleted.
 */
export async function restoreComponent(ctx: ServiceContext, id: string): Promise<Component> {
  parseId(id);
  return ctx.db.transaction(async (tx) => {
    const { rows: peeked } = await tx.query<{ organisation_id: string; site_id: string; parent_id: string | null }>(
      'SELECT organisation_id, site_id, parent_id FROM components WHERE id = $1',
      [id],
    );
    const seen = peeked[0];
    if (!seen) throw notFound('component', id);
    authorize(ctx.principal, seen.organisation_id, 'write', 'component', id);
    if (!(await lockLiveSite(tx, seen.site_id))) throw notFound('site', seen.site_id);
    // The parent before the component, the order in which removing the parent locks them.
    const parent = seen.parent_id ? await lockLiveComponent(tx, seen.parent_id) : undefined;
    const { rows: found } = await tx.query<ComponentRow & { deleted_at: Date | null }>(
      `SELECT ${COMPONENT_COLUMNS}, deleted_at FROM components WHERE id = $1 FOR UPDATE`,
      [id],
    );
    const current = found[0]!;
    if (!current.deleted_at) return toComponent(current);
    const seq = await allocateChangeSeqs(tx, current.organisation_id);
    await assertNodeIdFree(tx, current.organisation_id, current.node_id, id);
    const keepParent =
      current.parent_id !== null &&
      current.parent_id === seen.parent_id &&
      parent?.site_id === current.site_id &&
      !(await isAncestorOrSelf(tx, id, current.parent_id));
    const { rows } = await tx.query<ComponentRow>(
      `UPDATE components SET deleted_at = NULL, updated_at = $2, change_seq = $3${keepParent ? '' : ', parent_id = NULL'}
       WHERE id = $1 RETURNING ${COMPONENT_COLUMNS}`,
      [id, ctx.clock.now(), seq],
    );
    return toComponent(rows[0]!);
  });
}
