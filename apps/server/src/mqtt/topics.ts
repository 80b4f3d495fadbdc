// The topics of a plant, as pure functions: `plants/{plantId}/{kind}`.
// Telemetry, status and ack flow from the plant; commands flow to it.

export const uplinkKinds = ['telemetry', 'status', 'ack'] as const;
export type UplinkKind = (typeof uplinkKinds)[number];
export type PlantTopicKind = UplinkKind | 'commands';

const KINDS: ReadonlySet<string> = new Set<PlantTopicKind>(['telemetry', 'status', 'ack', 'commands']);

export function plantTopic(plantId: string, kind: PlantTopicKind): string {
  return `plants/${plantId}/${kind}`;
}

export function plantTopics(plantId: string): Record<PlantTopicKind, string> {
  return {
    telemetry: plantTopic(plantId, 'telemetry'),
    status: plantTopic(plantId, 'status'),
    ack: plantTopic(plantId, 'ack'),
    commands: plantTopic(plantId, 'commands'),
  };
}

/** The plant and kind a topic names, or null for any other topic (wildcards, extra levels, another prefix). */
export function parsePlantTopic(topic: string): { plantId: string; kind: PlantTopicKind } | null {
  const parts = topic.split('/');
  if (parts.length !== 3 || parts[0] !== 'plants') return null;
  const [, plantId, kind] = parts as [string, string, string];
  if (plantId === '' || plantId.includes('+') || plantId.includes('#') || !KINDS.has(kind)) return null;
  return { plantId, kind: kind as PlantTopicKind };
}

export function isUplink(kind: PlantTopicKind): kind is UplinkKind {
  return kind !== 'commands';
}

/**
 * A topic that was not well-formed UTF-8 on the wire. The MQTT packet parser
 * decodes invalid bytes to U+FFFD, and U+0000 is never allowed in a topic
 * [MQTT-1.5.3-1, MQTT-1.5.3-2]: either closes the connection. (A topic that
 * spells U+FFFD in valid UTF-8 is caught too; no plant topic contains it.)
 */
export function isMalformedTopic(topic: string): boolean {
  return topic.includes('\uFFFD') || topic.includes('\u0000');
}

/** Internal notices between gateway instances (through the shared emitter); no client may use `$` topics. */
export const NOTICE_TOPICS = {
  command: '$helio/plants/command',
  changed: '$helio/plants/changed',
} as const;
