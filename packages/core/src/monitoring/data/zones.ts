// Time zones, wall-clock times and the buckets of a data call, from the
// runtime's own tz database through Intl: no zone table of Helio's own, so a
// zone is as current as the ICU data Node ships.
//
// Times are held as numbers of milliseconds. An *instant* is milliseconds
// since the epoch; a *wall time* is the local calendar reading of a zone held
// the same way, as if it were UTC (2014-04-01T12:00:00 in US/Pacific is
// Date.UTC(2014, 3, 1, 12)), so calendar arithmetic on it is plain UTC
// arithmetic.
//
// Wall time to instant, where the zone's clock skips or repeats:
// - a wall time in a spring-forward gap (02:30 on a US spring-forward day) is
//   the first instant after the gap (03:00 PDT);
// - a wall time a fall-back hour reads twice is the earlier instant (01:30 PDT,
//   not 01:30 PST).
// Both rules say the same thing: the first instant whose reading is at or
// past the wall time.
import { validationError } from '../../errors.js';
import type { Granularity } from '../fields.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    // Throws RangeError for a name the tz database does not know.
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

// IANA names are letters, digits and `/_+-`; Intl also takes offsets ("+05:00")
// on newer runtimes, which are not zone names and are refused here.
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+\-/]*$/;

/**
 * Whether the runtime's tz database knows the name, canonical or link
 * (US/Pacific, UTC, Asia/Calcutta, Asia/Kolkata, Asia/Kathmandu). Asked of
 * Intl.DateTimeFormat itself: `Intl.supportedValuesOf('timeZone')` lists
 * canonical names only and leaves some valid ones out.
 */
