// Commands sent to a plant, with honest states (plant_commands in 0009-plants.ts):
//
// | state    | meaning                                                            |
// | -------- | ------------------------------------------------------------------ |
// | queued   | recorded; not yet handed to the plant (it may be offline)          |
// | sent     | the plant's MQTT client acknowledged the publish (PUBACK, QoS 1)   |
// | acked    | the plant said it received it (`acked` on its ack topic)           |
// | done, failed, declined | the plant's final answer, with its response          |
// | expired  | not handed over to the plant before expires_at (it was queued)   |
//
// Nothing is marked sent before the plant's client acknowledged it, and a
// queued command is never dropped: it is delivered when the plant connects,
// or it expires and the history says so. Only queued commands expire: a
// command the plant received but has not answered stays `sent` (with its
// sentAt) however long it waits, because it was delivered and the plant may
// still act on it. A PUBACK always records sentAt, even for a command that
// expired while its publish was in flight: it is `sent` again then, which is
// the truth. A late answer to an expired command is still recorded: the
// plant's word is the truth about what it did.
//
// An Idempotency-Key names one command of a plant: the same key again with
// the same command, payload and target answers the command recorded then;
// with a different one it is refused (VALIDATION_ERROR).
//
// REST calls `sendCommand` / `listCommands`; the gateway (system) calls
// `pendingCommands`, `markSent`, `recordAck` and, on a schedule, `expireCommands`.
import { randomUUID } from 'node:crypto';
import type { Queryable } from '@helio/db';
import { z } from 'zod';
import type { ServiceContext } from '../context.js';
import { validationError } from '../errors.js';
import { parseInput } from '../validation.js';
import { notifyCommand } from './events.js';
import { actorOf } from './lifecycle.js';
import { pageMeta, pageQuery, type Page } from './schema.js';
import { loadPlantForAction } from './service.js';
import { unstorableJson, unstorableString } from './telemetry-decode.js';

export const commandStates = ['queued', 'sent', 'acked', 'done', 'failed', 'declined', 'expired'] as const;
export type CommandState = (typeof commandStates)[number];

/** What a plant may answer on its ack topic. */
export const ackStatuses = ['acked', 'done', 'failed', 'declined'] as const;
export type AckStatus = (typeof ackStatuses)[number];

const jsonObject = z.record(z.string(), z.unknown());

/** The body of `POST /plants/{id}/commands`. */
export const sendCommandInput = z.strictObject({
  command: z.string().trim().min(1).max(255).describe('Command name'),
  payload: jsonObject.optional().describe('Command payload (a JSON object)'),
  target: z
    .string()
    .regex(/^[A-Z0-9_-]{1,32}$/, 'must match ^[A-Z0-9_-]{1,32}$')
    .optional()
    .describe('Optional sub-device target (externalId)'),
});
export type SendCommandInput = z.input<typeof sendCommandInput>;

const isoInstant = z.iso.datetime({ offset: true });

/** A command as the Plants API answers it (the spec's fields, then Helio's). */
export const plantCommand = z.object({
  ackedAt: isoInstant.nullable(),
  cmdId: z.string(),
  command: z.string(),
  createdAt: isoInstant,
  id: z.uuid(),
  payload: jsonObject.nullable(),
  plantId: z.uuid(),
  response: z.unknown().nullable(),
  responseStatus: z.string().nullable(),
  sentAt: isoInstant.nullable(),
  // Helio additions.
  state: z.enum(commandStates),
  target: z.string().nullable(),
  completedAt: isoInstant.nullable(),
  expiresAt: isoInstant,
});
export type PlantCommand = z.infer<typeof plantCommand>;

export const listCommandsQuery = z.object({ ...pageQuery });

/** A command as published to the plant, inside the signed envelope on `plants/{id}/commands`. */
export interface OutgoingCommand {
  cmdId: string;
  command: string;
  payload: Record<string, unknown>;
  target?: string;
  issuedAt: string;
  expiresAt: string;
}

