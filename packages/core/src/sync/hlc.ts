// Hybrid logical clocks (Kulkarni et al.): wall-clock milliseconds, a counter
// for events within one millisecond, and the node id to break ties. Encoded
// so that comparing the strings compares the clocks:
//   0001795302400000-000a-<node id>
// (13 digits of milliseconds, 4 base-36 digits of counter, then the node).
// The database trigger stamps the same form (migration 0002-sync).
import type { Clock } from '../ids.js';

export interface Hlc {
  millis: number;
  counter: number;
  node: string;
}

const MAX_COUNTER = 36 ** 4 - 1;
const PATTERN = /^(\d{13})-([0-9a-z]{4})-([A-Za-z0-9_-]{1,64})$/;

export function formatHlc(h: Hlc): string {
  return `${String(h.millis).padStart(13, '0')}-${h.counter.toString(36).padStart(4, '0')}-${h.node}`;
}

export function parseHlc(text: string): Hlc | undefined {
  const m = PATTERN.exec(text);
  if (!m) return undefined;
  return { millis: Number(m[1]), counter: parseInt(m[2]!, 36), node: m[3]! };
}

export function isHlc(text: unknown): text is string {
  return typeof text === 'string' && PATTERN.test(text);
}

/** Negative, zero or positive, as `a` is before, equal to or after `b`. */
export function compareHlc(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * One node's clock. `now()` stamps a local event; `receive()` folds in a clock
 * seen from another node, so every later local stamp sorts after it.
 */
export class HybridClock {
  private last: Hlc;

  constructor(
    readonly node: string,
    private readonly wall: Clock,
  ) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(node)) throw new Error(`invalid HLC node id: ${node}`);
    this.last = { millis: 0, counter: 0, node };
  }

  now(): string {
    const wall = this.wall.now().getTime();
    this.last = wall > this.last.millis ? { millis: wall, counter: 0, node: this.node } : this.bump(this.last.millis, this.last.counter);
    return formatHlc(this.last);
  }

  receive(remote: string): void {
    const r = parseHlc(remote);
    if (!r) return;
    const wall = this.wall.now().getTime();
    const millis = Math.max(wall, this.last.millis, r.millis);
    const counter =
      millis === this.last.millis && millis === r.millis
        ? Math.max(this.last.counter, r.counter)
        : millis === this.last.millis
          ? this.last.counter
          : millis === r.millis
            ? r.counter
            : -1;
    this.last = counter < 0 ? { millis, counter: 0, node: this.node } : this.bump(millis, counter);
  }

  private bump(millis: number, counter: number): Hlc {
    return counter >= MAX_COUNTER ? { millis: millis + 1, counter: 0, node: this.node } : { millis, counter: counter + 1, node: this.node };
  }
}

/** Whether two clocks were stamped by the same node (the same client, or the server). */
export function sameNode(a: string, b: string): boolean {
  const na = parseHlc(a)?.node;
  return na !== undefined && na === parseHlc(b)?.node;
}

/** A client clock may run ahead of the server's by at most this much; beyond it the clock is clamped. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** Clamps a client's clock to the server's wall time plus the allowed skew. */
export function clampHlc(clock: string, serverNow: Date): string {
  const h = parseHlc(clock);
  if (!h) return clock;
  const limit = serverNow.getTime() + MAX_CLOCK_SKEW_MS;
  return h.millis > limit ? formatHlc({ millis: limit, counter: 0, node: h.node }) : clock;
}
