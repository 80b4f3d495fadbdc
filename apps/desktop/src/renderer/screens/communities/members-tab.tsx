// A community's members: searched by name, key or user id, filtered by role,
// status and area; each with how many delivery points and assets it brings;
// added, edited and removed here (owners and admins of the organisation).
import { useState } from 'react';
import { labelOf, roleLabels, statusLabels, type Registry } from './community-labels.js';
import { areaChoices, MemberForm } from './member-form.js';
import { ALL, EditCell, FilterSelect, matchesSearch, RegistryHead, SearchField, shownCount, useEditor } from './tab-parts.js';

export function MembersTab({ registry, canEdit, onChanged }: { registry: Registry; canEdit: boolean; onChanged(): void }) {
  const [query, setQuery] = useState('');
  const [role, setRole] = useState(ALL);
  const [status, setStatus] = useState(ALL);
  const [area, setArea] = useState(ALL);
  const editor = useEditor();

  const areas = areaChoices(registry.community);
  const count = (memberId: string) => ({
    points: registry.delivery_points.filter((p) => p.member_id === memberId).length,
    assets: registry.assets.filter((a) => a.member_id === memberId).length,
  });
  const shown = registry.members.filter(
    (m) =>
      (role === ALL || m.role === role) &&
      (status === ALL || m.status === status) &&
      (area === ALL || m.area === area) &&
      matchesSearch(query, [m.name, m.key, m.user_id, m.type]),
  );
  const editing = registry.members.find((m) => m.id === editor.editingId);
  const done = (message: string) => {
    editor.done(message);
    onChanged();
  };

  return (
    <div className="registry-tab">
      <div className="registry-filters" role="search" aria-label="Filter members">
        <SearchField label="Search members" value={query} onChange={setQuery} />
        <FilterSelect id="members-role" label="Role" allLabel="All roles" options={roleLabels} value={role} onChange={setRole} />
        <FilterSelect
          id="members-status"
          label="Status"
          allLabel="All statuses"
          options={statusLabels}
          value={status}
          onChange={setStatus}
        />
        <FilterSelect id="members-area" label="Area" allLabel="All areas" options={areas} value={area} onChange={setArea} />
      </div>
      <div className="registry-toolbar">
        <p className="count" role="status" aria-label="Members shown">
          {shownCount(shown.length, registry.members.length, 'member', 'members')}
        </p>
        {canEdit && (
          <button type="button" className="secondary" onClick={() => editor.open({ kind: 'new' })}>
            Add member
          </button>
        )}
      </div>
      <p className="notice registry-outcome" role="status" aria-label="Last change">
        {editor.outcome ?? ''}
      </p>
      <div ref={editor.formRef}>
        {editor.editor?.kind === 'new' && <MemberForm registry={registry} onDone={done} onCancel={editor.close} />}
        {editing && <MemberForm key={editing.id} registry={registry} member={editing} onDone={done} onCancel={editor.close} />}
      </div>
      {shown.length === 0 ? (
        <p className="empty">{registry.members.length === 0 ? 'No members yet.' : 'No member matches.'}</p>
      ) : (
        <table className="registry-table" aria-label="Members">
          <RegistryHead columns={['Member', 'Key', 'Role', 'Status', 'Area', 'Delivery points', 'Assets']} actions={canEdit} />
          <tbody>
            {shown.map((m) => {
              const owned = count(m.id);
              return (
                <tr key={m.id} aria-current={editor.isEditing(m.id) ? 'true' : undefined}>
                  <td className="registry-name-cell">
                    {m.name}
                    {m.user_id && <span className="registry-sub">User {m.user_id}</span>}
                  </td>
                  <td data-label="Key">
                    <code>{m.key}</code>
                  </td>
                  <td data-label="Role">{labelOf(roleLabels, m.role)}</td>
                  <td data-label="Status">
                    <span className={`badge status-${m.status}`}>{labelOf(statusLabels, m.status)}</span>
                  </td>
                  <td data-label="Area">{registry.community.areas[m.area]?.name ?? m.area}</td>
                  <td data-label="Delivery points">{owned.points}</td>
                  <td data-label="Assets">{owned.assets}</td>
                  {canEdit && <EditCell label={`Edit ${m.name}`} onEdit={() => editor.open({ kind: 'edit', id: m.id })} />}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}