/** The plant's answer on `plants/{id}/ack`, inside the signed envelope. */
export const ackMessage = z.object({
  cmdId: z
    .string()
    .min(1)
    .max(100)
    .superRefine((s, c) => {
      const why = unstorableString(s);
      if (why !== null) c.addIssue({ code: 'custom', message: why });
    }),
  status: z.enum(ackStatuses),
  // Stored as jsonb: every key and string must be storable, and its nesting shallow.
  response: z
    .unknown()
    .optional()
    .superRefine((v, c) => {
      const why = unstorableJson(v);
      if (why !== null) c.addIssue({ code: 'custom', message: why });
    }),
});

interface CommandRow {
  id: string;
  plant_id: string;
  cmd_id: string;
  command: string;
  payload: Record<string, unknown> | null;
  target: string | null;
  state: CommandState;
  response: unknown;
  response_status: string | null;
  created_at: Date;
  sent_at: Date | null;
  acked_at: Date | null;
  completed_at: Date | null;
  expires_at: Date;
}

const COMMAND_COLUMNS =
  'id, plant_id, cmd_id, command, payload, target, state, response, response_status, created_at, sent_at, acked_at, completed_at, expires_at';

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

function toCommand(r: CommandRow): PlantCommand {
  return {
    ackedAt: iso(r.acked_at),
    cmdId: r.cmd_id,
    command: r.command,
    createdAt: r.created_at.toISOString(),
    id: r.id,
    payload: r.payload,
    plantId: r.plant_id,
    response: r.response ?? null,
    responseStatus: r.response_status,
    sentAt: iso(r.sent_at),
    state: r.state,
    target: r.target,
    completedAt: iso(r.completed_at),
    expiresAt: r.expires_at.toISOString(),
  };
}

/**
 * Records a command for a plant (technicians and above), queued until the
 * gateway hands it over, then tells the gateway. With an `idempotencyKey`
 * already used for this plant, answers the command recorded then
 * (`created: false`) and records nothing, provided the request is the same
 * (command, payload and target); a different one is refused
 * (VALIDATION_ERROR 'Idempotency-Key was used for a different command').
 * `ttlSeconds`: how long it may wait for delivery before it expires.
 */
export async function sendCommand(
  ctx: ServiceContext,
  plantId: string,
  input: unknown,
  opts: { idempotencyKey?: string; ttlSeconds: number },
): Promise<{ command: PlantCommand; created: boolean }> {
  const data = parseInput(sendCommandInput, input);
  const key = opts.idempotencyKey?.trim() || undefined;
  if (key !== undefined) {
    parseInput(z.string().max(255), key);
  }
  const result = await ctx.db.transaction(async (tx) => {
    // The plant's row lock serialises two sends with the same key.
    const plant = await loadPlantForAction(tx, ctx, plantId, 'write');
    if (key !== undefined) {
      const { rows } = await tx.query<CommandRow>(
        `SELECT ${COMMAND_COLUMNS} FROM plant_commands WHERE plant_id = $1 AND idempotency_key = $2`,
        [plant.id, key],
      );
      const held = rows[0];
      if (held) {
        if (!sameRequest(held, data)) {
          throw validationError('Idempotency-Key was used for a different command', [
            { path: 'Idempotency-Key', message: 'already used for a different command, payload or target' },
          ]);
        }
        return { command: toCommand(held), created: false };
      }
    }
    const now = ctx.clock.now();
    const actor = actorOf(ctx.principal);
    const { rows } = await tx.query<CommandRow>(
      `INSERT INTO plant_commands (id, plant_id, organisation_id, cmd_id, command, payload, target, state, idempotency_key,
         created_by, created_at, expires_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, $9, $10, $11, $10)
       RETURNING ${COMMAND_COLUMNS}`,
      [
        ctx.ids.uuid(),
        plant.id,
        plant.organisation_id,
        randomUUID(),
        data.command,
        JSON.stringify(data.payload ?? {}),
        data.target ?? null,
        key ?? null,
        actor.id === null ? actor.kind : `${actor.kind}:${actor.id}`,
        now,
        new Date(now.getTime() + opts.ttlSeconds * 1000),
      ],
    );
    return { command: toCommand(rows[0]!), created: true };
  });
  if (result.created) notifyCommand(result.command.plantId, result.command.cmdId);
  return result;
}

