// One chart of the site page, drawn by Chart.js on a canvas: the measured
// series (bars for daily energy, a line for power) and its reference (the
// expected energy or the modeled power) as a dashed line. Only the parts of
// Chart.js used here are registered, which keeps the bundle small.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import { useEffect, useRef } from 'react';
import { formatValue, type ShapedChart } from './chart-data.js';

Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Legend, Tooltip, Filler);

const MEASURED = '#d97706';
const REFERENCE = '#1d4ed8';

export interface SiteChartProps {
  kind: 'energy' | 'power';
  shaped: ShapedChart;
  measuredLabel: string;
  referenceLabel: string;
  locale: string;
  /** The id of the text that says what the chart shows (its text alternative). */
  describedBy: string;
  label: string;
}

function configOf(props: SiteChartProps): ChartConfiguration<'bar' | 'line', (number | null)[], string> {
  const { shaped, kind, locale } = props;
  const measured =
    kind === 'energy'
      ? {
          type: 'bar' as const,
          label: `${props.measuredLabel} (${shaped.unit.label})`,
          data: shaped.measured,
          backgroundColor: MEASURED,
          order: 2,
        }
      : {
          type: 'line' as const,
          label: `${props.measuredLabel} (${shaped.unit.label})`,
          data: shaped.measured,
          borderColor: MEASURED,
          backgroundColor: 'rgba(217, 119, 6, 0.15)',
          fill: true,
          pointRadius: 0,
          borderWidth: 2,
          spanGaps: false,
          order: 2,
        };
  const reference = {
    type: 'line' as const,
    label: `${props.referenceLabel} (${shaped.unit.label})`,
    data: shaped.reference,
    borderColor: REFERENCE,
    backgroundColor: REFERENCE,
    borderDash: [6, 4],
    borderWidth: 2,
    pointRadius: kind === 'energy' ? 2 : 0,
    fill: false,
    order: 1,
  };
  return {
    type: kind === 'energy' ? 'bar' : 'line',
    data: { labels: shaped.labels, datasets: shaped.hasReference ? [measured, reference] : [measured] },
    options: {
      // Drawn at once: nothing moves for people who asked for less motion, and a screenshot shows the final chart.
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: { ticks: { autoSkip: true, maxRotation: 0, autoSkipPadding: 12 }, grid: { display: false } },
        y: {
          beginAtZero: true,
          title: { display: true, text: shaped.unit.label },
          ticks: { callback: (value) => new Intl.NumberFormat(locale).format(Number(value)) },
        },
      },
      plugins: {
        legend: { position: 'bottom', labels: { boxWidth: 14, sort: (a, b) => (a.datasetIndex ?? 0) - (b.datasetIndex ?? 0) } },
        tooltip: {
          callbacks: {
            label: (item) =>
              `${item.dataset.label ?? ''}: ${formatValue(item.parsed.y === null ? null : item.parsed.y * shaped.unit.divisor, shaped.unit, locale)}`,
          },
        },
      },
    },
  };
}

export function SiteChart(props: SiteChartProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<'bar' | 'line', (number | null)[], string>>(undefined);

  useEffect(() => {
    if (!canvas.current) return;
    const config = configOf(props);
    if (chart.current && (chart.current.config as { type?: string }).type === config.type) {
      chart.current.data = config.data;
      chart.current.options = config.options ?? {};
      chart.current.update();
      return;
    }
    chart.current?.destroy();
    chart.current = new Chart(canvas.current, config);
    // The shaped data is memoised by the caller: a new object means new numbers.
  }, [props.shaped, props.kind, props.locale, props.measuredLabel, props.referenceLabel]);

  useEffect(
    () => () => {
      chart.current?.destroy();
      chart.current = undefined;
    },
    [],
  );

  return (
    <div className="chart-canvas">
      <canvas ref={canvas} role="img" aria-label={props.label} aria-describedby={props.describedBy} />
    </div>
  );
}
