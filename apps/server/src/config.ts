// The one place configuration is read: defaults, then a YAML file, then the
// environment, validated, frozen, and printable with secrets masked.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** A port: 0 asks the system for a free one. */
const portSetting = z.coerce.number().int().min(0).max(65535);

/** true/false, also as the environment spells them (1/0, yes/no, on/off). */
const booleanSetting = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  const words: Record<string, boolean> = { true: true, false: false, '1': true, '0': false, yes: true, no: false, on: true, off: false };
  return words[v.trim().toLowerCase()] ?? v;
}, z.boolean());

/** The MQTT gateway devices (plants) connect to. */
export const mqttConfigSchema = z.strictObject({
  /** Runs the gateway inside the server process. */
  enabled: booleanSetting.default(true),
  /** Interface the gateway listens on; defaults to `host`. */
  host: z.string().min(1).optional(),
  /** MQTT over TCP (TOKEN and PASSWORD plants). 1883 is often taken by a system Mosquitto, hence 1884. */
  port: portSetting.default(1884),
  /** MQTT over TLS (every plant; MTLS plants must use it). */
  tlsPort: portSetting.default(8884),
  /** Host name devices reach the gateway at, written into provisioning packages; defaults to `host` (`localhost` for a wildcard host). */
  publicHost: z.string().min(1).optional(),
  /** Redis (redis:// or rediss://) shared by several server instances: subscriptions, sessions and fan-out. */
  redisUrl: z
    .string()
    .min(1)
    .refine((v) => /^rediss?:\/\//.test(v), 'must be a redis:// or rediss:// URL')
    .optional(),
  /** The device CA's certificate (PEM), instead of the one Helio creates in `<dataDir>/device-ca`. */
  caCertFile: z.string().min(1).optional(),
  /** The device CA's private key (PEM), with `caCertFile`. */
  caKeyFile: z.string().min(1).optional(),
  /** Passphrase of an encrypted `caKeyFile`. */
  caKeyPassphrase: z.string().min(1).optional(),
  /** Validity of the client certificates `provision` issues, in days. */
  certificateValidityDays: z.coerce.number().int().min(1).max(3650).default(365),
  /** A queued command not delivered and answered within this many seconds expires. */
  commandTtlSeconds: z.coerce.number().int().min(1).max(31_536_000).default(86_400),
  /** Largest MQTT payload a plant may publish, in bytes; a larger packet closes the connection. */
  maxPayloadBytes: z.coerce.number().int().min(256).max(16_777_216).default(65_536),
  /**
   * Delay before refusing a connection from an address whose attempts keep failing: the third
   * failure within ten minutes waits this long, each further one twice as long (at most 10 s). 0 turns it off.
   */
  authFailureDelayMs: z.coerce.number().int().min(0).max(10_000).default(250),
  /** CONNECTs of one address checked at once, a refusal's delay included; more wait their turn (at most 5,000). */
  connectsPerSource: z.coerce.number().int().min(1).max(10_000).default(16),
  /**
   * With `redisUrl`: how often this server tells the others it is alive. One silent for three
   * intervals is taken for dead: its plants' wills are published and its plants marked OFFLINE.
   * The same on every server.
   */
  heartbeatIntervalMs: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
});

export type MqttConfig = Readonly<z.infer<typeof mqttConfigSchema>> & { readonly host: string; readonly publicHost: string };

export const configSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Base URL clients reach the server at, used in upload and download URLs. Defaults to http://host:port. */
  publicUrl: z.url().optional(),
  /** PostgreSQL connection string. When absent, Helio runs on embedded PGlite in `dataDir`. */
  databaseUrl: z.string().min(1).optional(),
  /** Where the PGlite database, uploaded files and generated secrets live. */
  dataDir: z.string().min(1).default('.helio-data'),
  /** Secret for signing upload and download URLs; generated and kept in the data directory when absent. */
  secret: z.string().min(32, 'must be at least 32 characters').optional(),
  logLevel: logLevel.default('info'),
  /** Requests a credential (or an anonymous IP) may make per minute. */
  rateLimitPerMinute: z.coerce.number().int().min(1).default(1200),
  /** Largest JSON body accepted, in bytes. */
  bodyLimitBytes: z.coerce.number().int().min(1024).default(1_048_576),
  /** Largest document accepted, in bytes. */
  maxUploadBytes: z.coerce.number().int().min(1).default(104_857_600),
  /** Seconds between runs of the alert rules over every site (System Disconnect needs the schedule); 0 turns the schedule off. */
  alertsIntervalSeconds: z.coerce.number().int().min(0).max(86_400).default(60),
  /** The MQTT gateway (nested in the config file; `HELIO_MQTT_*` in the environment). */
  mqtt: mqttConfigSchema.prefault({}),
});

/** The settings, with every default filled in (the gateway's host and public host included). */
export type Config = Readonly<Omit<z.infer<typeof configSchema>, 'mqtt'> & { mqtt: MqttConfig }>;

