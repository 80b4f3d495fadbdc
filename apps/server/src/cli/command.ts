import type { Config, LoadConfigOptions } from '../config.js';
import type { Args, OptionSpec, PositionalSpec } from './args.js';
import type { CliIo, CommandOutput } from './output.js';

/** Settings a command may pin from its own flags (`serve --port`). */
export type ConfigOverrides = NonNullable<LoadConfigOptions['overrides']>;

/** What a running command gets: the process and the global flags, already read. */
export interface CommandContext {
  io: CliIo;
  json: boolean;
  /** The configuration: defaults < config file < environment < --database-url/--data-dir < `overrides`. */
  config(overrides?: ConfigOverrides): Config;
}

export interface Command {
  /** The words that name it: `['apikey', 'create']`. */
  path: readonly string[];
  summary: string;
  /** A paragraph for `--help`, when the summary is not enough. */
  description?: string;
  options: Readonly<Record<string, OptionSpec>>;
  positionals?: readonly PositionalSpec[];
  examples: readonly string[];
  /** Resolves to what to print, or undefined for a command that keeps running (`serve`). */
  run(cx: CommandContext, args: Args): Promise<CommandOutput | undefined>;
}
