// Command expiry on a schedule: queued commands past their expiry become
// 'expired' (never silently dropped: the history shows it; a delivered
// command that gets no answer stays 'sent'). One UPDATE guarded by the state
// it leaves, so several servers may run it at once; each command expires once.
import { plants } from '@helio/core';
import type { AppServices } from '../services.js';
import { startSchedule, type JobLog, type Schedule, type Timers } from './schedule.js';

/** Expires what is due now (waiting for a run under way first), resolving to how many expired; or stops the schedule. */
export type CommandExpiryJob = Schedule<number>;

export interface CommandExpiryOptions {
  intervalSeconds: number;
  log: JobLog;
  timers?: Timers;
}

export function startCommandExpiryJob(services: Pick<AppServices, 'db' | 'clock'>, options: CommandExpiryOptions): CommandExpiryJob {
  return startSchedule(
    async (): Promise<number> => {
      try {
        const expired = await plants.expireCommands(services.db, services.clock.now());
        if (expired > 0) options.log.info({ expired }, 'commands expired');
        return expired;
      } catch (err) {
        options.log.error({ err }, 'command expiry failed; it runs again at the next interval');
        return 0;
      }
    },
    options.intervalSeconds,
    options.timers,
  );
}
