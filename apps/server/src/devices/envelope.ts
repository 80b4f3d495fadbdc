// The signed envelope, as a device sees it: every message a plant publishes
// (telemetry, status, ack) and every command it receives is
// `{"payload": "<JSON text>", "sig": "<hex HMAC-SHA256 of that text>"}`, keyed
// with the UTF-8 bytes of the secret string the provisioning package gives.
// Written here from the protocol description rather than taken from the
// gateway's code, so the simulator checks the gateway as an independent
// device would (docs/plants.md has a worked example).
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Lowercase hex HMAC-SHA256 of `text` under `secret`. */
export function hmacHex(secret: string, text: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(text, 'utf8').digest('hex');
}

/** The MQTT payload carrying `payloadText`, signed with `secret`. */
export function signEnvelope(secret: string, payloadText: string): string {
  return JSON.stringify({ payload: payloadText, sig: hmacHex(secret, payloadText) });
}

export type OpenedEnvelope = { ok: true; payload: string } | { ok: false; reason: 'malformed' | 'unsigned' | 'bad-signature' };

/**
 * The payload text of an envelope signed with one of `secrets` (the current
 * one, and the previous one during a rotation's grace period). The signature
 * is compared in constant time.
 */
export function openEnvelope(raw: Buffer | string, secrets: readonly string[]): OpenedEnvelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { ok: false, reason: 'malformed' };
  const { payload, sig } = parsed as { payload?: unknown; sig?: unknown };
  if (typeof payload !== 'string') return { ok: false, reason: 'malformed' };
  if (sig === undefined || sig === null || sig === '') return { ok: false, reason: 'unsigned' };
  if (typeof sig !== 'string' || !/^[0-9a-fA-F]{64}$/.test(sig)) return { ok: false, reason: 'bad-signature' };
  const given = Buffer.from(sig.toLowerCase(), 'hex');
  for (const secret of secrets) {
    if (timingSafeEqual(given, Buffer.from(hmacHex(secret, payload), 'hex'))) return { ok: true, payload };
  }
  return { ok: false, reason: 'bad-signature' };
}
