// Zones, wall-clock times and buckets, against timestamps written by hand
// from the zones' published rules.
import { describe, expect, it } from 'vitest';
import {
  buckets,
  formatInstant,
  isValidZone,
  parseWallClock,
  parseZone,
  wallTime,
  wallToInstant,
  type BucketGranularity,
} from './zones.js';

const at = (iso: string) => Date.parse(iso);

/** The buckets of a wall-clock period, as `[ts, minutes]`. */
function show(tz: string, gran: BucketGranularity, start: string, end: string): [string, number][] {
  const s = wallToInstant(tz, parseWallClock(start, 'start'));
  const e = wallToInstant(tz, parseWallClock(end, 'end'));
  return buckets(tz, gran, s, e).map((b) => [formatInstant(tz, b.start, b.offset), (b.end - b.start) / 60_000]);
}

describe('zones', () => {
  it('knows every IANA name and link, including those Intl.supportedValuesOf leaves out', () => {
    for (const tz of [
      'US/Pacific',
      'UTC',
      'Etc/UTC',
      'Asia/Calcutta',
      'Asia/Kolkata',
      'Asia/Kathmandu',
      'Asia/Katmandu',
      'Australia/Lord_Howe',
      'Europe/Berlin',
    ]) {
      expect(isValidZone(tz), tz).toBe(true);
    }
    for (const tz of ['Mars/Olympus', '+05:00', 'UTC+1', '', 'Europe/Berlin; DROP TABLE x']) expect(isValidZone(tz), tz).toBe(false);
    expect(() => parseZone('Nowhere/Land')).toThrow(/tz 'Nowhere\/Land' is not a known IANA time zone/);
  });

  it('writes every instant with a ±HH:MM offset, never Z', () => {
    expect(formatInstant('UTC', at('2014-04-01T19:00:00Z'))).toBe('2014-04-01T19:00:00+00:00');
    expect(formatInstant('US/Pacific', at('2014-04-01T19:00:00Z'))).toBe('2014-04-01T12:00:00-07:00');
    expect(formatInstant('Asia/Kathmandu', at('2014-04-01T00:00:00Z'))).toBe('2014-04-01T05:45:00+05:45');
    expect(formatInstant('Asia/Kolkata', at('2014-04-01T00:00:00Z'))).toBe('2014-04-01T05:30:00+05:30');
    // Before 1883 Los Angeles kept local mean time, −07:52:58: written rounded to −07:53 with the local time that names the same instant.
    expect(formatInstant('US/Pacific', at('1850-01-01T00:00:00Z'))).toBe('1849-12-31T16:07:00-07:53');
  });

  it('parses start and end with or without seconds, and nothing else', () => {
    expect(parseWallClock('2014-04-01T12:00:00', 'start')).toBe(wallTime(2014, 4, 1, 12));
    expect(parseWallClock('2014-04-01T12:30', 'start')).toBe(wallTime(2014, 4, 1, 12, 30));
    for (const bad of [
      '2014-04-01',
      '2014-04-01 12:00:00',
      '2014-04-01T12:00:00Z',
      '2014-04-01T12:00:00+02:00',
      '2014-4-1T12:00:00',
      '2014-04-01T24:00:00',
      '2014-13-01T00:00:00',
      '2015-02-29T00:00:00',
      'yesterday',
    ]) {
      expect(() => parseWallClock(bad, 'start'), bad).toThrow(/start/);
    }
  });

  it('takes a wall time in a spring-forward gap as the instant after the gap, and a repeated one as the earlier', () => {
    // US/Pacific 2024-03-10: 02:00 PST became 03:00 PDT (10:00Z).
    expect(wallToInstant('US/Pacific', wallTime(2024, 3, 10, 2, 30))).toBe(at('2024-03-10T10:00:00Z'));
    // 2024-11-03: 01:30 happens at 08:30Z (PDT) and 09:30Z (PST).
    expect(wallToInstant('US/Pacific', wallTime(2024, 11, 3, 1, 30))).toBe(at('2024-11-03T08:30:00Z'));
    // Lord Howe 2024-10-06: 02:00 +10:30 became 02:30 +11:00 (15:30Z).
    expect(wallToInstant('Australia/Lord_Howe', wallTime(2024, 10, 6, 2, 15))).toBe(at('2024-10-05T15:30:00Z'));
    // Havana springs forward at midnight: 2024-03-10 begins at 01:00 CDT (05:00Z).
    expect(wallToInstant('America/Havana', wallTime(2024, 3, 10))).toBe(at('2024-03-10T05:00:00Z'));
  });

  it('makes days of 23, 25, 23.5 and 24.5 hours on clock-change days', () => {
    expect(show('US/Pacific', 'daily', '2024-03-09T00:00', '2024-03-12T00:00')).toEqual([
      ['2024-03-09T00:00:00-08:00', 1440],
      ['2024-03-10T00:00:00-08:00', 1380],
      ['2024-03-11T00:00:00-07:00', 1440],
    ]);
    expect(show('Europe/Berlin', 'daily', '2024-10-27T00:00', '2024-10-28T00:00')).toEqual([['2024-10-27T00:00:00+02:00', 1500]]);
    expect(show('Australia/Lord_Howe', 'daily', '2024-10-06T00:00', '2024-10-07T00:00')).toEqual([['2024-10-06T00:00:00+10:30', 1410]]);
    expect(show('Australia/Lord_Howe', 'daily', '2024-04-07T00:00', '2024-04-08T00:00')).toEqual([['2024-04-07T00:00:00+11:00', 1470]]);
    expect(show('America/Havana', 'daily', '2024-03-10T00:00', '2024-03-11T00:00')).toEqual([['2024-03-10T01:00:00-04:00', 1380]]);
  });

  it('gives hourly buckets of the local clock, split where the offset changes', () => {
    expect(show('US/Pacific', 'hourly', '2024-11-03T00:00', '2024-11-03T03:00')).toEqual([
      ['2024-11-03T00:00:00-07:00', 60],
      ['2024-11-03T01:00:00-07:00', 60],
      ['2024-11-03T01:00:00-08:00', 60],
      ['2024-11-03T02:00:00-08:00', 60],
    ]);
    expect(show('Australia/Lord_Howe', 'hourly', '2024-04-07T00:00', '2024-04-07T03:00')).toEqual([
      ['2024-04-07T00:00:00+11:00', 60],
      ['2024-04-07T01:00:00+11:00', 60],
      ['2024-04-07T01:30:00+10:30', 30],
      ['2024-04-07T02:00:00+10:30', 60],
    ]);
    expect(show('Asia/Kathmandu', 'hourly', '2024-01-01T00:00', '2024-01-01T02:00')).toEqual([
      ['2024-01-01T00:00:00+05:45', 60],
      ['2024-01-01T01:00:00+05:45', 60],
    ]);
    // Nepal moved from +05:30 to +05:45 at the start of 1986: that day's first local quarter hour never happened.
    expect(show('Asia/Kathmandu', 'daily', '1985-12-31T00:00', '1986-01-02T00:00')).toEqual([
      ['1985-12-31T00:00:00+05:30', 1440],
      ['1986-01-01T00:15:00+05:45', 1425],
    ]);
  });

  it('returns the buckets whose leading time is within [start, end)', () => {
    // The spec's example: 03-15..05-02 gives April and May; 03-01..05-01 gives March and April.
    expect(show('UTC', 'monthly', '2015-03-15T00:00:00', '2015-05-02T00:00:00').map(([ts]) => ts)).toEqual([
      '2015-04-01T00:00:00+00:00',
      '2015-05-01T00:00:00+00:00',
    ]);
    expect(show('UTC', 'monthly', '2015-03-01T00:00:00', '2015-05-01T00:00:00').map(([ts]) => ts)).toEqual([
      '2015-03-01T00:00:00+00:00',
      '2015-04-01T00:00:00+00:00',
    ]);
    expect(show('Europe/Berlin', 'yearly', '2023-06-01T00:00', '2025-01-01T00:00')).toEqual([['2024-01-01T00:00:00+01:00', 366 * 1440]]);
    expect(show('Asia/Kolkata', '15min', '2024-01-01T10:05', '2024-01-01T10:46')).toEqual([
      ['2024-01-01T10:15:00+05:30', 15],
      ['2024-01-01T10:30:00+05:30', 15],
      ['2024-01-01T10:45:00+05:30', 15],
    ]);
  });
});
