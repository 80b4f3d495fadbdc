// The simulator's weather: what the sky and the air do at a place and instant.
// Every value is a pure function of (seed, place, instant): the random numbers
// come from a hash of the seed and a time index, never from a generator that
// advances, so a run reproduces any instant's value whatever period it covers
// and in whatever order it asks (a live run continues the history exactly).
//
// - Clear sky: the sun's position and Haurwitz's clear-sky GHI (alerts/solar.ts),
//   split into beam and diffuse with a fixed clear-sky diffuse fraction.
// - Clouds: each solar day draws a kind (clear 40 %, partly cloudy 35 %,
//   overcast 25 %) with a cloud cover and an opacity; within the day, value
//   noise on 20- and 5-minute knots decides where a cloud is. A cloud takes the
//   beam away and leaves (1 − opacity) of the clear-sky GHI as diffuse light;
//   at a cloud's edge, light scattered off its side adds up to 20 % (the
//   "cloud enhancement" that makes inverters clip on broken-cloud days).
// - Plane of array: fixed, equator-facing modules tilted 0.8 × |latitude|
//   (5°–35°), isotropic sky, ground albedo 0.2.
// - Temperature: a seasonal mean by latitude, a daily swing peaking at 15:00
//   solar time (smaller under clouds), and a day-to-day drift; the module runs
//   warmer by POA × 25/800 °C (a 45 °C NOCT, as the model's own estimate).
import { sunPosition, clearSkyGhi } from '../alerts/solar.js';

const DAY_MS = 86_400_000;
const DEG = Math.PI / 180;

/** A uniform number in [0, 1) for (seed, stream, index): murmur3's finaliser over the three. */
export function hashRandom(seed: number, stream: number, index: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(stream + 0x632be5ab, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) ^ Math.imul(index | 0, 0x297a2d39) ^ Math.floor(index / 4_294_967_296);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4_294_967_296;
}

