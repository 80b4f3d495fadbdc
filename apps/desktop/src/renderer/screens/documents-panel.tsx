import { useState, type ChangeEvent } from 'react';
import { api, type SiteDocument } from '../client.js';
import { ErrorMessage } from '../components/error-message.js';
import { UploadProgress } from '../components/upload-progress.js';
import { useAction, useLoad } from '../hooks.js';
import { documentTypeLabels, entries, formatBytes, type DocumentType } from '../labels.js';
import { useSyncStatus } from '../sync-status.js';

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

const hasContent = (doc: SiteDocument) => doc.status === 'uploaded' || doc.status === 'approved' || doc.status === 'completed';

function statusLabel(doc: SiteDocument, keptHere: boolean): string {
  if (doc.status === 'pending') return keptHere ? 'Pending upload' : 'Waiting for upload';
  return { uploaded: 'Uploaded', failed: 'Upload failed', approved: 'Approved', completed: 'Completed' }[doc.status];
}

export function DocumentsPanel({ siteId }: { siteId: string }) {
  const sync = useSyncStatus().status;
  const documents = useLoad(() => api.documents.listBySite.query({ siteId }), [siteId, sync?.dataVersion]);
  // Files leave this device during a sync round: follow the count (and the upload under way) as well as pulled data.
  const keptHere = useLoad(
    () => api.capture.pendingUploads.query(),
    [siteId, sync?.dataVersion, sync?.pendingUploads, sync?.upload?.documentId],
  );
  const [documentType, setDocumentType] = useState<DocumentType>('other');
  const [notice, setNotice] = useState<string>();
  const kept = new Set(keptHere.data ?? []);

  const capture = useAction(async (file: File) => {
    setNotice(undefined);
    const captured = await api.capture.document.mutate({
      siteId,
      filename: file.name,
      // Browsers leave the type empty for extensions they do not know; core then names the allowed types.
      mimeType: file.type || 'application/octet-stream',
      documentType,
      contentBase64: await toBase64(file),
    });
    setNotice(`${captured.document.filename} is saved on this device and will be uploaded when Helio syncs.`);
    documents.reload();
    keptHere.reload();
  });
  const [saved, setSaved] = useState<string>();
  const open = useAction(async (doc: SiteDocument) => {
    setSaved(undefined);
    const file = await api.files.get.mutate({ id: doc.id });
    saveFile(file.filename, file.mimeType, fromBase64(file.contentBase64));
    setSaved(
      `${file.filename} ${file.source === 'server' ? 'was fetched from the server and is now kept on this device' : 'was read from this device'}.`,
    );
  });

  const addFile = (event: ChangeEvent<HTMLInputElement>) => {
    const input = event.target;
    const file = input.files?.[0];
    if (file) void capture.run(file).finally(() => (input.value = ''));
  };

  const list = documents.data ?? [];
  return (
    <section className="panel" aria-labelledby="documents-heading">
      <h2 id="documents-heading">Documents</h2>
      <ErrorMessage error={documents.error} title="Could not load documents" />
      {list.length === 0 ? (
        <p className="empty">No documents for this site yet.</p>
      ) : (
        <table className="document-table">
          <thead>
            <tr>
              <th scope="col">File</th>
              <th scope="col">Type</th>
              <th scope="col">Size</th>
              <th scope="col">Status</th>
              <th scope="col">File on this device</th>
            </tr>
          </thead>
          <tbody>
            {list.map((doc) => (
              <tr key={doc.id}>
                <td>{doc.filename}</td>
                <td>{doc.documentType ? documentTypeLabels[doc.documentType] : '—'}</td>
                <td>{formatBytes(doc.sizeBytes)}</td>
                <td>
                  {sync?.upload?.documentId === doc.id ? (
                    <UploadProgress filename={doc.filename} sentBytes={sync.upload.sentBytes} totalBytes={sync.upload.totalBytes} />
                  ) : (
                    <span className={`badge badge-${doc.status}`}>{statusLabel(doc, kept.has(doc.id))}</span>
                  )}
                </td>
                <td>
                  {(kept.has(doc.id) || hasContent(doc)) && (
                    <button
                      type="button"
                      className="secondary"
                      disabled={open.busy}
                      onClick={() => void open.run(doc)}
                      aria-label={`Download ${doc.filename}`}
                    >
                      Download
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
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
          <input id="document-file" type="file" onChange={addFile} disabled={capture.busy} />
        </div>
      </div>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {saved && (
        <p className="notice" role="status">
          {saved}
        </p>
      )}
      <ErrorMessage error={open.error} title="Could not open the document" />
      <ErrorMessage error={capture.error} title="Could not add the document" />
    </section>
  );
}
