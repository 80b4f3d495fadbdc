import { connectionLabels, plural, useSyncStatus } from '../sync-status.js';

const tone: Record<string, string> = {
  online: 'indicator-online',
  local: 'indicator-local',
  connecting: 'indicator-connecting',
  offline: 'indicator-offline',
  signInRequired: 'indicator-offline',
};

/** The top bar's view of sync: the connection to the server and how many changes wait for it. */
export function SyncIndicator() {
  const { status } = useSyncStatus();
  if (!status) {
    return (
      <span className="indicator indicator-connecting" role="status" aria-label="Sync status">
        …
      </span>
    );
  }
  const parts = [status.syncing && status.connection !== 'offline' ? 'Syncing…' : connectionLabels[status.connection]];
  if (status.pending > 0) parts.push(plural(status.pending, 'pending change', 'pending changes'));
  if (status.pendingUploads > 0) parts.push(plural(status.pendingUploads, 'file to upload', 'files to upload'));
  return (
    <span className={`indicator ${tone[status.connection]}`} role="status" aria-label="Sync status">
      {parts.join(' · ')}
    </span>
  );
}
