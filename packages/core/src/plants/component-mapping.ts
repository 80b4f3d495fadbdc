// Which component of its site a plant's telemetry goes to (see the header
// of service.ts): the one named, else the site's component made for it
// earlier, else a new one under a nodeId free in the organisation.
import { nestedDb, type Queryable } from '@helio/db';
import type { ServiceContext } from '../context.js';
import { conflict, notFound, validationError } from '../errors.js';
import { createComponent } from '../monitoring/components/service.js';
import type { Application, GenerationType, NodeType } from '../monitoring/components/schema.js';
import { authorizePlants } from './access.js';
import type { PlantType, Template } from './schema.js';

/** The component a plant maps to: its node type from the template (when it names one) or the plant type. */
export function componentKind(
  type: PlantType,
  template: Template | null,
): { nodeType: NodeType; application?: Application; generationType?: GenerationType } {
  const t = template?.type.toUpperCase().replace(/[\s_-]/g, '');
  switch (t) {
    case 'INVERTER':
    case 'PVINVERTER':
      return { nodeType: 'INVERTER' };
    case 'METER':
    case 'GRIDMETER':
      return { nodeType: 'METER', application: 'NET-GRID', generationType: 'NET-GRID' };
    case 'WEATHERSTATION':
      return { nodeType: 'WEATHERSTATION' };
    case 'BATTERY':
      return { nodeType: 'BATTERY' };
    case 'STRING':
    case 'COMBINER':
      return { nodeType: t };
  }
  switch (type) {
    case 'SENSOR':
      return { nodeType: 'SENSOR' };
    case 'GATEWAY':
      return { nodeType: 'GATEWAY' };
    default:
      return { nodeType: 'OTHER' };
  }
}

interface Mapping {
  siteId: string;
  componentId: string;
}

/**
 * The site and component a plant of `organisationId` maps to, creating the
 * component when needed. The site is share-locked and an existing component
 * locked until the transaction ends: a concurrent deletion waits, and so does
 * a concurrent mapping of another plant to the same component (which then
 * finds it taken).
 */
export async function mapToComponent(
  tx: Queryable,
  ctx: ServiceContext,
  organisationId: string,
  plant: { id: string; name: string; serialNumber: string; type: PlantType; template: Template | null },
  siteId: string | undefined,
  componentId: string | undefined,
): Promise<Mapping> {
  if (componentId) {
    const { rows } = await tx.query<{ organisation_id: string; site_id: string; is_conceptual_node: boolean }>(
      `SELECT c.organisation_id, c.site_id, c.is_conceptual_node FROM components c
       JOIN sites s ON s.id = c.site_id AND s.deleted_at IS NULL
       WHERE c.id = $1 AND c.deleted_at IS NULL FOR UPDATE OF c`,
      [componentId],
    );
    const c = rows[0];
    if (!c || c.organisation_id !== organisationId) throw notFound('component', componentId);
    if (siteId && c.site_id !== siteId.toLowerCase()) {
      throw validationError(`component ${componentId} is not on site ${siteId}`, [
        { path: 'componentId', message: 'a component of another site' },
      ]);
    }
    if (c.is_conceptual_node) {
      throw validationError(`component ${componentId} is a conceptual node: it takes no readings, so no plant can map to it`, [
        {
          path: 'componentId',
          message: 'a conceptual node takes no readings: name a physical component, or give only siteId',
          issue: 'conceptual_component',
        },
      ]);
    }
    await assertComponentFree(tx, componentId, plant.id);
    return { siteId: c.site_id, componentId: componentId.toLowerCase() };
  }
  if (!siteId) throw new Error('mapToComponent without a site');
  const { rows: sites } = await tx.query<{ organisation_id: string; locus_id: number | string | null }>(
    'SELECT organisation_id, locus_id FROM sites WHERE id = $1 AND deleted_at IS NULL FOR SHARE',
    [siteId],
  );
  if (!sites[0] || sites[0].organisation_id !== organisationId) throw notFound('site', siteId);
  authorizePlants(ctx.principal, organisationId, 'write', () => notFound('site', siteId), 'sites');
  const locusId = Number(sites[0].locus_id ?? 0);
  const siteNodeId = locusId > 0 ? `${plant.serialNumber}-${locusId}` : null;
  // The site's component made for this plant earlier (or carrying its serial
  // number): reused when it is physical and no other live plant maps to it.
  const { rows: existing } = await tx.query<{ id: string; is_conceptual_node: boolean }>(
    `SELECT c.id, c.is_conceptual_node FROM components c
     WHERE c.site_id = $1 AND c.node_id = ANY($2::text[]) AND c.deleted_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM plants p WHERE p.component_id = c.id AND p.id <> $3 AND p.deleted_at IS NULL)
     ORDER BY (c.node_id = $4) DESC, c.created_at, c.id
     FOR UPDATE OF c`,
    [siteId, siteNodeId ? [plant.serialNumber, siteNodeId] : [plant.serialNumber], plant.id, plant.serialNumber],
  );
  const reusable = existing.find((c) => !c.is_conceptual_node);
  if (reusable) {
    await assertComponentFree(tx, reusable.id, plant.id);
    return { siteId: siteId.toLowerCase(), componentId: reusable.id };
  }
  const kind = componentKind(plant.type, plant.template);
  const nodeId = await freeNodeId(tx, organisationId, plant.serialNumber, siteNodeId);
  const created = await createComponent(
    { ...ctx, db: nestedDb(tx as never, ctx.db.engine) },
    {
      siteId,
      nodeId,
      name: plant.name,
      serialNumber: plant.serialNumber,
      description: `Plant ${plant.id}`,
      ...kind,
    },
  );
  return { siteId: created.siteId, componentId: created.id };
}

