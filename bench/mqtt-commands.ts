// Command round trips, as bench/mqtt.ts measures them: a plant that acks
// every correctly signed command at once, and two ways of sending it one:
// through Helio's Plants REST API, done once the database shows the ack; or
// through Mosquitto, done once the ack comes back through the broker.
import mqtt from 'mqtt';
import pg from 'pg';
import { assertLoopback, noDelay, type Plant } from './mqtt-drivers.js';
import { percentile, type CommandsJob, type CommandsResult } from './mqtt-jobs.js';
import { ackTopic, commandsTopic, envelope, openEnvelope } from './mqtt-messages.js';

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

interface Delivery {
  /** performance.now() when the device had the command. */
  at: number;
  /** Settles once the device's ack was PUBACKed. */
  acked: Promise<void>;
}

/** Makes the group's first plant a device that acks every correctly signed command at once. */
async function actAsDevice(
  plant: Plant,
): Promise<{ delivery(cmdId: string): Promise<Delivery>; done(cmdId: string): Promise<void>; stop(): void }> {
  const { plantId, hmacSecret } = plant.creds;
  const client = plant.client;
  if (!client) throw new Error('the command device needs the mqttjs driver');
  const deliveries = new Map<string, Delivery>();
  const waiting = new Map<string, (d: Delivery) => void>();
  const onMessage = (topic: string, raw: Buffer) => {
    const at = performance.now();
    if (topic !== commandsTopic(plantId)) return;
    const text = openEnvelope(hmacSecret, raw);
    if (text === null) return void console.error(`device ${plantId}: a command with a bad signature, ignored`);
    const cmdId = String((JSON.parse(text) as { cmdId?: unknown }).cmdId);
    const acked = client
      .publishAsync(ackTopic(plantId), envelope(hmacSecret, JSON.stringify({ cmdId, status: 'acked' })), { qos: 1 })
      .then(() => undefined);
    acked.catch(() => undefined);
    const d = { at, acked };
    deliveries.set(cmdId, d);
    waiting.get(cmdId)?.(d);
  };
  client.on('message', onMessage);
  await client.subscribeAsync(commandsTopic(plantId), { qos: 1 });
  return {
    delivery: (cmdId) => {
      const d = deliveries.get(cmdId);
      return d ? Promise.resolve(d) : new Promise((resolve) => waiting.set(cmdId, resolve));
    },
    done: async (cmdId) => {
      deliveries.delete(cmdId);
      waiting.delete(cmdId);
      const text = JSON.stringify({ cmdId, status: 'done', response: { ok: true } });
      await client.publishAsync(ackTopic(plantId), envelope(hmacSecret, text), { qos: 1 });
    },
    stop: () => {
      client.off('message', onMessage);
      void client.unsubscribeAsync(commandsTopic(plantId)).catch(() => undefined);
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms))),
  ]);
}

/** One way of sending a command and knowing it was acked: resolves to the command's id once the ack is recorded. */
type RoundTrip = (n: number, device: Awaited<ReturnType<typeof actAsDevice>>) => Promise<{ cmdId: string; delivered: number }>;

