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

function statusLabel(doc: SiteDocument, keptHere: boolean): string {
  if (doc.status === 'pending') return keptHere ? 'Pending upload' : 'Waiting for upload';
  return { uploaded: 'Uploaded', failed: 'Upload failed', approved: 'Approved', completed: 'Completed' }[doc.status];
}

export function DocumentsPanel({ siteId }: { siteId: string }) {
  const sync = useSyncStatus().status;
  const documents = useLoad(() => api.documents.listBySite.query({ siteId }), [siteId, sync?.dataVersion]);
  // Files leave this device during a sync round: follow the count (and the upload under way) as well as pulled data.
  const keptHere = useLoad(() => api.capture.pendingUploads.query(), [siteId, sync?.dataVersion, sync?.pendingUploads, sync?.upload?.documentId]);
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
      <ErrorMessage error={capture.error} title="Could not add the document" />
    </section>
  );
}
