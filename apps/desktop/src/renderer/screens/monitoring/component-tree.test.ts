import { describe, expect, it } from 'vitest';
import { buildTree, descendantsOf, flattenTree, namedMessage, pathOf, type TreeRow } from './component-tree.js';

const row = (id: string, parentId: string | null, name = id, nodeId = `node-${id}`): TreeRow => ({ id, parentId, name, nodeId });

/** The tree as indented lines, for reading in a failed expectation. */
const lines = (rows: TreeRow[]) =>
  flattenTree(buildTree(rows)).map((n) => `${'  '.repeat(n.depth)}${n.row.name}${n.detached ? ' (detached)' : ''}`);

describe('component tree from flat rows', () => {
  it('nests each component under its parent, siblings in the order people read names', () => {
    const rows = [
      row('s10', 'inv', 'String 10'),
      row('inv', 'meter', 'Inverter 1'),
      row('ws', null, 'Weather station'),
      row('s2', 'inv', 'String 2'),
      row('meter', null, 'Meter'),
      row('inv2', 'meter', 'Inverter 2'),
    ];
    expect(lines(rows)).toEqual(['Meter', '  Inverter 1', '    String 2', '    String 10', '  Inverter 2', 'Weather station']);
  });

  it('orders siblings with the same name by node id', () => {
    expect(lines([row('b', null, 'Inverter', 'INV-B'), row('a', null, 'Inverter', 'INV-A')])).toEqual(['Inverter', 'Inverter']);
    expect(buildTree([row('b', null, 'Inverter', 'INV-B'), row('a', null, 'Inverter', 'INV-A')]).map((n) => n.row.nodeId)).toEqual([
      'INV-A',
      'INV-B',
    ]);
  });

  it('shows a component whose parent is not on this device at the top, marked, with its own children', () => {
    const rows = [row('meter', null, 'Meter'), row('inv', 'gone', 'Inverter'), row('s1', 'inv', 'String 1')];
    expect(lines(rows)).toEqual(['Inverter (detached)', '  String 1', 'Meter']);
  });

  it('shows components that loop into each other once each, never looping', () => {
    const rows = [row('a', 'b', 'A'), row('b', 'a', 'B'), row('c', 'a', 'C'), row('d', null, 'D')];
    const shown = lines(rows);
    expect(shown).toEqual(['D', 'A (detached)', '  B', '  C']);
    expect(flattenTree(buildTree(rows))).toHaveLength(4);
  });

  it('an empty site has an empty tree', () => {
    expect(buildTree([])).toEqual([]);
  });

  it('lists what is under a component, at every depth', () => {
    const rows = [row('meter', null), row('inv', 'meter'), row('s1', 'inv'), row('s2', 'inv'), row('ws', null)];
    const tree = buildTree(rows);
    expect(descendantsOf(tree, 'meter').map((r) => r.id)).toEqual(['inv', 's1', 's2']);
    expect(descendantsOf(tree, 's1')).toEqual([]);
    expect(descendantsOf(tree, 'unknown')).toEqual([]);
  });

  it('tells a component’s place from the top, stopping at a loop', () => {
    const rows = [row('meter', null, 'Meter'), row('inv', 'meter', 'Inverter 1'), row('s1', 'inv', 'String 1')];
    expect(pathOf(rows, 's1').map((r) => r.name)).toEqual(['Meter', 'Inverter 1', 'String 1']);
    expect(pathOf([row('a', 'b', 'A'), row('b', 'a', 'B')], 'a').map((r) => r.name)).toEqual(['B', 'A']);
  });

  it('names the components in core’s refusals instead of numbering them', () => {
    const inv = '0190f5a2-0000-7000-8000-00000000000a';
    const str = '0190f5a2-0000-7000-8000-00000000000b';
    const rows = [row(inv, null, 'Inverter 1'), row(str, inv, 'String 1')];
    expect(
      namedMessage(`moving component ${inv} under ${str} would make a cycle: ${str} is inside ${inv} (move ${str} out first)`, rows),
    ).toBe(
      'moving component “Inverter 1” under “String 1” would make a cycle: “String 1” is inside “Inverter 1” (move “String 1” out first)',
    );
    expect(namedMessage(`nodeId INV-1 is already used by component "Inverter 1" (${inv}) in this organisation`, rows)).toBe(
      'nodeId INV-1 is already used by component "Inverter 1" in this organisation',
    );
    expect(namedMessage('parent component 0190f5a2-0000-7000-8000-0000000000ff not found', rows)).toBe(
      'parent component another component not found',
    );
  });
});
