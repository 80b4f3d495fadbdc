// The alert rules on a schedule: every `alertsIntervalSeconds`, every site.
// Readings re-evaluate their own site as they arrive; the schedule catches
// what only the passing of time changes (a device that went silent, the sun
// rising over a site sending zeros). Safe on several servers at once: each
// site is evaluated under its advisory lock, and a server that finds a site
// locked skips it (core's evaluateScheduled).
import { alerts, systemPrincipal } from '@helio/core';
import { serviceContext, type AppServices } from '../services.js';

type ScheduledEvaluation = alerts.ScheduledEvaluation;

export interface JobLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** setTimeout and clearTimeout, replaceable in tests so that no test waits on a real timer. */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface AlertJob {
  /** Runs an evaluation now (between scheduled runs), waiting for one already under way first. */
  runNow(): Promise<ScheduledEvaluation | undefined>;
  /** Stops the schedule; resolves once a run under way has finished, so the database can close after it. */
  stop(): Promise<void>;
}

export interface AlertJobOptions {
  intervalSeconds: number;
  log: JobLog;
  timers?: Timers;
}

/** Starts the schedule; undefined when it is off (interval 0). Runs never overlap: the next is timed from the end of the last. */
export function startAlertJob(services: Pick<AppServices, 'db' | 'clock' | 'ids'>, options: AlertJobOptions): AlertJob | undefined {
  if (options.intervalSeconds <= 0) return undefined;
  const timers = options.timers ?? realTimers;
  const ctx = serviceContext(services as AppServices, systemPrincipal);
  let stopped = false;
  let handle: unknown;
  let running: Promise<ScheduledEvaluation | undefined> | undefined;

  const run = async (): Promise<ScheduledEvaluation | undefined> => {
    const started = Date.now();
    try {
      const result = await alerts.evaluateScheduled(ctx, services.clock.now());
      if (result.opened + result.changed + result.closed > 0) {
        options.log.info({ alerts: result, ms: Date.now() - started }, 'alert rules evaluated');
      }
      return result;
    } catch (err) {
      options.log.error({ err }, 'alert rules failed; they run again at the next interval');
      return undefined;
    }
  };

  const once = (): Promise<ScheduledEvaluation | undefined> => {
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
