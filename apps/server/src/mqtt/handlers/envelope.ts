// Every message a plant publishes is a signed envelope; one that does not
// open with the plant's secret (or the previous one within its grace period)
// is dropped: counted on the plant, never stored, and acknowledged (a device
// must not resend it forever), MQTT 5 clients with the reason code.
import { plants } from '@helio/core';
import { REASON } from '../connection.js';
import type { GatewayContext } from '../context.js';
import type { PlantSession } from '../sessions.js';

export type Opened = { ok: true; text: string } | { ok: false; code: number };

export async function drop(cx: GatewayContext, plantId: string, reason: string, now: Date): Promise<void> {
  cx.log.debug({ plantId, reason }, 'mqtt: message dropped');
  await plants.recordDrop(cx.db, plantId, reason, now);
}

function open(cx: GatewayContext, secrets: plants.PlantSecrets, payload: Buffer, now: Date): plants.OpenEnvelopeResult {
  return plants.openEnvelope(payload, secrets, now, { maxBytes: cx.maxPayloadBytes });
}

/** The payload text of a signed message, or the drop recorded and the PUBACK reason code. */
export async function openSigned(
  cx: GatewayContext,
  plantId: string,
  secrets: plants.PlantSecrets,
  kind: string,
  payload: Buffer,
  now: Date,
  opened: plants.OpenEnvelopeResult = open(cx, secrets, payload, now),
): Promise<Opened> {
  if (opened.ok) return { ok: true, text: opened.payload };
  await drop(cx, plantId, `${kind}: ${opened.reason}`, now);
  const code =
    opened.reason === 'malformed'
      ? REASON.payloadFormatInvalid
      : opened.reason === 'too-large'
        ? REASON.packetTooLarge
        : REASON.notAuthorized;
  return { ok: false, code };
}

const sealedSecrets = (r: plants.PlantRow) =>
  `${r.hmac_secret_enc ?? ''}|${r.previous_hmac_secret_enc ?? ''}|${r.previous_hmac_until === null ? '' : new Date(r.previous_hmac_until).getTime()}`;

/**
 * As openSigned, for a connected plant. A signature that does not match the
 * secrets last read is checked once more against the plant's row as it is
 * now: a rotation is accepted at once, even before the re-check refreshes the
 * session (or when another server rotated it).
 */
export async function openSessionSigned(
  cx: GatewayContext,
  session: PlantSession,
  kind: string,
  payload: Buffer,
  now: Date,
): Promise<Opened> {
  let opened = open(cx, cx.sessions.secrets(session), payload, now);
  if (!opened.ok && (opened.reason === 'bad-signature' || opened.reason === 'no-secret')) {
    const tried = sealedSecrets(session.row);
    const fresh = await plants.plantRow(cx.db, session.plantId);
    // Against the secrets tried: the re-check may have refreshed the session meanwhile.
    if (fresh && sealedSecrets(fresh) !== tried) {
      session.row = fresh;
      opened = open(cx, cx.sessions.secrets(session), payload, now);
    }
  }
  return openSigned(cx, session.plantId, cx.sessions.secrets(session), kind, payload, now, opened);
}
