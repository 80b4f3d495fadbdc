import { describe, expect, it } from 'vitest';
import { BrokerLiveness } from './liveness.js';

describe('which servers sharing Redis are running', () => {
  const clockAt = (start: number) => {
    const clock = { t: start, now: () => clock.t };
    return clock;
  };

  it('takes no server for gone until it has heard itself for three heartbeats', () => {
    const clock = clockAt(0);
    const live = new BrokerLiveness('me', 1000, clock.now);
    live.heard('me');
    live.heard('other');
    for (clock.t = 1000; clock.t <= 2000; clock.t += 1000) live.heard('me');
    clock.t = 2500;
    // Never heard of, but this server has not listened long enough to tell.
    expect(live.gone('unknown')).toBe(false);
    clock.t = 3000;
    live.heard('me');
    expect(live.judging()).toBe(true);
    expect(live.gone('unknown')).toBe(true);
    // 'other' spoke 3 s before this server last heard itself: still running.
    clock.t = 3900;
    expect(live.gone('other')).toBe(false);
    // Silence counts against this server's own heartbeats: the next one makes 'other' gone.
    clock.t = 4000;
    live.heard('me');
    expect(live.gone('other')).toBe(true);
    expect(live.live()).toEqual(['me']);
  });

  it('stops judging when it no longer hears itself (Redis down, or this process stalled), and starts over once it does again', () => {
    const clock = clockAt(0);
    const live = new BrokerLiveness('me', 1000, clock.now);
    for (clock.t = 0; clock.t <= 3000; clock.t += 1000) live.heard('me');
    live.heard('other');
    expect(live.judging()).toBe(true);
    // Nothing comes through for a while: no verdicts.
    clock.t = 7000;
    expect(live.judging()).toBe(false);
    expect(live.gone('other')).toBe(false);
    // Back: three more heartbeats before judging again, so that the others are heard first.
    live.heard('me');
    clock.t = 8000;
    live.heard('me');
    live.heard('other');
    expect(live.gone('other')).toBe(false);
    expect(live.judging()).toBe(false);
    clock.t = 10_000;
    live.heard('me');
    expect(live.judging()).toBe(true);
    expect(live.live().sort()).toEqual(['me', 'other']);
  });
});
