// npm run bench:mqtt [-- --quick --rounds N --parts a,b,c --plants N --messages N --inflight N
//                       --connections N --commands N --auth password|token --mqtt 3.1.1|5
//                       --clients simulator|mqttjs]
//
// The MQTT gateway's figures, each beside a peer measured in the same run:
// a. signed QoS 1 telemetry from many simulated plants through Helio's
//    gateway into PostgreSQL (authentication, topic ACL, HMAC check, decode,
//    readings committed before the PUBACK), against the same plants sending
//    the same messages to the machine's Mosquitto, which does no processing
//    (goal: at least 0.3x), and against a bare batched INSERT of the same
//    readings (goal: at least 0.4x) (mqtt-telemetry.ts);
// b. connections held: idle plants connected at once (goal: 5 000), with the
//    server's memory, beside Mosquitto holding the same plants;
// c. command round trip: sent through the Plants REST API, delivered to the
//    device, its ack recorded in the database: p50 and p99 (goal: p99 under
//    100 ms), beside the same round trip through Mosquitto (publish, device,
//    ack back, nothing recorded).
// The plants run in a child process (mqtt-clients.ts), the same for both
// brokers: Helio's device simulator, or bare MQTT.js clients. Helio runs in
// this process, started by startServer on a temporary PostgreSQL database
// created from BENCH_DATABASE_URL (by default the local one), its gateway on
// free ports; the plants are made and provisioned through the core services
// (mqtt-helio.ts). --quick (or BENCH_QUICK=1) runs a smaller version to try
// the bench out; the figures that count come from the full run.
import { availableParallelism, cpus } from 'node:os';
import type { BenchGateway, BenchPlant } from './mqtt-helio.js';
import type { CommandsResult, Driver } from './mqtt-jobs.js';
import { PlantClients } from './mqtt-load.js';
import { MOSQUITTO_URL, mosquittoPid, probeMosquitto, rssBytes } from './mqtt-peers.js';
import {
  adminUrl,
  args,
  auth,
  COMMAND_PAUSE_MS,
  credentials,
  GOALS,
  megabytes,
  message,
  millis,
  parts,
  protocolVersion,
  quick,
  rounds,
  seconds,
  SIZE,
  skippedFigure,
  status,
  unprovisioned,
  type Side,
} from './mqtt-run.js';
import { telemetryPart } from './mqtt-telemetry.js';
import { printReport, type Figure } from './sync-report.js';

// ---------------------------------------------------------------- b. connections held

interface Held {
  connected: number;
  held: number;
  connectSeconds: number;
  rssBefore?: number;
  rssAfter?: number;
  online?: number;
  firstError?: string;
}

async function holdConnections(
  side: Side,
  clients: PlantClients,
  group: string,
  url: string,
  plants: BenchPlant[],
  pid: number | undefined,
  onlineCount?: () => Promise<number>,
): Promise<Held> {
  const rssBefore = rssBytes(pid);
  const c = await clients.run({
    kind: 'connect',
    group,
    url,
    plants: credentials(plants, side.driver === 'simulator'),
    concurrency: 100,
    protocolVersion,
    keepaliveSeconds: 60,
    driver: side.driver,
    inflight: 1,
  });
  await new Promise((r) => setTimeout(r, SIZE.holdSeconds * 1000));
  const n = await clients.run({ kind: 'count', group });
  const rssAfter = rssBytes(pid);
  const online = onlineCount ? await onlineCount() : undefined;
  await clients.run({ kind: 'close', group });
  const firstError = c.firstError ?? n.firstError;
  return {
    connected: c.connected,
    held: n.connected,
    connectSeconds: c.seconds,
    ...(rssBefore === undefined ? {} : { rssBefore }),
    ...(rssAfter === undefined ? {} : { rssAfter }),
    ...(online === undefined ? {} : { online }),
    ...(firstError ? { firstError } : {}),
  };
}

const grew = (h: Held, count: number) =>
  h.rssBefore === undefined || h.rssAfter === undefined
    ? 'memory unknown'
    : `RSS ${megabytes(h.rssAfter)} (+${megabytes(h.rssAfter - h.rssBefore)}, ${((h.rssAfter - h.rssBefore) / 1024 / Math.max(1, count)).toFixed(1)} KB a connection)`;

