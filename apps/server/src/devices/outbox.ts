// What the simulated plant has still to send, in two lanes: control messages
// (status, command acks) go before telemetry, and telemetry waits in a bounded
// buffer while the plant is offline; when it is full the oldest reading goes.
// Messages the broker never acknowledged come back to the front of their lane
// after a dropped connection, so everything is replayed in the order it was
// measured.

export type MessageKind = 'telemetry' | 'status' | 'ack';

export interface OutMessage {
  /** Order of creation, across both lanes. */
  seq: number;
  kind: MessageKind;
  topic: string;
  /** The JSON text inside the envelope; signed when sent, with the secret current then. */
  text: string;
  /** PUBLISH packets written for it so far. */
  attempts: number;
  /** Telemetry: the reading's time, as in `text`. */
  ts?: string;
}

/** A first-in, first-out queue with cheap removal at the front. */
class Queue<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++];
    // Compact now and then rather than moving every element on each shift.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Puts `front` (already in order) before everything queued. */
  unshiftAll(front: readonly T[]): void {
    this.items = [...front, ...this.items.slice(this.head)];
    this.head = 0;
  }
}

export interface OutboxLimits {
  /** Telemetry messages kept waiting at most (the oldest is dropped beyond). */
  telemetry: number;
  /** Status and ack messages kept waiting at most. */
  control: number;
}

export class Outbox {
  private readonly telemetry = new Queue<OutMessage>();
  private readonly control = new Queue<OutMessage>();

  constructor(private readonly limits: OutboxLimits) {
    if (!(limits.telemetry >= 1 && limits.control >= 1)) throw new RangeError('outbox limits must be at least 1');
  }

  get waiting(): number {
    return this.telemetry.length + this.control.length;
  }

  get telemetryWaiting(): number {
    return this.telemetry.length;
  }

  /** Sequence number of the oldest telemetry message waiting. */
  oldestTelemetrySeq(): number | undefined {
    return this.telemetry.peek()?.seq;
  }

  /** Queues a message; resolves to the messages dropped to make room (the oldest of its lane). */
  push(message: OutMessage): OutMessage[] {
    const lane = this.lane(message.kind);
    lane.push(message);
    return this.trim(message.kind);
  }

  /** The next message to send: control messages first. */
  next(): OutMessage | undefined {
    return this.control.shift() ?? this.telemetry.shift();
  }

  /**
   * Puts unacknowledged messages back in front of their lanes, in creation
   * order; resolves to what the limits then drop (oldest first).
   */
  requeue(messages: readonly OutMessage[]): OutMessage[] {
    const sorted = [...messages].sort((a, b) => a.seq - b.seq);
    this.telemetry.unshiftAll(sorted.filter((m) => m.kind === 'telemetry'));
    this.control.unshiftAll(sorted.filter((m) => m.kind !== 'telemetry'));
    return [...this.trim('telemetry'), ...this.trim('status')];
  }

  private lane(kind: MessageKind): Queue<OutMessage> {
    return kind === 'telemetry' ? this.telemetry : this.control;
  }

  private trim(kind: MessageKind): OutMessage[] {
    const lane = this.lane(kind);
    const limit = kind === 'telemetry' ? this.limits.telemetry : this.limits.control;
    const dropped: OutMessage[] = [];
    while (lane.length > limit) dropped.push(lane.shift()!);
    return dropped;
  }
}
