// Wall-clock time in an IANA zone, as alerts need it, over the data
// module's zone functions (data/zones.ts): the Locus answers write times in
// `tz` with their ±HH:MM offset, and the Zero Generation rule reads the
// site's month.
import { formatInstant, offsetAt, wallAt } from '../data/zones.js';

/** The zone's offset from UTC at an instant, in whole minutes (local − UTC). */
export function offsetMinutes(at: Date, tz: string): number {
  return Math.round(offsetAt(tz, at.getTime()) / 60_000);
}

/** `2015-11-01T12:00:00-07:00`: the wall-clock time in the zone and its offset, `+00:00` for UTC (never `Z`). */
export function formatInZone(at: Date, tz: string): string {
  return formatInstant(tz, at.getTime());
}

/** The month (1–12) in the zone at an instant. */
export function monthInZone(at: Date, tz: string): number {
  return new Date(wallAt(tz, at.getTime())).getUTCMonth() + 1;
}
