// What makes a seed replay identically: one seeded random stream for
// everything the simulation would otherwise take from the machine (ids,
// choices made while running), and a clock that only moves when told.
import type { Clock, IdGenerator } from '../../src/ids.js';

/** A small seeded generator (mulberry32): fast, and the same numbers on every machine. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return n <= 1 ? 0 : this.next() % n;
  }

  /** A new, independent stream (for one client's ids, say). */
  fork(): Rng {
    return new Rng(this.next());
  }
}

/** Wall time that advances only when the simulation says so. */
export class SimClock implements Clock {
  constructor(private millis: number) {}

  now(): Date {
    return new Date(this.millis);
  }

  get ms(): number {
    return this.millis;
  }

  advance(ms: number): void {
    this.millis += Math.max(0, Math.floor(ms));
  }
}

/** A machine whose clock runs `skewMs` ahead of (or behind) the simulation's. */
export function skewedClock(clock: SimClock, skewMs: number): Clock {
  return { now: () => new Date(clock.ms + skewMs) };
}

/**
 * UUID v7 ids (time-ordered, as the real generator makes them) whose random
 * bits come from the seeded stream. A counter in the random bits keeps them
 * unique even when two streams happen to draw alike.
 */
export function seededIds(rng: Rng, clock: Clock): IdGenerator {
  let counter = 0;
  const hex = (n: number, digits: number) => (n >>> 0).toString(16).padStart(8, '0').slice(-digits);
  return {
    uuid() {
      const ms = clock.now().getTime();
      counter = (counter + 1) & 0xffff;
      const time = ms.toString(16).padStart(12, '0').slice(-12);
      const a = hex(0x7000 | (rng.next() & 0x0fff), 4);
      const b = hex(0x8000 | (rng.next() & 0x3fff), 4);
      const c = hex(counter, 4) + hex(rng.next(), 8);
      return `${time.slice(0, 8)}-${time.slice(8)}-${a}-${b}-${c}`;
    },
  };
}
