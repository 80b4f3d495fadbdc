// Rollups on a schedule: readings the MQTT gateway stored with a mark
// instead of their rollups (core's readings/settle.ts) are summed into them.
// Every read of rollups settles its own components first, so this only keeps
// marks from piling up for components nobody reads. Safe on several servers
// at once: each takes marks the others are not settling.
import { readings } from '@helio/core';
import type { AppServices } from '../services.js';
import { startSchedule, type JobLog, type Schedule, type Timers } from './schedule.js';

/** Settles what is marked now (waiting for a run under way first), resolving to how many marks; or stops the schedule. */
export type RollupJob = Schedule<number>;

export interface RollupJobOptions {
  intervalSeconds: number;
  log: JobLog;
  timers?: Timers;
}

export function startRollupJob(services: Pick<AppServices, 'db'>, options: RollupJobOptions): RollupJob {
  return startSchedule(
    async (): Promise<number> => {
      try {
        return await readings.settleAllRollups(services.db);
      } catch (err) {
        options.log.error({ err }, 'settling rollups failed; it runs again at the next interval');
        return 0;
      }
    },
    options.intervalSeconds,
    options.timers,
  );
}
