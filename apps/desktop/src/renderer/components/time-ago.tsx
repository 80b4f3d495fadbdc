import { formatAbsolute, formatRelative } from '../time.js';

/**
 * A moment as "2 minutes ago (14:03:12)", machine-readable in `dateTime`.
 * Past moments never read as future ones ("in 1 second") when `now` lags a
 * little behind them; `upcoming` is for moments ahead (the next retry).
 */
export function TimeAgo({ at, now, upcoming = false }: { at: Date | string | undefined; now: number; upcoming?: boolean }) {
  if (at === undefined) return null;
  const date = new Date(at);
  if (!upcoming) now = Math.max(now, date.getTime());
  return (
    <time dateTime={date.toISOString()} title={date.toLocaleString()}>
      {formatRelative(date, now)} ({formatAbsolute(date, now)})
    </time>
  );
}
