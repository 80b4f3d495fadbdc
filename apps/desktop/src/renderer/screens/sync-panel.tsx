// The sync panel: the connection to the server and the state of the sync
// loop, what waits on this device (changes and captured files, with the
// upload under way), conflicts to resolve, and changes the server refused.
import { useMemo } from 'react';
import { api, type Organisation, type SessionStatus, type SyncStatus } from '../client.js';
import { CapturedFileList } from '../components/captured-files.js';
import { ErrorMessage } from '../components/error-message.js';
import { LocalWork } from '../components/local-work.js';
import { TimeAgo } from '../components/time-ago.js';
import { useAction, useLoad, useNow, useOnline } from '../hooks.js';
import { connectionLabels, plural, useSyncStatus } from '../sync-status.js';
import { ConflictList } from './sync-conflicts.js';
import { RejectedList } from './sync-rejected.js';

function Connection({ status }: { status: SyncStatus | undefined }) {
  if (!status) return <>…</>;
  return (
    <>
      <span className={`connection connection-${status.connection}`} role="status" aria-label="Connection">
        {connectionLabels[status.connection]}
      </span>
      {status.connection === 'signInRequired' && (
        <>
          {' '}
          <a href="#/connect">Sign in again</a>
        </>
      )}
      {status.connection === 'offline' && (
        <span className="hint"> — changes are kept on this device and sent when the server is reachable</span>
      )}
    </>
  );
}

function StatusSection({ session, status }: { session: SessionStatus | undefined; status: SyncStatus | undefined }) {
  const online = useOnline();
  // Seconds tick only while a retry is counted down.
  const now = useNow(status?.nextAttemptAt ? 1_000 : 15_000);
  const syncNow = useAction(async () => {
    await api.syncClient.syncNow.mutate();
  });
  const connected = status !== undefined && status.connection !== 'local' && status.connection !== 'signInRequired';
  return (
    <section className="panel" aria-labelledby="sync-heading">
      <h2 id="sync-heading">Sync</h2>
      <dl className="facts">
        <dt>Network</dt>
        <dd className={online ? 'network-online' : 'network-offline'}>
          {online ? 'Online' : 'Offline: changes are kept on this device until the network is back'}
        </dd>
        <dt>Server</dt>
        <dd>
          {session?.mode === 'server' ? session.serverUrl : 'Not connected. '}
          {session?.mode !== 'server' && <a href="#/connect">Connect to a server</a>}
        </dd>
        <dt>Connection</dt>
        <dd>
          <Connection status={status} />
        </dd>
        <dt>Last sync</dt>
        <dd>{status?.lastSyncAt ? <TimeAgo at={status.lastSyncAt} now={now} /> : 'Never'}</dd>
        {status?.syncing && (
          <>
            <dt>Now</dt>
            <dd className="syncing" role="status" aria-label="Syncing">
              Syncing…
            </dd>
          </>
        )}
        {status?.nextAttemptAt && !status.syncing && (
          <>
            <dt>Next try</dt>
            <dd>
              <TimeAgo at={status.nextAttemptAt} now={now} upcoming />
            </dd>
          </>
        )}
        {status?.lastError && (
          <>
            <dt>Last error</dt>
            <dd className="sync-error">
              {status.lastError.message} <span className="error-code">({status.lastError.code})</span>
            </dd>
          </>
        )}
      </dl>
      <div className="form-actions">
        <button type="button" onClick={() => void syncNow.run()} disabled={!connected || syncNow.busy}>
          Sync now
        </button>
        {!connected && status && (
          <span className="hint">{status.connection === 'local' ? 'Sign in to a server to sync.' : 'Sign in again to sync.'}</span>
        )}
      </div>
      <ErrorMessage error={syncNow.error} title="Could not start a sync" />
      <p className="hint">Helio saves every change on this device first, so everything works without a network.</p>
    </section>
  );
}

const UPLOADED_BY_THIS_ACCOUNT = new Set(['waiting', 'uploading', 'failed']);

function PendingSection({ status }: { status: SyncStatus | undefined }) {
  // Asked on opening and after each sync round: the status may not count a file captured since the last one.
  const kept = useLoad(
    () => api.capture.files.query(),
    [
      status?.pendingUploads,
      status?.upload?.documentId,
      status?.lastSyncAt,
      status?.syncing,
      status?.setAside?.documents,
      status?.dataVersion,
    ],
  );
  const files = kept.data ?? [];
  const toUpload = kept.data ? files.filter((f) => UPLOADED_BY_THIS_ACCOUNT.has(f.state)).length : (status?.pendingUploads ?? 0);
  const onDevice = files.filter((f) => f.state === 'onDevice').length;
  const pending = status?.pending ?? 0;
  // Before any sign-in nothing is on its way anywhere: the work stays here until the person brings it into an organisation.
  const local = status?.connection === 'local';
  return (
    <section className="panel" aria-labelledby="pending-heading" data-sync-slot="pending">
      <h2 id="pending-heading">Pending changes</h2>
      <ErrorMessage error={kept.error} title="Could not list the captured files" />
      <p role="status" aria-label="Pending changes">
        {pending === 0
          ? 'No changes waiting to be sent.'
          : local
            ? `${plural(pending, 'change is', 'changes are')} saved on this device only. They stay here; when you sign in, you can bring them into one of your organisations.`
            : `${plural(pending, 'change is', 'changes are')} saved on this device, waiting to be sent to the server.`}
      </p>
      <p role="status" aria-label="Files waiting for upload">
        {toUpload > 0
          ? `${plural(toUpload, 'file is', 'files are')} kept on this device, waiting for upload.`
          : onDevice > 0
            ? `${plural(onDevice, 'file is', 'files are')} kept on this device only, until you sign in and bring this work into an organisation.`
            : 'No files waiting for upload.'}
      </p>
      <LocalWork variant="panel" />
      {files.length > 0 && <h3>Captured files on this device</h3>}
      <CapturedFileList files={files} onChanged={kept.reload} />
    </section>
  );
}

export function SyncPanel({ session, organisations }: { session: SessionStatus | undefined; organisations: Organisation[] }) {
  const { status, error } = useSyncStatus();
  const dataVersion = status?.dataVersion;
  const portfolios = useLoad(() => api.portfolios.list.query(), [dataVersion, session?.userId]);
  const sites = useLoad(() => api.sites.list.query(), [dataVersion, session?.userId]);
  const portfolioNames = useMemo(() => new Map((portfolios.data ?? []).map((p) => [p.id, p.name])), [portfolios.data]);
  const rowNames = useMemo(
    () => new Map([...portfolioNames, ...(sites.data ?? []).map((s) => [s.id, s.siteName] as const)]),
    [portfolioNames, sites.data],
  );
  const organisationNames = useMemo(() => new Map(organisations.map((o) => [o.id, o.name])), [organisations]);
  return (
    <div className="sync-panel">
      <ErrorMessage error={error} title="Lost touch with the sync service" />
      <StatusSection session={session} status={status} />
      <PendingSection status={status} />
      <ConflictList organisationNames={organisationNames} portfolios={portfolioNames} />
      <RejectedList rowNames={rowNames} portfolios={portfolioNames} />
    </div>
  );
}
