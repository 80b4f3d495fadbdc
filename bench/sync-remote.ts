// The parent's side of bench/sync-server.ts, and what a client needs to reach
// it: an access token from the password grant, and a sync transport over
// tRPC on HTTP (as the desktop app syncs).
import { fork, type ChildProcess } from 'node:child_process';
import type { AppRouter, sync } from '@helio/core';
import { createTRPCClient, httpLink, type TRPCClient } from '@trpc/client';
import type { Seeded, SeedPlan, ServerCall, ServerMessage } from './sync-server.js';

export class ServerProcess {
  private readonly child: ChildProcess;
  private next = 1;
  private readonly waiting = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();

  constructor(onProgress: (text: string) => void) {
    // The same loader (tsx) as this process, without profiling flags meant for the client.
    const execArgv = process.execArgv.filter((a) => !a.startsWith('--cpu-prof') && !a.startsWith('--inspect'));
    this.child = fork(new URL('./sync-server.ts', import.meta.url), [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: ServerMessage) => {
      if ('progress' in m) return onProgress(m.progress);
      const waiter = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.ok) waiter?.resolve(m.result);
      else waiter?.reject(new Error(`server process: ${m.error}`));
    });
    this.child.on('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`server process exited with ${code}`));
      this.waiting.clear();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  call<T>(call: ServerCall): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.send({ id, call });
    });
  }

  /** Starts and seeds the server; a string says why it could not start (PostgreSQL unreachable). */
  start(plan: SeedPlan): Promise<Seeded | string> {
    return this.call({ kind: 'start', plan });
  }

  async stop(): Promise<void> {
    if (!this.child.connected) return;
    await this.call({ kind: 'stop' }).catch(() => undefined);
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.disconnect();
    await exited;
  }
}

/** POST /oauth/token with the password grant, as the desktop app signs in. */
export async function passwordGrant(serverUrl: string, seeded: Seeded): Promise<string> {
  const res = await fetch(`${serverUrl}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: seeded.oauthClient.clientId,
      client_secret: seeded.oauthClient.clientSecret,
      username: seeded.user.email,
      password: seeded.user.password,
    }).toString(),
  });
  const body = (await res.json()) as { access_token?: string; message?: string };
  if (!res.ok || !body.access_token) throw new Error(`password grant answered ${res.status}: ${body.message ?? JSON.stringify(body)}`);
  return body.access_token;
}

export function serverTrpc(serverUrl: string, token: string): TRPCClient<AppRouter> {
  return createTRPCClient<AppRouter>({ links: [httpLink({ url: `${serverUrl}/trpc`, headers: { authorization: `Bearer ${token}` } })] });
}

/** The server's sync endpoints as the client calls them; `online` false makes every call fail like a lost network. */
export interface SwitchableTransport extends sync.SyncTransport {
  online: boolean;
  /** Pull answers received and the row changes in them. */
  pulls: number;
  changes: number;
}

export function httpTransport(trpc: TRPCClient<AppRouter>): SwitchableTransport {
  const offline = () => Promise.reject(new Error('offline: the network is down'));
  const transport: SwitchableTransport = {
    online: true,
    pulls: 0,
    changes: 0,
    push: (request) => (transport.online ? trpc.sync.push.mutate(request) : offline()),
    pull: async (request) => {
      if (!transport.online) return offline();
      const response = await trpc.sync.pull.query(request);
      transport.pulls++;
      for (const page of response.organisations) transport.changes += page.changes.length;
      return response;
    },
  };
  return transport;
}
