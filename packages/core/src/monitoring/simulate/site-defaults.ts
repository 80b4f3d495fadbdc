// What the simulator assumes for a site that lacks it: a size, a place and a
// zone, and where the site's local days begin.
import type { Site } from '../../sites/schema.js';
import { offsetMinutes } from '../alerts/zoned-time.js';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** Used when a site has neither a size nor a capacity in kW-convertible units. */
export const DEFAULT_SIZE_KW = 50;
/** Used for a site without coordinates whose time zone is UTC (the default): Madrid. */
export const DEFAULT_PLACE = { latitude: 40.4168, longitude: -3.7038, timezone: 'Europe/Madrid' } as const;
const KW_PER_UNIT: Record<string, number> = { W: 0.001, Wp: 0.001, kW: 1, kWp: 1, MW: 1000, MWp: 1000, GW: 1e6, GWp: 1e6 };

/** The DC size to simulate: the model settings' size, else the capacity in a power unit (kW when no unit), else the default. */
export function sizeFromSite(site: Pick<Site, 'sizeKw' | 'capacity' | 'unit'>): number {
  if (site.sizeKw && site.sizeKw > 0) return site.sizeKw;
  const perUnit = site.unit === null ? 1 : KW_PER_UNIT[site.unit];
  if (site.capacity && site.capacity > 0 && perUnit !== undefined) return Math.min(1e7, site.capacity * perUnit);
  return DEFAULT_SIZE_KW;
}

// Zones south of the equator among those a site is likely to use without coordinates.
const SOUTHERN =
  /^(Australia|Antarctica)\/|^Pacific\/(Auckland|Fiji|Chatham)$|^America\/(Sao_Paulo|Argentina\/|Santiago|Montevideo|Asuncion|Lima|La_Paz)|^Africa\/(Johannesburg|Maputo|Harare|Windhoek)$/;

/**
 * Where to put a site without coordinates: Madrid (and its zone) when the
 * zone is the default UTC; otherwise latitude 40° (−35° in southern zones)
 * at the longitude of the zone's current offset, so that noon is noon.
 */
export function placeFor(
  site: Pick<Site, 'latitude' | 'longitude' | 'timezone'>,
  now: Date,
): { latitude: number; longitude: number; timezone: string } {
  if (site.latitude !== null && site.longitude !== null)
    return { latitude: site.latitude, longitude: site.longitude, timezone: site.timezone };
  if (site.timezone === 'UTC') return { ...DEFAULT_PLACE };
  const longitude = Math.max(-180, Math.min(180, (offsetMinutes(now, site.timezone) / 60) * 15));
  return { latitude: SOUTHERN.test(site.timezone) ? -35 : 40, longitude, timezone: site.timezone };
}

/** Local midnight (ms) of the day in `tz` that holds `ms`. */
export function localMidnight(ms: number, tz: string): number {
  const local = ms + offsetMinutes(new Date(ms), tz) * MINUTE_MS;
  const wallMidnight = Math.floor(local / DAY_MS) * DAY_MS;
  // The offset at midnight may differ from the offset now (a DST day): settle it.
  let guess = wallMidnight - offsetMinutes(new Date(wallMidnight), tz) * MINUTE_MS;
  guess = wallMidnight - offsetMinutes(new Date(guess), tz) * MINUTE_MS;
  return guess;
}
