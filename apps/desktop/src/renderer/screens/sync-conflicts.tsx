// Conflicts to review: two changes to the same field (or a change against a
// delete) met on the server; one was kept, the other is shown here beside it
// until a person keeps the server's value or restores the lost one.
import { api, type OpenConflict } from '../client.js';
import { ErrorMessage } from '../components/error-message.js';
import { TimeAgo } from '../components/time-ago.js';
import { FieldList, FieldValue, type PortfolioNames } from '../components/sync-values.js';
import { useAction, useLoad, useNow } from '../hooks.js';
import { fieldLabel, tableLabels } from '../labels.js';
import { useSyncStatus } from '../sync-status.js';
import { clockTime } from '../time.js';

function ConflictCard(props: {
  conflict: OpenConflict;
  organisationName: string | undefined;
  portfolios: PortfolioNames;
  now: number;
  onResolved(): void;
}) {
  const { conflict: c, portfolios, now } = props;
  const resolve = useAction(async (resolution: 'kept' | 'restored') => {
    await api.syncClient.resolveConflict.mutate({ id: c.id, resolution });
    props.onResolved();
  });
  const what = c.rowLabel ?? `${tableLabels[c.table] ?? c.table} ${c.rowId.slice(0, 8)}`;
  const title =
    c.kind === 'delete' || !c.field ? `${what}: deleted while it was being changed` : `${what}: ${fieldLabel(c.table, c.field)}`;
  const headingId = `conflict-${c.id}`;
  return (
    <article className="conflict" aria-labelledby={headingId}>
      <h3 id={headingId}>{title}</h3>
      <p className="meta">
        {props.organisationName && `${props.organisationName} · `}
        {tableLabels[c.table] ?? c.table} · recorded <TimeAgo at={c.createdAt} now={now} />
        {c.table === 'sites' && c.kind === 'field' && (
          <>
            {' · '}
            <a href={`#/sites/${encodeURIComponent(c.rowId)}`}>Open the site</a>
          </>
        )}
      </p>
      <div className="conflict-sides">
        <section className="conflict-side conflict-kept" aria-label="Kept (on the server)">
          <h4>Kept (on the server)</h4>
          <p className="conflict-value">
            {c.kind === 'delete' || !c.field ? (
              <strong>Deleted</strong>
            ) : (
              <FieldValue field={c.field} value={c.kept} portfolios={portfolios} />
            )}
          </p>
          {clockTime(c.keptClock) && (
            <p className="meta">
              Changed <TimeAgo at={clockTime(c.keptClock)} now={now} />
            </p>
          )}
        </section>
        <section className="conflict-side conflict-lost" aria-label="Lost">
          <h4>Lost</h4>
          <div className="conflict-value">
            {c.field ? (
              <FieldValue field={c.field} value={c.lost} portfolios={portfolios} />
            ) : (
              <FieldList table={c.table} fields={(c.lost ?? {}) as Record<string, unknown>} portfolios={portfolios} />
            )}
          </div>
          <p className="meta">
            {c.lostBy ? `Changed by ${c.lostBy.name ?? 'another user'}` : 'Changed'}
            {clockTime(c.lostClock) && (
              <>
                {' '}
                <TimeAgo at={clockTime(c.lostClock)} now={now} />
              </>
            )}
          </p>
        </section>
      </div>
      <div className="form-actions">
        <button type="button" className="secondary" disabled={resolve.busy} onClick={() => void resolve.run('kept')}>
          Keep server value
        </button>
        <button type="button" disabled={resolve.busy} onClick={() => void resolve.run('restored')}>
          Restore my value
        </button>
      </div>
      <ErrorMessage error={resolve.error} title="Could not resolve the conflict" />
    </article>
  );
}

export function ConflictList(props: { organisationNames: ReadonlyMap<string, string>; portfolios: PortfolioNames }) {
  const { status } = useSyncStatus();
  // The count and the data version change whenever a conflict arrives or is resolved, here or on another device.
  const conflicts = useLoad(() => api.syncClient.conflicts.query(), [status?.conflicts, status?.dataVersion, status?.serverUrl]);
  const now = useNow(30_000);
  const list = conflicts.data ?? [];
  return (
    <section className="panel" aria-labelledby="conflicts-heading" data-sync-slot="conflicts">
      <h2 id="conflicts-heading">Conflicts {list.length > 0 && <span className="nav-badge">{list.length}</span>}</h2>
      <ErrorMessage error={conflicts.error} title="Could not load the conflicts" />
      {list.length === 0 ? (
        <p className="empty">No conflicts to review.</p>
      ) : (
        <>
          <p className="hint">
            The same data was changed in two places. The server kept one value; the other is shown beside it. Keep the server&apos;s value,
            or restore the lost one (it is sent to the server as a new change).
          </p>
          {list.map((c) => (
            <ConflictCard
              key={c.id}
              conflict={c}
              organisationName={props.organisationNames.size > 1 ? props.organisationNames.get(c.organisationId) : undefined}
              portfolios={props.portfolios}
              now={now}
              onResolved={conflicts.reload}
            />
          ))}
        </>
      )}
    </section>
  );
}
