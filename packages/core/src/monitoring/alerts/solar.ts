// Where the sun is, and how much light a clear sky gives: the Zero Generation
// and Strings Performance rules ask whether the sun is up at a site, and the
// simulator shapes its irradiance with the same functions.
//
// Sun position: the NOAA Solar Calculator's algorithm (Meeus, "Astronomical
// Algorithms", low-precision series): accurate to about 0.01° of elevation for
// years 1800–2100, far finer than the rules need. Angles in degrees; longitude
// positive east, latitude positive north.
//
// Clear-sky irradiance: Haurwitz's model (1945), which needs only the solar
// zenith angle z:  GHI = 1098 × cos z × exp(−0.057 / cos z)  W/m², 0 when the
// sun is below the horizon. It tracks measured clear-sky GHI within about 5 %
// at mid-latitude sites (Reno & Hansen, Sandia report SAND2012-2389).

const DEG = Math.PI / 180;
const sin = (deg: number) => Math.sin(deg * DEG);
const cos = (deg: number) => Math.cos(deg * DEG);
const tan = (deg: number) => Math.tan(deg * DEG);
const mod = (x: number, m: number) => ((x % m) + m) % m;

export interface SunPosition {
  /** Geometric elevation above the horizon, degrees (negative: below it). */
  elevation: number;
  /** Elevation with the standard atmospheric refraction added (what an observer sees), degrees. */
  apparentElevation: number;
  /** 90° − elevation. */
  zenith: number;
  /** Degrees clockwise from true north (90 = east, 180 = south). */
  azimuth: number;
  /** Solar declination, degrees. */
  declination: number;
  /** Apparent minus mean solar time, minutes. */
  equationOfTime: number;
}

/** The sun's position seen from latitude/longitude (degrees) at an instant. */
export function sunPosition(latitude: number, longitude: number, at: Date): SunPosition {
  const julianDay = at.getTime() / 86_400_000 + 2_440_587.5;
  const t = (julianDay - 2_451_545) / 36_525; // Julian centuries since J2000.0

  const meanLongitude = mod(280.46646 + t * (36_000.76983 + t * 0.0003032), 360);
  const meanAnomaly = 357.52911 + t * (35_999.05029 - 0.0001537 * t);
  const eccentricity = 0.016708634 - t * (0.000042037 + 0.0000001267 * t);
  const center =
    sin(meanAnomaly) * (1.914602 - t * (0.004817 + 0.000014 * t)) +
    sin(2 * meanAnomaly) * (0.019993 - 0.000101 * t) +
    sin(3 * meanAnomaly) * 0.000289;
  const trueLongitude = meanLongitude + center;
  const omega = 125.04 - 1934.136 * t;
  const apparentLongitude = trueLongitude - 0.00569 - 0.00478 * sin(omega);
  const meanObliquity = 23 + (26 + (21.448 - t * (46.815 + t * (0.00059 - t * 0.001813))) / 60) / 60;
  const obliquity = meanObliquity + 0.00256 * cos(omega);
  const declination = Math.asin(sin(obliquity) * sin(apparentLongitude)) / DEG;

  const y = tan(obliquity / 2) ** 2;
  const equationOfTime =
    (4 / DEG) *
    (y * sin(2 * meanLongitude) -
      2 * eccentricity * sin(meanAnomaly) +
      4 * eccentricity * y * sin(meanAnomaly) * cos(2 * meanLongitude) -
      0.5 * y * y * sin(4 * meanLongitude) -
      1.25 * eccentricity * eccentricity * sin(2 * meanAnomaly));

  const utcMinutes = (at.getTime() / 60_000) % 1440;
  const trueSolarMinutes = mod(utcMinutes + equationOfTime + 4 * longitude, 1440);
  const hourAngle = trueSolarMinutes / 4 - 180;

  const cosZenith = Math.min(1, Math.max(-1, sin(latitude) * sin(declination) + cos(latitude) * cos(declination) * cos(hourAngle)));
  const zenith = Math.acos(cosZenith) / DEG;
  const elevation = 90 - zenith;

  // Azimuth from north; undefined at the poles and at the zenith itself, where 180 (south) is as good as any.
  const denominator = cos(latitude) * sin(zenith);
  let azimuth = 180;
  if (Math.abs(denominator) > 1e-9) {
    const fromNorth = Math.acos(Math.min(1, Math.max(-1, (sin(latitude) * cosZenith - sin(declination)) / denominator))) / DEG;
    azimuth = hourAngle > 0 ? mod(fromNorth + 180, 360) : mod(540 - fromNorth, 360);
  }

  return { elevation, apparentElevation: elevation + refraction(elevation), zenith, azimuth, declination, equationOfTime };
}

/** Atmospheric refraction in degrees for a geometric elevation (NOAA's piecewise fit). */
function refraction(elevation: number): number {
  if (elevation > 85) return 0;
  const te = tan(elevation);
  let arcSeconds: number;
  if (elevation > 5) arcSeconds = 58.1 / te - 0.07 / te ** 3 + 0.000086 / te ** 5;
  else if (elevation > -0.575) arcSeconds = 1735 + elevation * (-518.2 + elevation * (103.4 + elevation * (-12.79 + elevation * 0.711)));
  else arcSeconds = -20.772 / te;
  return arcSeconds / 3600;
}

/** Haurwitz clear-sky global horizontal irradiance (W/m²) for a solar zenith angle in degrees; 0 with the sun down. */
export function haurwitzGhi(zenith: number): number {
  const cz = cos(zenith);
  if (cz <= 0) return 0;
  return 1098 * cz * Math.exp(-0.057 / cz);
}

/** Clear-sky global horizontal irradiance (W/m²) at a place and instant. */
export function clearSkyGhi(latitude: number, longitude: number, at: Date): number {
  return haurwitzGhi(sunPosition(latitude, longitude, at).zenith);
}
