// plants/{id}/telemetry: a signed `{"ts", "values", "device"?}` decoded
// through the plant's template and stored as readings of its component (or
// the named sub-device's). The promise resolves once the readings are
// committed (the writer groups the messages of many plants into one
// transaction), and only then does aedes send the PUBACK: an acknowledged
// reading survives a crash. A message that can never be stored (bad
// signature, bad JSON, unknown keys, a plant without a site) is dropped and
// acknowledged; a failed write rejects, so no PUBACK goes out and the plant
// sends it again.
import { plants } from '@helio/core';
import { REASON } from '../connection.js';
import type { GatewayContext } from '../context.js';
import type { PlantSession } from '../sessions.js';
import { drop, openSessionSigned } from './envelope.js';

export async function handleTelemetry(cx: GatewayContext, session: PlantSession, payload: Buffer, now: Date): Promise<number> {
  const opened = await openSessionSigned(cx, session, 'telemetry', payload, now);
  if (!opened.ok) return opened.code;
  const template = await plants.templateForDecoding(cx.db, session.row.template_id);
  const decoded = plants.decodeTelemetry(template, opened.text, now);
  if (!decoded.ok) {
    await drop(cx, session.plantId, `telemetry: ${decoded.reason}`, now);
    return REASON.payloadFormatInvalid;
  }
  try {
    await cx.writer.write(session.row, decoded);
  } catch (err) {
    if (!(err instanceof plants.TelemetryRejectedError)) throw err;
    await drop(cx, session.plantId, `telemetry: ${err.reason}`, now);
    return REASON.implementationSpecific;
  }
  return REASON.success;
}
