// The signed envelope of every message a plant publishes (and of the commands
// Helio sends it): the MQTT payload is
//   {"payload": "<JSON text>", "sig": "<hex HMAC-SHA256 of that exact text>"}
// keyed with the UTF-8 bytes of the plant's HMAC secret as the provisioning
// package gives it (64 hex characters). After a rotation the previous secret
// is accepted until `previous_hmac_until`, then only the new one.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { PlantEnvironment } from '../environment.js';
import type { PlantRow } from '../rows.js';
import { open } from './secret-box.js';

/** How long the previous secret stays accepted after `rotate-secret`. */
export const GRACE_PERIOD_MINUTES = 60;
/** The gateway's default limit on an MQTT payload. */
export const DEFAULT_MAX_ENVELOPE_BYTES = 65_536;

export interface PlantSecrets {
  current: string | null;
  previous: string | null;
  previousUntil: Date | null;
}

export type OpenEnvelopeResult =
  | { ok: true; payload: string; /** Which secret signed it. */ secret: 'current' | 'previous' }
  | { ok: false; reason: 'too-large' | 'malformed' | 'unsigned' | 'bad-signature' | 'no-secret' };

/** 32 random bytes as 64 lowercase hex characters. */
export function newHmacSecret(): string {
  return randomBytes(32).toString('hex');
}

export function hmacHex(secret: string, text: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(text, 'utf8').digest('hex');
}

/** The whole MQTT payload (JSON text) carrying `payloadText` signed with `secret`. */
export function signEnvelope(secret: string, payloadText: string): string {
  return JSON.stringify({ payload: payloadText, sig: hmacHex(secret, payloadText) });
}

const SIG = /^[0-9a-fA-F]{64}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function matches(secret: string, payload: string, sig: Buffer): boolean {
  const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(payload, 'utf8').digest();
  return timingSafeEqual(expected, sig);
}

/**
 * Opens a signed envelope: the payload text when its signature is the
 * plant's current secret's, or the previous secret's before `previousUntil`.
 */
export function openEnvelope(raw: Buffer, secrets: PlantSecrets, now: Date, opts: { maxBytes?: number } = {}): OpenEnvelopeResult {
  if (raw.length > (opts.maxBytes ?? DEFAULT_MAX_ENVELOPE_BYTES)) return { ok: false, reason: 'too-large' };
  let envelope: unknown;
  try {
    envelope = JSON.parse(utf8.decode(raw));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope)) return { ok: false, reason: 'malformed' };
  const { payload, sig } = envelope as { payload?: unknown; sig?: unknown };
  if (typeof payload !== 'string') return { ok: false, reason: 'malformed' };
  if (sig === undefined || sig === null || sig === '') return { ok: false, reason: 'unsigned' };
  if (typeof sig !== 'string' || !SIG.test(sig)) return { ok: false, reason: 'bad-signature' };
  if (secrets.current === null && secrets.previous === null) return { ok: false, reason: 'no-secret' };
  const given = Buffer.from(sig, 'hex');
  if (secrets.current !== null && matches(secrets.current, payload, given)) return { ok: true, payload, secret: 'current' };
  const graceOpen = secrets.previousUntil !== null && now.getTime() < secrets.previousUntil.getTime();
  if (secrets.previous !== null && graceOpen && matches(secrets.previous, payload, given)) {
    return { ok: true, payload, secret: 'previous' };
  }
  return { ok: false, reason: 'bad-signature' };
}

/** A plant's HMAC secrets, opened from their sealed columns (the previous one only while its grace lasts). */
export function plantSecrets(
  env: Pick<PlantEnvironment, 'sealKey'>,
  row: Pick<PlantRow, 'hmac_secret_enc' | 'previous_hmac_secret_enc' | 'previous_hmac_until'>,
): PlantSecrets {
  const until = row.previous_hmac_until === null ? null : new Date(row.previous_hmac_until);
  return {
    current: row.hmac_secret_enc === null ? null : open(env.sealKey, row.hmac_secret_enc),
    previous: row.previous_hmac_secret_enc === null ? null : open(env.sealKey, row.previous_hmac_secret_enc),
    previousUntil: until,
  };
}
