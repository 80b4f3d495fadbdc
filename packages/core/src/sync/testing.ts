// Test support: a sync transport straight into the server's services, no network.
import type { Db } from '@helio/db';
import { contextFor } from '../testing.js';
import { membershipsOf } from '../users/service.js';
import type { SyncTransport } from './client.js';
import { pull } from './pull.js';
import { push } from './push.js';
import type { SyncSchema } from './synced-table.js';

export interface DirectTransportOptions {
  /** The server's synced tables; Helio's own unless given. */
  schema?: SyncSchema;
  /** Set to lose the answer of the next push after the server applied it (a connection reset). */
  faults?: { loseNextPushResponse?: boolean };
}

/** Calls the server's push and pull as `userId`, with their memberships as they are at each call. */
export function directTransport(server: Db, userId: string, options: DirectTransportOptions = {}): SyncTransport {
  const { schema, faults } = options;
  const ctx = async () => contextFor(server, { kind: 'user', userId, memberships: await membershipsOf({ db: server }, userId) });
  return {
    push: async (req) => {
      const res = await push(await ctx(), req, schema);
      if (faults?.loseNextPushResponse) {
        faults.loseNextPushResponse = false;
        throw new Error('connection reset after the server applied the push');
      }
      return res;
    },
    pull: async (req) => pull(await ctx(), req, schema),
  };
}
