// The network between clients and the server, at the level of whole
// messages: a request waits in flight until the schedule decides its fate.
// It may arrive and be answered, never arrive, arrive twice, arrive with its
// answer lost on the way back, or arrive much later, after the client gave
// up on it (and after newer requests). Nothing here uses timers: a request
// moves only when the schedule delivers it.
import {
  pullResponse,
  pushResponse,
  type PullRequest,
  type PullResponse,
  type PushRequest,
  type PushResponse,
} from '../../src/sync/protocol.js';
import type { SyncTransport } from '../../src/sync/client.js';

export class NetworkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetworkError';
  }
}

export const fates = ['deliver', 'drop', 'duplicate', 'lose-response', 'delay'] as const;
export type Fate = (typeof fates)[number];

interface Waiter {
  resolve(response: unknown): void;
  reject(err: Error): void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: Error };

export type Message =
  | { id: number; client: number; kind: 'push'; request: PushRequest; waiter: Waiter | undefined }
  | { id: number; client: number; kind: 'pull'; request: PullRequest; waiter: Waiter | undefined };

/** The server end: answers one request, as the server would, and lets the simulation look at the answer. */
export type Handler = (message: Message) => Promise<unknown>;

/** JSON on the wire: what the other end receives is what survives serialisation. */
function wire<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export class Network {
  private readonly queue: Message[] = [];
  private nextId = 1;
  private readonly offline = new Set<number>();
  /** When set, requests are answered at once (the network is healed, for quiescence). */
  direct = false;
  /** Called when a client's request enters the network: that client is now waiting. */
  onSend: (client: number, message: number) => void = () => undefined;
  readonly counts: Record<Fate | 'sent' | 'refused-offline', number> = {
    sent: 0,
    'refused-offline': 0,
    deliver: 0,
    drop: 0,
    duplicate: 0,
    'lose-response': 0,
    delay: 0,
  };

  constructor(private readonly handler: Handler) {}

  setOnline(client: number, online: boolean): void {
    if (online) this.offline.delete(client);
    else this.offline.add(client);
  }

  isOnline(client: number): boolean {
    return !this.offline.has(client);
  }

  /** The transport a client's SyncClient is given. */
  transport(client: number): SyncTransport {
    return {
      push: (request) => this.send(client, 'push', request).then((r) => pushResponse.parse(r) as PushResponse),
      pull: (request) => this.send(client, 'pull', request).then((r) => pullResponse.parse(r) as PullResponse),
    };
  }

  private async send(client: number, kind: 'push' | 'pull', request: PushRequest | PullRequest): Promise<unknown> {
    if (this.offline.has(client)) {
      this.counts['refused-offline']++;
      throw new NetworkError('offline');
    }
    this.counts.sent++;
    const message = { id: this.nextId++, client, kind, request: wire(request), waiter: undefined } as Message;
    if (this.direct) {
      const outcome = await this.call(message);
      if (!outcome.ok) throw outcome.error;
      return outcome.value;
    }
    const answer = new Promise<unknown>((resolve, reject) => {
      message.waiter = { resolve, reject };
    });
    this.queue.push(message);
    this.onSend(client, message.id);
    return answer;
  }

  get inFlight(): readonly Message[] {
    return this.queue;
  }

  /** Whether the client has a request in flight that it is still waiting for. */
  waiting(client: number): boolean {
    return this.queue.some((m) => m.client === client && m.waiter);
  }

  /** Decides the fate of the message at `index` (modulo the number in flight). */
  async deliver(index: number, fate: Fate): Promise<Message | undefined> {
    if (this.queue.length === 0) return undefined;
    const [m] = this.queue.splice(index % this.queue.length, 1) as [Message];
    this.counts[fate]++;
    const answer = (outcome: Outcome) => {
      if (outcome.ok) m.waiter?.resolve(outcome.value);
      else m.waiter?.reject(outcome.error);
      m.waiter = undefined;
    };
    const fail = (why: string) => answer({ ok: false, error: new NetworkError(why) });
    switch (fate) {
      case 'drop':
        fail('the request was lost');
        return m;
      case 'delay':
        // The client times out; the request is still on its way and arrives later.
        fail('timed out');
        this.queue.push(m);
        return m;
      case 'lose-response':
        await this.call(m);
        fail('the connection broke after the server answered');
        return m;
      case 'duplicate':
        await this.call(m);
        answer(await this.call(m));
        return m;
      case 'deliver':
        answer(await this.call(m));
        return m;
    }
  }

  /** The server's answer, or the error it answered with, as the client would receive it. */
  private async call(m: Message): Promise<Outcome> {
    try {
      return { ok: true, value: wire(await this.handler(m)) };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
    }
  }

  /** A crashed client waits for nothing: its pending answers will never be read. */
  abandon(client: number): void {
    for (const m of this.queue) if (m.client === client) m.waiter = undefined;
  }

  /** The server restarted: open connections break, requests not yet read are gone. */
  breakConnections(): void {
    for (const m of this.queue.splice(0)) m.waiter?.reject(new NetworkError('the server restarted'));
  }

  /** Delivers the oldest message still in flight (late ones included); its answer goes to whoever still waits. */
  async deliverOldest(): Promise<Message | undefined> {
    return this.deliver(0, 'deliver');
  }
}
