import { describe, expect, it } from 'vitest';
import { ConnectTurns, FailureTracker, refusalCode, sourceKey, tokenTimes, willAllowed } from './authenticate.js';

const id = '0190f5d2-7c4e-7a41-9b7e-2f3c4d5e6f70';

describe('slowing down repeated failures', () => {
  it('lets two failures through at once, then doubles the wait for each one, up to ten seconds', () => {
    const tracker = new FailureTracker(250);
    const t = 1_000_000;
    const delays = Array.from({ length: 10 }, (_, i) => tracker.fail('203.0.113.7', t + i * 1000));
    expect(delays).toEqual([0, 0, 250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it('counts each source on its own, and forgets a source quiet for ten minutes', () => {
    const tracker = new FailureTracker(100);
    for (let i = 0; i < 4; i++) tracker.fail('a', i);
    expect(tracker.fail('b', 5)).toBe(0);
    expect(tracker.fail('a', 6)).toBe(400);
    expect(tracker.fail('a', 6 + 10 * 60_000)).toBe(0);
  });

  it('remembers a bounded number of sources, forgetting the one quiet longest, however many addresses fail', () => {
    const tracker = new FailureTracker(100, 3);
    for (let i = 0; i < 4; i++) tracker.fail('a', i);
    for (const [i, source] of ['b', 'c', 'd', 'e'].entries()) tracker.fail(source, 10 + i);
    expect(tracker.size).toBe(3);
    // 'a' was quiet longest: forgotten, so it starts again; 'e' is remembered.
    expect(tracker.fail('a', 20)).toBe(0);
    tracker.fail('e', 21);
    expect(tracker.fail('e', 22)).toBe(100);
    // Those quiet for the whole window go as soon as anything fails.
    tracker.fail('f', 22 + 10 * 60_000);
    expect(tracker.size).toBe(1);
  });

  it('never waits when the delay is turned off', () => {
    const tracker = new FailureTracker(0);
    for (let i = 0; i < 20; i++) expect(tracker.fail('a', i)).toBe(0);
  });
});

describe('turns for checking CONNECTs', () => {
  const settled = async <T>(p: Promise<T>) => {
    let done = false;
    void p.then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    return done;
  };
  const turn = async (p: Promise<(() => void) | null>) => {
    const end = await p;
    if (!end) throw new Error('no turn');
    return end;
  };

  it('checks a few CONNECTs of one address at once, lines up the next ones, and refuses beyond the line', async () => {
    const turns = new ConnectTurns(2, 2);
    const first = turns.take('203.0.113.7');
    const second = turns.take('203.0.113.7');
    const third = turns.take('203.0.113.7');
    const fourth = turns.take('203.0.113.7');
    expect(await turns.take('203.0.113.7')).toBeNull();
    expect(await settled(first)).toBe(true);
    expect(await settled(second)).toBe(true);
    expect(await settled(third)).toBe(false);
    // Another address is not held up by this one.
    expect(await settled(turns.take('198.51.100.1'))).toBe(true);

    const endFirst = await turn(first);
    endFirst();
    endFirst(); // ending twice hands on one turn only
    expect(await settled(third)).toBe(true);
    expect(await settled(fourth)).toBe(false);
    (await turn(second))();
    expect(await settled(fourth)).toBe(true);
    // Room in the line again.
    expect(await settled(turns.take('203.0.113.7'))).toBe(false);
  });

  it('gives up on a CONNECT that waited too long, and leaves the line to the next ones', async () => {
    const turns = new ConnectTurns(1, 5);
    const running = await turn(turns.take('a'));
    const tooLong = turns.take('a', 30);
    const patient = turns.take('a');
    expect(await tooLong).toBeNull();
    expect(await settled(patient)).toBe(false);
    running();
    (await turn(patient))();
    expect(turns.size).toBe(0);
  });

  it('forgets an address once its last CONNECT was checked', async () => {
    const turns = new ConnectTurns(1, 5);
    const ends = await Promise.all([turn(turns.take('a')), turn(turns.take('b'))]);
    const waiting = turns.take('a');
    expect(turns.size).toBe(2);
    ends[0]();
    (await turn(waiting))();
    ends[1]();
    expect(turns.size).toBe(0);
  });

  it('counts IPv4 addresses one by one and IPv6 addresses by their /64 network', () => {
    expect(sourceKey('203.0.113.7')).toBe('203.0.113.7');
    expect(sourceKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(sourceKey('2001:db8:aa:bb:1:2:3:4')).toBe('2001:db8:aa:bb::/64');
    expect(sourceKey('2001:DB8:AA:BB:ffff::9')).toBe('2001:db8:aa:bb::/64');
    expect(sourceKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(sourceKey('2001:0db8:0000:0000::2')).toBe('2001:db8:0:0::/64');
    expect(sourceKey('::1')).toBe('0:0:0:0::/64');
  });
});

describe('refusals', () => {
  it('say "identifier rejected" for an id that is no plant id, "not authorised" for a plant that may not connect, else "bad user name or password"', () => {
    expect(refusalCode('client-id-not-a-plant-id')).toBe(2);
    expect(refusalCode('plant-suspended')).toBe(5);
    expect(refusalCode('will-not-allowed')).toBe(5);
    for (const reason of ['unknown-plant', 'wrong-password', 'token-expired', 'certificate-untrusted', 'username-not-client-id']) {
      expect(refusalCode(reason), reason).toBe(4);
    }
  });

  it('allow a will only on the plant’s own status topic, QoS 0 or 1, not retained', () => {
    const will = (topic: string, qos: 0 | 1 | 2 = 1, retain = false) => ({ topic, payload: Buffer.from('x'), qos, retain });
    expect(willAllowed(id, undefined)).toBe(true);
    expect(willAllowed(id, will(`plants/${id}/status`))).toBe(true);
    expect(willAllowed(id, will(`plants/${id}/telemetry`))).toBe(false);
    expect(willAllowed(id, will(`plants/00000000-0000-0000-0000-000000000000/status`))).toBe(false);
    expect(willAllowed(id, will(`plants/${id}/status`, 2))).toBe(false);
    expect(willAllowed(id, will(`plants/${id}/status`, 1, true))).toBe(false);
  });
});

describe('token times', () => {
  it('reads iat and exp (fractional seconds kept) and gives nulls for what is no JWT', () => {
    const claims = Buffer.from(JSON.stringify({ iat: 1_700_000_000.5, exp: 1_700_003_600 })).toString('base64url');
    expect(tokenTimes(Buffer.from(`e30.${claims}.sig`))).toEqual({
      issuedAt: new Date(1_700_000_000_500),
      expiresAt: new Date(1_700_003_600_000),
    });
    expect(tokenTimes(Buffer.from('password'))).toEqual({ issuedAt: null, expiresAt: null });
    expect(tokenTimes(undefined)).toEqual({ issuedAt: null, expiresAt: null });
  });
});
