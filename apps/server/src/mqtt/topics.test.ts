import { describe, expect, it } from 'vitest';
import { isMalformedTopic, parsePlantTopic, plantTopic, plantTopics } from './topics.js';

const id = '0190f5d2-7c4e-7a41-9b7e-2f3c4d5e6f70';

describe('plant topics', () => {
  it('names the four topics of a plant', () => {
    expect(plantTopics(id)).toEqual({
      telemetry: `plants/${id}/telemetry`,
      status: `plants/${id}/status`,
      ack: `plants/${id}/ack`,
      commands: `plants/${id}/commands`,
    });
    expect(plantTopic(id, 'ack')).toBe(`plants/${id}/ack`);
  });

  it('parses exactly plants/{id}/{kind} and nothing else', () => {
    expect(parsePlantTopic(`plants/${id}/telemetry`)).toEqual({ plantId: id, kind: 'telemetry' });
    expect(parsePlantTopic(`plants/${id}/commands`)).toEqual({ plantId: id, kind: 'commands' });
    for (const topic of [
      `plants/${id}/telemetry/x`,
      `plants/${id}`,
      `plants//telemetry`,
      `plants/+/telemetry`,
      `plants/#`,
      `/plants/${id}/telemetry`,
      `Plants/${id}/telemetry`,
      `plants/${id}/Telemetry`,
      `plants/${id}/events`,
      '$SYS/broker/uptime',
    ]) {
      expect(parsePlantTopic(topic), topic).toBeNull();
    }
  });

  it('recognises a topic that was not well-formed UTF-8 (decoded to U+FFFD) or holds U+0000', () => {
    expect(isMalformedTopic(Buffer.from([0x70, 0xc3, 0x28]).toString('utf8'))).toBe(true);
    expect(isMalformedTopic('plants/a\u0000/telemetry')).toBe(true);
    expect(isMalformedTopic('plants/ä/telemetry')).toBe(false);
  });
});
