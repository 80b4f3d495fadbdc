// Every captured file kept on this device, each with whose it is and what
// happens to it, and what the person can do: upload it now (the account's
// own), or discard it (after confirming; a document still pending here goes
// with it).
import { useState } from 'react';
import { api, type CapturedFile } from '../client.js';
import { useAction } from '../hooks.js';
import { formatBytes } from '../labels.js';
import { ErrorMessage } from './error-message.js';
import { UploadProgress } from './upload-progress.js';
import { useSyncStatus } from '../sync-status.js';
import './local-work.css';

function ownerLabel(owner: CapturedFile['owner']): string {
  if (owner.kind === 'beforeSignIn') return 'captured before sign-in';
  if (owner.kind === 'unknown') return 'captured by an earlier version of Helio';
  return owner.you ? 'captured by you' : `captured by another account on ${owner.serverUrl}`;
}

export function stateLabel(file: CapturedFile): string {
  switch (file.state) {
    case 'onDevice':
      return 'Kept on this device only: you can bring it into an organisation when you sign in';
    case 'setAside':
      return 'Set aside before sign-in: it is uploaded only if you bring that work into an organisation';
    case 'waiting':
      return 'Waiting for upload';
    case 'uploading':
      return 'Uploading';
    case 'failed':
      return `Upload failed: ${file.error?.message ?? 'refused by the server'}${file.error ? ` (${file.error.code})` : ''}`;
    case 'otherAccount':
      return 'Belongs to another account: uploaded when that account signs in here again';
    case 'noDocument':
      return 'Its document is no longer on this device: it cannot be uploaded';
  }
}

function FileItem({ file, onChanged }: { file: CapturedFile; onChanged(): void }) {
  const [confirming, setConfirming] = useState(false);
  const [notice, setNotice] = useState<string>();
  const upload = useAction(async () => {
    const result = await api.capture.upload.mutate({ documentId: file.documentId });
    setNotice(result.uploaded ? `${file.filename} is uploaded.` : undefined);
    onChanged();
  });
  const discard = useAction(async () => {
    await api.capture.discard.mutate({ documentId: file.documentId });
    setConfirming(false);
    onChanged();
  });
  const mine = file.state === 'waiting' || file.state === 'failed';
  // The sync status carries every step of the upload under way; the list only its state when last read.
  const live = useSyncStatus().status?.upload;
  const progress = live?.documentId === file.documentId ? live : file.state === 'uploading' ? file.progress : null;
  const facts = [formatBytes(file.sizeBytes), file.siteName && `site ${file.siteName}`, ownerLabel(file.owner)].filter(Boolean).join(' · ');
  return (
    <li className="captured-file" aria-label={file.filename}>
      <div className="captured-file-name">{file.filename}</div>
      <div className="captured-file-facts">{facts}</div>
      <div className={`captured-file-state captured-file-state-${file.state}`}>
        {progress ? (
          <UploadProgress filename={file.filename} sentBytes={progress.sentBytes} totalBytes={progress.totalBytes} />
        ) : (
          stateLabel(file)
        )}
      </div>
      {notice && <p role="status">{notice}</p>}
      <div className="local-work-actions">
        {mine && (
          <button
            type="button"
            onClick={() => void upload.run()}
            disabled={upload.busy || discard.busy}
            aria-label={`Upload ${file.filename} now`}
          >
            {upload.busy ? 'Uploading…' : 'Upload now'}
          </button>
        )}
        {!confirming && file.state !== 'uploading' && (
          <button
            type="button"
            className="secondary danger"
            onClick={() => setConfirming(true)}
            disabled={upload.busy}
            aria-label={`Discard ${file.filename}`}
          >
            Discard…
          </button>
        )}
      </div>
      {confirming && (
        <div className="local-work-confirm" role="alertdialog" aria-label={`Discard ${file.filename}`}>
          <p>
            Delete {file.filename} from this device? The server does not have it.
            {file.pendingDocument && ' Its document, still waiting for this file, is removed from this device too.'}
          </p>
          <div className="local-work-actions">
            <button type="button" className="danger" onClick={() => void discard.run()} disabled={discard.busy}>
              {discard.busy ? 'Discarding…' : 'Discard for good'}
            </button>
            <button type="button" className="secondary" onClick={() => setConfirming(false)} disabled={discard.busy}>
              Cancel
            </button>
          </div>
        </div>
      )}
      <ErrorMessage error={upload.error} title={`Could not upload ${file.filename}`} />
      <ErrorMessage error={discard.error} title={`Could not discard ${file.filename}`} />
    </li>
  );
}

export function CapturedFileList({ files, onChanged }: { files: CapturedFile[]; onChanged(): void }) {
  if (files.length === 0) return null;
  return (
    <ul className="captured-files" aria-label="Captured files on this device">
      {files.map((f) => (
        <FileItem key={f.documentId} file={f} onChanged={onChanged} />
      ))}
    </ul>
  );
}
