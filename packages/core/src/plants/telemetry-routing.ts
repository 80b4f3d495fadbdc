// Where a plant's telemetry goes: the component of the plant, or of the
// sub-device a message names (created for it when absent), looked up in
// batches and cached for a few seconds. The telemetry writer (telemetry.ts)
// routes each batch here before storing it.
import type { ServiceContext } from '../context.js';
import { isDomainError } from '../errors.js';
import { createComponent } from '../monitoring/components/service.js';
import type { PlantRow } from './rows.js';
import type { DecodedTelemetry } from './telemetry-decode.js';

/** What the writer needs of a plant (a `PlantRow` will do). */
export type TelemetryPlant = Pick<PlantRow, 'id' | 'organisation_id' | 'component_id'>;

/** A message the writer refuses: `reason` is what the gateway records as the drop reason. */
export class TelemetryRejectedError extends Error {
  constructor(
    readonly reason: string,
    message = reason,
  ) {
    super(message);
    this.name = 'TelemetryRejectedError';
  }
}

/** What is known of a component, and since when (ms). */
export interface ComponentInfo {
  id: string;
  nodeId: string;
  organisationId: string;
  siteId: string;
  conceptual: boolean;
  at: number;
}

/** A message to route: refused through its `reject`. */
export interface RoutablePending {
  plant: TelemetryPlant;
  decoded: DecodedTelemetry;
  reject: (err: unknown) => void;
}

/** A message with the component it goes to. */
export interface RoutedTo<P> {
  p: P;
  component: ComponentInfo;
}

/** The longest nodeId a component takes (monitoring/components/schema.ts). */
const MAX_NODE_ID = 200;

/**
 * Routes messages to components, trusting what it knows of a component
 * (organisation, site, still live) for `cacheTtlMs`: a component or site
 * deleted meanwhile takes readings for up to that long.
 */
