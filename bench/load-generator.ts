// The HTTP load generator of bench/api.ts. It runs in a child process so that
// on a small machine it competes with the server for CPU like a real client
// would, instead of sharing the server's event loop. Helio and the bare peer
// are driven by this same code, so the comparison is fair.
//
// Protocol: the parent sends a `LoadJob`; this process says `{ measuring: true }`
// when the warm-up ends and answers a `LoadResult`; it serves jobs until the
// parent disconnects.
import http from 'node:http';

export interface LoadJob {
  /** Loopback only: the bench never loads another machine. */
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  /** For POST: a JSON body per request, `{n}` replaced by a request counter so each one differs. */
  bodyTemplate?: string;
  expectStatus: number;
  /** When set, a response of another length counts as an error. */
  expectBytes?: number;
  concurrency: number;
  warmupSeconds: number;
  durationSeconds: number;
}

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU time (user + system) this load generator spent per request, in µs. */
  clientCpuUsPerRequest: number;
  firstError?: string;
}

interface Response {
  status: number;
  bytes: number;
}

function send(agent: http.Agent, target: URL, job: LoadJob, body: string | undefined): Promise<Response> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...job.headers };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(body);
    }
    const req = http.request(
      { agent, host: target.hostname, port: target.port, path: target.pathname + target.search, method: job.method, headers },
      (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

let counter = 0;

export async function runLoad(job: LoadJob): Promise<LoadResult> {
  const target = new URL(job.url);
  if (target.hostname !== '127.0.0.1' && target.hostname !== 'localhost' && target.hostname !== '[::1]') {
    throw new Error(`refusing to load ${target.hostname}: the bench only targets loopback`);
  }
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.concurrency });
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let recording = false;

  const worker = async (until: number): Promise<void> => {
    while (performance.now() < until) {
      const body = job.bodyTemplate?.replaceAll('{n}', String(++counter));
      const start = performance.now();
      let failure: string | undefined;
      try {
        const res = await send(agent, target, job, body);
        if (res.status !== job.expectStatus) failure = `status ${res.status}`;
        else if (job.expectBytes !== undefined && res.bytes !== job.expectBytes)
          failure = `${res.bytes} bytes, expected ${job.expectBytes}`;
      } catch (err) {
        failure = err instanceof Error ? err.message : String(err);
      }
      if (!recording) continue;
      latencies.push(performance.now() - start);
      if (failure) {
        errors++;
        firstError ??= failure;
      }
    }
  };

  const phase = async (seconds: number): Promise<number> => {
    const started = performance.now();
    const until = started + seconds * 1000;
    await Promise.all(Array.from({ length: job.concurrency }, () => worker(until)));
    return (performance.now() - started) / 1000;
  };

  try {
    await phase(job.warmupSeconds);
    recording = true;
    process.send?.({ measuring: true });
    const cpuBefore = process.cpuUsage();
    const seconds = await phase(job.durationSeconds);
    const cpu = process.cpuUsage(cpuBefore);
    const sorted = Float64Array.from(latencies).sort();
    return {
      requests: latencies.length,
      errors,
      seconds,
      requestsPerSecond: latencies.length / seconds,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      clientCpuUsPerRequest: (cpu.user + cpu.system) / latencies.length,
      ...(firstError ? { firstError } : {}),
    };
  } finally {
    agent.destroy();
  }
}

// Started by the parent with fork(): serve jobs one at a time.
if (process.send) {
  process.on('message', (job: LoadJob) => {
    runLoad(job).then(
      (result) => process.send!({ ok: true, result }),
      (err: unknown) => process.send!({ ok: false, error: err instanceof Error ? err.message : String(err) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}
