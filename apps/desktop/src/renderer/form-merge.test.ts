import { describe, expect, it } from 'vitest';
import { choose, discard, rowChanged, startEditing, touchedFields, typed } from './form-merge.js';

const row = { address: 'Old street 1', latitude: '', siteManager: 'Ana' };

describe('an edit form over a row that changes while it is open', () => {
  it('sends only the fields the person changed, even after the row changed elsewhere', () => {
    let editing = typed(startEditing(row), 'siteManager', 'Bea');
    editing = rowChanged(editing, { address: 'New street 2', latitude: '52.5', siteManager: 'Ana' });
    expect(touchedFields(editing)).toEqual(['siteManager']);
    expect(editing.form).toEqual({ address: 'New street 2', latitude: '52.5', siteManager: 'Bea' });
    expect([...editing.updated].sort()).toEqual(['address', 'latitude']);
    expect(editing.theirs).toEqual({});
  });

  it('keeps both values of a field changed here and elsewhere until the person chooses', () => {
    let editing = typed(startEditing(row), 'address', 'My street 3');
    editing = rowChanged(editing, { ...row, address: 'Office street 4' });
    expect(editing.form.address).toBe('My street 3');
    expect(editing.theirs).toEqual({ address: 'Office street 4' });
    expect(touchedFields(editing)).toEqual(['address']);

    const mine = choose(editing, 'address', 'mine');
    expect(mine.theirs).toEqual({});
    expect(touchedFields(mine)).toEqual(['address']);
    expect(mine.form.address).toBe('My street 3');

    const theirs = choose(editing, 'address', 'theirs');
    expect(theirs.form.address).toBe('Office street 4');
    expect(touchedFields(theirs)).toEqual([]);
  });

  it('drops a change that the row now holds too, and a choice still open when both agree', () => {
    let editing = typed(startEditing(row), 'address', 'Same street');
    editing = rowChanged(editing, { ...row, address: 'Other street' });
    editing = rowChanged(editing, { ...row, address: 'Same street' });
    expect(editing.theirs).toEqual({});
    expect(touchedFields(editing)).toEqual([]);
  });

  it('follows a second change elsewhere of a field still to be chosen', () => {
    let editing = typed(startEditing(row), 'address', 'Mine');
    editing = rowChanged(editing, { ...row, address: 'First' });
    editing = rowChanged(editing, { ...row, address: 'Second' });
    expect(editing.theirs).toEqual({ address: 'Second' });
    expect(choose(editing, 'address', 'theirs').form.address).toBe('Second');
  });

  it('discards every edit for the row as last read', () => {
    let editing = typed(startEditing(row), 'address', 'Mine');
    editing = rowChanged(editing, { ...row, latitude: '1' });
    expect(discard(editing).form).toEqual({ ...row, latitude: '1' });
  });
});
