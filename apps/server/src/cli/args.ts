// Command-line parsing on node:util parseArgs: find the command named by the
// leading words, then parse the rest strictly against that command's options.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError } from './errors.js';

export type OptionSpec =
  | {
      type: 'string';
      /** Placeholder in help, e.g. `id`. */
      value: string;
      description: string;
      required?: boolean;
      short?: string;
      /** May be given several times (`--key a --key b`): read with `Args.strings`. */
      multiple?: boolean;
    }
  | { type: 'boolean'; description: string; short?: string };

export interface PositionalSpec {
  name: string;
  description: string;
}

/** Options every command accepts. */
export const globalOptions = {
  json: { type: 'boolean', description: 'Print one JSON value on stdout and nothing else (errors go to stderr as JSON)' },
  config: { type: 'string', value: 'file', description: 'YAML config file (default: $HELIO_CONFIG, or ./helio.yaml if present)' },
  'database-url': {
    type: 'string',
    value: 'url',
    description: 'PostgreSQL connection string (default: $DATABASE_URL; embedded PGlite when unset)',
  },
  'data-dir': {
    type: 'string',
    value: 'dir',
    description: 'Data directory: PGlite database, uploads, secrets (default: $HELIO_DATA_DIR or .helio-data)',
  },
  help: { type: 'boolean', short: 'h', description: 'Show help' },
} as const satisfies Record<string, OptionSpec>;

/** Options only the bare `helio` accepts. */
export const rootOptions = {
  ...globalOptions,
  version: { type: 'boolean', description: 'Print the version' },
} as const satisfies Record<string, OptionSpec>;

export class UsageError extends CliError {
  constructor(
    message: string,
    /** The command (words) whose usage to show, if known. */
    readonly commandPath: readonly string[] = [],
  ) {
    super('USAGE_ERROR', message, { exitCode: 2 });
    this.name = 'UsageError';
  }
}

/** A command's parsed options and positional arguments. */
export class Args {
  constructor(
    private readonly values: Readonly<Record<string, string | string[] | boolean | undefined>>,
    readonly positionals: readonly string[],
    private readonly commandPath: readonly string[],
  ) {}

  string(name: string): string | undefined {
    const v = this.values[name];
    return typeof v === 'string' ? v : undefined;
  }

  /** Every value of an option declared `multiple`, in the order given. */
  strings(name: string): string[] {
    const v = this.values[name];
    return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
  }

  /** A string option the command cannot do without. */
  required(name: string): string {
    const v = this.string(name);
    if (v === undefined) throw new UsageError(`missing required option --${name}`, this.commandPath);
    return v;
  }

  flag(name: string): boolean {
    return this.values[name] === true;
  }

  positional(index: number): string {
    const v = this.positionals[index];
    if (v === undefined) throw new UsageError('missing argument', this.commandPath);
    return v;
  }
}

export interface CommandShape {
  path: readonly string[];
  options: Readonly<Record<string, OptionSpec>>;
  positionals?: readonly PositionalSpec[];
}

export type Resolved<C> =
  | { kind: 'command'; command: C; rest: string[] }
  /** Words that name a group of commands (`apikey`) but no command. */
  | { kind: 'group'; words: string[]; rest: string[] }
  | { kind: 'none'; rest: string[] }
  /** `helio help [words...]`. */
  | { kind: 'help'; words: string[]; rest: string[] };

const globalValueOptions = new Set(
  Object.entries(globalOptions)
    .filter(([, spec]) => spec.type === 'string')
    .map(([name]) => `--${name}`),
);

const startsWith = (path: readonly string[], words: readonly string[]) => words.every((w, i) => path[i] === w);

/**
 * Finds the command the leading words name. Global options may come before
 * or between the words; everything after the command belongs to it.
 */
export function resolveCommand<C extends CommandShape>(argv: readonly string[], commands: readonly C[]): Resolved<C> {
  const words: string[] = [];
  const rest: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (token.startsWith('-') && token !== '-') {
      rest.push(token);
      if (globalValueOptions.has(token) && i + 1 < argv.length) rest.push(argv[++i]!);
      continue;
    }
    if (!help && words.length === 0 && token === 'help') {
      help = true;
      continue;
    }
    const candidate = [...words, token];
    if (!commands.some((c) => startsWith(c.path, candidate))) {
      if (help) throw new UsageError(`no help for unknown command "${candidate.join(' ')}"`);
      const known = words.length ? `; "${words.join(' ')}" has: ${subcommandsOf(commands, words).join(', ')}` : '';
      throw new UsageError(`unknown command "${candidate.join(' ')}"${known}`, words);
    }
    words.push(token);
    const command = commands.find((c) => c.path.length === words.length && startsWith(c.path, words));
    if (command && !help) return { kind: 'command', command, rest: [...rest, ...argv.slice(i + 1)] };
  }
  if (help) return { kind: 'help', words, rest };
  return words.length ? { kind: 'group', words, rest } : { kind: 'none', rest };
}

export function subcommandsOf(commands: readonly CommandShape[], words: readonly string[]): string[] {
  return [...new Set(commands.filter((c) => c.path.length > words.length && startsWith(c.path, words)).map((c) => c.path[words.length]!))];
}

type ParseOptions = NonNullable<ParseArgsConfig['options']>;

function toParseArgsOptions(specs: Readonly<Record<string, OptionSpec>>): ParseOptions {
  const out: ParseOptions = {};
  for (const [name, spec] of Object.entries(specs)) {
    out[name] = {
      type: spec.type,
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.type === 'string' && spec.multiple ? { multiple: true } : {}),
    };
  }
  return out;
}

/**
 * Parses `rest` strictly against `options`: unknown options, missing values
 * and stray arguments are usage errors. Required options are checked by
 * `checkRequired`, after `--help` has had its chance.
 */
export function parseOptions(
  rest: readonly string[],
  options: Readonly<Record<string, OptionSpec>>,
  positionals: readonly PositionalSpec[],
  commandPath: readonly string[],
): Args {
  let parsed: { values: Record<string, string | string[] | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...rest], options: toParseArgsOptions(options), allowPositionals: true, strict: true }) as typeof parsed;
  } catch (err) {
    if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) {
      // Node's messages end with a hint about `--` that does not help here.
      throw new UsageError(err.message.replace(/\. To specify a positional argument.*$/s, ''), commandPath);
    }
    throw err;
  }
  if (parsed.values['help'] !== true && parsed.positionals.length > positionals.length) {
    throw new UsageError(`unexpected argument "${parsed.positionals[positionals.length]}"`, commandPath);
  }
  return new Args(parsed.values, parsed.positionals, commandPath);
}

export function checkRequired(
  args: Args,
  options: Readonly<Record<string, OptionSpec>>,
  positionals: readonly PositionalSpec[],
  commandPath: readonly string[],
): void {
  for (const [name, spec] of Object.entries(options)) {
    if (spec.type === 'string' && spec.required && args.strings(name).length === 0) {
      throw new UsageError(`missing required option --${name} <${spec.value}>`, commandPath);
    }
  }
  const missing = positionals[args.positionals.length];
  if (missing) throw new UsageError(`missing argument <${missing.name}>`, commandPath);
}
