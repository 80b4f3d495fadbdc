import { describe, expect, it } from 'vitest';
import { Outbox, type MessageKind, type OutMessage } from './outbox.js';

let seq = 0;
const msg = (kind: MessageKind): OutMessage => ({ seq: ++seq, kind, topic: kind, text: String(seq), attempts: 0 });
const drain = (box: Outbox) => {
  const out: OutMessage[] = [];
  for (let m = box.next(); m; m = box.next()) out.push(m);
  return out;
};

describe('outbox', () => {
  it('sends status and acks before telemetry, each lane in order', () => {
    const box = new Outbox({ telemetry: 10, control: 10 });
    const t1 = msg('telemetry');
    const s1 = msg('status');
    const t2 = msg('telemetry');
    const a1 = msg('ack');
    for (const m of [t1, s1, t2, a1]) box.push(m);
    expect(drain(box)).toEqual([s1, a1, t1, t2]);
  });

  it('drops the oldest telemetry beyond its limit and says which', () => {
    const box = new Outbox({ telemetry: 3, control: 10 });
    const all = Array.from({ length: 5 }, () => msg('telemetry'));
    const dropped = all.flatMap((m) => box.push(m));
    expect(dropped).toEqual(all.slice(0, 2));
    expect(box.telemetryWaiting).toBe(3);
    expect(box.oldestTelemetrySeq()).toBe(all[2]!.seq);
    expect(drain(box)).toEqual(all.slice(2));
  });

  it('puts unacknowledged messages back in front, in creation order, within the limit', () => {
    const box = new Outbox({ telemetry: 4, control: 10 });
    const sent = Array.from({ length: 3 }, () => msg('telemetry'));
    const waiting = Array.from({ length: 2 }, () => msg('telemetry'));
    waiting.forEach((m) => box.push(m));
    // Returned out of order, as a Map of in-flight messages might give them.
    const dropped = box.requeue([sent[2]!, sent[0]!, sent[1]!]);
    expect(dropped).toEqual([sent[0]]);
    expect(drain(box)).toEqual([sent[1], sent[2], ...waiting]);
  });

  it('keeps its order through many pushes and takes (the queue compacts itself)', () => {
    const box = new Outbox({ telemetry: 100_000, control: 10 });
    const all = Array.from({ length: 5000 }, () => msg('telemetry'));
    all.slice(0, 3000).forEach((m) => box.push(m));
    const first = Array.from({ length: 2500 }, () => box.next()!);
    all.slice(3000).forEach((m) => box.push(m));
    expect([...first, ...drain(box)]).toEqual(all);
  });
});
