// What the simulated plants of bench/mqtt.ts send and check, as the plants
// contract defines it: the signed envelope `{"payload": "<JSON text>",
// "sig": "<hex HMAC-SHA256 of that text>"}` around telemetry, acks and
// commands. The readings are a pure function of (plant, message number), so
// the bare INSERT peer writes exactly the readings the plants sent.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The base fields each telemetry message carries, with their codes in the readings table. */
export const TELEMETRY_FIELDS = [
  { key: 'W', code: 1 },
  { key: 'Wh', code: 2 },
  { key: 'Hz', code: 4 },
  { key: 'PhV', code: 7 },
] as const;

export const telemetryTopic = (plantId: string) => `plants/${plantId}/telemetry`;
export const commandsTopic = (plantId: string) => `plants/${plantId}/commands`;
export const ackTopic = (plantId: string) => `plants/${plantId}/ack`;

/**
 * The values of message `seq` of plant number `plant`, in TELEMETRY_FIELDS
 * order: varied (so nothing can be deduplicated by value) and exact in
 * binary floating point (multiples of 1/16), so both sides store the same bits.
 */
export function telemetryValues(plant: number, seq: number): number[] {
  const wobble = (Math.imul(plant * 7919 + seq, 2654435761 | 0) >>> 0) % 1024;
  const w = 1000 + wobble * 4 + plant;
  return [w, w / 16, 49.75 + (wobble % 16) / 32, 230 + (wobble % 64) / 16];
}

export function sign(secret: string, text: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(text).digest('hex');
}

/** The MQTT payload: `text` in the signed envelope. */
export function envelope(secret: string, text: string): string {
  return JSON.stringify({ payload: text, sig: sign(secret, text) });
}

/** One telemetry message, in its envelope. */
export function telemetryMessage(secret: string, plant: number, seq: number, ts: number): string {
  const v = telemetryValues(plant, seq);
  const values: Record<string, number> = {};
  for (let i = 0; i < TELEMETRY_FIELDS.length; i++) values[TELEMETRY_FIELDS[i]!.key] = v[i]!;
  return envelope(secret, JSON.stringify({ ts: new Date(ts).toISOString(), values }));
}

/** The payload text of a signed envelope, or null when it is malformed or its signature is wrong. */
export function openEnvelope(secret: string, raw: Buffer | string): string | null {
  let outer: unknown;
  try {
    outer = JSON.parse(raw.toString());
  } catch {
    return null;
  }
  if (typeof outer !== 'object' || outer === null) return null;
  const { payload, sig } = outer as { payload?: unknown; sig?: unknown };
  if (typeof payload !== 'string' || typeof sig !== 'string' || !/^[0-9a-f]{64}$/.test(sig)) return null;
  const expected = Buffer.from(sign(secret, payload), 'hex');
  return timingSafeEqual(expected, Buffer.from(sig, 'hex')) ? payload : null;
}
