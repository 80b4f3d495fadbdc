// Decoding a plant's telemetry message through its template (signal keys to
// base fields, scaled; lifetime counters kept apart for counters.ts), and
// counting the messages refused before storage.
import type { Queryable } from '@helio/db';
import { storedField } from '../monitoring/fields.js';
import { parseTimestamp } from '../monitoring/readings/parse.js';
import { type CounterSource } from './counters.js';
import type { Template } from './schema.js';

// ---------------------------------------------------------------- decoding

/** A telemetry message, decoded: what the writer stores. */
export interface DecodedTelemetry {
  /** The message's time, milliseconds since the epoch. */
  ts: number;
  /** The sub-device's nodeId, or null for the plant itself. */
  device: string | null;
  /** Base field → value (already scaled). */
  values: Record<string, number>;
  /** Base field → lifetime counter value (already scaled), turned into interval energy by the writer. */
  counters: Record<string, number>;
  /** Base field → what its counter value was decoded through (the counter's state restarts when it changes). */
  counterSources: Record<string, DecodedCounterSource>;
}

/** A counter's source as the decoder knows it (the plant's provisioning is added by the writer). */
export type DecodedCounterSource = Omit<CounterSource, 'provision'>;

export type DecodeResult = ({ ok: true } & DecodedTelemetry) | { ok: false; reason: string };

/** Keys one message may carry. */
export const MAX_TELEMETRY_VALUES = 500;

interface Decoder {
  key: string;
  field: string;
  scale: number;
  counter: boolean;
}

const decoders = new WeakMap<Template, Map<string, Decoder>>();

function decoderOf(template: Template): Map<string, Decoder> {
  let map = decoders.get(template);
  if (!map) {
    map = new Map();
    for (const s of template.signals) map.set(s.key, { key: s.key, field: s.field, scale: s.scale ?? 1, counter: s.counter === true });
    decoders.set(template, map);
  }
  return map;
}

const BASE: Decoder = { key: '', field: '', scale: 1, counter: false };

/**
 * Decodes the payload text of a telemetry envelope:
 * `{"ts": "<ISO-8601 with offset>", "values": {"<key>": number}, "device"?: "<nodeId>"}`.
 * A key is a signal of the template (its field × its scale; a counter signal
 * goes to `counters`) or a stored base field's name. The whole message is
 * refused (`ok: false`, with the reason) for an unknown key, a value that is
 * not a finite number, two keys naming one field, a bad timestamp (no
 * offset, more than a day ahead of `now`, before 1970), or a device or key
 * that could not be stored (`unstorableString`).
 */
export function decodeTelemetry(template: Template | null, payloadText: string, now: Date): DecodeResult {
  let message: unknown;
  try {
    message = JSON.parse(payloadText);
  } catch {
    return { ok: false, reason: 'malformed JSON' };
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    return { ok: false, reason: 'bad shape: expected {"ts", "values", "device"?}' };
  }
  const m = message as Record<string, unknown>;
  const extra = Object.keys(m).filter((k) => k !== 'ts' && k !== 'values' && k !== 'device');
  if (extra.length > 0) return { ok: false, reason: `bad shape: unknown members ${extra.join(', ')}` };
  if (typeof m['ts'] !== 'string') return { ok: false, reason: 'bad ts: a string is required (ISO-8601 with an offset)' };
  const parsed = parseTimestamp(m['ts'], now.getTime());
  if (!('ms' in parsed)) return { ok: false, reason: `bad ts: ${parsed.message}` };
  let device: string | null = null;
  if (m['device'] !== undefined && m['device'] !== null) {
    const d = m['device'];
    if (typeof d !== 'string' || d.trim().length === 0 || d.trim().length > 200) {
      return { ok: false, reason: 'bad device: a nodeId of 1 to 200 characters' };
    }
    const unstorable = unstorableString(d);
    if (unstorable !== null) return { ok: false, reason: `bad device: ${unstorable}` };
    device = d.trim();
  }
  const values = m['values'];
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    return { ok: false, reason: 'bad values: an object of numbers is required' };
  }
  const keys = Object.keys(values);
  if (keys.length > MAX_TELEMETRY_VALUES) return { ok: false, reason: `too many values: ${keys.length}, at most ${MAX_TELEMETRY_VALUES}` };
  for (const key of keys) {
    const unstorable = unstorableString(key);
    if (unstorable !== null) return { ok: false, reason: `bad values: key ${key} ${unstorable}` };
  }

  const signals = template ? decoderOf(template) : undefined;
  const out: Record<string, number> = {};
  const counters: Record<string, number> = {};
  const counterSources: Record<string, DecodedCounterSource> = {};
  const unknown: string[] = [];
  const bad: string[] = [];
  const fieldsSeen = new Map<string, string>();
  for (const key of keys) {
    let d = signals?.get(key);
    if (!d) {
      if (storedField(key) === undefined) {
        unknown.push(key);
        continue;
      }
      d = BASE;
    }
    const field = d === BASE ? key : d.field;
    const raw = (values as Record<string, unknown>)[key];
    if (typeof raw !== 'number' || !Number.isFinite(raw)) {
      bad.push(`${key} is not a finite number`);
      continue;
    }
    const v = raw * d.scale;
    if (!Number.isFinite(v)) {
      bad.push(`${key} × ${d.scale} is not finite`);
      continue;
    }
    const other = fieldsSeen.get(field);
    if (other !== undefined) {
      bad.push(`${key} and ${other} both give ${field}`);
      continue;
    }
    fieldsSeen.set(field, key);
    if (d.counter && template) {
      counters[field] = v;
      counterSources[field] = { template: template.id, version: template.version, signal: d.key, scale: d.scale };
    } else out[field] = v;
  }
  if (unknown.length > 0) {
    const known = template ? `the signals of template ${template.name} or stored base fields` : 'stored base fields (no template)';
    return { ok: false, reason: `unknown keys: ${unknown.join(', ')} (expected ${known})` };
  }
  if (bad.length > 0) return { ok: false, reason: `bad values: ${bad.join('; ')}` };
  return { ok: true, ts: parsed.ms, device, values: out, counters, counterSources };
}