/** Environment variable for each setting. */
const envNames: Record<Exclude<keyof z.infer<typeof configSchema>, 'mqtt'>, string[]> = {
  host: ['HELIO_HOST', 'HOST'],
  port: ['HELIO_PORT', 'PORT'],
  publicUrl: ['HELIO_PUBLIC_URL'],
  databaseUrl: ['DATABASE_URL'],
  dataDir: ['HELIO_DATA_DIR'],
  secret: ['HELIO_SECRET'],
  logLevel: ['HELIO_LOG_LEVEL', 'LOG_LEVEL'],
  rateLimitPerMinute: ['HELIO_RATE_LIMIT_PER_MINUTE'],
  bodyLimitBytes: ['HELIO_BODY_LIMIT_BYTES'],
  maxUploadBytes: ['HELIO_MAX_UPLOAD_BYTES'],
  alertsIntervalSeconds: ['HELIO_ALERTS_INTERVAL_SECONDS'],
};

/** Environment variable for each gateway setting (`mqtt.*` in the config file). */
const mqttEnvNames: Record<keyof z.infer<typeof mqttConfigSchema>, string[]> = {
  enabled: ['HELIO_MQTT_ENABLED'],
  host: ['HELIO_MQTT_HOST'],
  port: ['HELIO_MQTT_PORT'],
  tlsPort: ['HELIO_MQTTS_PORT', 'HELIO_MQTT_TLS_PORT'],
  publicHost: ['HELIO_MQTT_PUBLIC_HOST'],
  redisUrl: ['HELIO_MQTT_REDIS_URL'],
  caCertFile: ['HELIO_MQTT_CA_CERT_FILE'],
  caKeyFile: ['HELIO_MQTT_CA_KEY_FILE'],
  caKeyPassphrase: ['HELIO_MQTT_CA_KEY_PASSPHRASE'],
  certificateValidityDays: ['HELIO_MQTT_CERTIFICATE_VALIDITY_DAYS'],
  commandTtlSeconds: ['HELIO_MQTT_COMMAND_TTL_SECONDS'],
  maxPayloadBytes: ['HELIO_MQTT_MAX_PAYLOAD_BYTES'],
  authFailureDelayMs: ['HELIO_MQTT_AUTH_FAILURE_DELAY_MS'],
  connectsPerSource: ['HELIO_MQTT_CONNECTS_PER_SOURCE'],
  heartbeatIntervalMs: ['HELIO_MQTT_HEARTBEAT_INTERVAL_MS'],
};

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  /** Path of a YAML config file; `HELIO_CONFIG` or `./helio.yaml` (if present) otherwise. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Values that win over everything (command-line flags). */
  overrides?: Partial<z.input<typeof configSchema>>;
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const file = options.file ?? env['HELIO_CONFIG'] ?? (existsSync('helio.yaml') ? 'helio.yaml' : undefined);
  let fromFile: Record<string, unknown> = {};
  if (file) {
    const path = resolve(file);
    if (!existsSync(path)) throw new ConfigError(`config file ${path} does not exist`);
    const parsed: unknown = parseYaml(readFileSync(path, 'utf8'));
    if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) {
      throw new ConfigError(`config file ${path} must hold a mapping of settings`);
    }
    fromFile = (parsed as Record<string, unknown> | null) ?? {};
  }
  const fromEnv = readEnv(env, envNames);
  const mqttFromEnv = readEnv(env, mqttEnvNames);
  const overrides = stripUndefined(options.overrides ?? {});
  // The gateway's settings merge one by one: a file's mqtt.port and the environment's HELIO_MQTTS_PORT both count.
  // A bare `mqtt:` in the file is an empty section; anything else that is not a mapping is reported as it is.
  const mqttLayers: unknown[] = [fromFile['mqtt'] ?? undefined, mqttFromEnv, overrides.mqtt];
  const notMapping = mqttLayers.find((l) => l !== undefined && (typeof l !== 'object' || l === null || Array.isArray(l)));
  const mqtt = notMapping ?? Object.assign({}, ...mqttLayers.map((l) => stripUndefined((l ?? {}) as object)));
  const result = configSchema.safeParse({ ...fromFile, ...fromEnv, ...overrides, mqtt });
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const data = result.data;
  const mqttHost = data.mqtt.host ?? data.host;
  const config: Config = {
    ...data,
    mqtt: Object.freeze({ ...data.mqtt, host: mqttHost, publicHost: data.mqtt.publicHost ?? publicHostFor(mqttHost) }),
  };
  return Object.freeze(config);
}

function readEnv(env: NodeJS.ProcessEnv, names: Record<string, string[]>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [key, candidates] of Object.entries(names)) {
    const name = candidates.find((n) => env[n] !== undefined && env[n] !== '');
    if (name) values[key] = env[name];
  }
  return values;
}

/** What devices are told to connect to when no public host is set: the listening host, unless it is every interface. */
function publicHostFor(host: string): string {
  return ['0.0.0.0', '::', '[::]', '::0'].includes(host) ? 'localhost' : host;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The configuration as it may be logged: secrets and passwords masked. */
export function describeConfig(config: Config): Record<string, unknown> {
  return {
    ...config,
    secret: config.secret ? '***' : undefined,
    databaseUrl: config.databaseUrl ? maskUrlPassword(config.databaseUrl) : undefined,
    mqtt: {
      ...config.mqtt,
      redisUrl: config.mqtt.redisUrl ? maskUrlPassword(config.mqtt.redisUrl) : undefined,
      caKeyPassphrase: config.mqtt.caKeyPassphrase ? '***' : undefined,
    },
  };
}

function maskUrlPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '***';
  }
}
