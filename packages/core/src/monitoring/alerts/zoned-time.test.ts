import { describe, expect, it } from 'vitest';
import { formatInZone, monthInZone, offsetMinutes } from './zoned-time.js';

const utc = (iso: string) => new Date(iso);

describe('alert times in a zone', () => {
  it('writes the offset in force as ±HH:MM, +00:00 for UTC, never Z', () => {
    expect(formatInZone(utc('2015-11-01T12:00:00Z'), 'UTC')).toBe('2015-11-01T12:00:00+00:00');
    expect(formatInZone(utc('2014-04-01T19:00:00Z'), 'US/Pacific')).toBe('2014-04-01T12:00:00-07:00');
    expect(formatInZone(utc('2014-12-01T20:00:00Z'), 'US/Pacific')).toBe('2014-12-01T12:00:00-08:00');
    expect(formatInZone(utc('2024-01-01T00:00:00Z'), 'Asia/Kolkata')).toBe('2024-01-01T05:30:00+05:30');
    expect(formatInZone(utc('2024-01-01T00:00:00Z'), 'Asia/Kathmandu')).toBe('2024-01-01T05:45:00+05:45');
    // Lord Howe: +11:00 in (southern) summer, +10:30 in winter.
    expect(formatInZone(utc('2024-01-01T00:00:00Z'), 'Australia/Lord_Howe')).toBe('2024-01-01T11:00:00+11:00');
    expect(formatInZone(utc('2024-07-01T00:00:00Z'), 'Australia/Lord_Howe')).toBe('2024-07-01T10:30:00+10:30');
  });

  it('writes the repeated hour of a fall-back day twice, each with its own offset', () => {
    expect(formatInZone(utc('2024-11-03T08:30:00Z'), 'US/Pacific')).toBe('2024-11-03T01:30:00-07:00');
    expect(formatInZone(utc('2024-11-03T09:30:00Z'), 'US/Pacific')).toBe('2024-11-03T01:30:00-08:00');
  });

  it("gives the zone's offset and month at an instant", () => {
    expect(offsetMinutes(utc('2024-07-01T00:00:00Z'), 'Europe/Berlin')).toBe(120);
    expect(offsetMinutes(utc('2024-01-01T00:00:00Z'), 'Asia/Kathmandu')).toBe(345);
    expect(monthInZone(utc('2024-03-31T23:30:00Z'), 'Europe/Berlin')).toBe(4);
    expect(monthInZone(utc('2024-03-31T23:30:00Z'), 'UTC')).toBe(3);
  });
});