/**
 * The nodeId of a plant's new component: its serial number when no live
 * component of the organisation (on a live site) uses it, else the serial
 * number and the site's Locus id, else that with a counter. The organisation's
 * change counter is locked first, as the components service does before it
 * checks a nodeId: the id found free here is still free when the component is
 * created in this transaction.
 */
export async function freeNodeId(tx: Queryable, organisationId: string, serialNumber: string, siteNodeId: string | null): Promise<string> {
  await tx.query('SELECT last_seq FROM organisation_change_counters WHERE organisation_id = $1 FOR UPDATE', [organisationId]);
  const taken = async (nodeId: string) => {
    const { rows } = await tx.query(
      `SELECT 1 FROM components c
       WHERE c.organisation_id = $1 AND c.node_id = $2 AND c.deleted_at IS NULL
         AND EXISTS (SELECT 1 FROM sites s WHERE s.id = c.site_id AND s.deleted_at IS NULL)
       LIMIT 1`,
      [organisationId, nodeId],
    );
    return rows.length > 0;
  };
  if (!(await taken(serialNumber))) return serialNumber;
  const base = siteNodeId ?? serialNumber;
  if (siteNodeId && !(await taken(siteNodeId))) return siteNodeId;
  for (let n = 2; ; n++) {
    const candidate = `${base}-${n}`;
    if (!(await taken(candidate))) return candidate;
  }
}

/** A component maps to one live plant at most (its readings would be two plants' otherwise). */
export async function assertComponentFree(q: Queryable, componentId: string, plantId: string): Promise<void> {
  const { rows } = await q.query<{ id: string }>(
    'SELECT id FROM plants WHERE component_id = $1 AND id <> $2 AND deleted_at IS NULL LIMIT 1',
    [componentId, plantId],
  );
  if (rows[0]) {
    throw conflict(`component ${componentId} is already mapped to plant ${rows[0].id}`, [
      { path: 'componentId', message: 'mapped to another plant', plantId: rows[0].id },
    ]);
  }
}

/** A serial number is unique among the live plants of one organisation (another organisation's never show). */
