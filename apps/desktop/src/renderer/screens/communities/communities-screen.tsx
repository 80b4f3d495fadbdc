// The energy communities of the chosen organisation, as this device holds
// them (they sync like sites, so the list is there without a network): each
// with how many members, delivery points and assets it has. Communities are
// brought in on the server (a bundle import); here they are read and their
// registry edited.
import { useState } from 'react';
import { api } from '../../client.js';
import { ErrorMessage } from '../../components/error-message.js';
import { useLoad } from '../../hooks.js';
import { userLocale } from '../../numbers.js';
import { useDataVersion } from '../../sync-status.js';
import { matchesSearch, SearchField, shownCount } from './tab-parts.js';
import './communities.css';

export function CommunitiesScreen({ organisationId }: { organisationId: string }) {
  const locale = userLocale();
  const dataVersion = useDataVersion();
  const list = useLoad(() => api.communities.list.query(), [dataVersion]);
  const [query, setQuery] = useState('');
  // The list holds every organisation of the session; the switcher picks one.
  const communities = (list.data ?? []).filter((c) => c.organisation_id === organisationId);
  const shown = communities.filter((c) => matchesSearch(query, [c.name, c.key, c.description]));

  return (
    <section className="panel communities" aria-labelledby="communities-heading">
      <div className="panel-header">
        <h2 id="communities-heading">Energy communities</h2>
        <SearchField label="Search communities" value={query} onChange={setQuery} />
      </div>
      <ErrorMessage error={list.error} title="Could not load the communities" />
      {communities.length > 0 && (
        <p className="count" role="status" aria-label="Communities shown">
          {shownCount(shown.length, communities.length, 'community', 'communities')}
        </p>
      )}
      {shown.length === 0 ? (
        list.loading && !list.data ? null : (
          <p className="empty">
            {communities.length === 0
              ? 'No energy communities in this organisation yet. They are imported on the server (a registry bundle) and appear here once Helio syncs.'
              : 'No community matches.'}
          </p>
        )
      ) : (
        <table className="registry-table" aria-label="Communities">
          <thead>
            <tr>
              <th scope="col">Community</th>
              <th scope="col">Key</th>
              <th scope="col">Members</th>
              <th scope="col">Delivery points</th>
              <th scope="col">Assets</th>
              <th scope="col">Last changed</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((c) => (
              <tr key={c.id}>
                <td className="registry-name-cell">
                  <a href={`#/communities/${c.id}`}>{c.name}</a>
                  {c.description && <span className="registry-sub">{c.description}</span>}
                </td>
                <td data-label="Key">
                  <code>{c.key}</code>
                </td>
                <td data-label="Members">{c.members}</td>
                <td data-label="Delivery points">{c.delivery_points}</td>
                <td data-label="Assets">{c.assets}</td>
                <td data-label="Last changed">{new Date(c.updated_at).toLocaleString(locale)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
