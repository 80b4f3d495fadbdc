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
 * not a finite number, two keys naming one field, or a bad timestamp (no
 * offset, more than a day ahead of `now`, before 1970).
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
    device = d.trim();
  }
  const values = m['values'];
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    return { ok: false, reason: 'bad values: an object of numbers is required' };
  }
  const keys = Object.keys(values);
  if (keys.length > MAX_TELEMETRY_VALUES) return { ok: false, reason: `too many values: ${keys.length}, at most ${MAX_TELEMETRY_VALUES}` };

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

// ---------------------------------------------------------------- drops

/** A message refused before storage (bad signature, bad JSON, bad shape): counted on the plant, never stored. */
export async function recordDrop(db: Queryable, plantId: string, reason: string, now: Date): Promise<void> {
  await db.query(
    `UPDATE plants SET dropped_message_count = dropped_message_count + 1, last_dropped_at = $2, last_drop_reason = $3 WHERE id = $1`,
    [plantId, now, reason.slice(0, 500)],
  );
}