export function createComponentRouter(system: ServiceContext, cacheTtlMs: number) {
  const db = system.db;
  const components = new Map<string, ComponentInfo>();
  const subDevices = new Map<string, string>();

  /** Loads components into the cache (forgetting those deleted meanwhile); resolves to those found, as loaded. */
  async function loadComponents(ids: string[]): Promise<Map<string, ComponentInfo>> {
    const { rows } = await db.query<{ id: string; node_id: string; organisation_id: string; site_id: string; is_conceptual_node: boolean }>(
      `SELECT c.id, c.node_id, c.organisation_id, c.site_id, c.is_conceptual_node FROM components c
       WHERE c.id = ANY($1::uuid[]) AND c.deleted_at IS NULL
         AND EXISTS (SELECT 1 FROM sites s WHERE s.id = c.site_id AND s.deleted_at IS NULL)`,
      [ids],
    );
    const at = Date.now();
    if (components.size > 100_000) components.clear();
    const found = new Map<string, ComponentInfo>();
    for (const r of rows) {
      const info = {
        id: r.id,
        nodeId: r.node_id,
        organisationId: r.organisation_id,
        siteId: r.site_id,
        conceptual: r.is_conceptual_node,
        at,
      };
      components.set(r.id, info);
      found.set(r.id, info);
    }
    for (const id of ids) if (!found.has(id)) components.delete(id);
    return found;
  }

  function cached(id: string): ComponentInfo | undefined {
    const c = components.get(id);
    if (c && Date.now() - c.at <= cacheTtlMs) return c;
    return undefined;
  }

  /**
   * The component of a plant's sub-device: the component with that nodeId
   * among the plant's own component and those under it (the oldest, should
   * there be several), or the one created for it before under
   * `<plant component's nodeId>/<device>`. When there is none, a new child of
   * the plant's component, named after the device, with a nodeId free in the
   * organisation (nodeIds are unique there): the device's name if free, else
   * `<plant component's nodeId>/<device>`. A component elsewhere in the
   * organisation is never written to, whatever its nodeId.
   *
   * The component is created before the readings' transaction (creating one
   * takes the organisation's change lock); the message reaching the writer
   * is decoded already, and nothing after this refuses it, so a component is
   * only left behind when the write itself fails, and the plant sends the
   * message again.
   */
  async function subDevice(plant: TelemetryPlant, parent: ComponentInfo, nodeId: string): Promise<string> {
    const key = `${parent.id}|${nodeId}`;
    const known = subDevices.get(key);
    if (known && cached(known)) return known;
    const prefixed = `${parent.nodeId}/${nodeId}`;
    const candidates = prefixed.length <= MAX_NODE_ID ? [nodeId, prefixed] : [nodeId];
    const find = async () => {
      const { rows } = await db.query<{ id: string }>(
        `WITH RECURSIVE named AS (
           SELECT c.id, c.created_at FROM components c
           WHERE c.organisation_id = $1 AND c.node_id = ANY($2::text[]) AND c.deleted_at IS NULL
             AND EXISTS (SELECT 1 FROM sites s WHERE s.id = c.site_id AND s.deleted_at IS NULL)
         ), up (start, id, parent_id) AS (
           -- UNION, not UNION ALL: the walk ends even on a cycle.
           SELECT c.id, c.id, c.parent_id FROM components c JOIN named n ON c.id = n.id
           UNION
           SELECT up.start, c.id, c.parent_id FROM components c JOIN up ON c.id = up.parent_id
         )
         SELECT n.id FROM named n WHERE EXISTS (SELECT 1 FROM up WHERE up.start = n.id AND up.id = $3)
         ORDER BY n.created_at, n.id LIMIT 1`,
        [plant.organisation_id, candidates, parent.id],
      );
      return rows[0]?.id;
    };
    let id = await find();
    for (const candidate of candidates) {
      if (id) break;
      try {
        const created = await createComponent(system, {
          siteId: parent.siteId,
          parentId: parent.id,
          nodeId: candidate,
          name: nodeId,
          nodeType: 'OTHER',
          description: `Sub-device ${nodeId} of plant ${plant.id}, created by its telemetry`,
        });
        id = created.id;
      } catch (err) {
        // The nodeId is taken: by this device's component, created meanwhile by another server (use it),
        // or by a component elsewhere in the organisation (try the next candidate).
        if (!(isDomainError(err) && err.code === 'CONFLICT')) throw err;
        id = await find();
      }
    }
    if (!id) {
      throw new TelemetryRejectedError(
        'bad-device',
        `sub-device ${nodeId}: no free nodeId for its component (${candidates.join(', ')} are used elsewhere in the organisation)`,
      );
    }
    if (subDevices.size > 100_000) subDevices.clear();
    subDevices.set(key, id);
    return id;
  }

  /** Each message's component, or its rejection. */
  async function route<P extends RoutablePending>(batch: P[]): Promise<RoutedTo<P>[]> {
    // Each component is looked up once for the whole batch: a cache entry that expires while the batch
    // waits for the others to load must not turn a live component into a refusal.
    const known = new Map<string, ComponentInfo>();
    const missing = new Set<string>();
    for (const p of batch) {
      const id = p.plant.component_id;
      if (!id || known.has(id) || missing.has(id)) continue;
      const c = cached(id);
      if (c) known.set(id, c);
      else missing.add(id);
    }
    if (missing.size > 0) for (const [id, c] of await loadComponents([...missing])) known.set(id, c);
    const routed: RoutedTo<P>[] = [];
    const subs: { p: P; parent: ComponentInfo }[] = [];
    for (const p of batch) {
      const id = p.plant.component_id;
      if (!id) {
        p.reject(new TelemetryRejectedError('no-site', `plant ${p.plant.id} has no site: its telemetry has nowhere to go`));
        continue;
      }
      const c = known.get(id);
      if (!c || c.organisationId !== p.plant.organisation_id) {
        p.reject(new TelemetryRejectedError('no-component', `the component ${id} of plant ${p.plant.id} is gone`));
        continue;
      }
      if (p.decoded.device !== null) subs.push({ p, parent: c });
      else if (c.conceptual)
        p.reject(new TelemetryRejectedError('conceptual-component', `component ${id} is conceptual: it takes no readings`));
      else routed.push({ p, component: c });
    }
    for (const { p, parent } of subs) {
      try {
        const id = await subDevice(p.plant, parent, p.decoded.device!);
        const c = cached(id) ?? (await loadComponents([id])).get(id);
        if (!c) throw new TelemetryRejectedError('no-component', `sub-device ${p.decoded.device} is gone`);
        if (c.conceptual)
          throw new TelemetryRejectedError('conceptual-component', `sub-device ${p.decoded.device} is conceptual: it takes no readings`);
        routed.push({ p, component: c });
      } catch (err) {
        // A refusal (the device's component cannot be found or made: a domain rule said no) drops the message;
        // anything else (the database unreachable, a deadlock, a failed query) rejects it as it is, so the
        // gateway sends no PUBACK and the plant sends the message again.
        if (err instanceof TelemetryRejectedError) p.reject(err);
        else if (isDomainError(err)) p.reject(new TelemetryRejectedError('bad-device', `sub-device ${p.decoded.device}: ${err.message}`));
        else p.reject(err);
      }
    }
    return routed;
  }

  return { route };
}
