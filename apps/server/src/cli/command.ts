import type { FastifyBaseLogger } from 'fastify';
import type { Config, LoadConfigOptions } from '../config.js';
import type { AppServices } from '../services.js';
import type { Args, OptionSpec, PositionalSpec } from './args.js';
import type { CliIo, CommandOutput } from './output.js';

/** Settings a command may pin from its own flags (`serve --port`). */
export type ConfigOverrides = NonNullable<LoadConfigOptions['overrides']>;

/** What commands work with: the database, time, ids and configuration. */
export type CommandServices = Pick<AppServices, 'db' | 'clock' | 'ids' | 'config'>;

/** What `serve` uses of the server it starts (a `RunningServer` from server.ts). */
export interface StartedServer {
  url: string;
  app: { log: Pick<FastifyBaseLogger, 'info' | 'error'> };
  close(): Promise<void>;
}

/**
 * Starts the HTTP server. The entry point (main.ts) passes it in rather than
 * the command table importing server.ts: the server runs CLI commands through
 * its admin channel, so that import would close a loop (server -> admin
 * channel -> commands -> serve -> server).
 */
export type StartServer = (config: Config) => Promise<StartedServer>;

/** What a running command gets: the process and the global flags, already read. */
export interface CommandContext {
  io: CliIo;
  json: boolean;
  /** The configuration: defaults < config file < environment < --database-url/--data-dir < `overrides`. */
  config(overrides?: ConfigOverrides): Config;
  /**
   * Runs `fn` with the services, supplied by whoever runs the command: the CLI
   * opens the configured database for the call and closes it afterwards; a
   * server running a command for the CLI lends its own, already open.
   */
  withServices<T>(fn: (services: CommandServices) => Promise<T>): Promise<T>;
  startServer: StartServer;
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
  /**
   * A management command that a running server may run on the CLI's behalf
   * when it holds the PGlite data directory (see `admin-channel/`). Never
   * `serve` or `migrate`.
   */
  forwardable?: boolean;
  /** Resolves to what to print, or undefined for a command that keeps running (`serve`). */
  run(cx: CommandContext, args: Args): Promise<CommandOutput | undefined>;
}
