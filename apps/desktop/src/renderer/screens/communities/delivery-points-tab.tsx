// A community's delivery points (grid connections, by POD code): searched by
// code, address or member, filtered by member, code type and whether they
// are active; added, edited and removed here (owners and admins).
import { useState } from 'react';
import { deliveryPointTypeLabels, labelOf, type Registry } from './community-labels.js';
import { DeliveryPointForm, memberChoices, nodeChoices } from './delivery-point-form.js';
import { ALL, EditCell, FilterSelect, matchesSearch, RegistryHead, SearchField, shownCount, useEditor } from './tab-parts.js';

const activeChoices = { active: 'Active only', inactive: 'Inactive only' };

export function DeliveryPointsTab({ registry, canEdit, onChanged }: { registry: Registry; canEdit: boolean; onChanged(): void }) {
  const [query, setQuery] = useState('');
  const [member, setMember] = useState(ALL);
  const [type, setType] = useState(ALL);
  const [active, setActive] = useState(ALL);
  const editor = useEditor();

  const members = new Map(registry.members.map((m) => [m.id, m]));
  const nodes = nodeChoices(registry.community);
  const shown = registry.delivery_points.filter(
    (p) =>
      (member === ALL || p.member_id === member) &&
      (type === ALL || p.type === type) &&
      (active === ALL || p.active === (active === 'active')) &&
      matchesSearch(query, [p.pod, p.address, p.description, p.tariff, members.get(p.member_id)?.name]),
  );
  const editing = registry.delivery_points.find((p) => p.id === editor.editingId);
  const done = (message: string) => {
    editor.done(message);
    onChanged();
  };

  return (
    <div className="registry-tab">
      <div className="registry-filters" role="search" aria-label="Filter delivery points">
        <SearchField label="Search delivery points" value={query} onChange={setQuery} />
        <FilterSelect
          id="points-member"
          label="Member"
          allLabel="All members"
          options={memberChoices(registry.members)}
          value={member}
          onChange={setMember}
        />
        <FilterSelect
          id="points-type"
          label="Code type"
          allLabel="All types"
          options={deliveryPointTypeLabels}
          value={type}
          onChange={setType}
        />
        <FilterSelect
          id="points-active"
          label="Active"
          allLabel="Active or not"
          options={activeChoices}
          value={active}
          onChange={setActive}
        />
      </div>
      <div className="registry-toolbar">
        <p className="count" role="status" aria-label="Delivery points shown">
          {shownCount(shown.length, registry.delivery_points.length, 'delivery point', 'delivery points')}
        </p>
        {canEdit && registry.members.length > 0 && (
          <button type="button" className="secondary" onClick={() => editor.open({ kind: 'new' })}>
            Add delivery point
          </button>
        )}
      </div>
      <p className="notice registry-outcome" role="status" aria-label="Last change">
        {editor.outcome ?? ''}
      </p>
      <div ref={editor.formRef}>
        {editor.editor?.kind === 'new' && (
          <DeliveryPointForm registry={registry} memberId={member === ALL ? undefined : member} onDone={done} onCancel={editor.close} />
        )}
        {editing && <DeliveryPointForm key={editing.id} registry={registry} point={editing} onDone={done} onCancel={editor.close} />}
      </div>
      {shown.length === 0 ? (
        <p className="empty">{registry.delivery_points.length === 0 ? 'No delivery points yet.' : 'No delivery point matches.'}</p>
      ) : (
        <table className="registry-table" aria-label="Delivery points">
          <RegistryHead columns={['POD code', 'Member', 'Type', 'Active', 'Grid node', 'Address']} actions={canEdit} />
          <tbody>
            {shown.map((p) => (
              <tr key={p.id} aria-current={editor.isEditing(p.id) ? 'true' : undefined}>
                <td className="registry-name-cell">
                  <code>{p.pod}</code>
                </td>
                <td data-label="Member">{members.get(p.member_id)?.name ?? '—'}</td>
                <td data-label="Type">{labelOf(deliveryPointTypeLabels, p.type)}</td>
                <td data-label="Active">
                  <span className={`badge ${p.active ? 'status-active' : 'status-inactive'}`}>{p.active ? 'Active' : 'Inactive'}</span>
                </td>
                <td data-label="Grid node">{p.topology_node ? (nodes[p.topology_node] ?? p.topology_node) : '—'}</td>
                <td data-label="Address">{p.address ?? '—'}</td>
                {canEdit && <EditCell label={`Edit delivery point ${p.pod}`} onEdit={() => editor.open({ kind: 'edit', id: p.id })} />}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
