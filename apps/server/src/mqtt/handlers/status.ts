// plants/{id}/status: a signed `{"status", "faults"?, "ts"?}`: the plant's
// connection state and its faults (Device Fault alerts), through core's
// recordStatus. Also the plant's will message, published by the broker when
// the connection is lost.
import { plants, systemPrincipal } from '@helio/core';
import { REASON } from '../connection.js';
import type { GatewayContext } from '../context.js';
import { drop, openSigned } from './envelope.js';

/** Handles a status message: the PUBACK's reason code, and the status it reported when it was recorded. */
export async function handleStatus(
  cx: GatewayContext,
  row: plants.PlantRow,
  secrets: plants.PlantSecrets,
  payload: Buffer,
  now: Date,
  through: plants.PlantConnection,
): Promise<{ code: number; status?: string }> {
  const opened = await openSigned(cx, row.id, secrets, 'status', payload, now);
  if (!opened.ok) return { code: opened.code };
  const ctx = { db: cx.db, clock: cx.clock, ids: cx.ids, principal: systemPrincipal };
  const result = await plants.recordStatus(ctx, row, opened.text, now, { through });
  if (!result.ok) {
    await drop(cx, row.id, `status: ${result.reason}`, now);
    return { code: result.reason === 'no-site' ? REASON.implementationSpecific : REASON.payloadFormatInvalid };
  }
  return { code: REASON.success, status: result.status };
}