// ---------------------------------------------------------------- strings a plant sends

// PostgreSQL (and PGlite) store no U+0000 in text and refuse `\u0000` and a
// lone surrogate escape (`\ud800`) in jsonb. A message carrying one would
// fail its write each time the plant resends it (and a failed write is taken
// for an unavailable database: no PUBACK), so every string taken from a
// plant's message is checked first and the message refused as a drop.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string from a plant cannot be stored (U+0000, a lone surrogate), or null when it can. */
export function unstorableString(s: string): string | null {
  if (s.includes('\u0000')) return 'must not contain the NUL character (U+0000)';
  if (LONE_SURROGATE.test(s)) return 'must not contain a lone UTF-16 surrogate';
  return null;
}

/** Nesting a plant's JSON value may have (jsonb input recurses; PostgreSQL runs out of stack at some thousands). */
export const MAX_PLANT_JSON_DEPTH = 32;

/**
 * The first place in a parsed JSON value from a plant (an object key or a
 * string) that cannot be stored, as `[<path> ]<why>`, or null when all can.
 * Iterative, so a deeply nested value is reported rather than overflowing.
 */
export function unstorableJson(value: unknown): string | null {
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: value, path: '', depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { v, path, depth } = item;
    const where = path === '' ? '' : `${path} `;
    if (typeof v === 'string') {
      const why = unstorableString(v);
      if (why !== null) return `${where}${why}`;
    } else if (typeof v === 'object' && v !== null) {
      if (depth >= MAX_PLANT_JSON_DEPTH) return `${where}is nested deeper than ${MAX_PLANT_JSON_DEPTH} levels`;
      const at = (k: string) => (path === '' ? k : `${path}.${k}`);
      if (Array.isArray(v)) {
        v.forEach((e, i) => stack.push({ v: e, path: at(String(i)), depth: depth + 1 }));
      } else {
        for (const [k, e] of Object.entries(v)) {
          const why = unstorableString(k);
          if (why !== null) return `${where}key ${k} ${why}`;
          stack.push({ v: e, path: at(k), depth: depth + 1 });
        }
      }
    }
  }
  return null;
}

/** `s` as text PostgreSQL stores: U+0000 written out as `\u0000`, a lone surrogate as U+FFFD. */
function storableText(s: string): string {
  return s.replaceAll('\u0000', '\\u0000').replace(new RegExp(LONE_SURROGATE.source, 'g'), '\uFFFD');
}

// ---------------------------------------------------------------- drops

/**
 * A message refused before storage (bad signature, bad JSON, bad shape):
 * counted on the plant, never stored. The reason may quote what the plant
 * sent (an unknown key), so a NUL in it is written out.
 */
export async function recordDrop(db: Queryable, plantId: string, reason: string, now: Date): Promise<void> {
  await db.query(
    `UPDATE plants SET dropped_message_count = dropped_message_count + 1, last_dropped_at = $2, last_drop_reason = $3 WHERE id = $1`,
    [plantId, now, storableText(reason).slice(0, 500)],
  );
}
