// One energy community as a technician works with it on site, also without
// a network: what it is (key, areas, grid nodes, operators), and its
// members, delivery points and assets on tabs of their own, read from this
// device's copy. Owners and admins of the organisation also edit them here;
// the edits reach the server when Helio syncs.
import { api } from '../../client.js';
import { ErrorMessage } from '../../components/error-message.js';
import { navigate, useLoad } from '../../hooks.js';
import { useRole } from '../../session.js';
import { useDataVersion } from '../../sync-status.js';
import { AssetsTab } from './assets-tab.js';
import type { Registry } from './community-labels.js';
import { DeliveryPointsTab } from './delivery-points-tab.js';
import { MembersTab } from './members-tab.js';
import './communities.css';

const tabs = [
  { id: 'members', label: 'Members', count: (r: Registry) => r.members.length },
  { id: 'delivery-points', label: 'Delivery points', count: (r: Registry) => r.delivery_points.length },
  { id: 'assets', label: 'Assets', count: (r: Registry) => r.assets.length },
] as const;
type TabId = (typeof tabs)[number]['id'];

/** Roles that may change a community's registry: core's `manage` (the organisation's owners and admins). */
const managers = new Set(['owner', 'admin']);

function Facts({ registry }: { registry: Registry }) {
  const { community } = registry;
  const areas = Object.entries(community.areas).map(([key, a]) => a.name || key);
  const operators = Object.values(community.operators).map((o) => o.name);
  return (
    <dl className="facts community-facts">
      <dt>Key</dt>
      <dd>
        <code>{community.key}</code>
      </dd>
      {community.description && (
        <>
          <dt>About</dt>
          <dd>{community.description}</dd>
        </>
      )}
      <dt>Areas</dt>
      <dd>{areas.length > 0 ? areas.join(', ') : '—'}</dd>
      <dt>Grid nodes</dt>
      <dd>{community.topology.length}</dd>
      {operators.length > 0 && (
        <>
          <dt>Grid operators</dt>
          <dd>{operators.join(', ')}</dd>
        </>
      )}
    </dl>
  );
}

export function CommunityView({ communityId, tab }: { communityId: string; tab: string | undefined }) {
  const dataVersion = useDataVersion();
  const registry = useLoad(() => api.communities.registry.query({ communityId }), [communityId, dataVersion]);
  // Assets may name the organisation's sites: their names come from this device's copy.
  const sites = useLoad(() => api.sites.list.query(), [dataVersion]);
  const organisationId = registry.data?.community.organisation_id;
  const role = useRole(organisationId);
  const canEdit = role !== undefined && managers.has(role);
  const current: TabId = tabs.some((t) => t.id === tab) ? (tab as TabId) : 'members';

  if (registry.error && !registry.data) {
    return (
      <div className="panel">
        <ErrorMessage error={registry.error} title="Could not open the community" />
        <a href="#/communities">Back to communities</a>
      </div>
    );
  }
  if (!registry.data) return <p className="empty">Loading…</p>;
  const data = registry.data;
  const orgSites = (sites.data ?? []).filter((s) => s.organisationId === organisationId);

  return (
    <div className="community-view">
      <p>
        <a href="#/communities">← All communities</a>
      </p>
      <section className="panel" aria-labelledby="community-heading">
        <h2 id="community-heading">{data.community.name}</h2>
        <ErrorMessage error={registry.error} title="Could not reload the community" />
        <Facts registry={data} />
        {!canEdit && role && (
          <p className="hint" role="note">
            You are {role === 'viewer' ? 'a viewer' : `a ${role}`} in this organisation: you can read this community’s registry; its owners
            and admins change it.
          </p>
        )}
      </section>
      <section className="panel">
        <div className="registry-tabs" role="tablist" aria-label="Registry">
          {tabs.map((t) => (
            <button
              key={t.id}
              type="button"
              role="tab"
              id={`tab-${t.id}`}
              aria-selected={t.id === current}
              aria-controls={`panel-${t.id}`}
              className="registry-tab-button"
              onClick={() => navigate('communities', communityId, t.id)}
            >
              {t.label} <span className="count">{t.count(data)}</span>
            </button>
          ))}
        </div>
        <div role="tabpanel" id={`panel-${current}`} aria-labelledby={`tab-${current}`}>
          {current === 'members' && <MembersTab registry={data} canEdit={canEdit} onChanged={registry.reload} />}
          {current === 'delivery-points' && <DeliveryPointsTab registry={data} canEdit={canEdit} onChanged={registry.reload} />}
          {current === 'assets' && <AssetsTab registry={data} sites={orgSites} canEdit={canEdit} onChanged={registry.reload} />}
        </div>
      </section>
    </div>
  );
}