export function isValidZone(tz: string): boolean {
  if (!ZONE_NAME.test(tz) || tz.length > 64) return false;
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** The zone, or VALIDATION_ERROR naming the parameter. */
export function parseZone(value: unknown, path = 'tz'): string {
  if (typeof value !== 'string' || value === '') {
    throw validationError(`${path} is required: an IANA time zone name such as US/Pacific or Europe/Berlin`, [
      { path, message: 'required' },
    ]);
  }
  if (!isValidZone(value)) {
    throw validationError(`${path} '${value}' is not a known IANA time zone name (such as US/Pacific or Europe/Berlin)`, [
      { path, message: 'unknown time zone' },
    ]);
  }
  return value;
}

/** A wall time from its calendar fields (years below 100 included, unlike Date.UTC). */
export function wallTime(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime();
}

// Offsets asked again and again (a bucket's edges for each of 500 sites) are
// remembered; the memo is dropped whole when it grows large.
const offsets = new Map<string, number>();

/** The zone's offset from UTC at an instant, in milliseconds (whole seconds; historic local mean times have seconds). */
export function offsetAt(tz: string, instant: number): number {
  const second = Math.floor(instant / 1000) * 1000;
  const key = `${tz}|${second}`;
  const known = offsets.get(key);
  if (known !== undefined) return known;
  if (offsets.size >= 100_000) offsets.clear();
  const offset = computeOffset(tz, second);
  offsets.set(key, offset);
  return offset;
}

function computeOffset(tz: string, second: number): number {
  const parts = formatter(tz).formatToParts(new Date(second));
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  let year = get('year');
  if (parts.find((p) => p.type === 'era')?.value === 'BC') year = 1 - year;
  return wallTime(year, get('month'), get('day'), get('hour'), get('minute'), get('second')) - second;
}

/** The wall time the zone reads at an instant. */
export function wallAt(tz: string, instant: number): number {
  return instant + offsetAt(tz, instant);
}

/** The first instant in (after, before] whose offset differs from the offset at `after` (at second precision). */
function transitionBetween(tz: string, after: number, before: number): number {
  const from = offsetAt(tz, after);
  let lo = after;
  let hi = before;
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2000) * 1000;
    if (mid <= lo) break;
    if (offsetAt(tz, mid) === from) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * The zone's offset changes in [from, to): each the first instant of a new
 * offset. Sampled hourly (no zone has changed its offset twice within an
 * hour), then each change found to the second.
 */
export function transitions(tz: string, from: number, to: number): number[] {
  const found: number[] = [];
  let prevAt = from;
  let prev = offsetAt(tz, from);
  for (let t = from + HOUR; ; t += HOUR) {
    const at = Math.min(t, to);
    const o = offsetAt(tz, at);
    if (o !== prev) {
      found.push(transitionBetween(tz, prevAt, at));
      prev = o;
    }
    prevAt = at;
    if (at >= to) break;
  }
  return found.filter((t) => t >= from && t < to);
}

/**
 * The instant of a wall time in a zone: the earlier one when the wall time
 * occurs twice (a fall-back hour), the first instant after the gap when it
 * does not occur at all (a spring-forward gap).
 */
export function wallToInstant(tz: string, wall: number): number {
  // Every offset in the tz database is within ±26 h, so the instant is within
  // a day and a half of the wall time read as UTC; the offsets there bound it.
  const before = offsetAt(tz, wall - 36 * HOUR);
  const after = offsetAt(tz, wall + 36 * HOUR);
  const candidates = [...new Set([before, after, offsetAt(tz, wall)])].map((o) => wall - o);
  const valid = candidates.filter((t) => wallAt(tz, t) === wall).sort((a, b) => a - b);
  if (valid[0] !== undefined) return valid[0];
  // A gap: the first instant reading past the wall time is the transition that skipped it.
  for (const t of transitions(tz, wall - 36 * HOUR, wall + 36 * HOUR)) {
    if (wallAt(tz, t) > wall && wallAt(tz, t - 1000) < wall) return t;
  }
  // Not reached for any zone of the tz database; the nearest reading is the honest answer.
  return wall - after;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `YYYY-MM-DDThh:mm:ss` of a wall time. */
export function formatWall(wall: number): string {
  const d = new Date(wall);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(
    d.getUTCMinutes(),
  )}:${pad(d.getUTCSeconds())}`;
}

/** `±HH:MM` of an offset in whole minutes (`+00:00` for UTC, never `Z`). */
export function formatOffset(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/**
 * An instant as the zone's local time with its offset, `2014-04-01T12:00:00-07:00`.
 * An offset with seconds (a local mean time before standard time) is written
 * rounded to the minute and the local time with it, so that the text still
 * names the exact instant.
 */
export function formatInstant(tz: string, instant: number, offset = offsetAt(tz, instant)): string {
  const minutes = Math.round(offset / MINUTE);
  return formatWall(instant + minutes * MINUTE) + formatOffset(minutes);
}

const WALL_CLOCK = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/**
 * A `start`/`end` parameter: `YYYY-MM-DDThh:mm:ss` (or without seconds), a
 * wall-clock time in the request's zone, with no offset. Returns the wall time.
 */
export function parseWallClock(value: unknown, path: string): number {
  const shape = `${path} must be a local time of the form YYYY-MM-DDThh:mm:ss (no offset; the zone is tz)`;
  if (typeof value !== 'string' || value === '') {
    throw validationError(`${path} is required: ${shape.slice(path.length + 1)}`, [{ path, message: 'required' }]);
  }
  const m = WALL_CLOCK.exec(value);
  if (!m) throw validationError(`${shape}; got '${value}'`, [{ path, message: 'not a timestamp YYYY-MM-DDThh:mm:ss' }]);
  const [year, month, day, hour, minute, second] = m.slice(1).map((v) => (v === undefined ? 0 : Number(v))) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const wall = wallTime(year, month, day, hour, minute, second);
  // A field out of range rolls over in Date arithmetic; reading it back catches it.
  const d = new Date(wall);
  if (
    d.getUTCFullYear() !== year ||
    d.getUTCMonth() + 1 !== month ||
    d.getUTCDate() !== day ||
    d.getUTCHours() !== hour ||
    d.getUTCMinutes() !== minute ||
    d.getUTCSeconds() !== second
  ) {
    throw validationError(`${path} '${value}' is not a valid date and time`, [{ path, message: 'no such date or time' }]);
  }
  return wall;
}

/** A wall time moved by whole calendar units (a month from 31 January is 3 March, as in Date arithmetic). */
export function addCalendar(wall: number, amount: { days?: number; months?: number; years?: number }): number {
  const d = new Date(wall);
  d.setUTCFullYear(d.getUTCFullYear() + (amount.years ?? 0), d.getUTCMonth() + (amount.months ?? 0), d.getUTCDate() + (amount.days ?? 0));
  return d.getTime();
}

/** A bucket `[start, end)` of instants, with the offset in force at its start (for writing its ts). */
export interface Bucket {
  start: number;
  end: number;
  offset: number;
}

export type BucketGranularity = Exclude<Granularity, 'latest'>;

const STEP: Partial<Record<BucketGranularity, number>> = { '1min': MINUTE, '5min': 5 * MINUTE, '15min': 15 * MINUTE, hourly: HOUR };

/**
 * The buckets of a granularity whose leading instant is ≥ start and < end, in order.
 *
 * Daily, monthly and yearly buckets are the instants whose local date falls on
 * that day, month or year: they start at local midnight (or, where midnight is
 * skipped, at the first instant after it), so a spring-forward day holds 23 h
 * (23.5 h on Lord Howe) and a fall-back day 25 h.
 *
 * Shorter buckets follow the local clock (an hour starts at local hh:00, so at
 * hh:30 UTC in Asia/Kolkata) and break where the offset changes: each bucket
 * is the instants reading one local slot under one offset. On a US fall-back
 * day local 01:00 gives two hourly buckets (01:00-07:00 and 01:00-08:00); on
 * a spring-forward day local 02:00 gives none; on Lord Howe, whose clock
 * moves by 30 minutes, the hour of the change is split in two (01:00+10:30
 * and 02:30+11:00 in October).
 */
export function buckets(tz: string, gran: BucketGranularity, start: number, end: number): Bucket[] {
  const step = STEP[gran];
  const starts = step === undefined ? calendarStarts(tz, gran, start, end) : clockStarts(tz, step, start, end);
  const out: Bucket[] = [];
  for (let i = 0; i + 1 < starts.length; i++) {
    const [s, offset] = starts[i]!;
    if (s >= start && s < end) out.push({ start: s, end: starts[i + 1]![0], offset });
  }
  return out;
}

/** Bucket starts (with their offsets) of a clock-aligned granularity, from before `start` to past `end`. */
function clockStarts(tz: string, step: number, start: number, end: number): [number, number][] {
  const from = start - step;
  const to = end + 2 * step;
  const changes = transitions(tz, from, to);
  const bounds = [from, ...changes, to];
  const starts = new Map<number, number>();
  for (let i = 0; i + 1 < bounds.length; i++) {
    const s = bounds[i]!;
    const e = bounds[i + 1]!;
    const o = offsetAt(tz, s);
    // An offset change starts a bucket wherever it falls: the slot's instants under the new offset.
    if (i > 0) starts.set(s, o);
    for (let t = Math.ceil((s + o) / step) * step - o; t < e; t += step) starts.set(t, o);
  }
  return [...starts].sort((a, b) => a[0] - b[0]);
}

/** Bucket starts of daily, monthly or yearly buckets, from the one holding `start` to the first at or past `end`. */
function calendarStarts(tz: string, gran: BucketGranularity, start: number, end: number): [number, number][] {
  const d = new Date(wallAt(tz, start));
  const first =
    gran === 'daily'
      ? wallTime(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate())
      : gran === 'monthly'
        ? wallTime(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)
        : wallTime(d.getUTCFullYear(), 1, 1);
  const unit = gran === 'daily' ? 'days' : gran === 'monthly' ? 'months' : 'years';
  const starts: [number, number][] = [];
  for (let k = 0; ; k++) {
    const t = wallToInstant(tz, addCalendar(first, { [unit]: k }));
    starts.push([t, offsetAt(tz, t)]);
    if (t >= end) break;
  }
  return starts;
}

/** The instants `[start, end)` of the local day holding an instant. */
export function localDayAt(tz: string, instant: number): { start: number; end: number; wall: number } {
  const d = new Date(wallAt(tz, instant));
  const wall = wallTime(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
  return { wall, start: wallToInstant(tz, wall), end: wallToInstant(tz, addCalendar(wall, { days: 1 })) };
}

export const DURATION = { MINUTE, HOUR, DAY } as const;
