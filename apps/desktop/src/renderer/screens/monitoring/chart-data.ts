// The site page's charts, shaped from the server's aggregates: labels in the
// site's zone, values in a unit that suits their size (kWh for a house,
// MWh for a park), and the same numbers in words and as a table for people
// who do not see the canvas. Pure, so it is tested without a browser.

export interface DailyPoint {
  ts: string;
  Wh_sum?: number | null | undefined;
  Wh_e_sum?: number | null | undefined;
}

export interface PowerPoint {
  ts: string;
  W_avg?: number | null | undefined;
  W_m_avg?: number | null | undefined;
}

export interface ChartAggregates {
  timezone: string;
  daily: readonly DailyPoint[];
  today: readonly PowerPoint[];
}

export interface Unit {
  /** `kWh`, `MW`, ... */
  label: string;
  divisor: number;
  /** Decimals shown: enough to tell days apart, no more. */
  decimals: number;
}

const prefixes = [
  { prefix: 'G', divisor: 1e9, decimals: 2 },
  { prefix: 'M', divisor: 1e6, decimals: 2 },
  { prefix: 'k', divisor: 1e3, decimals: 1 },
  { prefix: '', divisor: 1, decimals: 0 },
] as const;

/** The unit for values up to `largest` of `base` (`Wh` or `W`): the largest prefix under which it is at least 1. */
export function unitFor(base: 'Wh' | 'W', largest: number): Unit {
  const magnitude = Math.abs(largest);
  const chosen = prefixes.find((p) => magnitude >= p.divisor) ?? prefixes[prefixes.length - 1]!;
  return { label: `${chosen.prefix}${base}`, divisor: chosen.divisor, decimals: chosen.decimals };
}

/** A value in `unit`, in the reader's locale, without the unit ("1,234.5"); an em dash when there is none. */
export function formatValue(value: number | null, unit: Unit, locale: string): string {
  if (value === null) return '—';
  return new Intl.NumberFormat(locale, { minimumFractionDigits: unit.decimals, maximumFractionDigits: unit.decimals }).format(
    value / unit.divisor,
  );
}

const present = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);
const orNull = (v: number | null | undefined): number | null => (present(v) ? v : null);
const sum = (values: readonly (number | null)[]) => values.reduce<number>((total, v) => total + (v ?? 0), 0);

export interface ChartRow {
  label: string;
  measured: number | null;
  reference: number | null;
}

export interface ShapedChart {
  unit: Unit;
  labels: string[];
  /** In `unit`, for drawing; null where the server had nothing. */
  measured: (number | null)[];
  /** Expected energy (daily chart) or modeled power (power chart), in `unit`. */
  reference: (number | null)[];
  /** Base units (Wh or W), for the table and the summary. */
  rows: ChartRow[];
  hasMeasured: boolean;
  hasReference: boolean;
  /** The chart in one or two sentences: its text alternative. */
  summary: string;
}

function shape(rows: ChartRow[], base: 'Wh' | 'W', summary: (unit: Unit) => string): ShapedChart {
  const largest = Math.max(0, ...rows.flatMap((r) => [r.measured ?? 0, r.reference ?? 0]));
  const unit = unitFor(base, largest);
  return {
    unit,
    labels: rows.map((r) => r.label),
    measured: rows.map((r) => (r.measured === null ? null : r.measured / unit.divisor)),
    reference: rows.map((r) => (r.reference === null ? null : r.reference / unit.divisor)),
    rows,
    hasMeasured: rows.some((r) => r.measured !== null),
    hasReference: rows.some((r) => r.reference !== null),
    summary: summary(unit),
  };
}