async function connectionsPart(side: Side, clients: PlantClients, figures: Figure[]): Promise<void> {
  const { gw, helio: helioSide } = side;
  const count = SIZE.connections;
  const label = `idle ${auth} plants over TCP connected at once, held ${SIZE.holdSeconds} s`;
  let plants: BenchPlant[];
  if (gw && !side.helioSkipped) {
    const setup = performance.now();
    plants = await helioSide!.createPlants(gw, {
      organisationId: side.organisation!.organisationId,
      apiKey: side.organisation!.apiKey,
      count,
      authMethod: auth as 'PASSWORD',
      label: 'idle',
    });
    status(`b. ${count} ${auth} plants created and provisioned in ${seconds((performance.now() - setup) / 1000)}`);
  } else plants = unprovisioned(count);

  let helio: Held | undefined;
  if (gw && !side.helioSkipped) {
    // The gateway's own account, read while the plants are still connected: its connections, and the registry's ONLINE plants.
    const ids = plants.map((p) => p.plantId);
    let gatewayCount: number | undefined;
    helio = await holdConnections(side, clients, 'b-helio', gw.mqttUrl, plants, process.pid, () => {
      gatewayCount = gw.server.mqtt?.connectedPlants().length;
      return helioSide!.onlinePlants(gw, ids);
    });
    status(
      `b. helio: ${helio.connected} of ${count} connected in ${seconds(helio.connectSeconds)}, ${helio.held} still connected after ${SIZE.holdSeconds} s ` +
        `(the gateway counts ${gatewayCount ?? '?'}, the registry shows ${helio.online} ONLINE); server ${grew(helio, helio.held)}` +
        `${helio.firstError ? `; first error: ${helio.firstError}` : ''}`,
    );
  }
  let mosquitto: Held | undefined;
  if (!side.mosquittoSkipped) {
    mosquitto = await holdConnections(side, clients, 'b-mosquitto', MOSQUITTO_URL, plants, mosquittoPid());
    status(
      `b. mosquitto: ${mosquitto.connected} of ${count} connected in ${seconds(mosquitto.connectSeconds)}, ${mosquitto.held} still connected after ${SIZE.holdSeconds} s; ` +
        `${grew(mosquitto, mosquitto.held)}${mosquitto.firstError ? `; first error: ${mosquitto.firstError}` : ''}`,
    );
  }
  if (!helio) return void figures.push(skippedFigure('b', label, side.helioSkipped ?? 'no gateway'));
  figures.push({
    part: 'b',
    name: label,
    helio: `${helio.held} of ${count} held (connected in ${seconds(helio.connectSeconds)}), ${grew(helio, helio.held)}`,
    peer: mosquitto ? `${mosquitto.held} of ${count} held, ${grew(mosquitto, mosquitto.held)}` : `not measured: ${side.mosquittoSkipped}`,
    ...(mosquitto ? { ratio: helio.held / Math.max(1, mosquitto.held) } : {}),
    goal: `${GOALS.connections.toLocaleString('en-US')} held${count < GOALS.connections ? ` (this run: ${count})` : ''}`,
    pass: helio.held === count && count >= Math.min(GOALS.connections, SIZE.connections),
  });
}

// ---------------------------------------------------------------- c. command round trip