async function helioRoundTrip(via: Extract<CommandsJob['via'], { kind: 'helio' }>, plantId: string, cleanup: (() => Promise<void>)[]) {
  assertLoopback(via.restUrl);
  const db = new pg.Client({ connectionString: via.databaseUrl });
  await db.connect();
  cleanup.push(() => db.end());
  const roundTrip: RoundTrip = async (n, device) => {
    const res = await fetch(`${via.restUrl}/api/v1/plants/${plantId}/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': via.apiKey },
      body: JSON.stringify({ command: 'bench-ping', payload: { n } }),
    });
    const body = (await res.json()) as { cmdId?: string; message?: string };
    if (res.status !== 201 || !body.cmdId) throw new Error(`POST commands answered ${res.status}: ${body.message ?? JSON.stringify(body)}`);
    const d = await withTimeout(device.delivery(body.cmdId), 10_000, `command ${body.cmdId} to the device`);
    await d.acked;
    // The ack is recorded once the database says so.
    for (;;) {
      const { rows } = await db.query<{ acked: boolean }>('SELECT acked_at IS NOT NULL AS acked FROM plant_commands WHERE cmd_id = $1', [
        body.cmdId,
      ]);
      if (rows[0]?.acked) break;
      if (performance.now() - d.at > 10_000) throw new Error(`command ${body.cmdId}: ack not recorded after 10 s`);
      await new Promise((r) => setImmediate(r));
    }
    return { cmdId: body.cmdId, delivered: d.at };
  };
  return roundTrip;
}

async function mosquittoRoundTrip(
  via: Extract<CommandsJob['via'], { kind: 'mosquitto' }>,
  device: Plant,
  cleanup: (() => Promise<void>)[],
) {
  assertLoopback(via.url);
  const { plantId, hmacSecret } = device.creds;
  // The operator sends on one connection and listens on another. On one, the
  // ack would be written right behind the PUBACK of the command, which the
  // operator's TCP has not acknowledged yet (it had nothing to answer), and
  // this machine's Mosquitto leaves Nagle's algorithm on (set_tcp_nodelay
  // false, its default): the ack would wait for the delayed ACK, 40 ms.
  const connectOperator = async (role: string) => {
    const c = await mqtt.connectAsync(via.url, { clientId: `helio-bench-${role}-${process.pid}`, clean: true, reconnectPeriod: 0 });
    noDelay(c);
    cleanup.push(() => c.endAsync());
    return c;
  };
  const operator = await connectOperator('operator');
  const listener = await connectOperator('listener');
  const acks = new Map<string, () => void>();
  listener.on('message', (_topic, raw) => {
    const text = openEnvelope(hmacSecret, raw);
    if (text === null) return;
    const ack = JSON.parse(text) as { cmdId: string; status: string };
    if (ack.status === 'acked') acks.get(ack.cmdId)?.();
  });
  await listener.subscribeAsync(ackTopic(plantId), { qos: 1 });
  let seq = 0;
  const roundTrip: RoundTrip = async (n, dev) => {
    const cmdId = `bench-${process.pid}-${++seq}`;
    const acked = new Promise<void>((resolve) => acks.set(cmdId, resolve));
    const now = new Date();
    const command = {
      cmdId,
      command: 'bench-ping',
      payload: { n },
      issuedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + 86_400_000).toISOString(),
    };
    await operator.publishAsync(commandsTopic(plantId), envelope(hmacSecret, JSON.stringify(command)), { qos: 1 });
    const d = await withTimeout(dev.delivery(cmdId), 10_000, `command ${cmdId} to the device`);
    await withTimeout(acked, 10_000, `ack of ${cmdId}`);
    acks.delete(cmdId);
    return { cmdId, delivered: d.at };
  };
  return roundTrip;
}

/** Round trips with `plant` (connected by the mqttjs driver) as the device. */
export async function roundTrips(plant: Plant, job: CommandsJob): Promise<CommandsResult> {
  const cleanup: (() => Promise<void>)[] = [];
  const device = await actAsDevice(plant);
  const rtt: number[] = [];
  const delivered: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  try {
    const roundTrip =
      job.via.kind === 'helio'
        ? await helioRoundTrip(job.via, plant.creds.plantId, cleanup)
        : await mosquittoRoundTrip(job.via, plant, cleanup);
    for (let n = 0; n < job.warmup + job.count; n++) {
      const start = performance.now();
      try {
        const r = await roundTrip(n, device);
        const end = performance.now();
        if (n >= job.warmup) {
          rtt.push(end - start);
          delivered.push(r.delivered - start);
        }
        // The device's final answer, outside the measured time: the history ends 'done' as a real device leaves it.
        await device.done(r.cmdId);
        await new Promise((resolve) => setTimeout(resolve, job.pauseMs));
      } catch (err) {
        errors++;
        firstError ??= message(err);
        if (errors >= 5) break;
      }
    }
  } finally {
    device.stop();
    for (const c of cleanup) await c().catch(() => undefined);
  }
  const sorted = Float64Array.from(rtt).sort();
  const sortedDelivered = Float64Array.from(delivered).sort();
  return {
    count: rtt.length,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
    deliveredP50Ms: percentile(sortedDelivered, 50),
    deliveredP99Ms: percentile(sortedDelivered, 99),
    errors,
    ...(firstError ? { firstError } : {}),
  };
}
