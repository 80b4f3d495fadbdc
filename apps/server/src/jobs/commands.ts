// Command expiry on a schedule: queued or sent commands past their expiry
// become 'expired' (never silently dropped: the history shows it). One
// UPDATE guarded by the states it leaves, so several servers may run it at
// once; each command expires once.
import { plants } from '@helio/core';
import type { AppServices } from '../services.js';
import type { JobLog, Timers } from './alerts.js';

const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface CommandExpiryJob {
  /** Expires what is due now (waiting for a run under way first); resolves to how many expired. */
  runNow(): Promise<number>;
  /** Stops the schedule; resolves once a run under way has finished. */
  stop(): Promise<void>;
}

export interface CommandExpiryOptions {
  intervalSeconds: number;
  log: JobLog;
  timers?: Timers;
}

export function startCommandExpiryJob(services: Pick<AppServices, 'db' | 'clock'>, options: CommandExpiryOptions): CommandExpiryJob {
  const timers = options.timers ?? realTimers;
  let stopped = false;
  let handle: unknown;
  let running: Promise<number> | undefined;

  const run = async (): Promise<number> => {
    try {
      const expired = await plants.expireCommands(services.db, services.clock.now());
      if (expired > 0) options.log.info({ expired }, 'commands expired');
      return expired;
    } catch (err) {
      options.log.error({ err }, 'command expiry failed; it runs again at the next interval');
      return 0;
    }
  };
  const once = (): Promise<number> => {
    running ??= run().finally(() => {
      running = undefined;
    });
    return running;
  };
  const schedule = () => {
    if (stopped) return;
    handle = timers.set(() => {
      void once().then(schedule);
    }, options.intervalSeconds * 1000);
  };
  schedule();

  return {
    runNow: async () => {
      await running;
      return once();
    },
    stop: async () => {
      stopped = true;
      timers.clear(handle);
      await running;
    },
  };
}
