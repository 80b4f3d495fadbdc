// One document of a site's list: its status (with the upload's progress, or
// why the upload failed and what to do), and what the signed-in role may do
// with it: download; rename and delete (synced like every other change); for
// a file still kept on this device, retry its upload or remove it. Whatever
// goes wrong shows once, under this document.
import { useState, type FormEvent } from 'react';
import { api, type CapturedFile, type SiteDocument, type SyncStatus } from '../client.js';
import { UploadProgress } from '../components/upload-progress.js';
import { documentTypeLabels, formatBytes } from '../labels.js';
import { documentErrorText, uploadErrorText } from './document-errors.js';

const hasContent = (doc: SiteDocument) => doc.status === 'uploaded' || doc.status === 'approved' || doc.status === 'completed';

/** A file kept here, by what happens to it next; otherwise the document's own status. */
const keptLabels: Record<CapturedFile['state'], string> = {
  onDevice: 'Pending upload',
  setAside: 'Set aside at sign-in',
  waiting: 'Pending upload',
  uploading: 'Uploading',
  failed: 'Upload failed',
  otherAccount: 'Kept for another account',
  noDocument: 'Kept on this device',
};

function statusLabel(doc: SiteDocument, captured: CapturedFile | undefined): string {
  if (captured) return keptLabels[captured.state];
  if (doc.status === 'pending') return 'Waiting for upload';
  return { uploaded: 'Uploaded', failed: 'Upload failed', approved: 'Approved', completed: 'Completed' }[doc.status];
}

/** What the row is asking or telling, under it: one thing at a time. */
type Pending = { kind: 'delete' } | { kind: 'remove' } | null;

export interface DocumentRowProps {
  doc: SiteDocument;
  /** The file's bytes kept on this device until the server has them, with its upload's state. */
  captured: CapturedFile | undefined;
  upload: SyncStatus['upload'] | undefined;
  canWrite: boolean;
  onChanged(): void;
  onDownload(doc: SiteDocument): Promise<void>;
}

export function DocumentRow({ doc, captured, upload, canWrite, onChanged, onDownload }: DocumentRowProps) {
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(doc.filename);
  const [pending, setPending] = useState<Pending>(null);
  const [failure, setFailure] = useState<string>();
  const [busy, setBusy] = useState(false);

  // Every action of the row: its failure replaces the last one, its success clears it.
  const act = {
    async run(what: () => Promise<void>): Promise<void> {
      setBusy(true);
      try {
        await what();
        setFailure(undefined);
      } catch (err) {
        setFailure(documentErrorText(err, doc.filename));
      } finally {
        setBusy(false);
      }
    },
  };

  const rename = (event: FormEvent) => {
    event.preventDefault();
    const filename = name.trim();
    if (filename === '') {
      setFailure('Enter a file name.');
      return;
    }
    if (filename === doc.filename) {
      setRenaming(false);
      return;
    }
    void act.run(async () => {
      await api.documents.update.mutate({ id: doc.id, patch: { filename } });
      setRenaming(false);
      onChanged();
    });
  };
  const startRename = () => {
    setName(doc.filename);
    setPending(null);
    setFailure(undefined);
    setRenaming(true);
  };

  const uploading =
    upload?.documentId === doc.id
      ? upload
      : captured?.progress
        ? { documentId: doc.id, filename: doc.filename, ...captured.progress }
        : null;
  const failed = captured?.state === 'failed' ? captured.error : null;
  // A file kept here has not reached the server: it is removed from this device, not deleted through sync.
  const keptHere = captured !== undefined;
  const canDownload = keptHere || hasContent(doc);

  return (
    <>
      <tr className="document-row" aria-label={doc.filename}>
        <td data-label="File" className="document-name">
          {renaming ? (
            <form className="document-rename" onSubmit={rename} onKeyDown={(e) => e.key === 'Escape' && setRenaming(false)}>
              <input
                aria-label={`New name for ${doc.filename}`}
                value={name}
                maxLength={255}
                autoFocus
                onChange={(e) => setName(e.target.value)}
              />
              <button type="submit" disabled={busy}>
                Save name
              </button>
              <button type="button" className="secondary" onClick={() => setRenaming(false)}>
                Cancel
              </button>
            </form>
          ) : (
            doc.filename
          )}
        </td>
        <td data-label="Type">{doc.documentType ? documentTypeLabels[doc.documentType] : '—'}</td>
        <td data-label="Size" className="document-size">
          {formatBytes(doc.sizeBytes)}
        </td>
        <td data-label="Status" className="document-status">
          {uploading ? (
            <UploadProgress filename={doc.filename} sentBytes={uploading.sentBytes} totalBytes={uploading.totalBytes} />
          ) : (
            <span className={`badge badge-${failed ? 'failed' : doc.status}`}>{statusLabel(doc, captured)}</span>
          )}
          {failed && !uploading && (
            <p className="document-upload-error">
              {uploadErrorText(failed)} It is tried again at each sync.
              {canWrite && (
                <span className="document-upload-actions">
                  <button
                    type="button"
                    disabled={busy}
                    aria-label={`Retry upload of ${doc.filename}`}
                    onClick={() =>
                      void act.run(async () => {
                        await api.capture.upload.mutate({ documentId: doc.id });
                        onChanged();
                      })
                    }
                  >
                    Retry upload
                  </button>
                </span>
              )}
            </p>
          )}
        </td>
        <td data-label="Actions" className="document-actions-cell">
          <div className="document-actions">
            {canDownload && (
              <button
                type="button"
                className="secondary"
                disabled={busy}
                onClick={() => void act.run(() => onDownload(doc))}
                aria-label={`Download ${doc.filename}`}
              >
                Download
              </button>
            )}
            {canWrite && !keptHere && !renaming && (
              <button type="button" className="secondary" disabled={busy} onClick={startRename} aria-label={`Rename ${doc.filename}`}>
                Rename
              </button>
            )}
            {canWrite && (
              <button
                type="button"
                className="secondary danger-outline"
                disabled={busy || uploading !== null}
                onClick={() => setPending({ kind: keptHere ? 'remove' : 'delete' })}
                aria-label={`${keptHere ? 'Remove' : 'Delete'} ${doc.filename}`}
              >
                {keptHere ? 'Remove' : 'Delete'}
              </button>
            )}
          </div>
        </td>
      </tr>
      {(pending || failure) && (
        <tr className="document-more">
          <td colSpan={5}>
            {pending && (
              <div
                className="document-question"
                role="alertdialog"
                aria-label={pending.kind === 'delete' ? 'Delete document' : 'Remove file'}
              >
                <p>
                  {pending.kind === 'delete'
                    ? `Delete “${doc.filename}”? It disappears for everyone in this organisation once Helio syncs.`
                    : `Remove “${doc.filename}” from this device? It has not reached the server, so it is gone for good.`}
                </p>
                <button
                  type="button"
                  className="danger"
                  disabled={busy}
                  onClick={() =>
                    void act.run(async () => {
                      if (pending.kind === 'delete') await api.documents.delete.mutate({ id: doc.id });
                      else await api.capture.discard.mutate({ documentId: doc.id });
                      setPending(null);
                      onChanged();
                    })
                  }
                >
                  {pending.kind === 'delete' ? 'Delete document' : 'Remove file'}
                </button>
                <button type="button" className="secondary" onClick={() => setPending(null)}>
                  Cancel
                </button>
              </div>
            )}
            {failure && (
              <p className="document-error" role="alert">
                {failure}
              </p>
            )}
          </td>
        </tr>
      )}
    </>
  );
}