/** Whether a recorded command is what `data` asks for (a replay of the same request). */
function sameRequest(held: CommandRow, data: z.output<typeof sendCommandInput>): boolean {
  return (
    held.command === data.command &&
    held.target === (data.target ?? null) &&
    canonicalJson(held.payload ?? {}) === canonicalJson(data.payload ?? {})
  );
}

/** JSON text with object keys sorted (jsonb keeps its own key order). */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, (v as Record<string, unknown>)[k]]),
        )
      : v,
  );
}

/** A plant's commands, newest first (any member). */
export async function listCommands(ctx: ServiceContext, plantId: string, query: unknown = {}): Promise<Page<PlantCommand>> {
  const { page, limit } = parseInput(listCommandsQuery, query ?? {});
  const plant = await loadPlantForAction(ctx.db, ctx, plantId, 'read');
  const [{ rows }, { rows: total }] = await Promise.all([
    ctx.db.query<CommandRow>(
      `SELECT ${COMMAND_COLUMNS} FROM plant_commands WHERE plant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3`,
      [plant.id, limit, (page - 1) * limit],
    ),
    ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM plant_commands WHERE plant_id = $1', [plant.id]),
  ]);
  return { data: rows.map(toCommand), meta: pageMeta(page, limit, total[0]!.n) };
}

// ---------------------------------------------------------------- gateway side (system)

/** The plant's queued, unexpired commands, oldest first: what to publish when it connects or a command is sent. */
export async function pendingCommands(db: Queryable, plantId: string, now: Date = new Date()): Promise<OutgoingCommand[]> {
  const { rows } = await db.query<CommandRow>(
    `SELECT ${COMMAND_COLUMNS} FROM plant_commands
     WHERE plant_id = $1 AND state = 'queued' AND expires_at > $2
     ORDER BY created_at, id`,
    [plantId, now],
  );
  return rows.map(toOutgoing);
}

/** One command as published (or null when it is no longer queued: sent, answered or expired). */
export async function outgoingCommand(db: Queryable, cmdId: string, now: Date = new Date()): Promise<OutgoingCommand | null> {
  const { rows } = await db.query<CommandRow>(
    `SELECT ${COMMAND_COLUMNS} FROM plant_commands WHERE cmd_id = $1 AND state = 'queued' AND expires_at > $2`,
    [cmdId, now],
  );
  return rows[0] ? toOutgoing(rows[0]) : null;
}

function toOutgoing(r: CommandRow): OutgoingCommand {
  return {
    cmdId: r.cmd_id,
    command: r.command,
    payload: r.payload ?? {},
    ...(r.target === null ? {} : { target: r.target }),
    issuedAt: r.created_at.toISOString(),
    expiresAt: r.expires_at.toISOString(),
  };
}

/**
 * The plant's client acknowledged the publish of a command (PUBACK): records
 * sentAt when the command has none. A queued command becomes `sent`, and so
 * does one that expired while its publish was in flight (it was delivered
 * after all); one the plant answered already keeps its state. False when
 * sentAt was recorded already (a redelivery, or an answer came first).
 *
 * sentAt is never later than ackedAt, here or in recordAck: the plant's
 * answer can arrive (and be timed) before its PUBACK is handled, or be
 * written after a PUBACK timed later; either way the plant had the command
 * when it answered, so the earlier time is the honest one.
 */
