import { describe, expect, it } from 'vitest';
import { DEFAULT_PLACE, DEFAULT_SIZE_KW, localMidnight, placeFor, sizeFromSite } from './site-defaults.js';

describe('what the simulator assumes for a site', () => {
  it('takes the size from the model settings, else from a capacity in a power unit, else 50 kW', () => {
    expect(sizeFromSite({ sizeKw: 12, capacity: 99, unit: 'MW' })).toBe(12);
    expect(sizeFromSite({ sizeKw: null, capacity: 2.5, unit: 'MWp' })).toBe(2500);
    expect(sizeFromSite({ sizeKw: null, capacity: 8000, unit: 'Wp' })).toBe(8);
    expect(sizeFromSite({ sizeKw: null, capacity: 30, unit: null })).toBe(30);
    expect(sizeFromSite({ sizeKw: null, capacity: 500, unit: 'kWh' })).toBe(DEFAULT_SIZE_KW);
    expect(sizeFromSite({ sizeKw: 0, capacity: null, unit: null })).toBe(DEFAULT_SIZE_KW);
  });

  it('puts a site without coordinates in Madrid when its zone is UTC, else where its zone’s noon is noon', () => {
    const january = new Date(Date.UTC(2026, 0, 15));
    expect(placeFor({ latitude: 1, longitude: 2, timezone: 'UTC' }, january)).toEqual({ latitude: 1, longitude: 2, timezone: 'UTC' });
    expect(placeFor({ latitude: null, longitude: null, timezone: 'UTC' }, january)).toEqual(DEFAULT_PLACE);
    expect(placeFor({ latitude: null, longitude: 5, timezone: 'America/Chicago' }, january)).toEqual({
      latitude: 40,
      longitude: -90,
      timezone: 'America/Chicago',
    });
    expect(placeFor({ latitude: null, longitude: null, timezone: 'Australia/Sydney' }, january)).toEqual({
      latitude: -35,
      longitude: 165,
      timezone: 'Australia/Sydney',
    });
  });

  it('finds local midnight in any zone, on DST days and in half-hour zones too', () => {
    // 29 March 2026: Berlin springs forward at 02:00; its midnight was still +01:00.
    expect(localMidnight(Date.UTC(2026, 2, 29, 12), 'Europe/Berlin')).toBe(Date.UTC(2026, 2, 28, 23));
    // 25 October 2026: midnight still +02:00, the day holds 25 hours.
    expect(localMidnight(Date.UTC(2026, 9, 25, 22, 30), 'Europe/Berlin')).toBe(Date.UTC(2026, 9, 24, 22));
    expect(localMidnight(Date.UTC(2026, 5, 1, 20), 'Asia/Kolkata')).toBe(Date.UTC(2026, 5, 1, 18, 30));
    expect(localMidnight(Date.UTC(2026, 5, 1, 3), 'America/Los_Angeles')).toBe(Date.UTC(2026, 4, 31, 7));
  });
});
