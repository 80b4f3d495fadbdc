// Part a of bench/mqtt.ts: signed QoS 1 telemetry from many simulated plants
// through Helio's gateway into PostgreSQL (authentication, topic ACL, HMAC
// check, decode, readings committed before the PUBACK), against the same
// plants publishing the same messages to Mosquitto, and against a bare
// batched INSERT of the same readings. Round by round, in a rotating order.
import { randomUUID } from 'node:crypto';
import { postgresMeter } from './cpu-meter.js';
import type { PublishResult } from './mqtt-jobs.js';
import type { PlantClients } from './mqtt-load.js';
import { TELEMETRY_FIELDS } from './mqtt-messages.js';
import { createInsertPeer, MOSQUITTO_URL, openPeerDb, type PeerDb, type PeerPlant } from './mqtt-peers.js';
import {
  adminUrl,
  auth,
  credentials,
  GOALS,
  median,
  millis,
  PEER_BATCH,
  protocolVersion,
  rate,
  rounds,
  seconds,
  SIZE,
  skippedFigure,
  status,
  STEP_MS,
  unprovisioned,
  VERIFY_EVERY,
  type Side,
} from './mqtt-run.js';
import type { Figure } from './sync-report.js';

export async function telemetryPart(side: Side, clients: PlantClients, figures: Figure[]): Promise<void> {
  const peerDb = await openPeerDb(adminUrl);
  try {
    await measure(side, clients, figures, peerDb);
  } finally {
    if (typeof peerDb !== 'string') await peerDb.drop();
    for (const group of GROUPS) await clients.run({ kind: 'close', group });
  }
}

const GROUPS = ['a-helio', 'a-mosquitto'] as const;

