import { useEffect } from 'react';
import { api } from './client.js';
import { ErrorMessage } from './components/error-message.js';
import { OnlineIndicator } from './components/online-indicator.js';
import { OrganisationSwitcher } from './components/organisation-switcher.js';
import { SyncIndicator } from './components/sync-indicator.js';
import { navigate, useHashRoute, useLoad, useStoredState } from './hooks.js';
import { CommunitiesScreen } from './screens/communities/communities-screen.js';
import { CommunityView } from './screens/communities/community-view.js';
import { ConnectScreen } from './screens/connect-screen.js';
import { SiteDetail } from './screens/site-detail.js';
import { SitesScreen } from './screens/sites-screen.js';
import { SyncPanel } from './screens/sync-panel.js';
import { SessionProvider, useSession } from './session.js';
import { plural, SyncStatusProvider, useDataVersion, useSyncStatus } from './sync-status.js';

const sections = [
  { route: 'sites', label: 'Sites' },
  { route: 'communities', label: 'Communities' },
  { route: 'sync', label: 'Sync' },
  { route: 'connect', label: 'Server' },
] as const;

export function App() {
  return (
    <SessionProvider>
      <SyncStatusProvider>
        <Shell />
      </SyncStatusProvider>
    </SessionProvider>
  );
}

/** The Sync link, with a badge while conflicts wait for a person to resolve them. */
function SyncNavLink({ current }: { current: boolean }) {
  const conflicts = useSyncStatus().status?.conflicts ?? 0;
  return (
    <a href="#/sync" aria-current={current ? 'page' : undefined}>
      Sync
      {conflicts > 0 && (
        <span className="nav-badge" aria-label={plural(conflicts, 'conflict', 'conflicts')}>
          {conflicts}
        </span>
      )}
    </a>
  );
}

/**
 * The window hears first when this device's network comes or goes: the sync
 * loop then checks the server at once (and drops a connection that may be
 * dead) instead of at its next retry, up to a minute away.
 */
function useSyncOnNetworkChange(signedIn: boolean): void {
  useEffect(() => {
    if (!signedIn) return;
    const check = () => void api.syncClient.syncNow.mutate().catch(() => undefined);
    window.addEventListener('online', check);
    window.addEventListener('offline', check);
    return () => {
      window.removeEventListener('online', check);
      window.removeEventListener('offline', check);
    };
  }, [signedIn]);
}

function Shell() {
  const route = useHashRoute();
  const { status, error: sessionError } = useSession();
  const dataVersion = useDataVersion();
  const organisations = useLoad(() => api.organisations.list.query(), [status?.userId, status?.memberships.length, dataVersion]);
  const [storedOrganisation, setOrganisation] = useStoredState('helio.organisation', '');
  const list = organisations.data ?? [];
  const organisationId = list.some((o) => o.id === storedOrganisation) ? storedOrganisation : list[0]?.id;
  const section = route[0] ?? 'sites';
  const signedOut = useSyncStatus().status?.connection === 'signInRequired';
  useSyncOnNetworkChange(status?.mode === 'server' && !signedOut);
  const account = status?.account;

  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">Helio</span>
        <OrganisationSwitcher organisations={list} value={organisationId} onChange={setOrganisation} />
        <div className="topbar-end">
          <span
            className="mode"
            title={account && !signedOut ? `Signed in as ${account.name ?? account.email} (${account.email})` : undefined}
          >
            {status?.mode === 'server' ? `${signedOut ? 'Not signed in to' : 'Signed in to'} ${status.serverUrl}` : 'On this device'}
          </span>
          <span className="indicators">
            <span className="indicator-group">
              <span className="indicator-caption">Sync</span>
              <SyncIndicator />
            </span>
            <span className="indicator-group">
              <span className="indicator-caption">Network</span>
              <OnlineIndicator />
            </span>
          </span>
        </div>
      </header>
      <nav className="sidebar" aria-label="Sections">
        {sections.map((s) =>
          s.route === 'sync' ? (
            <SyncNavLink key={s.route} current={section === s.route} />
          ) : (
            <a key={s.route} href={`#/${s.route}`} aria-current={section === s.route ? 'page' : undefined}>
              {s.label}
            </a>
          ),
        )}
      </nav>
      <main className="content">
        <ErrorMessage error={sessionError ?? organisations.error} title="Could not load your organisations" />
        {section === 'sites' && organisationId && !route[1] && <SitesScreen organisationId={organisationId} />}
        {section === 'sites' && route[1] && <SiteDetail key={route[1]} siteId={route[1]} onClose={() => navigate('sites')} />}
        {section === 'communities' && organisationId && !route[1] && <CommunitiesScreen organisationId={organisationId} />}
        {section === 'communities' && route[1] && <CommunityView key={route[1]} communityId={route[1]} tab={route[2]} />}
        {section === 'sync' && <SyncPanel session={status} organisations={list} />}
        {section === 'connect' && <ConnectScreen status={status} />}
        {(section === 'sites' || (section === 'communities' && !route[1])) &&
          !organisationId &&
          !organisations.loading &&
          !organisations.error && <p className="empty">You are not a member of any organisation yet.</p>}
      </main>
    </div>
  );
}
