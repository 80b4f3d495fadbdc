// Which of the servers sharing Redis are running, as this one can tell from
// what reaches it through Redis: each broker's birth and heartbeat (aedes
// publishes one every heartbeat interval) and each client it registers. A
// server not heard of for three intervals is gone. This one judges only once
// it has heard itself through Redis without a break for three intervals:
// every running server has spoken by then. Before that (just started, or
// Redis back after an outage) it takes no other server for gone.
export class BrokerLiveness {
  private readonly lastHeard = new Map<string, number>();
  private hearingSince = -Infinity;

  constructor(
    private readonly ownId: string,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Broker `id` spoke (this one included). */
  heard(id: string): void {
    const now = this.now();
    if (id === this.ownId && !(now - (this.lastHeard.get(id) ?? -Infinity) <= 2 * this.intervalMs)) this.hearingSince = now;
    this.lastHeard.set(id, now);
    // Servers long gone are forgotten (each start is a new broker id).
    if (this.lastHeard.size > 1000)
      for (const [other, at] of this.lastHeard) if (at + 10 * this.intervalMs < now) this.lastHeard.delete(other);
  }

  /** Whether this server can tell: it has heard itself through Redis without a break for three intervals. */
  judging(): boolean {
    const now = this.now();
    return now - (this.lastHeard.get(this.ownId) ?? -Infinity) <= 3 * this.intervalMs && now - this.hearingSince >= 3 * this.intervalMs;
  }

  /** Whether broker `id` is gone: this server can tell, and has not heard of it for three intervals. */
  gone(id: string): boolean {
    return id !== this.ownId && this.judging() && !(this.now() - (this.lastHeard.get(id) ?? -Infinity) <= 3 * this.intervalMs);
  }

  /** The brokers heard of within three intervals, this one included. */
  live(): string[] {
    const now = this.now();
    return [...this.lastHeard].filter(([id, at]) => id === this.ownId || now - at <= 3 * this.intervalMs).map(([id]) => id);
  }
}
