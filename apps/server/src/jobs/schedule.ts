// The loop every scheduled job shares: a run every `intervalSeconds`, timed
// from the end of the last (runs never overlap), a run on demand that waits
// for one under way first, and a stop that lets a run under way finish so
// the database can close after it.

export interface JobLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** setTimeout and clearTimeout, replaceable in tests so that no test waits on a real timer. */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface Schedule<T> {
  /** Runs now (between scheduled runs), waiting for a run already under way first. */
  runNow(): Promise<T>;
  /** Stops the schedule; resolves once a run under way has finished. */
  stop(): Promise<void>;
}

/** Starts `run` every `intervalSeconds`; `run` handles its own errors (a job logs and waits for the next interval). */
export function startSchedule<T>(run: () => Promise<T>, intervalSeconds: number, timers: Timers = realTimers): Schedule<T> {
  let stopped = false;
  let handle: unknown;
  let running: Promise<T> | undefined;

  const once = (): Promise<T> => {
    running ??= run().finally(() => {
      running = undefined;
    });
    return running;
  };
  const schedule = () => {
    if (stopped) return;
    handle = timers.set(() => {
      void once().then(schedule);
    }, intervalSeconds * 1000);
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
