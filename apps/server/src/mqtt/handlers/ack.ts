// plants/{id}/ack: the plant's signed answer to a command,
// `{"cmdId", "status": "acked"|"done"|"failed"|"declined", "response"?}`,
// recorded by core's recordAck. An answer for an unknown command, another
// plant's, or contradicting the final answer already recorded is dropped.
import { plants } from '@helio/core';
import { REASON } from '../connection.js';
import type { GatewayContext } from '../context.js';
import type { PlantSession } from '../sessions.js';
import { drop, openSessionSigned } from './envelope.js';

export async function handleAck(cx: GatewayContext, session: PlantSession, payload: Buffer, now: Date): Promise<number> {
  const opened = await openSessionSigned(cx, session, 'ack', payload, now);
  if (!opened.ok) return opened.code;
  const result = await plants.recordAck(cx.db, session.plantId, opened.text, now);
  if (!result.ok) {
    await drop(cx, session.plantId, `ack: ${result.reason}`, now);
    return REASON.implementationSpecific;
  }
  return REASON.success;
}
