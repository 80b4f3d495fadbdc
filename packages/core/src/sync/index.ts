export * from './protocol.js';
export { push } from './push.js';
export { pull } from './pull.js';
export { HybridClock, clampHlc, compareHlc, formatHlc, parseHlc, isHlc, MAX_CLOCK_SKEW_MS } from './hlc.js';
export { SyncClient, SyncGapError, type SyncTransport, type LocalWrite, type SyncClientOptions } from './client.js';
export { ChangeFeed, type ChangeNotice } from './change-feed.js';
export type { OpenConflict, RejectedChange } from './client-review.js';