async function measure(side: Side, clients: PlantClients, figures: Figure[], peerDb: PeerDb | string): Promise<void> {
  const { gw, helio: helioSide } = side;
  const setup = performance.now();
  const plants = gw
    ? await helioSide!.createPlants(gw, { ...side.organisation!, count: SIZE.plants, authMethod: auth as 'PASSWORD', label: 'telemetry' })
    : unprovisioned(SIZE.plants);
  if (gw) status(`a. ${SIZE.plants} ${auth} plants created and provisioned in ${seconds((performance.now() - setup) / 1000)}`);
  const componentIds = plants.map((p) => p.componentId!);
  const peerPlants: PeerPlant[] = plants.map((p, index) => ({ componentId: p.componentId ?? randomUUID(), index }));
  const connectOpts = { concurrency: 50, protocolVersion, keepaliveSeconds: 60, driver: side.driver, inflight: SIZE.inflight } as const;
  const sides: { name: 'helio' | 'mosquitto'; group: string; skipped?: string }[] = [
    { name: 'helio', group: GROUPS[0], ...(side.helioSkipped ? { skipped: side.helioSkipped } : {}) },
    { name: 'mosquitto', group: GROUPS[1], ...(side.mosquittoSkipped ? { skipped: side.mosquittoSkipped } : {}) },
  ];
  for (const s of sides) {
    if (s.skipped) continue;
    const url = s.name === 'helio' ? gw!.mqttUrl : MOSQUITTO_URL;
    const r = await clients.run({
      kind: 'connect',
      group: s.group,
      url,
      plants: credentials(plants, side.driver === 'simulator'),
      ...connectOpts,
    });
    status(
      `a. ${r.connected} of ${plants.length} plants connected to ${s.name} in ${seconds(r.seconds)}${r.firstError ? ` (first error: ${r.firstError})` : ''}`,
    );
    if (r.failed) s.skipped = `${r.failed} of ${plants.length} plants could not connect: ${r.firstError}`;
  }
  const insertPeer = typeof peerDb === 'string' ? null : await createInsertPeer(peerDb.db, PEER_BATCH);

  // Windows of readings, one per round plus a warm-up, ending a minute ago: each round's readings are new.
  const windowMs = SIZE.messages * STEP_MS;
  const base = Math.floor(Date.now() / 1000) * 1000 - 60_000 - (rounds + 1) * windowMs;
  const expected = plants.length * SIZE.messages * TELEMETRY_FIELDS.length;
  const runs: Record<'helio' | 'mosquitto', PublishResult[]> = { helio: [], mosquitto: [] };
  const insertSeconds: number[] = [];
  const helioCpu: number[] = [];
  const helioDbCpu: number[] = [];
  // This process (the server) and the PostgreSQL backends of its pool.
  const cpuMeter = gw ? postgresMeter(gw.db, new URL(gw.databaseUrl).pathname.slice(1)) : undefined;
  const storedShort: string[] = [];
  const verify = gw ? { databaseUrl: gw.databaseUrl, every: VERIFY_EVERY, fieldCode: TELEMETRY_FIELDS[0].code } : undefined;
  const publish = async (group: string, firstTs: number, messagesPerPlant = SIZE.messages) =>
    clients.run({
      kind: 'publish',
      group,
      messagesPerPlant,
      inflight: SIZE.inflight,
      firstTs,
      stepMs: STEP_MS,
      stallSeconds: 30,
      ...(group === GROUPS[0] && verify ? { verify } : {}),
    });

  // The warm-up: V8 compiles the hot paths, the pools fill; not measured.
  for (const s of sides) if (!s.skipped) await publish(s.group, base, Math.min(20, SIZE.messages));
  status(
    `a. ${rounds} rounds of ${SIZE.messages} messages from each of ${plants.length} plants (${SIZE.inflight} in flight per plant), ${TELEMETRY_FIELDS.length} readings each`,
  );

  for (let round = 1; round <= rounds; round++) {
    const firstTs = base + round * windowMs;
    const writers: (() => Promise<void>)[] = [];
    for (const s of sides) {
      if (s.skipped) continue;
      writers.push(async () => {
        const meter = s.name === 'helio' ? await cpuMeter!() : undefined;
        const r = await publish(s.group, firstTs);
        runs[s.name].push(r);
        let note = '';
        if (meter) {
          const spent = await meter();
          helioCpu.push((spent.server * 1e6) / Math.max(1, r.acked));
          if (spent.db !== undefined) helioDbCpu.push((spent.db * 1e6) / Math.max(1, r.acked));
          // Every PUBACKed message must be in the database the moment its PUBACK arrived.
          const stored = await helioSide!.storedReadings(gw!, componentIds, firstTs, firstTs + windowMs);
          const ackedReadings = r.acked * TELEMETRY_FIELDS.length;
          note = `, ${stored} of ${expected} readings stored; ${r.verified} looked up at their PUBACK, ${r.notYetStored} not stored yet`;
          if (stored < ackedReadings) storedShort.push(`round ${round}: ${stored} readings stored, ${ackedReadings} PUBACKed`);
          if (r.notYetStored)
            storedShort.push(`round ${round}: ${r.notYetStored} of ${r.verified} messages looked up at their PUBACK were not stored yet`);
        }
        status(
          `a. round ${round} ${s.name}: ${r.acked} messages PUBACKed in ${seconds(r.seconds)} (${rate(r.acked / r.seconds)} msg/s, ` +
            `PUBACK p50 ${millis(r.p50Ms)} p99 ${millis(r.p99Ms)}, client ${r.clientCpuUsPerMessage.toFixed(0)} µs/msg)` +
            `${r.errors ? `, ${r.errors} errors (first: ${r.firstError})` : ''}${note}`,
        );
      });
    }
    if (insertPeer) {
      writers.push(async () => {
        const s = await insertPeer.insertRound(peerPlants, SIZE.messages, firstTs, STEP_MS);
        insertSeconds.push(s);
        status(
          `a. round ${round} INSERT: ${plants.length * SIZE.messages} messages' readings in ${seconds(s)} (${rate((plants.length * SIZE.messages) / s)} msg/s)`,
        );
      });
    }
    // A rotating order: a burst of other work on the machine falls on each in turn.
    for (let k = 0; k < writers.length; k++) await writers[(round + k) % writers.length]!();
  }
  if (insertPeer && (await insertPeer.rows()) !== expected * rounds) throw new Error('the INSERT peer did not store every reading');

  const sent = plants.length * SIZE.messages;
  const throughput = (rs: PublishResult[]) => median(rs.map((r) => r.acked / r.seconds));
  const helioErrors = runs.helio.reduce((n, r) => n + r.errors, 0);
  const helioRate = throughput(runs.helio);
  const mosquittoRate = throughput(runs.mosquitto);
  const insertRate = median(insertSeconds.map((s) => sent / s));
  const [helioSkipped, mosquittoSkipped] = [sides[0]!.skipped, sides[1]!.skipped];
  const dropped =
    gw && !helioSkipped
      ? await helioSide!.droppedMessages(
          gw,
          plants.map((p) => p.plantId),
        )
      : { count: 0, reason: null };
  const problems = [
    ...(helioErrors ? [`${helioErrors} messages not PUBACKed (${runs.helio.find((r) => r.firstError)?.firstError})`] : []),
    ...storedShort,
    ...(dropped.count ? [`${dropped.count} messages dropped by the gateway (${dropped.reason})`] : []),
  ];
  for (const p of problems) console.error(`a. HELIO: ${p}`);
  const ok = problems.length === 0;
  const errors = ok ? '' : ' — ERRORS, see above';
  const label = `signed QoS 1 telemetry, ${plants.length} ${auth} plants over TCP × ${SIZE.messages} msgs, ${SIZE.inflight} in flight each`;
  const helioCell = `${rate(helioRate)} msg/s (${rate(helioRate * TELEMETRY_FIELDS.length)} readings/s), PUBACK p99 ${millis(median(runs.helio.map((r) => r.p99Ms)))}`;
  if (helioSkipped || mosquittoSkipped) figures.push(skippedFigure('a', label, (helioSkipped ?? mosquittoSkipped)!));
  else
    figures.push({
      part: 'a',
      name: `${label}${errors}`,
      helio: helioCell,
      peer: `${rate(mosquittoRate)} msg/s (Mosquitto, no processing), PUBACK p99 ${millis(median(runs.mosquitto.map((r) => r.p99Ms)))}`,
      ratio: helioRate / mosquittoRate,
      goal: `≥ ${GOALS.mosquittoRatio}x`,
      pass: ok && helioRate / mosquittoRate >= GOALS.mosquittoRatio,
    });
  const insertLabel = '  the same readings, bare batched INSERT';
  if (helioSkipped || !insertPeer) figures.push(skippedFigure('a', insertLabel, helioSkipped ?? String(peerDb)));
  else
    figures.push({
      part: 'a',
      name: `${insertLabel}${errors}`,
      helio: `${rate(helioRate)} msg/s; CPU a message: server ${median(helioCpu).toFixed(0)} µs, PostgreSQL ${helioDbCpu.length ? median(helioDbCpu).toFixed(0) : '?'} µs`,
      peer: `${rate(insertRate)} msg/s (INSERT of ${PEER_BATCH} msgs' readings a statement, table + primary key)`,
      ratio: helioRate / insertRate,
      goal: `≥ ${GOALS.insertRatio}x`,
      pass: ok && helioRate / insertRate >= GOALS.insertRatio,
    });
  // The same clients against a broker that does nothing: how close to the INSERT the plants' own
  // CPU lets any broker come, where they share the machine's cores with the server and the database.
  if (!mosquittoSkipped && insertPeer)
    figures.push({
      part: 'a',
      name: '  (context) Mosquitto, no processing, against the same INSERT',
      helio: `${rate(mosquittoRate)} msg/s through Mosquitto`,
      peer: `${rate(insertRate)} msg/s`,
      ratio: mosquittoRate / insertRate,
      goal: 'reported: the ceiling these clients leave',
    });
}
