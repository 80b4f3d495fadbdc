// The parent's side of bench/mqtt-clients.ts: one child process holding the
// simulated plants, one job at a time.
import { fork, type ChildProcess } from 'node:child_process';
import type { Job, ResultOf } from './mqtt-jobs.js';

export class PlantClients {
  private readonly child: ChildProcess;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();

  constructor() {
    // The same loader (tsx) as this process, without profiling flags meant for the server.
    const execArgv = process.execArgv.filter((a) => !a.startsWith('--cpu-prof') && !a.startsWith('--inspect'));
    this.child = fork(new URL('./mqtt-clients.ts', import.meta.url), [], {
      execArgv: [...execArgv, '--max-old-space-size=4096'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (m: { id: number; ok: boolean; result?: unknown; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(m.error));
    });
    this.child.on('exit', (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`the plants' process exited with ${code}`));
      this.pending.clear();
    });
  }

  run<J extends Job>(job: J): Promise<ResultOf<J>> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, job });
    });
  }

  close(): void {
    if (this.child.connected) this.child.disconnect();
  }
}
