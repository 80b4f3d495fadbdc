// The alert rules on a schedule: every `alertsIntervalSeconds`, every site.
// Readings re-evaluate their own site as they arrive; the schedule catches
// what only the passing of time changes (a device that went silent, the sun
// rising over a site sending zeros). Safe on several servers at once: each
// site is evaluated under its advisory lock, and a server that finds a site
// locked skips it (core's evaluateScheduled).
import { alerts, systemPrincipal } from '@helio/core';
import { serviceContext, type AppServices } from '../services.js';
import { startSchedule, type JobLog, type Schedule, type Timers } from './schedule.js';

type ScheduledEvaluation = alerts.ScheduledEvaluation;

/** Runs an evaluation now (between scheduled runs), or stops the schedule once a run under way has finished. */
export type AlertJob = Schedule<ScheduledEvaluation | undefined>;

export interface AlertJobOptions {
  intervalSeconds: number;
  log: JobLog;
  timers?: Timers;
}

/** Starts the schedule; undefined when it is off (interval 0). Runs never overlap: the next is timed from the end of the last. */
export function startAlertJob(services: Pick<AppServices, 'db' | 'clock' | 'ids'>, options: AlertJobOptions): AlertJob | undefined {
  if (options.intervalSeconds <= 0) return undefined;
  const ctx = serviceContext(services as AppServices, systemPrincipal);
  return startSchedule(
    async (): Promise<ScheduledEvaluation | undefined> => {
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
    },
    options.intervalSeconds,
    options.timers,
  );
}
