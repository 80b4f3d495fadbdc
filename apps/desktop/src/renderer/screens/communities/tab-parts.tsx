// Pieces every tab of a community shares: the search field and the filter
// choices above its table, which row's form is open, and what the last save
// did.
import { useEffect, useRef, useState } from 'react';
import { entries } from '../../labels.js';

export const ALL = '';

/** Whether any of a row's texts holds what was typed in the search field (any case). */
export function matchesSearch(query: string, values: readonly (string | null | undefined)[]): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  return values.some((v) => v?.toLowerCase().includes(q));
}

export function SearchField(props: { label: string; value: string; onChange(value: string): void }) {
  return (
    <label className="search registry-search">
      <span className="visually-hidden">{props.label}</span>
      <input type="search" placeholder={props.label} value={props.value} onChange={(e) => props.onChange(e.target.value)} />
    </label>
  );
}

/** A filter: "All …" or one value. */
export function FilterSelect(props: {
  id: string;
  label: string;
  allLabel: string;
  options: Record<string, string>;
  value: string;
  onChange(value: string): void;
}) {
  return (
    <div className="registry-filter">
      <label htmlFor={props.id}>{props.label}</label>
      <select id={props.id} value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        <option value={ALL}>{props.allLabel}</option>
        {entries(props.options).map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </select>
    </div>
  );
}

export type Editor = { kind: 'new' } | { kind: 'edit'; id: string } | null;

/** Which form is open in a tab (brought into view when it opens), and the last outcome said under the filters. */
export function useEditor() {
  const [editor, setEditor] = useState<Editor>(null);
  const [outcome, setOutcome] = useState<string>();
  const formRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (editor) formRef.current?.scrollIntoView({ block: 'nearest' });
  }, [editor]);
  return {
    editor,
    outcome,
    formRef,
    editingId: editor?.kind === 'edit' ? editor.id : undefined,
    open(next: Editor) {
      setEditor(next);
      setOutcome(undefined);
    },
    close() {
      setEditor(null);
    },
    done(message: string) {
      setEditor(null);
      setOutcome(message);
    },
    isEditing: (id: string) => editor?.kind === 'edit' && editor.id === id,
  };
}

/** "3 of 12 members shown", or "12 members" when nothing is filtered out. */
export function shownCount(shown: number, total: number, one: string, many: string): string {
  const noun = total === 1 ? one : many;
  return shown === total ? `${total} ${noun}` : `${shown} of ${total} ${noun} shown`;
}

/** A tab's table head: its columns, and a hidden "Actions" column when rows can be edited. */
export function RegistryHead(props: { columns: readonly string[]; actions: boolean }) {
  return (
    <thead>
      <tr>
        {props.columns.map((column) => (
          <th key={column} scope="col">
            {column}
          </th>
        ))}
        {props.actions && (
          <th scope="col">
            <span className="visually-hidden">Actions</span>
          </th>
        )}
      </tr>
    </thead>
  );
}

/** A row's Edit button, named for a screen reader by what it edits. */
export function EditCell(props: { label: string; onEdit(): void }) {
  return (
    <td className="registry-actions">
      <button type="button" className="secondary" aria-label={props.label} onClick={props.onEdit}>
        Edit
      </button>
    </td>
  );
}
