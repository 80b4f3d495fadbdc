// Commands as the simulated plant understands them: the text inside a signed
// command envelope, and what the plant answers. It knows a few commands of
// its own (ping, reboot, set-power-limit, read-now) and the actions of its template;
// anything else it declines.
import { z } from 'zod';

export const incomingCommand = z.looseObject({
  cmdId: z.string().min(1).max(200),
  command: z.string().min(1).max(255),
  payload: z.unknown().optional(),
  target: z.string().nullish(),
  issuedAt: z.string().optional(),
  expiresAt: z.string().nullish(),
});
export type IncomingCommand = z.infer<typeof incomingCommand>;

export type AckStatus = 'acked' | 'done' | 'failed' | 'declined';

/** The plant's final answer to a command. */
export interface CommandOutcome {
  status: 'done' | 'failed' | 'declined';
  response?: Record<string, unknown>;
}

/**
 * Answers a command in place of the built-in ones; undefined hands it to
 * them. The bench and tests use it to time or script answers.
 */
export type CommandHandler = (command: IncomingCommand) => CommandOutcome | Promise<CommandOutcome | undefined> | undefined;

/** The command inside a verified envelope, or why it is not one. */
export function parseCommand(payloadText: string): { ok: true; command: IncomingCommand } | { ok: false; reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(payloadText);
  } catch {
    return { ok: false, reason: 'the command is not JSON' };
  }
  const parsed = incomingCommand.safeParse(value);
  if (!parsed.success)
    return { ok: false, reason: `not a command: ${parsed.error.issues.map((i) => i.path.join('.') || i.message).join(', ')}` };
  return { ok: true, command: parsed.data };
}

/** `setPowerLimit`, `SET_POWER_LIMIT` and `set-power-limit` name the same command. */
export function commandName(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/[_\s]+/g, '-')
    .toLowerCase();
}

export interface DeviceState {
  setPowerLimit(watts: number | null): void;
  readonly powerLimit: number | null;
  /** Rated AC output, in W. */
  readonly peakW: number;
  /** Sends a telemetry message at once (the grid meter template's read_now). */
  readNow(): void;
  now(): Date;
  /** The template's action names: commands the plant knows besides its own. */
  actions: ReadonlySet<string>;
}

const limitPayload = z.union([
  z.object({ watts: z.number().min(0).nullable() }),
  z.object({ limitW: z.number().min(0).nullable() }),
  // The PV inverter template's set_power_limit: a share of the rated output.
  z.object({ percent: z.number().min(0).max(100).nullable() }),
]);

/** What the simulated plant itself does with a command. */
export function builtInOutcome(command: IncomingCommand, device: DeviceState): CommandOutcome {
  if (command.expiresAt) {
    const expires = Date.parse(command.expiresAt);
    if (Number.isFinite(expires) && expires < device.now().getTime()) {
      return { status: 'declined', response: { reason: 'expired', expiresAt: command.expiresAt } };
    }
  }
  const target = command.target ? { target: command.target } : {};
  switch (commandName(command.command)) {
    case 'ping':
      return { status: 'done', response: { pong: true, at: device.now().toISOString(), ...target } };
    case 'reboot':
    case 'restart':
      return { status: 'done', response: { restartedAt: device.now().toISOString(), ...target } };
    case 'set-power-limit': {
      const parsed = limitPayload.safeParse(command.payload);
      if (!parsed.success) {
        return {
          status: 'failed',
          response: { error: 'payload must be {"watts": <number ≥ 0>} or {"percent": <0-100>}, null lifting the limit' },
        };
      }
      const p = parsed.data;
      const watts = 'watts' in p ? p.watts : 'limitW' in p ? p.limitW : p.percent === null ? null : (device.peakW * p.percent) / 100;
      device.setPowerLimit(watts);
      return { status: 'done', response: { powerLimitW: watts, ...target } };
    }
    case 'read-now':
      device.readNow();
      return { status: 'done', response: { sentAt: device.now().toISOString(), ...target } };
    default:
      if (device.actions.has(commandName(command.command))) {
        return { status: 'done', response: { simulated: true, ...target } };
      }
      return { status: 'declined', response: { reason: `unknown command "${command.command}"` } };
  }
}
