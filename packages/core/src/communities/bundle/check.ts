// The referential checks of one bundle: everything that can be known wrong
// from the bundle alone, before any database is asked (keys taken by another
// community are the importer's checks). The zod schema checks each value on
// its own; this checks how values refer to each other.
//
// It reads its input defensively (any field may be missing or of the wrong
// type) so that the parser can run it on a bundle that also failed the
// schema: a user then gets the referential problems in the same report as
// the schema's, not in a second round.
import type { BundleProblem } from './parse.js';
import { assetTypes, type RegistryBundleIn } from './schema.js';

type Loc = (string | number)[];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const entries = (v: unknown): [string, unknown][] => (isRecord(v) ? Object.entries(v) : []);
const items = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const where = (loc: Loc): string => loc.join('.');

/** Every referential problem of `b`, in document order. */
export function checkBundle(b: RegistryBundleIn): BundleProblem[] {
  const problems: BundleProblem[] = [];
  const dangling = (loc: Loc, msg: string) => problems.push({ loc, msg, type: 'dangling_reference' });
  const duplicate = (loc: Loc, msg: string) => problems.push({ loc, msg, type: 'duplicate_key' });

  const community: unknown = isRecord(b) ? b.community : undefined;
  const c = isRecord(community) ? community : {};
  const areaKeys = new Set(entries(c.areas).map(([k]) => k));
  const operatorKeys = new Set(entries(c.operators).map(([k]) => k));

  // Topology: unique ids, known operators and parents, no loop.
  const nodeIndex = new Map<string, number>();
  const parentOf = new Map<string, string>();
  items(c.topology).forEach((node, i) => {
    if (!isRecord(node)) return;
    const id = str(node.id);
    const loc: Loc = ['community', 'topology', i];
    if (id !== undefined) {
      const first = nodeIndex.get(id);
      if (first === undefined) nodeIndex.set(id, i);
      else duplicate([...loc, 'id'], `topology node id "${id}" is already used by community.topology.${first}`);
    }
    const operator = str(node.operator_id);
    if (operator !== undefined && !operatorKeys.has(operator))
      dangling([...loc, 'operator_id'], `operator "${operator}" is not a key of community.operators`);
  });
  items(c.topology).forEach((node, i) => {
    if (!isRecord(node)) return;
    const id = str(node.id);
    const parent = str(node.parent);
    if (parent === undefined) return;
    if (!nodeIndex.has(parent)) dangling(['community', 'topology', i, 'parent'], `parent "${parent}" is not a node of community.topology`);
    // Only the first node holding an id takes part in the loop search: a duplicate id is already a problem.
    else if (id !== undefined && nodeIndex.get(id) === i) parentOf.set(id, parent);
  });
  for (const cycle of topologyCycles(parentOf)) {
    const start = cycle[0]!;
    problems.push({
      loc: ['community', 'topology', nodeIndex.get(start)!, 'parent'],
      msg: `the parent links loop: ${[...cycle, start].join(' → ')}`,
      type: 'cycle',
    });
  }

  for (const [areaKey, area] of entries(c.areas)) {
    items(isRecord(area) ? area.topology : undefined).forEach((ref, i) => {
      const id = str(ref);
      if (id !== undefined && !nodeIndex.has(id))
        dangling(['community', 'areas', areaKey, 'topology', i], `topology node "${id}" is not a node of community.topology`);
    });
  }

  // Members: areas, user ids, delivery points, then assets (which refer to delivery points of any member).
  const members = entries(isRecord(b) ? b.members : undefined);
  const userIds = new Map<string, string>();
  const pods = new Map<string, Loc>();
  for (const [memberKey, member] of members) {
    if (!isRecord(member)) continue;
    const loc: Loc = ['members', memberKey];
    const area = str(member.area);
    if (area !== undefined && !areaKeys.has(area)) dangling([...loc, 'area'], `area "${area}" is not a key of community.areas`);
    const user = str(member.user_id);
    if (user !== undefined) {
      const first = userIds.get(user);
      if (first === undefined) userIds.set(user, memberKey);
      else duplicate([...loc, 'user_id'], `user_id "${user}" is already the user of member "${first}"`);
    }
    items(member.delivery_points).forEach((dp, i) => {
      if (!isRecord(dp)) return;
      const dpLoc: Loc = [...loc, 'delivery_points', i];
      const pod = str(dp.id);
      if (pod !== undefined) {
        const first = pods.get(pod);
        if (first === undefined) pods.set(pod, dpLoc);
        else duplicate([...dpLoc, 'id'], `delivery point "${pod}" is already listed at ${where(first)}`);
      }
      const node = str(dp.topology_node);
      if (node !== undefined && !nodeIndex.has(node))
        dangling([...dpLoc, 'topology_node'], `topology node "${node}" is not a node of community.topology`);
    });
  }

  const assetKeys = new Map<string, Loc>();
  const sensors = new Map<string, Loc>();
  const references: { loc: Loc; key: string }[] = [];
  for (const [memberKey, member] of members) {
    const collection = isRecord(member) ? member.assets : undefined;
    if (!isRecord(collection)) continue;
    for (const type of assetTypes) {
      for (const [assetKey, asset] of entries(collection[type])) {
        const loc: Loc = ['members', memberKey, 'assets', type, assetKey];
        const first = assetKeys.get(assetKey);
        if (first === undefined) assetKeys.set(assetKey, loc);
        else duplicate(loc, `asset key "${assetKey}" is already used at ${where(first)} (asset keys are unique in the community)`);
        if (!isRecord(asset)) continue;
        const sensor = str(asset.sensor_id);
        if (sensor !== undefined) {
          const firstSensor = sensors.get(sensor);
          if (firstSensor === undefined) sensors.set(sensor, [...loc, 'sensor_id']);
          else duplicate([...loc, 'sensor_id'], `sensor_id "${sensor}" is already used at ${where(firstSensor)}`);
        }
        const pod = str(asset.pod);
        if (pod !== undefined && !pods.has(pod))
          dangling([...loc, 'pod'], `delivery point "${pod}" is not a delivery point of any member of the bundle`);
        const rel = isRecord(asset.relationships) ? asset.relationships : {};
        items(rel.measures).forEach((ref, i) => {
          const key = str(ref);
          if (key !== undefined) references.push({ loc: [...loc, 'relationships', 'measures', i], key });
        });
        const paired = str(rel.paired_with);
        if (paired !== undefined) references.push({ loc: [...loc, 'relationships', 'paired_with'], key: paired });
      }
    }
  }
  // Relationships may name an asset listed later in the bundle: checked once every key is known.
  for (const { loc, key } of references) if (!assetKeys.has(key)) dangling(loc, `asset "${key}" is not an asset of the bundle`);

  return problems;
}

/** Each loop of the parent links once, as the ids along it, from the node where a walk up from the earliest node (in bundle order) entered it. */
function topologyCycles(parentOf: Map<string, string>): string[][] {
  const cycles: string[][] = [];
  const done = new Set<string>();
  for (const start of parentOf.keys()) {
    const path: string[] = [];
    const onPath = new Map<string, number>();
    let id: string | undefined = start;
    while (id !== undefined && !done.has(id) && !onPath.has(id)) {
      onPath.set(id, path.length);
      path.push(id);
      id = parentOf.get(id);
    }
    if (id !== undefined && onPath.has(id)) cycles.push(path.slice(onPath.get(id)));
    for (const seen of path) done.add(seen);
  }
  return cycles;
}
