// Times as the sync panel shows them: relative ("2 minutes ago", "in 12
// seconds") beside the absolute local time, which stays true when read later.

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

const units: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1_000],
];

/** `at` relative to `now`: "5 seconds ago", "in 2 minutes", "now". */
export function formatRelative(at: Date, now: number): string {
  const diff = at.getTime() - now;
  if (Math.abs(diff) < 1_000) return relative.format(0, 'second');
  for (const [unit, ms] of units) {
    if (Math.abs(diff) >= ms || unit === 'second') return relative.format(Math.round(diff / ms), unit);
  }
  return at.toLocaleString();
}

/** The absolute local time, with the date only when it is not today. */
export function formatAbsolute(at: Date, now: number): string {
  const sameDay = new Date(now).toDateString() === at.toDateString();
  return sameDay ? at.toLocaleTimeString() : at.toLocaleString();
}

/** When a change was made, from its hybrid logical clock (13 digits of milliseconds first; see core's sync/hlc.ts). */
export function clockTime(clock: string | null): Date | undefined {
  const millis = clock === null ? undefined : /^(\d{13})-/.exec(clock)?.[1];
  return millis === undefined ? undefined : new Date(Number(millis));
}
