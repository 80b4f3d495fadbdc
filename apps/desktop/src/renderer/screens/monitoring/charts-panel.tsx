// The site page's production charts: daily energy for the last 30 days
// beside the expected energy, and today's power beside the modeled power.
// The main process fetches the server's aggregates and keeps them, so they
// show offline too, labelled with when they were fetched. Each chart says
// what it shows in words, and shows its numbers as a table on request.
import { lazy, Suspense, useEffect, useId, useMemo, useRef, useState } from 'react';
import { api, type Outputs } from '../../client.js';
import { ErrorMessage } from '../../components/error-message.js';
import { useLoad, useNow } from '../../hooks.js';
import { userLocale } from '../../numbers.js';
import { useSyncStatus } from '../../sync-status.js';
import { dailyEnergy, formatValue, freshnessLabel, powerHeading, todayPower, type ShapedChart } from './chart-data.js';

// Chart.js is most of the renderer's weight: it loads with the first site page, not with the app.
const SiteChart = lazy(() => import('./site-chart.js').then((m) => ({ default: m.SiteChart })));

type ChartView = Outputs['charts']['site'];

/** Charts younger than this are not fetched again when the page opens or reloads. */
const FRESH_SECONDS = 60;
/** While the page stays open online, the charts follow the server this often. */
const REFRESH_MS = 5 * 60_000;

function ChartFigure(props: {
  kind: 'energy' | 'power';
  heading: string;
  shaped: ShapedChart;
  measuredLabel: string;
  referenceLabel: string;
  firstColumn: string;
  locale: string;
}) {
  const id = useId();
  const [table, setTable] = useState(false);
  const { shaped, locale } = props;
  const unit = shaped.unit.label;
  return (
    <figure className="chart-figure" aria-labelledby={`${id}-heading`}>
      <h3 id={`${id}-heading`}>{props.heading}</h3>
      {shaped.rows.length > 0 && (
        <Suspense fallback={<div className="chart-canvas" />}>
          <SiteChart
            kind={props.kind}
            shaped={shaped}
            measuredLabel={props.measuredLabel}
            referenceLabel={props.referenceLabel}
            locale={locale}
            label={`${props.heading} chart`}
            describedBy={`${id}-summary`}
          />
        </Suspense>
      )}
      <figcaption id={`${id}-summary`} className="chart-summary">
        {shaped.summary}
      </figcaption>
      {shaped.rows.length > 0 && (
        <>
          <button
            type="button"
            className="secondary chart-table-toggle"
            aria-expanded={table}
            aria-controls={`${id}-table`}
            onClick={() => setTable((t) => !t)}
          >
            {table ? 'Hide the numbers' : 'Show the numbers'}
          </button>
          {table && (
            <div className="chart-table-wrap" id={`${id}-table`}>
              <table className="chart-table" aria-label={`${props.heading}, in ${unit}`}>
                <thead>
                  <tr>
                    <th scope="col">{props.firstColumn}</th>
                    <th scope="col">
                      {props.measuredLabel} ({unit})
                    </th>
                    {shaped.hasReference && (
                      <th scope="col">
                        {props.referenceLabel} ({unit})
                      </th>
                    )}
                  </tr>
                </thead>
                <tbody>
                  {shaped.rows.map((row, i) => (
                    <tr key={i}>
                      <th scope="row">{row.label}</th>
                      <td>{formatValue(row.measured, shaped.unit, locale)}</td>
                      {shaped.hasReference && <td>{formatValue(row.reference, shaped.unit, locale)}</td>}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </figure>
  );
}

function Charts({ view, locale, now }: { view: ChartView; locale: string; now: number }) {
  const chart = view.chart;
  const energy = useMemo(() => (chart ? dailyEnergy(chart, locale) : undefined), [chart, locale]);
  const power = useMemo(() => (chart ? todayPower(chart, locale) : undefined), [chart, locale]);
  if (!chart || !energy || !power) return null;
  return (
    <div className="chart-grid">
      <ChartFigure
        kind="energy"
        heading={`Daily energy, last ${chart.daily.length} days`}
        shaped={energy}
        measuredLabel="Measured"
        referenceLabel="Expected"
        firstColumn="Day"
        locale={locale}
      />
      <ChartFigure
        kind="power"
        heading={powerHeading(chart, new Date(now), locale)}
        shaped={power}
        measuredLabel="Measured"
        referenceLabel="Modeled"
        firstColumn={`Time (${chart.timezone})`}
        locale={locale}
      />
    </div>
  );
}

export function ChartsPanel({ siteId }: { siteId: string }) {
  const locale = userLocale();
  const connection = useSyncStatus().status?.connection;
  const online = connection === 'online';
  const now = useNow(60_000);
  // The Refresh button asks the server whatever the age of what is kept.
  const forceNext = useRef(false);
  const [tick, setTick] = useState(0);
  const view = useLoad(() => {
    const maxAgeSeconds = forceNext.current ? 0 : FRESH_SECONDS;
    forceNext.current = false;
    return api.charts.site.query({ siteId, maxAgeSeconds });
  }, [siteId, online, tick]);

  useEffect(() => {
    if (!online) return;
    const timer = setInterval(() => setTick((t) => t + 1), REFRESH_MS);
    return () => clearInterval(timer);
  }, [online]);

  const data = view.data;
  const label = data ? freshnessLabel(data.fetchedAt, data.stale?.reason ?? null, new Date(now), locale) : null;
  const refresh = () => {
    forceNext.current = true;
    setTick((t) => t + 1);
  };

  return (
    <section className="panel charts-panel" aria-labelledby="charts-heading" aria-busy={view.loading}>
      <div className="panel-header">
        <h2 id="charts-heading">Production</h2>
        <div className="chart-freshness-bar">
          <span className="chart-freshness" role="status" aria-label="Charts fetched">
            {view.loading && !data ? 'Loading…' : (label ?? '')}
          </span>
          {connection !== 'local' && (
            <button type="button" className="secondary" onClick={refresh} disabled={view.loading}>
              Refresh charts
            </button>
          )}
        </div>
      </div>
      <ErrorMessage error={view.error} title="Could not load the charts" />
      {data?.stale && (data.stale.reason !== 'OFFLINE' || !data.chart) && (
        <p className={data.chart ? 'hint' : 'empty'}>
          {data.chart ? 'Not updated: ' : 'No charts on this device yet: '}
          {data.stale.message}.
        </p>
      )}
      {data?.chart && <Charts view={data} locale={locale} now={now} />}
      <p className="hint chart-source">
        From the server’s aggregates of this site’s meters (or inverters); kept on this device for offline use.
      </p>
    </section>
  );
}
