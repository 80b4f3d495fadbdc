// The sync panel. The network and the session are real; the three lists are
// the places the sync client fills (pending changes, conflicts to resolve,
// changes the server refused).
import { api, type SessionStatus } from '../client.js';
import { ErrorMessage } from '../components/error-message.js';
import { useLoad, useOnline } from '../hooks.js';

export function SyncPanel({ status }: { status: SessionStatus | undefined }) {
  const keptHere = useLoad(() => api.capture.pendingUploads.query(), []);
  const files = keptHere.data?.length ?? 0;
  const online = useOnline();
  return (
    <div className="sync-panel">
      <section className="panel" aria-labelledby="sync-heading">
        <h2 id="sync-heading">Sync</h2>
        <dl className="facts">
          <dt>Network</dt>
          <dd className={online ? 'network-online' : 'network-offline'}>
            {online ? 'Online' : 'Offline: changes are kept on this device until the network is back'}
          </dd>
          <dt>Server</dt>
          <dd>
            {status?.mode === 'server' ? status.serverUrl : 'Not connected. '}
            {status?.mode !== 'server' && <a href="#/connect">Connect to a server</a>}
          </dd>
          <dt>Last sync</dt>
          <dd>Never</dd>
        </dl>
        <p className="hint">Helio saves every change on this device first, so everything works without a network.</p>
      </section>

      <section className="panel" aria-labelledby="pending-heading" data-sync-slot="pending">
        <h2 id="pending-heading">Pending changes</h2>
        <ErrorMessage error={keptHere.error} title="Could not count pending files" />
        <p>{files === 0 ? 'No files waiting for upload.' : `${files} ${files === 1 ? 'file is' : 'files are'} kept on this device, waiting for upload.`}</p>
      </section>

      <section className="panel" aria-labelledby="conflicts-heading" data-sync-slot="conflicts">
        <h2 id="conflicts-heading">Conflicts</h2>
        <p className="empty">No conflicts to review.</p>
      </section>

      <section className="panel" aria-labelledby="rejected-heading" data-sync-slot="rejected">
        <h2 id="rejected-heading">Could not sync</h2>
        <p className="empty">Nothing was refused.</p>
      </section>
    </div>
  );
}