/** A 32-bit seed from any text (a site id), FNV-1a. */
export function seedFromText(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

// Streams: one per kind of random draw, so that adding a draw never shifts another.
export const STREAM = {
  dayKind: 1,
  dayCover: 2,
  dayOpacity: 3,
  cloudCoarse: 4,
  cloudFine: 5,
  temperature: 6,
  outage: 7,
  outageInverter: 8,
  outageStart: 9,
  outageLength: 10,
  inverterHealth: 11,
  stringShare: 12,
  moduleNoise: 13,
} as const;

export interface Place {
  latitude: number;
  longitude: number;
}

/**
 * The solar day an instant belongs to: days start at local solar midnight
 * (longitude / 15 hours from UTC midnight), so the weather of a day changes in
 * the night wherever the site is.
 */
export function solarDay(place: Place, ms: number): number {
  return Math.floor((ms + (place.longitude / 360) * DAY_MS) / DAY_MS);
}

/** Hours since local solar midnight, 0 ≤ h < 24 (mean solar time, close enough for weather). */
function solarHour(place: Place, ms: number): number {
  const shifted = ms + (place.longitude / 360) * DAY_MS;
  return ((((shifted % DAY_MS) + DAY_MS) % DAY_MS) / DAY_MS) * 24;
}

export interface DayWeather {
  kind: 'clear' | 'partly cloudy' | 'overcast';
  /** Share of the sky's path covered by cloud, 0..1. */
  cover: number;
  /** How much light a cloud takes away, 0..1. */
  opacity: number;
}

export function dayWeather(seed: number, day: number): DayWeather {
  const u = hashRandom(seed, STREAM.dayKind, day);
  const c = hashRandom(seed, STREAM.dayCover, day);
  const o = hashRandom(seed, STREAM.dayOpacity, day);
  if (u < 0.4) return { kind: 'clear', cover: 0.03 + 0.07 * c, opacity: 0.4 + 0.2 * o };
  if (u < 0.75) return { kind: 'partly cloudy', cover: 0.25 + 0.35 * c, opacity: 0.5 + 0.25 * o };
  return { kind: 'overcast', cover: 0.85 + 0.15 * c, opacity: 0.6 + 0.25 * o };
}

/** Smooth value noise in [0, 1]: random knots every `knotMs`, cosine-eased between them. */
function valueNoise(seed: number, stream: number, ms: number, knotMs: number): number {
  const k = Math.floor(ms / knotMs);
  const f = (ms - k * knotMs) / knotMs;
  const a = hashRandom(seed, stream, k);
  const b = hashRandom(seed, stream, k + 1);
  const w = (1 - Math.cos(Math.PI * f)) / 2;
  return a + (b - a) * w;
}

/** How much of the sun a cloud hides at an instant: 0 (clear line of sight) to 1 (behind a cloud). */
export function cloudShade(seed: number, ms: number, weather: DayWeather): number {
  const n = 0.7 * valueNoise(seed, STREAM.cloudCoarse, ms, 20 * 60_000) + 0.3 * valueNoise(seed, STREAM.cloudFine, ms, 5 * 60_000);
  // n is bunched around 0.5 (a sum of two uniforms), so the threshold that
  // covers `cover` of the time is stretched towards the middle.
  const threshold = 0.5 + (weather.cover - 0.5) * 0.75;
  const edge = 0.05;
  return Math.min(1, Math.max(0, (threshold - n) / edge + 0.5));
}

export interface Weather {
  /** Global horizontal irradiance, W/m². */
  ghi: number;
  /** Plane-of-array irradiance, W/m². */
  poa: number;
  /** Clear-sky GHI at the same instant, W/m². */
  clearSkyGhi: number;
  ambient: number;
  module: number;
  /** Sun elevation, degrees. */
  elevation: number;
  day: DayWeather;
}

const CLEAR_DIFFUSE_FRACTION = 0.15;
const ALBEDO = 0.2;

/** The modules' tilt for a latitude: 0.8 × |latitude|, between 5° and 35°. */
export function moduleTilt(latitude: number): number {
  return Math.min(35, Math.max(5, Math.round(0.8 * Math.abs(latitude))));
}

/** Plane-of-array irradiance from beam (on the horizontal), diffuse and global horizontal irradiance. */
export function planeOfArray(
  place: Place,
  sun: { zenith: number; azimuth: number },
  beamHorizontal: number,
  diffuse: number,
  ghi: number,
): number {
  const tilt = moduleTilt(place.latitude) * DEG;
  const facing = (place.latitude >= 0 ? 180 : 0) * DEG;
  const z = sun.zenith * DEG;
  const cosZ = Math.cos(z);
  if (cosZ <= 0) return 0;
  // Near the horizon beam/cos z explodes while the beam itself is tiny: cap at 5° elevation.
  const beamNormal = beamHorizontal / Math.max(cosZ, Math.sin(5 * DEG));
  const cosIncidence = cosZ * Math.cos(tilt) + Math.sin(z) * Math.sin(tilt) * Math.cos(sun.azimuth * DEG - facing);
  return beamNormal * Math.max(0, cosIncidence) + (diffuse * (1 + Math.cos(tilt))) / 2 + (ghi * ALBEDO * (1 - Math.cos(tilt))) / 2;
}

/** The day's mean ambient temperature before the day-to-day drift, °C. */
function seasonalMean(place: Place, ms: number): number {
  const dayOfYear = (ms / DAY_MS) % 365.2425;
  // 1970-01-01 is day 0; the warmest days come about 20 July (day ~200) in the north.
  const season = Math.cos((2 * Math.PI * (dayOfYear - 200)) / 365.2425) * (place.latitude >= 0 ? 1 : -1);
  const latitudeEffect = Math.min(1, Math.abs(place.latitude) / 30);
  return 27 - 0.45 * Math.max(0, Math.abs(place.latitude) - 20) + 9 * latitudeEffect * season;
}

/** Ambient temperature, °C: smooth across midnight (the day's values are anchored at solar noon and blended). */
export function ambientTemperature(seed: number, place: Place, ms: number): number {
  const hour = solarHour(place, ms);
  const day = solarDay(place, ms);
  // Blend between the noon values of the two days around this instant.
  const [d0, d1, f] = hour >= 12 ? [day, day + 1, (hour - 12) / 24] : [day - 1, day, (hour + 12) / 24];
  const drift = (d: number) => (hashRandom(seed, STREAM.temperature, d) - 0.5) * 6;
  const swing = (d: number) => 6 * (1 - 0.6 * dayWeather(seed, d).cover);
  const lerp = (a: number, b: number) => a + (b - a) * f;
  const mean = seasonalMean(place, ms) + lerp(drift(d0), drift(d1));
  return mean + lerp(swing(d0), swing(d1)) * Math.cos((2 * Math.PI * (hour - 15)) / 24);
}

/** The weather at a place and instant. */
export function weatherAt(seed: number, place: Place, ms: number): Weather {
  const at = new Date(ms);
  const sun = sunPosition(place.latitude, place.longitude, at);
  const clear = clearSkyGhi(place.latitude, place.longitude, at);
  const day = dayWeather(seed, solarDay(place, ms));
  const ambient = ambientTemperature(seed, place, ms);
  if (clear <= 0) return { ghi: 0, poa: 0, clearSkyGhi: 0, ambient, module: ambient, elevation: sun.elevation, day };
  const shade = cloudShade(seed, ms, day);
  const beam = clear * (1 - CLEAR_DIFFUSE_FRACTION) * (1 - shade);
  const edgeGlow = 0.8 * shade * (1 - shade) * clear * (1 - day.opacity / 2);
  const diffuse = clear * CLEAR_DIFFUSE_FRACTION * (1 - shade) + shade * clear * (1 - day.opacity) + edgeGlow;
  const ghi = beam + diffuse;
  const poa = planeOfArray(place, sun, beam, diffuse, ghi);
  const module = ambient + (poa * 25) / 800 + (hashRandom(seed, STREAM.moduleNoise, Math.floor(ms / 60_000)) - 0.5);
  return { ghi, poa, clearSkyGhi: clear, ambient, module, elevation: sun.elevation, day };
}
