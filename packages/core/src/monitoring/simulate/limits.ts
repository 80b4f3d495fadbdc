// What a simulation may be asked for (service.ts checks it; the CLI's help quotes it).

/** Minutes between simulated readings. */
export const INTERVALS = [1, 5] as const;
export type IntervalMinutes = (typeof INTERVALS)[number];

/** Whole days of history a simulation writes at most. */
export const MAX_DAYS = 366;