async function commandsPart(side: Side, clients: PlantClients, figures: Figure[]): Promise<void> {
  const { gw, helio: helioSide } = side;
  const label = `command round trip, ${SIZE.commands} commands one at a time`;
  const plants =
    gw && !side.helioSkipped
      ? await helioSide!.createPlants(gw, {
          organisationId: side.organisation!.organisationId,
          apiKey: side.organisation!.apiKey,
          count: 1,
          authMethod: auth as 'PASSWORD',
          label: 'commands',
        })
      : unprovisioned(1);
  // The device of the round trips is a bare MQTT.js client sending with TCP_NODELAY (see mqtt-clients.ts: noDelay).
  const connectOpts = {
    plants: credentials(plants, false),
    concurrency: 1,
    protocolVersion,
    keepaliveSeconds: 60,
    driver: 'mqttjs',
    inflight: 1,
  } as const;
  const warmup = Math.min(20, SIZE.commands);
  let helio: CommandsResult | undefined;
  if (gw && !side.helioSkipped) {
    await clients.run({ kind: 'connect', group: 'c-helio', url: gw.mqttUrl, ...connectOpts });
    helio = await clients.run({
      kind: 'commands',
      group: 'c-helio',
      count: SIZE.commands,
      warmup,
      pauseMs: COMMAND_PAUSE_MS,
      via: { kind: 'helio', restUrl: gw.server.url, apiKey: side.organisation!.apiKey, databaseUrl: gw.databaseUrl },
    });
    await clients.run({ kind: 'close', group: 'c-helio' });
    status(
      `c. helio: ${helio.count} round trips (REST send → device → ack recorded): p50 ${millis(helio.p50Ms)}, p99 ${millis(helio.p99Ms)}, max ${millis(helio.maxMs)}; ` +
        `delivered to the device p50 ${millis(helio.deliveredP50Ms)}, p99 ${millis(helio.deliveredP99Ms)}${helio.errors ? `; ${helio.errors} errors (first: ${helio.firstError})` : ''}`,
    );
  }
  let mosquitto: CommandsResult | undefined;
  if (!side.mosquittoSkipped) {
    await clients.run({ kind: 'connect', group: 'c-mosquitto', url: MOSQUITTO_URL, ...connectOpts });
    mosquitto = await clients.run({
      kind: 'commands',
      group: 'c-mosquitto',
      count: SIZE.commands,
      warmup,
      pauseMs: COMMAND_PAUSE_MS,
      via: { kind: 'mosquitto', url: MOSQUITTO_URL },
    });
    await clients.run({ kind: 'close', group: 'c-mosquitto' });
    status(
      `c. mosquitto: ${mosquitto.count} round trips (publish → device → ack back): p50 ${millis(mosquitto.p50Ms)}, p99 ${millis(mosquitto.p99Ms)}, max ${millis(mosquitto.maxMs)}` +
        `${mosquitto.errors ? `; ${mosquitto.errors} errors (first: ${mosquitto.firstError})` : ''}`,
    );
  }
  if (!helio) return void figures.push(skippedFigure('c', label, side.helioSkipped ?? 'no gateway'));
  const ok = helio.errors === 0 && helio.count === SIZE.commands;
  figures.push({
    part: 'c',
    name: `${label} (REST → device → ack recorded)${ok ? '' : ' — ERRORS, see above'}`,
    helio: `p50 ${millis(helio.p50Ms)}, p99 ${millis(helio.p99Ms)}`,
    peer: mosquitto
      ? `p50 ${millis(mosquitto.p50Ms)}, p99 ${millis(mosquitto.p99Ms)} (Mosquitto publish → device → ack, nothing recorded)`
      : `not measured: ${side.mosquittoSkipped}`,
    // Higher is better for Helio: the peer's p99 over Helio's.
    ...(mosquitto ? { ratio: mosquitto.p99Ms / helio.p99Ms } : {}),
    goal: `p99 < ${GOALS.commandP99Ms} ms`,
    pass: ok && helio.p99Ms < GOALS.commandP99Ms,
  });
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  console.log(
    `Helio MQTT bench: ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}; ` +
      `${quick ? 'QUICK run (figures do not count)' : 'full run'}, --rounds ${rounds}, MQTT ${args.mqtt}`,
  );
  console.log(
    `Plants authenticate with ${auth} over TCP: MTLS handshakes would spend the clients' CPU, which on this machine is the server's too ` +
      `(the simulated plants run in a child process on the same cores as the server and the database).`,
  );
  const figures: Figure[] = [];
  const started = performance.now();
  const side: Side = { helio: null, gw: null, driver: args.clients as Driver };
  const mosquittoProblem = await probeMosquitto();
  if (mosquittoProblem) {
    side.mosquittoSkipped = mosquittoProblem;
    console.log(`peer not measured: ${mosquittoProblem}`);
  }
  let gw: BenchGateway | string;
  try {
    side.helio = await import('./mqtt-helio.js');
    gw = await side.helio.startGateway(adminUrl);
  } catch (err) {
    gw = `Helio's server code did not load: ${message(err)}`;
  }
  if (typeof gw === 'string') {
    side.helioSkipped = gw;
    console.log(`Helio not measured: ${gw}`);
  } else {
    side.gw = gw;
    side.organisation = await side.helio!.benchOrganisation(gw);
    console.log(`Helio: ${gw.server.url}, MQTT gateway at ${gw.mqttUrl}, on a temporary PostgreSQL database`);
  }
  if (side.driver === 'simulator' && typeof gw === 'string') {
    side.driver = 'mqttjs';
    console.log('The plants are bare MQTT.js clients: without Helio there are no provisioning packages for the device simulator.');
  } else {
    console.log(
      side.driver === 'simulator'
        ? "The plants are Helio's device simulator (createDeviceSimulator), one per plant, fed from its provisioning package."
        : 'The plants are bare MQTT.js clients signing the envelope themselves (--clients mqttjs).',
    );
  }
  const clients = new PlantClients();
  try {
    const run = async (part: string, fn: () => Promise<void>) => {
      if (!parts.has(part)) return;
      try {
        await fn();
      } catch (err) {
        process.exitCode = 1;
        console.error(`part ${part} failed:`, err);
        figures.push(skippedFigure(part, '', `failed: ${message(err)}`));
      }
    };
    await run('a', () => telemetryPart(side, clients, figures));
    await run('b', () => connectionsPart(side, clients, figures));
    await run('c', () => commandsPart(side, clients, figures));
  } finally {
    clients.close();
    if (side.gw) await side.gw.cleanup();
  }
  console.log(`\n(the whole run took ${seconds((performance.now() - started) / 1000)})\n`);
  printReport(figures);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
