// A site's component tree on its page: every component under its parent,
// with its type and node id; adding (under the site or under a component),
// editing, moving and removing, all through the desktop's router, so they
// work without a network and reach the server when Helio syncs.
import { useState } from 'react';
import { api, describeError } from '../../client.js';
import { ConfirmButton } from '../../components/confirm-button.js';
import { ErrorMessage } from '../../components/error-message.js';
import { useLoad } from '../../hooks.js';
import { useCanWrite, useRole } from '../../session.js';
import { useDataVersion } from '../../sync-status.js';
import { nodeTypeLabels, type Component } from './component-labels.js';
import { ComponentFormView } from './component-form.js';
import { buildTree, descendantsOf, flattenTree, namedMessage, pathOf, type TreeNode } from './component-tree.js';

type Editor = { kind: 'add'; parentId: string | null } | { kind: 'edit'; id: string } | { kind: 'move'; id: string };

const SITE = '';

/** Where a component sits, in words: "directly under the site", "under Meter › Inverter 1". */
function placeOf(rows: readonly Component[], parentId: string | null): string {
  if (parentId === null) return 'directly under the site';
  const path = pathOf(rows, parentId);
  return path.length === 0 ? 'under a component not on this device' : `under ${path.map((r) => r.name).join(' › ')}`;
}