export async function markSent(db: Queryable, cmdId: string, now: Date): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE plant_commands SET sent_at = LEAST($2, COALESCE(acked_at, $2)), updated_at = $2,
       state = CASE WHEN state IN ('queued', 'expired') THEN 'sent' ELSE state END
     WHERE cmd_id = $1 AND sent_at IS NULL`,
    [cmdId, now],
  );
  return rowCount > 0;
}

export type AckResult = { ok: true; state: CommandState; changed: boolean } | { ok: false; reason: string };

/**
 * A plant's answer `{cmdId, status, response?}` (the envelope's payload text).
 * `acked` records that it received the command; `done`, `failed` and
 * `declined` are its final answer (with its response). The same answer twice
 * (a QoS 1 redelivery) changes nothing; an answer after a different final
 * one, an unknown command or another plant's is refused (`ok: false`).
 */
export async function recordAck(db: Queryable, plantId: string, payloadText: string, now: Date): Promise<AckResult> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payloadText);
  } catch {
    return { ok: false, reason: 'malformed JSON' };
  }
  const ack = ackMessage.safeParse(parsed);
  if (!ack.success)
    return { ok: false, reason: `bad ack: ${ack.error.issues.map((i) => `${i.path.join('.') || '.'} ${i.message}`).join('; ')}` };
  const { cmdId, status } = ack.data;
  const response = ack.data.response === undefined ? null : JSON.stringify(ack.data.response);

  const { rows } = await db.query<{ state: CommandState }>('SELECT state FROM plant_commands WHERE cmd_id = $1 AND plant_id = $2', [
    cmdId,
    plantId,
  ]);
  const current = rows[0]?.state;
  if (current === undefined) return { ok: false, reason: `unknown command ${cmdId}` };

  if (status === 'acked') {
    // Received: recorded once; later states (an answer that overtook it) stay.
    const { rows: updated } = await db.query<{ state: CommandState }>(
      `UPDATE plant_commands SET state = CASE WHEN state IN ('queued', 'sent', 'expired') THEN 'acked' ELSE state END,
         acked_at = COALESCE(acked_at, $3), sent_at = LEAST(COALESCE(sent_at, $3), $3), updated_at = $3
       WHERE cmd_id = $1 AND plant_id = $2 AND acked_at IS NULL
       RETURNING state`,
      [cmdId, plantId, now],
    );
    return { ok: true, state: updated[0]?.state ?? current, changed: updated.length > 0 };
  }

  // A final answer: once. The same one again is a redelivery.
  const { rows: updated } = await db.query<{ state: CommandState }>(
    `UPDATE plant_commands SET state = $3, response = $4::jsonb, response_status = $3, completed_at = $5,
       acked_at = COALESCE(acked_at, $5), sent_at = LEAST(COALESCE(sent_at, $5), COALESCE(acked_at, $5)), updated_at = $5
     WHERE cmd_id = $1 AND plant_id = $2 AND state IN ('queued', 'sent', 'acked', 'expired')
     RETURNING state`,
    [cmdId, plantId, status, response, now],
  );
  if (updated[0]) return { ok: true, state: updated[0].state, changed: true };
  const { rows: again } = await db.query<{ state: CommandState }>('SELECT state FROM plant_commands WHERE cmd_id = $1 AND plant_id = $2', [
    cmdId,
    plantId,
  ]);
  const state = again[0]?.state ?? current;
  if (state === status) return { ok: true, state, changed: false };
  return { ok: false, reason: `command ${cmdId} already answered ${state}` };
}

/**
 * Queued commands past their expiry become `expired` (a delivered, `sent`
 * one stays `sent`); resolves to how many. Safe to run on several servers at once.
 */
export async function expireCommands(db: Queryable, now: Date): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE plant_commands SET state = 'expired', updated_at = $1 WHERE state = 'queued' AND expires_at <= $1`,
    [now],
  );
  return rowCount;
}
