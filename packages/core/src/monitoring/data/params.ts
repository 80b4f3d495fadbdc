// The parameters of a data call, as a query string brings them (every value
// a string, `fields` comma-separated), checked into a request: short names,
// granularity, zone, the instants of start and end, and the model's options.
// Every refusal is VALIDATION_ERROR with the parameter as its path.
import { validationError } from '../../errors.js';
import { refuseNulCharacters } from '../../validation.js';
import { granularities, parseShortName, type Aggregation, type BaseField, type Granularity } from '../fields.js';
import { addCalendar, formatWall, parseWallClock, parseZone, wallToInstant } from './zones.js';

export interface FieldRequest {
  shortName: string;
  field: BaseField;
  aggregation: Aggregation;
}

export interface DataRequest {
  fields: FieldRequest[];
  gran: Granularity;
  tz: string;
  /** Instants; both 0 for `latest`. */
  start: number;
  end: number;
  inverterClipping: boolean;
}

export type DataScope = 'component' | 'site' | 'bulk';

/** The spec's period limits: the period must be shorter than this (bulk: at most a year). */
const LIMITS: Partial<Record<Granularity, { amount: { days?: number; years?: number }; text: string }>> = {
  '1min': { amount: { days: 5 }, text: 'shorter than 5 days' },
  '5min': { amount: { days: 31 }, text: 'shorter than 31 days' },
  '15min': { amount: { days: 31 }, text: 'shorter than 31 days' },
  hourly: { amount: { days: 31 }, text: 'shorter than 31 days' },
  daily: { amount: { years: 1 }, text: 'shorter than 1 year' },
};

function text(raw: Record<string, unknown>, name: string): string | undefined {
  const v = raw[name];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  if (typeof v !== 'string')
    throw validationError(`${name} must be given once, as text`, [{ path: name, message: 'must be a single value' }]);
  return v;
}

/** `fields` as a query string has it (`W_avg,Wh_sum`), or as a list; duplicates kept once, in order. */
function parseFieldList(value: unknown): FieldRequest[] {
  const items = (Array.isArray(value) ? value : [value]).flatMap((v) => (typeof v === 'string' ? v.split(',') : [v]));
  const names = items.map((v) => (typeof v === 'string' ? v.trim() : v));
  if (names.length === 0 || names.every((n) => n === '' || n === undefined)) {
    throw validationError('fields is required: a comma-separated list of short names such as W_avg,Wh_sum (see dataavailable)', [
      { path: 'fields', message: 'required' },
    ]);
  }
  const out: FieldRequest[] = [];
  for (const name of names) {
    if (typeof name !== 'string' || name === '') {
      throw validationError('fields must be a comma-separated list of short names, with no empty entry', [
        { path: 'fields', message: 'empty or non-text entry' },
      ]);
    }
    const parsed = parseShortName(name);
    if (!parsed) {
      throw validationError(
        `unknown field '${name}': a short name is a base field and an aggregation, such as W_avg or Wh_sum (see dataavailable)`,
        [{ path: 'fields', message: `unknown short name ${name}` }],
      );
    }
    if (!out.some((f) => f.shortName === name)) out.push({ shortName: name, ...parsed });
  }
  return out;
}

function parseGran(value: string | undefined, scope: DataScope): Granularity {
  if (value === undefined) {
    throw validationError(`gran is required: one of ${granularities.join(', ')}`, [{ path: 'gran', message: 'required' }]);
  }
  if (!(granularities as readonly string[]).includes(value)) {
    throw validationError(`gran '${value}' is not a granularity: use one of ${granularities.join(', ')}`, [
      { path: 'gran', message: 'unknown granularity' },
    ]);
  }
  if (scope === 'bulk' && value !== 'monthly') {
    throw validationError(`bulk site data is monthly only: gran must be monthly, not ${value}`, [
      { path: 'gran', message: 'must be monthly' },
    ]);
  }
  return value as Granularity;
}

function parseModelOptions(raw: Record<string, unknown>): boolean {
  const modelType = text(raw, 'modelType');
  if (modelType !== undefined && modelType !== 'simple') {
    throw validationError(`modelType '${modelType}' is not offered: the only model is simple (see fieldParameters in dataavailable)`, [
      { path: 'modelType', message: 'must be simple' },
    ]);
  }
  const source = text(raw, 'irradianceSource');
  if (source !== undefined && source !== 'weatherStation') {
    throw validationError(`irradianceSource '${source}' is not offered: the only source is weatherStation`, [
      { path: 'irradianceSource', message: 'must be weatherStation' },
    ]);
  }
  const clipping = text(raw, 'inverterClipping');
  if (clipping !== undefined && clipping !== 'true' && clipping !== 'false') {
    throw validationError(`inverterClipping must be true or false, not '${clipping}'`, [
      { path: 'inverterClipping', message: 'must be true or false' },
    ]);
  }
  // PVWatts clips at the inverter's rating by default; so does Helio when the caller does not say.
  return clipping !== 'false';
}

/**
 * Checks a data call's parameters. `entityZone` answers `latest` without a
 * `tz` (the component's site's zone, or the site's own).
 */
export function parseDataParams(input: unknown, scope: DataScope, entityZone: string): DataRequest {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw validationError('the data parameters must be an object (the query string)', []);
  }
  refuseNulCharacters(input);
  const raw = input as Record<string, unknown>;
  const gran = parseGran(text(raw, 'gran'), scope);
  const fields = parseFieldList(raw['fields']);
  const inverterClipping = parseModelOptions(raw);
  if (gran === 'latest') {
    const tz = text(raw, 'tz');
    return { fields, gran, tz: tz === undefined ? entityZone : parseZone(tz), start: 0, end: 0, inverterClipping };
  }
  const tz = parseZone(text(raw, 'tz'));
  const startWall = parseWallClock(text(raw, 'start'), 'start');
  const endWall = parseWallClock(text(raw, 'end'), 'end');
  const start = wallToInstant(tz, startWall);
  const end = wallToInstant(tz, endWall);
  if (end <= start) {
    throw validationError(`end (${text(raw, 'end')}) must be after start (${text(raw, 'start')})`, [
      { path: 'end', message: 'not after start' },
    ]);
  }
  if (scope === 'bulk') {
    const latest = addCalendar(startWall, { years: 1 });
    if (endWall > latest) {
      throw validationError(`bulk site data covers at most 1 year: end must be at most ${formatWall(latest)}`, [
        { path: 'end', message: 'period longer than 1 year' },
      ]);
    }
  } else {
    const limit = LIMITS[gran];
    if (limit && endWall >= addCalendar(startWall, limit.amount)) {
      throw validationError(
        `${gran} data is limited to periods ${limit.text}: end must be before ${formatWall(addCalendar(startWall, limit.amount))}`,
        [{ path: 'end', message: `${gran} period limit: ${limit.text}` }],
      );
    }
  }
  return { fields, gran, tz, start, end, inverterClipping };
}