/** Daily energy beside the expected energy, one bar per day of the site's calendar. */
export function dailyEnergy(chart: ChartAggregates, locale: string): ShapedChart {
  const day = new Intl.DateTimeFormat(locale, { timeZone: chart.timezone, day: 'numeric', month: 'short' });
  const rows = chart.daily.map((p) => ({ label: day.format(new Date(p.ts)), measured: orNull(p.Wh_sum), reference: orNull(p.Wh_e_sum) }));
  return shape(rows, 'Wh', (unit) => {
    const measuredDays = rows.filter((r) => r.measured !== null);
    if (measuredDays.length === 0) return `No energy measured in the last ${rows.length} days.`;
    const measured = sum(rows.map((r) => r.measured));
    const fmt = (v: number) => `${formatValue(v, unit, locale)} ${unit.label}`;
    const daysSaid = `${measuredDays.length} ${measuredDays.length === 1 ? 'day' : 'days'}`;
    const best = measuredDays.reduce((a, b) => (b.measured! > a.measured! ? b : a));
    const parts = [`Energy over the last ${rows.length} days: ${fmt(measured)} measured on ${daysSaid}`];
    // Expected energy compared over the days that were measured: a day without data is not a shortfall.
    const expected = sum(measuredDays.map((r) => r.reference));
    if (measuredDays.some((r) => r.reference !== null) && expected > 0) {
      const percent = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 }).format(measured / expected);
      parts[0] += `, against ${fmt(expected)} expected (${percent})`;
    } else {
      parts[0] += '; no expected energy for this site';
    }
    parts.push(`Best day ${best.label}: ${fmt(best.measured!)}.`);
    return `${parts[0]}. ${parts[1]}`;
  });
}

/** Today's power beside the modeled power, at the server's resolution (5 or 15 minutes), times in the site's zone. */
export function todayPower(chart: ChartAggregates, locale: string): ShapedChart {
  const time = new Intl.DateTimeFormat(locale, { timeZone: chart.timezone, hour: '2-digit', minute: '2-digit' });
  const rows = chart.today.map((p) => ({ label: time.format(new Date(p.ts)), measured: orNull(p.W_avg), reference: orNull(p.W_m_avg) }));
  return shape(rows, 'W', (unit) => {
    const fmt = (v: number) => `${formatValue(v, unit, locale)} ${unit.label}`;
    const peakOf = (pick: (r: ChartRow) => number | null) =>
      rows
        .filter((r) => pick(r) !== null)
        .reduce<ChartRow | undefined>((a, b) => (a === undefined || pick(b)! > pick(a)! ? b : a), undefined);
    const peak = peakOf((r) => r.measured);
    if (!peak) return 'No power measured on this day yet.';
    const latest = [...rows].reverse().find((r) => r.measured !== null)!;
    const modeled = peakOf((r) => r.reference);
    const modeledSaid = modeled ? `, modeled peak ${fmt(modeled.reference!)} at ${modeled.label}` : '; no modeled power for this site';
    return `Peak power ${fmt(peak.measured!)} at ${peak.label}${modeledSaid}. Latest ${fmt(latest.measured!)} at ${latest.label}.`;
  });
}

/** The site zone's calendar day of an instant, for telling whether the power curve is today's ("2025-06-02"). */
export function dayInZone(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** The heading of the power chart: today, or the day the kept curve is of. */
export function powerHeading(chart: ChartAggregates, now: Date, locale: string): string {
  const first = chart.today[0];
  if (!first || dayInZone(new Date(first.ts), chart.timezone) === dayInZone(now, chart.timezone)) return 'Power today';
  const day = new Intl.DateTimeFormat(locale, { timeZone: chart.timezone, weekday: 'short', day: 'numeric', month: 'short' });
  return `Power on ${day.format(new Date(first.ts))}`;
}

export type StaleReason = 'OFFLINE' | 'SIGN_IN_REQUIRED' | 'NOT_CONNECTED' | 'REFUSED';

const staleWords: Record<StaleReason, string> = {
  OFFLINE: 'offline',
  SIGN_IN_REQUIRED: 'sign in to update',
  NOT_CONNECTED: 'not connected to a server',
  REFUSED: 'not updated',
};

/**
 * When the charts shown were fetched, in the reader's own clock: "as of
 * 14:05", "as of 14:05, offline", with the date when it was not today.
 * `timeZone` is the reader's (undefined: this computer's).
 */
export function freshnessLabel(
  fetchedAt: string | null,
  stale: StaleReason | null,
  now: Date,
  locale: string,
  timeZone?: string,
): string | null {
  if (fetchedAt === null) return null;
  const at = new Date(fetchedAt);
  const zone = timeZone ?? new Intl.DateTimeFormat().resolvedOptions().timeZone;
  const sameDay = dayInZone(at, zone) === dayInZone(now, zone);
  const format = new Intl.DateTimeFormat(locale, {
    timeZone: zone,
    hour: '2-digit',
    minute: '2-digit',
    ...(sameDay ? {} : { day: 'numeric', month: 'short' }),
  });
  return `as of ${format.format(at)}${stale ? `, ${staleWords[stale]}` : ''}`;
}
