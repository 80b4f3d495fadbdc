// A site's components arrive as flat rows (each with its parent's id, null
// directly under the site); the page shows them as a tree. Rows whose parent
// is not on this device (not synced yet, or removed meanwhile) and rows in a
// loop (two devices moving components under each other before syncing) are
// still shown, at the top, marked, never dropped or looped over.

export interface TreeRow {
  id: string;
  parentId: string | null;
  name: string;
  nodeId: string;
}

export interface TreeNode<T extends TreeRow> {
  row: T;
  /** 0 directly under the site. */
  depth: number;
  children: TreeNode<T>[];
  /** Shown at the top although it has a parent: the parent is not here, or the rows loop. */
  detached: boolean;
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** Siblings by name as people read them ("Inverter 2" before "Inverter 10"), then by node id. */
function bySiblingOrder(a: TreeRow, b: TreeRow): number {
  return collator.compare(a.name, b.name) || collator.compare(a.nodeId, b.nodeId) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function buildTree<T extends TreeRow>(rows: readonly T[]): TreeNode<T>[] {
  const ids = new Set(rows.map((r) => r.id));
  const childrenOf = new Map<string, T[]>();
  for (const row of rows) {
    if (row.parentId === null || !ids.has(row.parentId)) continue;
    const list = childrenOf.get(row.parentId) ?? [];
    list.push(row);
    childrenOf.set(row.parentId, list);
  }
  const placed = new Set<string>();
  const grow = (row: T, depth: number, detached: boolean): TreeNode<T> => {
    placed.add(row.id);
    const children = (childrenOf.get(row.id) ?? [])
      .filter((child) => !placed.has(child.id))
      .sort(bySiblingOrder)
      .map((child) => grow(child, depth + 1, false));
    return { row, depth, children, detached };
  };
  const sorted = [...rows].sort(bySiblingOrder);
  const roots = sorted.filter((r) => r.parentId === null || !ids.has(r.parentId)).map((r) => grow(r, 0, r.parentId !== null));
  // What is left hangs in a loop: each loop shown from one of its rows.
  for (const row of sorted) if (!placed.has(row.id)) roots.push(grow(row, 0, true));
  return roots;
}

/** The tree in reading order, each node once: for lists that show depth by indenting. */
export function flattenTree<T extends TreeRow>(nodes: readonly TreeNode<T>[]): TreeNode<T>[] {
  const out: TreeNode<T>[] = [];
  const walk = (list: readonly TreeNode<T>[]) => {
    for (const node of list) {
      out.push(node);
      walk(node.children);
    }
  };
  walk(nodes);
  return out;
}

/** Every row under `id` (children, their children, ...), as the tree shows them. */
export function descendantsOf<T extends TreeRow>(nodes: readonly TreeNode<T>[], id: string): T[] {
  const node = flattenTree(nodes).find((n) => n.row.id === id);
  return node ? flattenTree(node.children).map((n) => n.row) : [];
}

/** The path from the top of the tree to `id`: "Meter › Inverter 1", for telling a component's place in words. */
export function pathOf<T extends TreeRow>(rows: readonly T[], id: string): T[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const path: T[] = [];
  const seen = new Set<string>();
  for (let row = byId.get(id); row && !seen.has(row.id); row = row.parentId === null ? undefined : byId.get(row.parentId)) {
    seen.add(row.id);
    path.unshift(row);
  }
  return path;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/**
 * Core's refusal, as the person reads it: components named instead of
 * numbered ("moving component “Inverter 1” under “String 1” would make a
 * cycle ..."). An id already beside its name in brackets is dropped; an id
 * not on this device reads "another component".
 */
export function namedMessage(message: string, rows: readonly TreeRow[]): string {
  const names = new Map(rows.map((r) => [r.id.toLowerCase(), r.name]));
  return message.replace(new RegExp(`\\s*\\((${UUID.source})\\)`, 'gi'), '').replace(UUID, (id) => {
    const name = names.get(id.toLowerCase());
    return name === undefined ? 'another component' : `“${name}”`;
  });
}