function MoveForm(props: {
  component: Component;
  rows: readonly Component[];
  tree: TreeNode<Component>[];
  onDone(message: string): void;
  onCancel(): void;
}) {
  const { component, rows } = props;
  const [parent, setParent] = useState(component.parentId ?? SITE);
  const [refusal, setRefusal] = useState<string>();
  const [busy, setBusy] = useState(false);
  const selectId = `move-${component.id}`;
  const move = async () => {
    const parentId = parent === SITE ? null : parent;
    if (parentId === component.parentId) {
      props.onCancel();
      return;
    }
    setBusy(true);
    setRefusal(undefined);
    try {
      await api.components.update.mutate({ id: component.id, patch: { parentId } });
      props.onDone(`Moved ${component.name} ${placeOf(rows, parentId)}. It reaches the server when Helio syncs.`);
    } catch (err) {
      setRefusal(namedMessage(describeError(err).message, rows));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="component-move"
      aria-label={`Move ${component.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        void move();
      }}
    >
      <label htmlFor={selectId}>New place for {component.name}</label>
      <div className="row">
        <select id={selectId} value={parent} onChange={(e) => setParent(e.target.value)}>
          <option value={SITE}>Directly under the site</option>
          {flattenTree(props.tree)
            .filter((n) => n.row.id !== component.id)
            .map((n) => (
              <option key={n.row.id} value={n.row.id}>
                {`Under ${pathOf(rows, n.row.id)
                  .map((r) => r.name)
                  .join(' › ')} (${nodeTypeLabels[n.row.nodeType]}, ${n.row.nodeId})`}
              </option>
            ))}
        </select>
        <button type="submit" disabled={busy}>
          Move
        </button>
        <button type="button" className="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
      {refusal && (
        <div className="error" role="alert">
          <p>
            <strong>Not moved:</strong> {refusal}
          </p>
        </div>
      )}
    </form>
  );
}

export function ComponentsPanel({ siteId, organisationId }: { siteId: string; organisationId: string }) {
  const dataVersion = useDataVersion();
  const list = useLoad(() => api.components.list.query({ siteId }), [siteId, dataVersion]);
  const canWrite = useCanWrite(organisationId);
  const role = useRole(organisationId);
  const [editor, setEditor] = useState<Editor | null>(null);
  const [outcome, setOutcome] = useState<string>();
  const rows = list.data ?? [];
  const tree = buildTree(rows);

  const done = (message: string) => {
    setEditor(null);
    setOutcome(message);
    list.reload();
  };
  const open = (next: Editor) => {
    setEditor(next);
    setOutcome(undefined);
  };
  const isOpen = (kind: Editor['kind'], id: string | null) =>
    editor !== null && editor.kind === kind && (editor.kind === 'add' ? editor.parentId : editor.id) === id;

  const editorFor = (node: TreeNode<Component>) => {
    const c = node.row;
    if (isOpen('edit', c.id)) {
      return (
        <ComponentFormView
          siteId={siteId}
          component={c}
          parentId={c.parentId}
          placeWords={placeOf(rows, c.parentId)}
          rows={rows}
          onDone={done}
          onCancel={() => setEditor(null)}
        />
      );
    }
    if (isOpen('add', c.id)) {
      return (
        <ComponentFormView
          siteId={siteId}
          parentId={c.id}
          placeWords={placeOf(rows, c.id)}
          rows={rows}
          onDone={done}
          onCancel={() => setEditor(null)}
        />
      );
    }
    if (isOpen('move', c.id)) {
      return <MoveForm component={c} rows={rows} tree={tree} onDone={done} onCancel={() => setEditor(null)} />;
    }
    return null;
  };

  const renderNodes = (nodes: TreeNode<Component>[], label?: string) => (
    <ul className="component-tree" aria-label={label}>
      {nodes.map((node) => {
        const c = node.row;
        const under = descendantsOf(tree, c.id).length;
        return (
          <li key={c.id} className="component-node">
            <div className="component-row" role="group" aria-labelledby={`component-${c.id}`}>
              <div className="component-what">
                <span className="component-name" id={`component-${c.id}`}>
                  {c.name}
                </span>
                <span className="badge component-type">{nodeTypeLabels[c.nodeType]}</span>
                <code className="component-node-id" title="Node id">
                  {c.nodeId}
                </code>
                {c.isConceptualNode && <span className="badge">Conceptual</span>}
                {node.detached && <span className="badge badge-pending">Parent not on this device</span>}
                <span className="component-meta">{c.locusId === null ? 'not on the server yet' : `Locus id ${c.locusId}`}</span>
              </div>
              {canWrite && (
                <div className="component-actions">
                  <button
                    type="button"
                    className="secondary"
                    aria-label={`Edit ${c.name}`}
                    onClick={() => open({ kind: 'edit', id: c.id })}
                  >
                    Edit
                  </button>
                  <button
                    type="button"
                    className="secondary"
                    aria-label={`Add a component under ${c.name}`}
                    onClick={() => open({ kind: 'add', parentId: c.id })}
                  >
                    Add under
                  </button>
                  <button
                    type="button"
                    className="secondary"
                    aria-label={`Move ${c.name}`}
                    onClick={() => open({ kind: 'move', id: c.id })}
                  >
                    Move
                  </button>
                  <ConfirmButton
                    className="component-remove"
                    label="Remove"
                    buttonName={`Remove ${c.name}`}
                    question={
                      `Remove “${c.name}” (${c.nodeId})? ` +
                      (under > 0 ? `What is under it moves up to directly under the site. ` : '') +
                      'It disappears for everyone in this organisation once Helio syncs.'
                    }
                    confirmLabel="Remove component"
                    errorTitle={`Could not remove ${c.name}`}
                    onConfirm={async () => {
                      await api.components.delete.mutate({ id: c.id });
                      done(`Removed ${c.name}. The server hears of it when Helio syncs.`);
                    }}
                  />
                </div>
              )}
            </div>
            {editorFor(node)}
            {node.children.length > 0 && renderNodes(node.children)}
          </li>
        );
      })}
    </ul>
  );

  return (
    <section className="panel components-panel" aria-labelledby="components-heading">
      <div className="panel-header">
        <h2 id="components-heading">Components</h2>
        {canWrite && (
          <button type="button" className="secondary" onClick={() => open({ kind: 'add', parentId: null })}>
            Add component
          </button>
        )}
      </div>
      {role !== undefined && !canWrite && (
        <p className="hint">You are a {role} in this organisation: you can read this site’s components, not change them.</p>
      )}
      <ErrorMessage error={list.error} title="Could not load the components" />
      <p className="notice component-outcome" role="status">
        {outcome ?? ''}
      </p>
      {isOpen('add', null) && (
        <ComponentFormView
          siteId={siteId}
          parentId={null}
          placeWords={placeOf(rows, null)}
          rows={rows}
          onDone={done}
          onCancel={() => setEditor(null)}
        />
      )}
      {rows.length === 0 ? (
        list.loading ? null : (
          <p className="empty">No components on this site yet: add its meter, inverters, strings and weather station.</p>
        )
      ) : (
        renderNodes(tree, 'Component tree')
      )}
    </section>
  );
}
