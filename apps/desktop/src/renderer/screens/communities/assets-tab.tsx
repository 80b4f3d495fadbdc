// A community's assets: searched by name, key, sensor id or POD, filtered by
// type and owner; each with its headline figure (rated power, capacity) and
// the Helio site it is; added, edited and removed here (owners and admins).
import { useState } from 'react';
import type { Site } from '../../client.js';
import { displayNumber, userLocale } from '../../numbers.js';
import { AssetForm } from './asset-form.js';
import { headlineOf } from './asset-properties.js';
import { assetTypeLabels, labelOf, type Registry } from './community-labels.js';
import { memberChoices } from './delivery-point-form.js';
import { ALL, EditCell, FilterSelect, matchesSearch, RegistryHead, SearchField, shownCount, useEditor } from './tab-parts.js';

export function AssetsTab(props: { registry: Registry; sites: readonly Site[]; canEdit: boolean; onChanged(): void }) {
  const { registry, canEdit } = props;
  const locale = userLocale();
  const [query, setQuery] = useState('');
  const [type, setType] = useState(ALL);
  const [owner, setOwner] = useState(ALL);
  const editor = useEditor();

  const members = new Map(registry.members.map((m) => [m.id, m]));
  const siteNames = new Map(props.sites.map((s) => [s.id, s.siteName]));
  const shown = registry.assets.filter(
    (a) =>
      (type === ALL || a.asset_type === type) &&
      (owner === ALL || a.member_id === owner) &&
      matchesSearch(query, [a.name, a.key, a.sensor_id, a.pod, members.get(a.member_id)?.name]),
  );
  const editing = registry.assets.find((a) => a.id === editor.editingId);
  const done = (message: string) => {
    editor.done(message);
    props.onChanged();
  };

  return (
    <div className="registry-tab">
      <div className="registry-filters" role="search" aria-label="Filter assets">
        <SearchField label="Search assets" value={query} onChange={setQuery} />
        <FilterSelect id="assets-type" label="Asset type" allLabel="All types" options={assetTypeLabels} value={type} onChange={setType} />
        <FilterSelect
          id="assets-owner"
          label="Owner"
          allLabel="All members"
          options={memberChoices(registry.members)}
          value={owner}
          onChange={setOwner}
        />
      </div>
      <div className="registry-toolbar">
        <p className="count" role="status" aria-label="Assets shown">
          {shownCount(shown.length, registry.assets.length, 'asset', 'assets')}
        </p>
        {canEdit && registry.members.length > 0 && (
          <button type="button" className="secondary" onClick={() => editor.open({ kind: 'new' })}>
            Add asset
          </button>
        )}
      </div>
      <p className="notice registry-outcome" role="status" aria-label="Last change">
        {editor.outcome ?? ''}
      </p>
      <div ref={editor.formRef}>
        {editor.editor?.kind === 'new' && (
          <AssetForm
            registry={registry}
            sites={props.sites}
            memberId={owner === ALL ? undefined : owner}
            onDone={done}
            onCancel={editor.close}
          />
        )}
        {editing && (
          <AssetForm key={editing.id} registry={registry} sites={props.sites} asset={editing} onDone={done} onCancel={editor.close} />
        )}
      </div>
      {shown.length === 0 ? (
        <p className="empty">{registry.assets.length === 0 ? 'No assets yet.' : 'No asset matches.'}</p>
      ) : (
        <table className="registry-table" aria-label="Assets">
          <RegistryHead
            columns={['Asset', 'Key', 'Type', 'Owner', 'Sensor id', 'Delivery point', 'Power or capacity', 'Helio site']}
            actions={canEdit}
          />
          <tbody>
            {shown.map((a) => {
              const headline = headlineOf(a.asset_type, a.properties);
              return (
                <tr key={a.id} aria-current={editor.isEditing(a.id) ? 'true' : undefined}>
                  <td className="registry-name-cell">{a.name}</td>
                  <td data-label="Key">
                    <code>{a.key}</code>
                  </td>
                  <td data-label="Type">{labelOf(assetTypeLabels, a.asset_type)}</td>
                  <td data-label="Owner">{members.get(a.member_id)?.name ?? '—'}</td>
                  <td data-label="Sensor id">{a.sensor_id ? <code>{a.sensor_id}</code> : '—'}</td>
                  <td data-label="Delivery point">{a.pod ? <code>{a.pod}</code> : '—'}</td>
                  <td data-label="Power or capacity">{headline ? `${displayNumber(headline.value, locale)} ${headline.unit}` : '—'}</td>
                  <td data-label="Helio site">
                    {a.site_id ? <a href={`#/sites/${a.site_id}`}>{siteNames.get(a.site_id) ?? 'A site not on this device'}</a> : '—'}
                  </td>
                  {canEdit && <EditCell label={`Edit ${a.name}`} onEdit={() => editor.open({ kind: 'edit', id: a.id })} />}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}
