import { describe, expect, it } from 'vitest';
import { defineSyncedTable, SyncSchema, type SyncedWrites } from './synced-table.js';
import { syncSchema } from './tables.js';

const writes = (onRemove?: SyncedWrites['onRemove']): SyncedWrites => ({
  entity: 'thing',
  columns: { name: 'name' },
  create: async () => undefined,
  update: async () => undefined,
  remove: async () => undefined,
  restore: async () => undefined,
  ...(onRemove ? { onRemove } : {}),
});

describe('synced table descriptors', () => {
  it("purges Helio's tables children first: every table before the tables its rows refer to", () => {
    const order = syncSchema.purgeOrder;
    expect([...order].sort()).toEqual([...syncSchema.names].sort());
    for (const table of syncSchema.tables) {
      for (const parent of table.refersTo ?? []) expect(order.indexOf(table.table)).toBeLessThan(order.indexOf(parent));
    }
    expect(order.at(-1)).toBe('organisations');
  });

  it('refuses names that are not plain SQL identifiers', () => {
    expect(() => defineSyncedTable({ table: 'notes; DROP TABLE sites' })).toThrow(/not plain SQL identifiers/);
    expect(() => defineSyncedTable({ table: 'notes', writes: { ...writes(), columns: { title: 'title"' } } })).toThrow(/title"/);
  });

  it('refuses a table declared twice, a reference to a table not synced, a cycle, and a removal reaching a table clients cannot write', () => {
    const notes = defineSyncedTable({ table: 'notes' });
    expect(() => new SyncSchema([notes, notes])).toThrow(/declared twice/);
    expect(() => new SyncSchema([defineSyncedTable({ table: 'notes', refersTo: ['nowhere'] })])).toThrow(/refers to nowhere/);
    expect(
      () => new SyncSchema([defineSyncedTable({ table: 'a', refersTo: ['b'] }), defineSyncedTable({ table: 'b', refersTo: ['a'] })]),
    ).toThrow(/cycle/);
    expect(
      () => new SyncSchema([notes, defineSyncedTable({ table: 'tags', writes: writes({ table: 'notes', column: 'tag_id' }) })]),
    ).toThrow(/onRemove reaches notes/);
  });
});
