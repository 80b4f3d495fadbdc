// The one place configuration is read: defaults, then a YAML file, then the
// environment, validated, frozen, and printable with secrets masked.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

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
});

export type Config = Readonly<z.infer<typeof configSchema>>;

/** Environment variable for each setting. */
const envNames: Record<keyof z.infer<typeof configSchema>, string[]> = {
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
  const fromEnv: Record<string, unknown> = {};
  for (const [key, names] of Object.entries(envNames)) {
    const name = names.find((n) => env[n] !== undefined && env[n] !== '');
    if (name) fromEnv[key] = env[name];
  }
  const result = configSchema.safeParse({ ...fromFile, ...fromEnv, ...stripUndefined(options.overrides ?? {}) });
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return Object.freeze(result.data);
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
