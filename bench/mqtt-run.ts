// What the parts of bench/mqtt.ts share: the command line, the sizes and
// goals, the way figures are written, and the two sides of the run (Helio,
// if it started, and Mosquitto, if it answers).
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type * as HelioSide from './mqtt-helio.js';
import type { BenchGateway, BenchPlant } from './mqtt-helio.js';
import type { Driver, PlantCredentials } from './mqtt-jobs.js';
import type { Figure } from './sync-report.js';

export const GOALS = { mosquittoRatio: 0.3, insertRatio: 0.4, connections: 5000, commandP99Ms: 100 };
export const adminUrl = process.env['BENCH_DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres';

export const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '3' },
    parts: { type: 'string', default: 'a,b,c' },
    plants: { type: 'string' },
    messages: { type: 'string' },
    inflight: { type: 'string', default: '2' },
    connections: { type: 'string' },
    commands: { type: 'string' },
    auth: { type: 'string', default: 'password' },
    mqtt: { type: 'string', default: '3.1.1' },
    clients: { type: 'string', default: 'simulator' },
  },
});

export function fail(text: string): never {
  console.error(text);
  process.exit(2);
}

function whole(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) fail(`--${name} must be a whole number from ${min} to ${max}`);
  return n;
}

export const quick = args.quick || process.env['BENCH_QUICK'] === '1';
export const rounds = whole('rounds', args.rounds, 3, 1, 100);
export const parts = new Set(args.parts.split(',').map((p) => p.trim()));
for (const p of parts) if (!['a', 'b', 'c'].includes(p)) fail(`unknown part ${p}: use a, b, c or a list of them`);
export const auth = args.auth.toUpperCase();
if (auth !== 'PASSWORD' && auth !== 'TOKEN') fail('--auth must be password or token (MTLS is left out: see the header it prints)');
if (args.mqtt !== '3.1.1' && args.mqtt !== '5') fail('--mqtt must be 3.1.1 or 5');
export const protocolVersion = args.mqtt === '5' ? 5 : 4;
if (args.clients !== 'simulator' && args.clients !== 'mqttjs') fail('--clients must be simulator or mqttjs');
export const SIZE = {
  plants: whole('plants', args.plants, quick ? 50 : 500, 1, 10_000),
  messages: whole('messages', args.messages, quick ? 60 : 200, 1, 100_000),
  inflight: whole('inflight', args.inflight, 2, 1, 100),
  connections: whole('connections', args.connections, quick ? 500 : GOALS.connections, 1, 50_000),
  commands: whole('commands', args.commands, quick ? 50 : 500, 1, 100_000),
  holdSeconds: quick ? 3 : 15,
};
/** Messages per statement of the INSERT peer: the most the gateway's writer puts in one transaction. */
export const PEER_BATCH = 500;
/** Quiet time between two commands (see CommandsJob.pauseMs). */
export const COMMAND_PAUSE_MS = 100;
/** Every so many acknowledged messages, one is looked up in the database at its PUBACK (see PublishJob.verify). */
export const VERIFY_EVERY = 50;
/** One reading a second per plant. */
export const STEP_MS = 1000;

export const median = (values: number[]) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
export const seconds = (s: number) => `${s.toFixed(s < 10 ? 2 : 1)} s`;
export const millis = (ms: number) => (Number.isFinite(ms) ? `${ms.toFixed(ms < 100 ? 1 : 0)} ms` : '-');
export const rate = (n: number) => `${Math.round(n).toLocaleString('en-US')}`;
export const megabytes = (bytes: number | undefined) => (bytes === undefined ? '?' : `${(bytes / 1048576).toFixed(1)} MB`);
export const status = (text: string) => process.stdout.write(`${text}\n`);
export const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Credentials for the Mosquitto side only, when Helio is not there to provision plants. */
export function unprovisioned(count: number): BenchPlant[] {
  return Array.from({ length: count }, () => ({
    plantId: randomUUID(),
    password: randomBytes(32).toString('base64url'),
    hmacSecret: randomBytes(32).toString('hex'),
    componentId: randomUUID(),
  }));
}

/** What the plants' process needs of each plant: the package only for the simulator. */
export const credentials = (plants: BenchPlant[], withPackage: boolean): PlantCredentials[] =>
  plants.map(({ plantId, password, hmacSecret, componentId, package: pkg }) => ({
    plantId,
    password,
    hmacSecret,
    componentId,
    ...(withPackage ? { package: pkg } : {}),
  }));

export function skippedFigure(part: string, name: string, why: string): Figure {
  return { part, name, helio: '', peer: '', goal: '', skipped: why };
}

export interface Side {
  /** Helio's side of the bench (mqtt-helio.ts), loaded once main() knows the server's code loads at all. */
  helio: typeof HelioSide | null;
  gw: BenchGateway | null;
  /** The plants' driver: Helio's device simulator, unless asked for bare MQTT.js clients or the simulator is not there. */
  driver: Driver;
  helioSkipped?: string;
  mosquittoSkipped?: string;
  organisation?: { organisationId: string; siteId: string; apiKey: string };
}
