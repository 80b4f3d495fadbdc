// Which of the servers sharing Redis are running, as this one can tell from
// what reaches it through Redis: each broker's birth and heartbeat (aedes
// publishes one every heartbeat interval) and each client it registers. A
// server is gone when this one last heard of it three intervals before it
// last heard itself: silence is measured against this server's own
// heartbeats, so neither Redis going quiet nor this process stalling makes
// the others look gone. This one judges only once it has heard itself
// through Redis without a break for three intervals (every running server
// has spoken by then): just started, or Redis back after an outage, it
// takes no other server for gone.
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

  /** Whether broker `id` is gone: this server can tell, and last heard of it three intervals before it last heard itself. */
  gone(id: string): boolean {
    return id !== this.ownId && this.judging() && !this.heardLately(this.lastHeard.get(id));
  }

  /** The brokers not gone: heard of within three intervals of this one's last heartbeat, this one included. */
  live(): string[] {
    return [...this.lastHeard].filter(([id, at]) => id === this.ownId || this.heardLately(at)).map(([id]) => id);
  }

  private heardLately(at: number | undefined): boolean {
    return at !== undefined && (this.lastHeard.get(this.ownId) ?? -Infinity) - at <= 3 * this.intervalMs;
  }
}
