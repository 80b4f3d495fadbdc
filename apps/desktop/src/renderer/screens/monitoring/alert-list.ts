// A site's alerts as the site page lists them: the open ones first, the most
// pressing on top, then those closed in the last days, the latest first;
// every time in the site's own zone, with the zone's abbreviation, since a
// technician compares them with the site's own clocks and logs.

export interface ListedAlert {
  id: string;
  priority: 'High' | 'Medium' | 'Low';
  startedAt: string;
  endedAt: string | null;
}

const priorityRank: Record<ListedAlert['priority'], number> = { High: 0, Medium: 1, Low: 2 };

/** Open alerts (High first, then the newest), then alerts closed within `recentDays` of `now` (the latest closed first). */
export function openAndRecent<T extends ListedAlert>(alerts: readonly T[], now: Date, recentDays = 7): T[] {
  const since = now.getTime() - recentDays * 86_400_000;
  const open = alerts
    .filter((a) => a.endedAt === null)
    .sort((a, b) => priorityRank[a.priority] - priorityRank[b.priority] || Date.parse(b.startedAt) - Date.parse(a.startedAt));
  const closed = alerts
    .filter((a) => a.endedAt !== null && Date.parse(a.endedAt) >= since)
    .sort((a, b) => Date.parse(b.endedAt!) - Date.parse(a.endedAt!));
  return [...open, ...closed];
}

/** "2 Jun 2025, 14:05 CEST": an instant on the wall clock of `timeZone`. */
export function formatInZone(iso: string, timeZone: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, {
    timeZone,
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  }).format(new Date(iso));
}

/** How long an alert has been (or was) open: "45 min", "3 h 10 min", "2 d 4 h". */
export function openFor(startedAt: string, endedAt: string | null, now: Date): string {
  const minutes = Math.max(0, Math.floor(((endedAt ? Date.parse(endedAt) : now.getTime()) - Date.parse(startedAt)) / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
}
