import { describe, expect, it } from 'vitest';
import { clearSkyGhi, haurwitzGhi, sunPosition } from './solar.js';

/** The highest elevation of the sun over a UTC day, minute by minute, and when it happens. */
function solarNoon(latitude: number, longitude: number, day: string): { elevation: number; at: Date } {
  const start = Date.parse(`${day}T00:00:00Z`);
  let best = { elevation: -91, at: new Date(start) };
  for (let minute = 0; minute < 1440; minute++) {
    const at = new Date(start + minute * 60_000);
    const { elevation } = sunPosition(latitude, longitude, at);
    if (elevation > best.elevation) best = { elevation, at };
  }
  return best;
}

describe('sun position', () => {
  // At an equinox the declination is 0, so the noon sun stands at 90° − |latitude|.
  it.each([
    [0, 0],
    [40, 0],
    [-33.9, 18.4],
    [52.5, 13.4],
  ])('puts the equinox noon sun at 90° − |latitude| (latitude %s, longitude %s)', (latitude, longitude) => {
    const noon = solarNoon(latitude, longitude, '2024-03-20');
    expect(noon.elevation).toBeCloseTo(90 - Math.abs(latitude), 0);
  });

  // At the June solstice the declination is the obliquity of the ecliptic, 23.44°.
  it('puts the June solstice noon sun at 90° − latitude + 23.44° and the declination at 23.44°', () => {
    const noon = solarNoon(40, 0, '2024-06-20');
    expect(noon.elevation).toBeCloseTo(90 - 40 + 23.44, 1);
    expect(sunPosition(40, 0, noon.at).declination).toBeCloseTo(23.44, 1);
  });

  it('finds solar noon at Greenwich about 7.5 minutes after 12:00 UTC at the March equinox (the equation of time)', () => {
    const noon = solarNoon(51.48, 0, '2024-03-20');
    const minutesAfterNoon = (noon.at.getTime() - Date.parse('2024-03-20T12:00:00Z')) / 60_000;
    expect(minutesAfterNoon).toBeGreaterThanOrEqual(6);
    expect(minutesAfterNoon).toBeLessThanOrEqual(9);
  });

  // Published values: the equation of time reaches about −14.2 min around 11 February and +16.4 min around 3 November.
  it('gives the equation of time of the almanacs', () => {
    expect(sunPosition(0, 0, new Date('2024-02-11T12:00:00Z')).equationOfTime).toBeCloseTo(-14.2, 0);
    expect(sunPosition(0, 0, new Date('2024-11-03T12:00:00Z')).equationOfTime).toBeCloseTo(16.4, 0);
  });

  it('shifts solar noon by 4 minutes per degree of longitude, and puts the sun below the horizon at local midnight', () => {
    const greenwich = solarNoon(0, 0, '2024-03-20').at.getTime();
    const fifteenWest = solarNoon(0, -15, '2024-03-20').at.getTime();
    expect(Math.abs((fifteenWest - greenwich) / 60_000 - 60)).toBeLessThan(1.5);
    expect(sunPosition(40, 0, new Date('2024-03-20T00:07:00Z')).elevation).toBeLessThan(-40);
    expect(sunPosition(40, 0, new Date('2024-06-21T00:00:00Z')).elevation).toBeLessThan(-20);
  });

  it('has the morning sun in the east and the afternoon sun in the west', () => {
    const morning = sunPosition(40, 0, new Date('2024-03-20T08:00:00Z'));
    const afternoon = sunPosition(40, 0, new Date('2024-03-20T16:00:00Z'));
    expect(morning.azimuth).toBeGreaterThan(90);
    expect(morning.azimuth).toBeLessThan(180);
    expect(afternoon.azimuth).toBeGreaterThan(180);
    expect(afternoon.azimuth).toBeLessThan(270);
    // Refraction lifts the sun near the horizon by about half a degree, and not at all high up.
    const low = sunPosition(40, 0, new Date('2024-03-20T06:10:00Z'));
    expect(low.apparentElevation - low.elevation).toBeGreaterThan(0.1);
    expect(sunPosition(0, 0, new Date('2024-03-20T12:07:00Z')).apparentElevation).toBeCloseTo(
      sunPosition(0, 0, new Date('2024-03-20T12:07:00Z')).elevation,
      1,
    );
  });
});

describe('clear-sky irradiance (Haurwitz)', () => {
  it('gives 1098 × cos z × exp(−0.057 / cos z), worked by hand', () => {
    // z = 0: 1098 × e^−0.057 = 1098 × 0.944594 = 1037.18
    expect(haurwitzGhi(0)).toBeCloseTo(1037.18, 1);
    // z = 60°: 1098 × 0.5 × e^−0.114 = 549 × 0.892258 = 489.85
    expect(haurwitzGhi(60)).toBeCloseTo(489.85, 1);
    expect(haurwitzGhi(90)).toBe(0);
    expect(haurwitzGhi(120)).toBe(0);
  });

  it('is about 1000 W/m² at equatorial noon at an equinox and 0 at night', () => {
    expect(clearSkyGhi(0, 0, new Date('2024-03-20T12:07:00Z'))).toBeGreaterThan(1030);
    expect(clearSkyGhi(0, 0, new Date('2024-03-20T00:07:00Z'))).toBe(0);
    // Berlin at winter noon: the sun at about 14°, so roughly 200 W/m².
    const winter = clearSkyGhi(52.5, 13.4, new Date('2024-12-21T11:10:00Z'));
    expect(winter).toBeGreaterThan(150);
    expect(winter).toBeLessThan(260);
  });
});
