// Changes the server refused (invalid, forbidden, or for an organisation this
// user has left): each with the server's reason and what it tried to do, so
// nothing is dropped silently. The queue kept draining past them.
import { api, type RejectedChange } from '../client.js';
import { ErrorMessage } from '../components/error-message.js';
import { FieldList, type PortfolioNames } from '../components/sync-values.js';
import { useAction, useLoad } from '../hooks.js';
import { operationLabels, tableLabels } from '../labels.js';
import { useSyncStatus } from '../sync-status.js';

function RejectedItem(props: { change: RejectedChange; rowName: string | undefined; portfolios: PortfolioNames; onDismissed(): void }) {
  const { change: r } = props;
  const dismiss = useAction(async () => {
    await api.syncClient.dismissRejected.mutate({ seq: r.seq });
    props.onDismissed();
  });
  const what = `${operationLabels[r.op] ?? r.op} ${tableLabels[r.table] ?? r.table}`;
  const hintId = `rejected-hint-${r.seq}`;
  return (
    <li className="rejected" aria-label={`${what}: ${r.message}`}>
      <p>
        <strong>{r.message}</strong> <span className="error-code">({r.code})</span>
      </p>
      <p>
        Tried to: {what.toLowerCase()} {props.rowName ? `“${props.rowName}”` : <code>{r.rowId}</code>}
      </p>
      {Object.keys(r.fields).length > 0 && <FieldList table={r.table} fields={r.fields} portfolios={props.portfolios} />}
      <div className="form-actions">
        <button
          type="button"
          className="secondary"
          disabled={r.stillQueued || dismiss.busy}
          aria-describedby={r.stillQueued ? hintId : undefined}
          onClick={() => void dismiss.run()}
        >
          Dismiss
        </button>
        {r.stillQueued && (
          <span id={hintId} className="hint">
            Still queued: it can be dismissed once the server has seen it, after the next sync.
          </span>
        )}
      </div>
      <ErrorMessage error={dismiss.error} title="Could not dismiss" />
    </li>
  );
}

export function RejectedList(props: { rowNames: ReadonlyMap<string, string>; portfolios: PortfolioNames }) {
  const { status } = useSyncStatus();
  const rejected = useLoad(() => api.syncClient.rejected.query(), [status?.rejected, status?.pending, status?.serverUrl]);
  const list = rejected.data ?? [];
  return (
    <section className="panel" aria-labelledby="rejected-heading" data-sync-slot="rejected">
      <h2 id="rejected-heading">Could not sync</h2>
      <ErrorMessage error={rejected.error} title="Could not load the refused changes" />
      {list.length === 0 ? (
        <p className="empty">Nothing was refused.</p>
      ) : (
        <>
          <p className="hint">
            The server refused these changes, so they are undone on this device. Make them again if they are still needed.
          </p>
          <ul className="rejected-list" aria-label="Changes the server refused">
            {list.map((r) => (
              <RejectedItem
                key={r.seq}
                change={r}
                rowName={props.rowNames.get(r.rowId)}
                portfolios={props.portfolios}
                onDismissed={rejected.reload}
              />
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
