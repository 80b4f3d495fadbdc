import { describe, expect, it } from 'vitest';
import { builtInOutcome, commandName, parseCommand } from './commands.js';
import { createTelemetryGenerator } from './values.js';

describe('simulated measurements', () => {
  const at = (s: number) => new Date(Date.UTC(2026, 5, 1, 12, 0, s));

  it('sends W and Wh by default, the energy being that of the interval', () => {
    const g = createTelemetryGenerator({ peakW: 6000, seed: 3 });
    const v = g.next(at(0), 60);
    expect(Object.keys(v).sort()).toEqual(['W', 'Wh']);
    expect(v.W).toBeGreaterThan(0);
    expect(v.W).toBeLessThanOrEqual(6000);
    expect(v.Wh).toBeCloseTo(v.W! / 60, 2);
  });

  it('gives the same values for the same seed', () => {
    const a = createTelemetryGenerator({ seed: 9 });
    const b = createTelemetryGenerator({ seed: 9 });
    expect([a.next(at(0), 1), a.next(at(1), 1)]).toEqual([b.next(at(0), 1), b.next(at(1), 1)]);
  });

  it('caps the output at a power limit, and lifts it', () => {
    const g = createTelemetryGenerator({ peakW: 6000 });
    g.setPowerLimit(250);
    expect(g.next(at(0), 1).W).toBeLessThanOrEqual(250);
    g.setPowerLimit(null);
    expect(g.next(at(1), 1).W).toBeGreaterThan(250);
  });

  it('counts grid import and export energy on lifetime counters that never go back', () => {
    const g = createTelemetryGenerator({
      signals: [
        { key: 'imp', field: 'WhImp', counter: true },
        { key: 'exp', field: 'WhExp', counter: true },
      ],
    });
    const readings = Array.from({ length: 50 }, (_, i) => g.next(at(i), 30));
    for (let i = 1; i < readings.length; i++) {
      expect(readings[i]!.imp).toBeGreaterThanOrEqual(readings[i - 1]!.imp!);
      expect(readings[i]!.exp).toBeGreaterThanOrEqual(readings[i - 1]!.exp!);
    }
    // The PV makes more than the load draws, most of the time: something is exported.
    expect(readings.at(-1)!.exp! - readings[0]!.exp!).toBeGreaterThan(0);
  });

  it("gives a grid meter's power as the net import, negative while exporting", () => {
    const g = createTelemetryGenerator({
      peakW: 5000,
      signals: [
        { key: 'p', field: 'W' },
        { key: 'exp', field: 'WhExp' },
        { key: 'imp', field: 'WhImp' },
      ],
    });
    for (let i = 0; i < 20; i++) {
      const v = g.next(at(i), 3600);
      // Over an hour, exported energy is the export power and imported the import power.
      if (v.p! < 0) expect(v.exp).toBeCloseTo(-v.p!, 0);
      else expect(v.imp).toBeCloseTo(v.p!, 0);
    }
  });
});

describe('simulated commands', () => {
  let readings = 0;
  const device = (limit: { w: number | null } = { w: null }) => ({
    setPowerLimit: (w: number | null) => (limit.w = w),
    get powerLimit() {
      return limit.w;
    },
    peakW: 4000,
    readNow: () => void (readings += 1),
    now: () => new Date('2026-06-01T12:00:00Z'),
    actions: new Set(['open-valve']),
  });

  it('reads a command and refuses what is not one', () => {
    expect(parseCommand('{"cmdId":"1","command":"ping","payload":{}}')).toMatchObject({
      ok: true,
      command: { cmdId: '1', command: 'ping' },
    });
    expect(parseCommand('{"command":"ping"}')).toMatchObject({ ok: false, reason: expect.stringContaining('cmdId') });
    expect(parseCommand('nope')).toEqual({ ok: false, reason: 'the command is not JSON' });
  });

  it('knows a command under any spelling of its name', () => {
    expect(['setPowerLimit', 'SET_POWER_LIMIT', 'set-power-limit'].map(commandName)).toEqual([
      'set-power-limit',
      'set-power-limit',
      'set-power-limit',
    ]);
  });

  it('sets and lifts the power limit, answers template actions, declines the rest', () => {
    const limit = { w: null as number | null };
    expect(builtInOutcome({ cmdId: '1', command: 'setPowerLimit', payload: { watts: 1500 } }, device(limit))).toEqual({
      status: 'done',
      response: { powerLimitW: 1500 },
    });
    expect(limit.w).toBe(1500);
    builtInOutcome({ cmdId: '2', command: 'set-power-limit', payload: { watts: null } }, device(limit));
    expect(limit.w).toBeNull();
    // The PV inverter template's action: a share of the rated output.
    expect(builtInOutcome({ cmdId: '2b', command: 'set_power_limit', payload: { percent: 25 } }, device(limit)).status).toBe('done');
    expect(limit.w).toBe(1000);
    expect(builtInOutcome({ cmdId: '2c', command: 'set_power_limit', payload: { percent: 120 } }, device(limit)).status).toBe('failed');
    expect(builtInOutcome({ cmdId: '2d', command: 'read_now' }, device()).status).toBe('done');
    expect(readings).toBe(1);
    expect(builtInOutcome({ cmdId: '3', command: 'OPEN_VALVE', target: 'V1' }, device())).toEqual({
      status: 'done',
      response: { simulated: true, target: 'V1' },
    });
    expect(builtInOutcome({ cmdId: '4', command: 'format-disk' }, device()).status).toBe('declined');
  });
});
