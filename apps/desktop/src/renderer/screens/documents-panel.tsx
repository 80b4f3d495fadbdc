import { useState, type ChangeEvent } from 'react';
import { api, type CapturedFile, type SiteDocument } from '../client.js';
import { useLoad } from '../hooks.js';
import { documentTypeLabels, entries, type DocumentType } from '../labels.js';
import { useCanWrite, useRole } from '../session.js';
import { useSyncStatus } from '../sync-status.js';
import { documentErrorText } from './document-errors.js';
import { DocumentRow } from './document-row.js';
import './documents-panel.css';

async function toBase64(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Hands the bytes to the browser (or Electron's save dialog) as a download under the document's name. */
function saveFile(filename: string, mimeType: string, bytes: Uint8Array<ArrayBuffer>): void {
  const url = URL.createObjectURL(new Blob([bytes], { type: mimeType }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The media type to send: the system's, or, when it reports none (a .dwg), the one core gives the file's extension. */
function mimeTypeOf(file: File, byExtension: Readonly<Record<string, string>> | undefined): string {
  if (file.type) return file.type;
  const dot = file.name.lastIndexOf('.');
  return (dot >= 0 ? byExtension?.[file.name.slice(dot).toLowerCase()] : undefined) ?? 'application/octet-stream';
}

const waitingStates: ReadonlySet<CapturedFile['state']> = new Set(['waiting', 'onDevice', 'uploading']);

export function DocumentsPanel({ siteId }: { siteId: string }) {
  const sync = useSyncStatus().status;
  const site = useLoad(() => api.sites.get.query({ id: siteId }), [siteId]);
  const organisationId = site.data?.organisationId;
  const canWrite = useCanWrite(organisationId);
  const role = useRole(organisationId);
  const documents = useLoad(() => api.documents.listBySite.query({ siteId }), [siteId, sync?.dataVersion]);
  // Files leave this device during a sync round: follow the count (and the upload under way) as well as pulled data.
  const captured = useLoad(
    () => api.capture.files.query(),
    [siteId, sync?.dataVersion, sync?.pendingUploads, sync?.upload?.documentId, sync?.lastError?.message],
  );
  const fileTypes = useLoad(() => api.documents.fileTypes.query(), []);
  const [documentType, setDocumentType] = useState<DocumentType>('other');
  const [adding, setAdding] = useState(false);
  const [added, setAdded] = useState<{ id: string; filename: string }>();
  const [addError, setAddError] = useState<string>();
  const [saved, setSaved] = useState<string>();
  const keptHere = new Map<string, CapturedFile>((captured.data ?? []).map((f) => [f.documentId, f]));
  // Said while the file waits; once it is uploaded, refused or removed, its row says so (or is gone) instead.
  const addedFile = added && keptHere.get(added.id);
  const addedDoc = added && documents.data?.find((d) => d.id === added.id);
  const addedWaits =
    added !== undefined && (addedFile ? waitingStates.has(addedFile.state) : addedDoc ? addedDoc.status === 'pending' : documents.loading);

  const reload = () => {
    documents.reload();
    captured.reload();
  };

  const addFile = async (input: HTMLInputElement) => {
    const file = input.files?.[0];
    if (!file) return;
    setAdding(true);
    setAdded(undefined);
    setAddError(undefined);
    try {
      const result = await api.capture.document.mutate({
        siteId,
        filename: file.name,
        mimeType: mimeTypeOf(file, fileTypes.data?.mimeTypeByExtension),
        documentType,
        contentBase64: await toBase64(file),
      });
      setAdded({ id: result.document.id, filename: result.document.filename });
      reload();
    } catch (err) {
      setAddError(documentErrorText(err, file.name));
    } finally {
      setAdding(false);
      input.value = '';
    }
  };

  const download = async (doc: SiteDocument) => {
    setSaved(undefined);
    const file = await api.files.get.mutate({ id: doc.id });
    saveFile(file.filename, file.mimeType, fromBase64(file.contentBase64));
    setSaved(
      `${file.filename} ${file.source === 'server' ? 'was fetched from the server and is now kept on this device' : 'was read from this device'}.`,
    );
  };

  const list = documents.data ?? [];
  return (
    <section className="panel documents-panel" aria-labelledby="documents-heading">
      <h2 id="documents-heading">Documents</h2>
      {role !== undefined && !canWrite && (
        <p className="hint">You are a {role} in this organisation: you can read and download documents, not add or change them.</p>
      )}
      {documents.error !== undefined && (
        <p className="document-error" role="alert">
          The documents could not be loaded: {documentErrorText(documents.error)}
        </p>
      )}
      {list.length === 0 ? (
        documents.loading ? null : (
          <p className="empty">No documents for this site yet.</p>
        )
      ) : (
        <table className="document-table">
          <thead>
            <tr>
              <th scope="col">File</th>
              <th scope="col">Type</th>
              <th scope="col">Size</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((doc) => (
              <DocumentRow
                key={doc.id}
                doc={doc}
                captured={keptHere.get(doc.id)}
                upload={sync?.upload}
                canWrite={canWrite}
                onChanged={reload}
                onDownload={download}
              />
            ))}
          </tbody>
        </table>
      )}
      {saved && (
        <p className="notice" role="status">
          {saved}
        </p>
      )}
      {canWrite && (
        <div className="add-document">
          <div className="field">
            <label htmlFor="document-type">Document type</label>
            <select id="document-type" value={documentType} onChange={(e) => setDocumentType(e.target.value as DocumentType)}>
              {entries(documentTypeLabels).map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="document-file">Add document</label>
            <input
              id="document-file"
              type="file"
              accept={fileTypes.data?.accept}
              aria-describedby={addError ? undefined : 'document-file-kinds'}
              onChange={(e: ChangeEvent<HTMLInputElement>) => void addFile(e.target)}
              disabled={adding}
            />
            {/* A refused file says the same in its own line: the list shows once. */}
            {fileTypes.data && !addError && (
              <p id="document-file-kinds" className="hint document-kinds">
                Helio accepts {fileTypes.data.kinds}.
              </p>
            )}
            {addError && (
              <p className="document-error" role="alert">
                {addError}
              </p>
            )}
            {added && addedWaits && (
              <p className="notice" role="status">
                {added.filename} is saved on this device and will be uploaded when Helio syncs.
              </p>
            )}
          </div>
        </div>
      )}
    </section>
  );
}
