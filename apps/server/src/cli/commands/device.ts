// `helio device simulate`: a plant from its provisioning package, on the
// command line. It needs no database: only the package and a reachable
// gateway. What it does is told as it happens on standard error (not with
// --json); the totals come on standard output at the end.
import { readFile } from 'node:fs/promises';
import { unwatchFile, watchFile } from 'node:fs';
import { isDomainError } from '@helio/core/basics';
import type { parseProvisioningPackage, ProvisioningPackage, SignalSpec } from '../../devices/package.js';
import type { DeviceConnectError, DeviceSimulator, SimulatorEvent, SimulatorStats } from '../../devices/simulator-types.js';
import type { Args } from '../args.js';
import type { Command } from '../command.js';
import { CliError } from '../errors.js';
import { fields, type CliIo } from '../output.js';
import { progressBar } from '../progress.js';

const MAX_RATE = 10_000;

function positiveNumber(args: Args, name: string, whole: boolean, max = Infinity): number | undefined {
  const raw = args.string(name);
  if (raw === undefined) return undefined;
  const ok = whole ? /^\d+$/.test(raw) : /^\d+(\.\d+)?$/.test(raw);
  const value = Number(raw);
  if (!ok || value <= 0 || value > max) {
    const what = whole ? 'a whole number' : 'a number';
    throw new CliError(
      'VALIDATION_ERROR',
      `--${name} must be ${what} above 0${Number.isFinite(max) ? ` and at most ${max}` : ''} (got "${raw}")`,
    );
  }
  return value;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

async function readJson(cx: { io: CliIo }, path: string, what: string): Promise<unknown> {
  let text: string;
  if (path === '-') text = await cx.io.readStdin();
  else {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (err) {
      throw new CliError('NOT_FOUND', `cannot read ${what} ${path}: ${(err as Error).message}`);
    }
    // Strictly: read leniently, a bad byte in a secret would become U+FFFD and sign every message wrong.
    try {
      text = utf8.decode(bytes);
    } catch {
      throw new CliError('VALIDATION_ERROR', `${what} ${path} is not UTF-8 text`, { hint: 'use the file as Helio wrote it' });
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CliError('VALIDATION_ERROR', `${what} ${path} is not JSON: ${(err as Error).message}`);
  }
}

function readPackage(parse: typeof parseProvisioningPackage, value: unknown, path: string): ProvisioningPackage {
  try {
    return parse(value);
  } catch (err) {
    if (!isDomainError(err)) throw err;
    throw new CliError('VALIDATION_ERROR', `${path} is not a usable provisioning package`, {
      details: err.details,
      hint: 'save the package with GET /api/v1/plants/{id}/provision/download (or the answer of POST .../provision)',
    });
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** One line for people about an event, or null for those not worth a line. */
function describe(event: SimulatorEvent, plantId: string): string | null {
  switch (event.type) {
    case 'connecting':
      return event.attempt === 1 ? `Connecting to ${event.url} as plant ${plantId}` : null;
    case 'connected':
      return `Connected to ${event.url}${event.waiting ? ` (${count(event.waiting, 'message')} waiting to be sent)` : ''}`;
    case 'subscribed':
      return `Listening for commands on ${event.topic}`;
    case 'subscribe-refused':
      return `The gateway refused the subscription to ${event.topic}: commands will not arrive`;
    case 'unreachable':
      return `Cannot reach the gateway (${event.reason}); trying again in ${seconds(event.retryInMs)}, ${count(event.waiting, 'message')} waiting`;
    case 'disconnected':
      return `Connection lost (${event.reason}); reconnecting in ${seconds(event.retryInMs)}, ${count(event.waiting, 'message')} waiting`;
    case 'refused':
      return `The gateway refused the plant (${event.reason}); trying again in ${seconds(event.retryInMs)}`;
    case 'replayed':
      return `Sent the ${count(event.count, 'telemetry message')} that waited for the connection`;
    case 'telemetry-rejected':
      return `The gateway refused telemetry message ${event.seq}: ${event.reason}`;
    case 'command': {
      const again = event.duplicate ? ' (received again: same answer)' : '';
      const response = event.response ? ` ${JSON.stringify(event.response)}` : '';
      return `Command ${event.cmdId} "${event.command}": ${event.status}${response}${again}`;
    }
    case 'command-rejected':
      return `Ignored a command (${event.reason}): not acknowledged`;
    case 'secret-changed':
      return 'Signing with the new HMAC secret from the package (the old one still checks commands for 60 minutes)';
    case 'telemetry-acked':
    case 'telemetry-dropped':
      return null;
  }
}

export const deviceSimulate: Command = {
  path: ['device', 'simulate'],
  summary: 'Connect to the MQTT gateway as a plant, from its provisioning package, and send telemetry',
  description:
    "Connects as the plant of a provisioning package over TLS to the package's mqtt.port, checking the gateway's certificate " +
    "against the package's caCert, with the plant's credentials (MTLS: its client certificate; TOKEN: its token; PASSWORD: its " +
    'password); --tcp uses plain MQTT on mqtt.tcpPort instead, only on a trusted network. It announces itself ONLINE, ' +
    "publishes HMAC-signed telemetry at --rate (QoS 1) on the signals of the plant's template (with --template or a package " +
    'that carries one) or W and Wh, and answers the commands it receives (ping, reboot, set-power-limit and its template ' +
    'actions: acked, then done or failed; anything else declined; a command whose signature does not verify is ignored). ' +
    'After a dropped connection it reconnects with growing pauses, keeping unsent telemetry (up to --buffer-limit, dropping ' +
    'the oldest beyond) and sending it first, in order. Runs until --count messages are acknowledged, --duration seconds, ' +
    'Ctrl-C, or --max-refusals refusals. While it runs, a changed hmacSecret, token or password in the package file is taken ' +
    'up (after rotate-secret or mqtt-token). See docs/plants.md.',
  options: {
    package: { type: 'string', value: 'file', required: true, description: 'The provisioning package (JSON; - reads standard input)' },
    rate: { type: 'string', value: 'msgs/s', description: `Telemetry messages per second (default 1, at most ${MAX_RATE})` },
    count: { type: 'string', value: 'n', description: 'Send n telemetry messages, and stop once all are acknowledged' },
    duration: {
      type: 'string',
      value: 'seconds',
      description: 'Stop making telemetry after this many seconds (then wait 10 s at most for acknowledgements)',
    },
    'insecure-host-check': {
      type: 'boolean',
      description: "Accept a gateway certificate for another host name (still checked against the package's CA)",
    },
    host: { type: 'string', value: 'host', description: "Gateway host (default: the package's mqtt.broker)" },
    port: { type: 'string', value: 'port', description: "Gateway port (default: the package's mqtt.port; with --tcp its mqtt.tcpPort)" },
    tcp: {
      type: 'boolean',
      description:
        "Plain MQTT over TCP on the package's mqtt.tcpPort, not TLS: the token or password travels unencrypted. Only on a trusted network or in tests; not for MTLS",
    },
    key: {
      type: 'string',
      value: 'file',
      description: 'Private key (PEM) of a certificate issued from your CSR (the package then has none)',
    },
    template: {
      type: 'string',
      value: 'file',
      description: 'A template (JSON with "signals", as GET /api/v1/templates/{id} answers) to send',
    },
    device: { type: 'string', value: 'nodeId', description: 'Send the telemetry as this sub-device of the plant' },
    'buffer-limit': { type: 'string', value: 'n', description: 'Telemetry messages kept while offline (default 10000)' },
    'mqtt-version': { type: 'string', value: '3.1.1|5', description: 'MQTT protocol version (default 3.1.1)' },
    'max-refusals': {
      type: 'string',
      value: 'n',
      description: 'Give up (exit status 1) once the gateway refused the plant n times in a row (default: keep trying)',
    },
  },
  examples: [
    'npx helio device simulate --package plant-provisioning.json',
    'npx helio device simulate --package plant.json --rate 5 --duration 60',
    'npx helio device simulate --package plant.json --count 100 --json',
    'curl -s -X POST -H "x-api-key: $KEY" $BASE/api/v1/plants/$PLANT/provision | npx helio device simulate --package - --count 10',
  ],
  async run(cx, args) {
    // Loaded when the command runs, not with the command table that every command line loads.
    const { parseProvisioningPackage, parseTemplateSignals } = await import('../../devices/package.js');
    const packagePath = args.required('package');
    const pkg = readPackage(parseProvisioningPackage, await readJson(cx, packagePath, 'package'), packagePath);
    const rate = positiveNumber(args, 'rate', false, MAX_RATE) ?? 1;
    const total = positiveNumber(args, 'count', true);
    const duration = positiveNumber(args, 'duration', false);
    const port = positiveNumber(args, 'port', true, 65535);
    const bufferLimit = positiveNumber(args, 'buffer-limit', true);
    const maxRefusals = positiveNumber(args, 'max-refusals', true);
    const version = args.string('mqtt-version');
    if (version !== undefined && !['3.1.1', '4', '5'].includes(version)) {
      throw new CliError('VALIDATION_ERROR', `--mqtt-version must be 3.1.1 or 5 (got "${version}")`);
    }
    const templatePath = args.string('template');
    let signals: SignalSpec[] | undefined;
    if (templatePath) {
      try {
        signals = parseTemplateSignals(await readJson(cx, templatePath, 'template'));
      } catch (err) {
        if (!isDomainError(err)) throw err;
        throw new CliError('VALIDATION_ERROR', `${templatePath} has no usable "signals"`, { details: err.details });
      }
    }
    const keyPath = args.string('key');
    const clientKey = keyPath
      ? await readFile(keyPath, 'utf8').catch((err: Error) => {
          throw new CliError('NOT_FOUND', `cannot read key ${keyPath}: ${err.message}`);
        })
      : undefined;

    const io = cx.io;
    const talk = !cx.json;
    const progress = progressBar(io, cx.json, 'device');
    const say = (line: string) => {
      if (!talk) return;
      progress.end();
      io.stderr(`${line}\n`);
    };
    let droppedSince = 0;
    let droppedNoted = 0;
    let refusedInARow = 0;
    const stop = new AbortController();
    const failure: { error?: DeviceConnectError } = {};

    // Loaded here: MQTT.js is for this command only.
    const { createDeviceSimulator, DeviceConnectError, DeviceSetupError } = await import('../../devices/simulator.js');
    let sim: DeviceSimulator;
    try {
      sim = createDeviceSimulator(pkg, {
        ratePerSecond: rate,
        insecureHostCheck: args.flag('insecure-host-check'),
        tcp: args.flag('tcp'),
        protocolVersion: version === '5' ? 5 : 4,
        ...(args.string('host') ? { host: args.string('host') } : {}),
        ...(port ? { port } : {}),
        ...(bufferLimit ? { bufferLimit } : {}),
        ...(signals ? { signals } : {}),
        ...(clientKey ? { clientKey } : {}),
        ...(args.string('device') ? { device: args.string('device') } : {}),
        onEvent: (event) => {
          if (event.type === 'telemetry-dropped') droppedSince += event.count;
          if (event.type === 'connected') refusedInARow = 0;
          if (event.type === 'refused' && maxRefusals !== undefined && ++refusedInARow >= maxRefusals) {
            if (!failure.error) {
              say(`The gateway refused the plant (${event.reason}): giving up after ${count(refusedInARow, 'refusal')} in a row`);
              failure.error = new DeviceConnectError('refused', `${event.reason} (${count(refusedInARow, 'time')} in a row)`, event.code);
              stop.abort();
            }
            return;
          }
          const line = describe(event, pkg.plantId);
          if (line) say(line);
        },
      });
    } catch (err) {
      if (err instanceof DeviceSetupError) throw new CliError('VALIDATION_ERROR', err.message);
      throw err;
    }

    const stopListening = io.onInterrupt?.(() => {
      say('Stopping: waiting up to 2 s for acknowledgements, then disconnecting');
      stop.abort();
    });
    const startedAt = Date.now();

    // Picks up a rotated secret or a new token written into the package file while running.
    const watching = packagePath !== '-';
    if (watching) {
      watchFile(packagePath, { interval: 1000 }, () => {
        void readFile(packagePath).then(
          (bytes) => {
            let next: ProvisioningPackage;
            try {
              next = parseProvisioningPackage(JSON.parse(utf8.decode(bytes)));
            } catch {
              return say(`${packagePath} changed but is not a usable package: keeping the credentials in use`);
            }
            if (next.plantId !== pkg.plantId) return say(`${packagePath} now names another plant: ignored`);
            sim.setHmacSecret(next.security.hmacSecret);
            const password = next.authMethod === 'TOKEN' ? next.security.token : next.security.password;
            const before = pkg.authMethod === 'TOKEN' ? pkg.security.token : pkg.security.password;
            if (password && password !== before) {
              sim.setPassword(password);
              pkg.security.token = next.security.token;
              pkg.security.password = next.security.password;
              say(`Using the new ${pkg.authMethod === 'TOKEN' ? 'token' : 'password'} from the package from the next connection on`);
            }
          },
          () => undefined,
        );
      });
    }

    const ticker = setInterval(() => {
      const s = sim.stats();
      if (droppedSince > 0 && talk) {
        droppedNoted += droppedSince;
        say(`Buffer full: dropped the ${count(droppedSince, 'oldest telemetry message')} (${droppedNoted} in all)`);
        droppedSince = 0;
      }
      const note = `${s.telemetry.acked} acknowledged, ${s.telemetry.waiting + s.telemetry.inFlight} waiting${s.connected ? '' : ', offline'}`;
      if (total !== undefined) progress.update(s.telemetry.acked, total, note);
      else if (duration !== undefined) progress.update(Math.min(duration, Math.floor((Date.now() - startedAt) / 1000)), duration, note);
      else progress.update(0, 0, note);
    }, 250);

    let stats: SimulatorStats;
    try {
      // The plant measures from the start; what it cannot send yet waits in its buffer.
      sim.start(stop.signal).catch((err: unknown) => {
        if (err instanceof DeviceConnectError && err.kind !== 'aborted') {
          failure.error = err;
          stop.abort();
        }
      });
      await sim.run({
        ...(total !== undefined ? { count: total } : {}),
        ...(duration !== undefined ? { durationSeconds: duration } : {}),
        signal: stop.signal,
      });
    } finally {
      clearInterval(ticker);
      progress.end();
      stopListening?.();
      if (watching) unwatchFile(packagePath);
      stats = await sim.close();
    }
    if (failure.error) throw connectError(failure.error, pkg);

    const elapsed = Date.now() - startedAt;
    const t = stats.telemetry;
    const unacknowledged = t.waiting + t.inFlight;
    const summary = {
      plantId: pkg.plantId,
      url: sim.url,
      authMethod: pkg.authMethod,
      ratePerSecond: rate,
      seconds: Math.round(elapsed / 100) / 10,
      connects: stats.connects,
      drops: stats.drops,
      refusals: stats.refusals,
      telemetry: { ...t, unacknowledged },
      statusAcknowledged: stats.status.acked,
      commands: stats.commands,
      acksDelivered: stats.acksDelivered,
    };
    const c = stats.commands;
    const text = [
      `Plant ${pkg.plantId} (${pkg.authMethod}) on ${sim.url} for ${seconds(elapsed)}`,
      fields([
        [
          'telemetry',
          `${t.generated} made, ${t.acked} acknowledged, ${t.resent} sent again, ${t.dropped} dropped (buffer full), ` +
            `${unacknowledged} not acknowledged${t.rejected ? `, ${t.rejected} refused` : ''}`,
        ],
        [
          'commands',
          `${c.received} received: ${c.done} done, ${c.failed} failed, ${c.declined} declined, ` +
            `${c.rejected} ignored (bad signature or not a command)${c.duplicates ? `, ${c.duplicates} repeated` : ''}`,
        ],
        ['connections', `${stats.connects} made, ${stats.drops} lost, ${stats.refusals} refused`],
      ]),
    ].join('\n');
    return { json: summary, text };
  },
};

function connectError(err: DeviceConnectError, pkg: ProvisioningPackage): CliError {
  if (err.kind === 'tls') {
    const altName = err.code === 'ERR_TLS_CERT_ALTNAME_INVALID';
    return new CliError('UNAUTHORIZED', err.message, {
      hint: altName
        ? `the gateway's certificate is not for "${pkg.mqtt.broker}": use --host with a name it is for (the server's mqtt.publicHost), or --insecure-host-check`
        : "the package's caCert is not the CA of this gateway: download a fresh package from the server you connect to",
    });
  }
  return new CliError(
    'UNAUTHORIZED',
    `the gateway refused plant ${pkg.plantId}: ${err.message.replace(/^the gateway refused the plant: /, '')}`,
    {
      hint: 'the plant must be provisioned and neither suspended nor revoked, and the package its latest: provisioning again replaces its credentials',
    },
  );
}
