// A site's alerts on its page: the open ones and those closed in the last
// 7 days, from the synced alerts table (so they show offline), each with its
// type, priority, component, and start and end on the site's wall clock.
// Acknowledging is a local write, sent to the server when Helio syncs.
import { api, type Outputs } from '../../client.js';
import { ErrorMessage } from '../../components/error-message.js';
import { useAction, useLoad, useNow } from '../../hooks.js';
import { userLocale } from '../../numbers.js';
import { useCanWrite, useSession } from '../../session.js';
import { useDataVersion } from '../../sync-status.js';
import { formatInZone, openAndRecent, openFor } from './alert-list.js';

type SiteAlert = Outputs['alerts']['list'][number];

/** Alerts closed this many days ago or less are still listed. */
const RECENT_DAYS = 7;

function AcknowledgeButton({ alert, what, onDone }: { alert: SiteAlert; what: string; onDone(): void }) {
  const action = useAction(async () => {
    await api.alerts.acknowledge.mutate({ id: alert.id });
    onDone();
  });
  return (
    <>
      <button
        type="button"
        className="secondary"
        aria-label={`Acknowledge ${what}`}
        disabled={action.busy}
        onClick={() => void action.run()}
      >
        Acknowledge
      </button>
      <ErrorMessage error={action.error} title="Could not acknowledge the alert" />
    </>
  );
}

export function AlertsPanel({ siteId, organisationId, timeZone }: { siteId: string; organisationId: string; timeZone: string }) {
  const locale = userLocale();
  const dataVersion = useDataVersion();
  const now = useNow(60_000);
  const { status } = useSession();
  const canWrite = useCanWrite(organisationId);
  const list = useLoad(() => api.alerts.list.query({ siteId, recentDays: RECENT_DAYS }), [siteId, dataVersion]);
  const alerts = openAndRecent(list.data ?? [], new Date(now), RECENT_DAYS);
  const open = alerts.filter((a) => a.endedAt === null).length;
  const when = (iso: string) => formatInZone(iso, timeZone, locale);
  // The name comes with the alert where core gives it (the acknowledging user is in the device's directory).
  const who = (a: SiteAlert) =>
    a.acknowledgedBy === status?.userId ? 'you' : ((a as { acknowledgedByName?: string | null }).acknowledgedByName ?? 'another member');

  return (
    <section className="panel alerts-panel" aria-labelledby="alerts-heading">
      <div className="panel-header">
        <h2 id="alerts-heading">Alerts</h2>
        <span className="hint" role="status" aria-label="Open alerts">
          {list.loading && !list.data ? '' : open === 0 ? 'No open alerts' : `${open} open`}
        </span>
      </div>
      <p className="hint">
        Open alerts, and those closed in the last {RECENT_DAYS} days. Times are the site’s ({timeZone}).
      </p>
      <ErrorMessage error={list.error} title="Could not load the alerts" />
      {alerts.length === 0 ? (
        list.loading ? null : (
          <p className="empty">No alerts in the last {RECENT_DAYS} days.</p>
        )
      ) : (
        <table className="alert-table">
          <thead>
            <tr>
              <th scope="col">Alert</th>
              <th scope="col">Priority</th>
              <th scope="col">Component</th>
              <th scope="col">Started</th>
              <th scope="col">Ended</th>
              <th scope="col">Acknowledged</th>
            </tr>
          </thead>
          <tbody>
            {alerts.map((a) => {
              const component = a.componentName ?? 'a removed component';
              const what = `${a.alertType} on ${component}`;
              return (
                <tr key={a.id} className={a.endedAt === null ? 'alert-open' : 'alert-closed'}>
                  <td data-label="Alert" className="alert-type-cell">
                    <strong>{a.alertType}</strong>
                    {a.descriptionShort && <span className="alert-description">{a.descriptionShort}</span>}
                  </td>
                  <td data-label="Priority">
                    <span className={`badge priority-${a.priority.toLowerCase()}`}>{a.priority}</span>
                  </td>
                  <td data-label="Component">{component}</td>
                  <td data-label="Started">
                    <time dateTime={a.startedAt}>{when(a.startedAt)}</time>
                  </td>
                  <td data-label="Ended">
                    {a.endedAt === null ? (
                      <span className="badge badge-failed">Open for {openFor(a.startedAt, null, new Date(now))}</span>
                    ) : (
                      <time dateTime={a.endedAt}>{when(a.endedAt)}</time>
                    )}
                  </td>
                  <td data-label="Acknowledged">
                    {a.acknowledgedAt !== null ? (
                      <span className="alert-acknowledged">
                        By {who(a)}, <time dateTime={a.acknowledgedAt}>{when(a.acknowledgedAt)}</time>
                      </span>
                    ) : canWrite ? (
                      <AcknowledgeButton alert={a} what={what} onDone={list.reload} />
                    ) : (
                      <span className="hint">Not yet</span>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
