// Tells connected clients that an organisation changed, so they pull now
// instead of polling. Fed by the database's commit-time notifications
// (migration 0004), so writes from any server instance reach every client.
import type { Db } from '@helio/db';
import { readableOrganisations, type Principal } from '../auth/principal.js';

export interface ChangeNotice {
  organisationId: string;
  changeSeq: number;
}

type Subscriber = { organisations: ReadonlySet<string> | null; notify: (notice: ChangeNotice) => void };

export class ChangeFeed {
  private readonly subscribers = new Set<Subscriber>();
  private stop: (() => Promise<void>) | undefined;

  constructor(private readonly db: Db) {}

  async start(): Promise<void> {
    this.stop ??= await this.db.listen('helio_changes', (payload) => this.dispatch(payload));
  }

  private dispatch(payload: string): void {
    let notice: ChangeNotice;
    try {
      notice = JSON.parse(payload) as ChangeNotice;
    } catch {
      return;
    }
    for (const s of this.subscribers) {
      if (!s.organisations || s.organisations.has(notice.organisationId)) s.notify(notice);
    }
  }

  /** Notices for the organisations the principal belongs to (as of subscribing); returns the unsubscribe function. */
  subscribe(principal: Principal, notify: (notice: ChangeNotice) => void): () => void {
    const orgs = readableOrganisations(principal);
    const subscriber: Subscriber = { organisations: orgs ? new Set(orgs) : null, notify };
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  get size(): number {
    return this.subscribers.size;
  }

  async close(): Promise<void> {
    this.subscribers.clear();
    const stop = this.stop;
    this.stop = undefined;
    await stop?.();
  }
}
