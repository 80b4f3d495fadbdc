// An edit form over a row that sync may change while it is open. Each field
// keeps the value the person started from (`base`), what they typed (`form`),
// and, when the row changed underneath a field they had touched, the other
// value (`theirs`) until they choose. Save sends only the fields they changed.

export type Fields = Record<string, string>;

export interface Editing<F extends Fields> {
  /** The row's values when each field was last taken from the row. */
  base: F;
  /** As typed. */
  form: F;
  /** Fields changed elsewhere while the person had changed them here: the other value, until they choose. */
  theirs: Partial<F>;
  /** Fields taken over from the row while the form was open (shown as updated). */
  updated: ReadonlySet<keyof F>;
}

const keysOf = <F extends Fields>(f: F) => Object.keys(f) as (keyof F & string)[];

export function startEditing<F extends Fields>(row: F): Editing<F> {
  return { base: row, form: row, theirs: {}, updated: new Set() };
}

/** The fields the person changed: what Save sends. */
export function touchedFields<F extends Fields>(editing: Editing<F>): (keyof F & string)[] {
  return keysOf(editing.form).filter((k) => editing.form[k] !== editing.base[k]);
}

/**
 * The row as just read (sync pulled a change, or the person saved). Untouched
 * fields take the new value; a touched field whose row value changed to
 * something else keeps the person's value and remembers the other one, so
 * both can be shown; a touched field that now equals the row is no longer a
 * change.
 */
export function rowChanged<F extends Fields>(editing: Editing<F>, row: F): Editing<F> {
  const base = { ...editing.base };
  const form = { ...editing.form };
  const theirs: Partial<F> = { ...editing.theirs };
  const updated = new Set(editing.updated);
  for (const k of keysOf(row)) {
    const next = row[k];
    const touched = form[k] !== base[k];
    if (!touched) {
      if (next !== base[k]) updated.add(k);
      base[k] = next;
      form[k] = next;
      delete theirs[k];
    } else if (next === form[k]) {
      base[k] = next;
      delete theirs[k];
    } else if (next !== base[k] || theirs[k] !== undefined) {
      // The base moves on: keeping mine now means changing their value.
      base[k] = next;
      theirs[k] = next;
    }
  }
  return { base, form, theirs, updated };
}

export function typed<F extends Fields>(editing: Editing<F>, key: keyof F & string, value: string): Editing<F> {
  const updated = new Set(editing.updated);
  updated.delete(key);
  return { ...editing, form: { ...editing.form, [key]: value }, updated };
}

/** The person chose between their value and the one made elsewhere. */
export function choose<F extends Fields>(editing: Editing<F>, key: keyof F & string, pick: 'mine' | 'theirs'): Editing<F> {
  const theirs: Partial<F> = { ...editing.theirs };
  const other = theirs[key];
  delete theirs[key];
  if (other === undefined) return editing;
  return {
    ...editing,
    theirs,
    form: pick === 'theirs' ? { ...editing.form, [key]: other } : editing.form,
  };
}

/** Drops every edit: the form shows the row. */
export function discard<F extends Fields>(editing: Editing<F>): Editing<F> {
  return startEditing(editing.base);
}
