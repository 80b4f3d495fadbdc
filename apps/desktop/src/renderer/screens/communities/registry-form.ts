// What the registry's edit forms share, without React: fields kept as typed
// text, the checks made before anything is sent (a required field left
// empty, a number that cannot be read), the values sent (only the fields the
// person changed), and core's refusals put back at the field they concern.
// Core checks every save again (keys, codes, uniqueness, the asset type's own
// fields), also offline: the device's own copy of the services answers.
import type { ShownError } from '../../client.js';
import { parseLocaleNumber } from '../../numbers.js';

export type FieldKind = 'text' | 'number' | 'integer' | 'boolean' | 'choice';

export interface FieldSpec {
  /** The field's name in core's input; asset properties are `properties.<name>`. */
  name: string;
  label: string;
  kind: FieldKind;
  required?: boolean;
  /** For `choice`: value → words, in the order shown. An optional choice also offers "None". */
  options?: Record<string, string>;
  /** Shown under the label: what the field is for. */
  hint?: string;
}

export type FormValues = Record<string, string>;
export type FieldErrors = Record<string, string>;

export const PROPERTY_PREFIX = 'properties.';

/** A stored value as the form shows it: numbers in the person's locale, booleans and "not set" as the choices name them. */
export function toFormValue(spec: FieldSpec, value: unknown, locale: string): string {
  if (value === null || value === undefined) return '';
  if (spec.kind === 'boolean') return value === true ? 'true' : value === false ? 'false' : '';
  if ((spec.kind === 'number' || spec.kind === 'integer') && typeof value === 'number') {
    return new Intl.NumberFormat(locale, { useGrouping: false, maximumFractionDigits: 20 }).format(value);
  }
  return String(value);
}

type Read = { ok: true; value: unknown } | { ok: false; problem: string };

/** A typed value as core takes it: text trimmed, empty optional fields cleared (null), numbers read in the person's locale. */
export function readValue(spec: FieldSpec, typed: string, locale: string): Read {
  const text = typed.trim();
  if (text === '') return spec.required ? { ok: false, problem: `${spec.label} is required.` } : { ok: true, value: null };
  if (spec.kind === 'boolean') return { ok: true, value: text === 'true' };
  if (spec.kind === 'number' || spec.kind === 'integer') {
    const parsed = parseLocaleNumber(text, locale);
    const example = new Intl.NumberFormat(locale).format(spec.kind === 'integer' ? 4 : 4.5);
    if (!parsed.ok || parsed.value === null) return { ok: false, problem: `Enter a number, such as ${example}.` };
    if (spec.kind === 'integer' && !Number.isInteger(parsed.value)) return { ok: false, problem: 'Enter a whole number.' };
    return { ok: true, value: parsed.value };
  }
  return { ok: true, value: text };
}

/** Reads the given fields; every problem is reported at once, nothing is sent while one remains. */
export function readFields(
  specs: readonly FieldSpec[],
  form: FormValues,
  names: readonly string[],
  locale: string,
): { values: Record<string, unknown>; errors: FieldErrors } {
  const values: Record<string, unknown> = {};
  const errors: FieldErrors = {};
  for (const name of names) {
    const spec = specs.find((s) => s.name === name);
    if (!spec) continue;
    const read = readValue(spec, form[name] ?? '', locale);
    if (read.ok) values[name] = read.value;
    else errors[name] = read.problem;
  }
  return { values, errors };
}

/**
 * Puts the values of asset properties (`properties.<name>`) into one
 * `properties` object over the stored one: a cleared property is left out
 * (core stores the type's fields without nulls).
 */
export function withProperties(values: Record<string, unknown>, stored: Record<string, unknown> | undefined): Record<string, unknown> {
  const plain: Record<string, unknown> = {};
  const properties: Record<string, unknown> = { ...(stored ?? {}) };
  let touched = stored === undefined;
  for (const [name, value] of Object.entries(values)) {
    if (!name.startsWith(PROPERTY_PREFIX)) {
      plain[name] = value;
      continue;
    }
    touched = true;
    const property = name.slice(PROPERTY_PREFIX.length);
    if (value === null) delete properties[property];
    else properties[property] = value;
  }
  return touched ? { ...plain, properties } : plain;
}

/**
 * The field a refusal names: core's path (`patch.name`, `key`,
 * `properties.rated_power`, `assets.meter.m-1.sensor_id`) ends with the
 * field, or with a property of the asset.
 */
export function fieldOfPath(path: string | undefined, names: readonly string[]): string | undefined {
  if (!path) return undefined;
  const parts = path.split('.').filter((p) => !/^\d+$/.test(p));
  for (let i = parts.length - 1; i >= 0; i -= 1) {
    const part = parts[i]!;
    if (i > 0 && parts[i - 1] === 'properties' && names.includes(`${PROPERTY_PREFIX}${part}`)) return `${PROPERTY_PREFIX}${part}`;
    if (names.includes(part)) return part;
  }
  return undefined;
}

/** Core's words as a sentence: "member key m-1 is already used" → "Member key m-1 is already used." */
export function sentence(text: string): string {
  const trimmed = text.trim();
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** Core's refusal at the fields it names; what names no field is said above the buttons. */
export function placeRefusal(shown: ShownError, specs: readonly FieldSpec[]): { fields: FieldErrors; general: string | undefined } {
  const names = specs.map((s) => s.name);
  const fields: FieldErrors = {};
  const unplaced: string[] = [];
  for (const detail of shown.details) {
    const field = fieldOfPath(detail.path, names);
    const message = sentence(detail.message);
    if (field) fields[field] = fields[field] ? `${fields[field]} ${message}` : message;
    else unplaced.push(detail.path ? `${detail.path}: ${detail.message}` : detail.message);
  }
  if (Object.keys(fields).length > 0 && unplaced.length === 0) return { fields, general: undefined };
  return { fields, general: unplaced.length > 0 ? `${shown.message} (${unplaced.join('; ')})` : shown.message };
}
