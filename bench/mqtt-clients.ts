// The plants of bench/mqtt.ts: many simulated plants in a child process, so
// that on a small machine they compete with the server for CPU like devices'
// traffic would, instead of sharing its event loop. Helio's gateway and
// Mosquitto are driven by this same code, with the same credentials, topics
// and signed messages, so the comparison is fair (mqtt-drivers.ts runs the
// plants, mqtt-commands.ts the command round trips).
//
// Plants are kept in named groups (one per broker), connected once and used
// by several jobs (mqtt-jobs.ts). Protocol: the parent sends `{id, job}`;
// this process answers `{id, ok: true, result}` or `{id, ok: false, error}`;
// it serves jobs one at a time until the parent disconnects.
import pg from 'pg';
import { roundTrips } from './mqtt-commands.js';
import { percentile } from './mqtt-jobs.js';
import { assertLoopback, openMqttjs, openSimulator, simulatorFactory, type Plant } from './mqtt-drivers.js';
import type {
  CloseJob,
  CommandsJob,
  CommandsResult,
  ConnectJob,
  ConnectResult,
  CountJob,
  CountResult,
  Job,
  PublishJob,
  PublishResult,
} from './mqtt-jobs.js';

const groups = new Map<string, Plant[]>();
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function connect(job: ConnectJob): Promise<ConnectResult> {
  assertLoopback(job.url);
  if (groups.has(job.group)) throw new Error(`group ${job.group} is already connected`);
  const plants: Plant[] = [];
  groups.set(job.group, plants);
  let failed = 0;
  let firstError: string | undefined;
  let next = 0;
  const create = job.driver === 'simulator' ? await simulatorFactory() : undefined;
  const open = (i: number) =>
    create ? openSimulator(create, job.url, job.plants[i]!, i, job) : openMqttjs(job.url, job.plants[i]!, i, job);
  const started = performance.now();
  const worker = async () => {
    while (next < job.plants.length) {
      const i = next++;
      try {
        plants.push(await open(i));
      } catch (err) {
        failed++;
        firstError ??= message(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(job.concurrency, job.plants.length) }, worker));
  plants.sort((a, b) => a.index - b.index);
  return { connected: plants.length, failed, seconds: (performance.now() - started) / 1000, ...(firstError ? { firstError } : {}) };
}

function group(name: string): Plant[] {
  const plants = groups.get(name);
  if (!plants) throw new Error(`no group ${name}`);
  return plants;
}

/** Looks up every `every`-th acknowledged message's reading at once (see PublishJob.verify). */
async function startVerifier(verify: NonNullable<PublishJob['verify']>) {
  // A few connections, so that a lookup starts at its PUBACK rather than behind another.
  const db = new pg.Pool({ connectionString: verify.databaseUrl, max: 4 });
  let n = 0;
  const checks: Promise<boolean>[] = [];
  const lookUp = async (componentId: string, ts: number) => {
    const { rows } = await db.query('SELECT 1 FROM readings WHERE component_id = $1 AND field = $2 AND ts = $3', [
      componentId,
      verify.fieldCode,
      new Date(ts),
    ]);
    return rows.length === 1;
  };
  return {
    acked(plant: Plant, ts: number) {
      if (++n % verify.every !== 0 || !plant.creds.componentId) return;
      checks.push(lookUp(plant.creds.componentId, ts));
    },
    async finish(): Promise<{ verified: number; notYetStored: number }> {
      try {
        const found = await Promise.all(checks);
        return { verified: found.length, notYetStored: found.filter((f) => !f).length };
      } finally {
        await db.end();
      }
    },
  };
}

async function publish(job: PublishJob): Promise<PublishResult> {
  const plants = group(job.group);
  const latencies = new Float64Array(plants.length * job.messagesPerPlant);
  let acked = 0;
  let errors = 0;
  let firstError: string | undefined;
  let lastProgress = performance.now();
  let stalled: string | undefined;
  const fail = (why: string) => {
    errors++;
    firstError ??= why;
  };
  const verifier = job.verify ? await startVerifier(job.verify) : undefined;

  const runPlant = async (plant: Plant) => {
    if (plant.closedBy) return fail(`closed before publishing: ${plant.closedBy}`);
    let next = 0;
    const worker = async () => {
      while (next < job.messagesPerPlant && !stalled) {
        const seq = next++;
        const start = performance.now();
        try {
          await plant.publish(seq, job.firstTs + seq * job.stepMs);
        } catch (err) {
          // A closed connection fails every message it had left.
          fail(message(err));
          if (plant.closedBy) {
            errors += job.messagesPerPlant - next;
            next = job.messagesPerPlant;
          }
          continue;
        }
        const now = performance.now();
        latencies[acked++] = now - start;
        lastProgress = now;
        verifier?.acked(plant, job.firstTs + seq * job.stepMs);
      }
    };
    await Promise.all(Array.from({ length: job.inflight }, worker));
  };

  let stopWatch: () => void = () => undefined;
  const watchdog = new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (performance.now() - lastProgress > job.stallSeconds * 1000) {
        stalled = `no PUBACK for ${job.stallSeconds} s (${acked} of ${latencies.length} acknowledged)`;
        clearInterval(timer);
        resolve();
      }
    }, 250);
    stopWatch = () => {
      clearInterval(timer);
      resolve();
    };
  });

  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const all = Promise.all(plants.map(runPlant));
  await Promise.race([all.then(stopWatch), watchdog]);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  if (stalled) fail(stalled);
  const checked = await verifier?.finish();
  const sorted = latencies.subarray(0, acked).sort();
  return {
    acked,
    errors,
    seconds,
    ...checked,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    clientCpuUsPerMessage: acked ? (cpu.user + cpu.system) / acked : Number.NaN,
    ...(firstError ? { firstError } : {}),
  };
}

function count(job: CountJob): CountResult {
  const plants = group(job.group);
  const closed = plants.filter((p) => p.closedBy || !p.connected());
  const firstError = closed[0]?.closedBy;
  return { connected: plants.length - closed.length, total: plants.length, ...(firstError ? { firstError } : {}) };
}

async function close(job: CloseJob): Promise<null> {
  const plants = groups.get(job.group) ?? [];
  groups.delete(job.group);
  // A few hundred at a time: thousands of DISCONNECTs at once only queue up.
  for (let i = 0; i < plants.length; i += 500) {
    await Promise.all(plants.slice(i, i + 500).map((p) => p.close().catch(() => undefined)));
  }
  return null;
}

async function commands(job: CommandsJob): Promise<CommandsResult> {
  const plant = group(job.group)[0];
  if (!plant) throw new Error(`group ${job.group} has no connected plant`);
  return roundTrips(plant, job);
}

async function run(job: Job): Promise<unknown> {
  switch (job.kind) {
    case 'connect':
      return connect(job);
    case 'publish':
      return publish(job);
    case 'count':
      return count(job);
    case 'close':
      return close(job);
    case 'commands':
      return commands(job);
  }
}

// Started by the parent with fork(): serve jobs one at a time.
if (process.send) {
  let queue = Promise.resolve();
  process.on('message', ({ id, job }: { id: number; job: Job }) => {
    queue = queue.then(() =>
      run(job).then(
        (result) => void process.send!({ id, ok: true, result }),
        (err: unknown) => void process.send!({ id, ok: false, error: message(err) }),
      ),
    );
  });
  process.on('disconnect', () => process.exit(0));
}
