// How a simulated plant answers commands: the envelope checked against its
// HMAC secrets, the command parsed, a command seen before answered again as
// it was (the cmdId tells a redelivery), otherwise "acked" at once and then
// the final answer: the caller's handler's, or the built-in behaviour
// (commands.ts). Answers go out signed on the ack topic through `sendAck`.
import { builtInOutcome, parseCommand, type AckStatus, type CommandOutcome, type DeviceState, type IncomingCommand } from './commands.js';
import { openEnvelope } from './envelope.js';
import type { DeviceSimulatorOptions, SimulatorEvent, SimulatorStats } from './simulator-types.js';

/** Commands answered, remembered to answer a redelivery the same way. */
const ACK_MEMORY = 1000;

export interface CommandResponderDeps {
  /** The HMAC secrets a command may be signed with (the current one, and the previous one during a rotation's grace). */
  secrets: () => string[];
  onCommand: DeviceSimulatorOptions['onCommand'];
  deviceState: DeviceState;
  stats: SimulatorStats['commands'];
  emit: (event: SimulatorEvent) => void;
  /** Queues an ack message's JSON text for the ack topic. */
  sendAck: (text: string) => void;
}

/** The handler of the commands topic's messages. */
export function createCommandResponder(deps: CommandResponderDeps): (raw: Buffer) => Promise<void> {
  const { secrets, deviceState, stats, emit, sendAck } = deps;
  const answered = new Map<string, CommandOutcome>();

  async function onCommand(raw: Buffer): Promise<void> {
    stats.received += 1;
    const opened = openEnvelope(raw, secrets());
    if (!opened.ok) {
      stats.rejected += 1;
      return emit({ type: 'command-rejected', reason: `envelope ${opened.reason}` });
    }
    const parsed = parseCommand(opened.payload);
    if (!parsed.ok) {
      stats.rejected += 1;
      return emit({ type: 'command-rejected', reason: parsed.reason });
    }
    const command = parsed.command;
    const known = answered.get(command.cmdId);
    if (known) {
      stats.duplicates += 1;
      return answer(command, known, true);
    }
    let outcome: CommandOutcome;
    if (deps.onCommand) {
      // A handler may take its time: say at once that the command arrived.
      acknowledge(command, 'acked');
      try {
        outcome = (await deps.onCommand(command)) ?? builtInOutcome(command, deviceState);
      } catch (err) {
        outcome = { status: 'failed', response: { error: err instanceof Error ? err.message : String(err) } };
      }
    } else {
      outcome = builtInOutcome(command, deviceState);
      if (outcome.status !== 'declined') acknowledge(command, 'acked');
    }
    stats[outcome.status] += 1;
    answered.set(command.cmdId, outcome);
    if (answered.size > ACK_MEMORY) answered.delete(answered.keys().next().value!);
    answer(command, outcome, false);
  }

  function acknowledge(command: IncomingCommand, status: AckStatus, response?: Record<string, unknown>): void {
    sendAck(JSON.stringify({ cmdId: command.cmdId, status, ...(response ? { response } : {}) }));
    if (status === 'acked') emit({ type: 'command', cmdId: command.cmdId, command: command.command, status, duplicate: false });
  }

  function answer(command: IncomingCommand, outcome: CommandOutcome, duplicate: boolean): void {
    sendAck(JSON.stringify({ cmdId: command.cmdId, status: outcome.status, ...(outcome.response ? { response: outcome.response } : {}) }));
    emit({
      type: 'command',
      cmdId: command.cmdId,
      command: command.command,
      status: outcome.status,
      ...(outcome.response ? { response: outcome.response } : {}),
      duplicate,
    });
  }

  return onCommand;
}
