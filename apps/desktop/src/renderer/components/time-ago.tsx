import { formatAbsolute, formatRelative } from '../time.js';

/** A moment as "2 minutes ago (14:03:12)", machine-readable in `dateTime`. */
export function TimeAgo({ at, now }: { at: Date | string | undefined; now: number }) {
  if (at === undefined) return null;
  const date = new Date(at);
  return (
    <time dateTime={date.toISOString()} title={date.toLocaleString()}>
      {formatRelative(date, now)} ({formatAbsolute(date, now)})
    </time>
  );
}
