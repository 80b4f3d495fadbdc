// The dispatcher: argv in, output and an exit status out. No process globals
// here (main.ts wires those), so tests can drive it in-process too. A running
// server calls it as well, for the commands it runs on the CLI's behalf.
import { DataDirLockedError } from '@helio/db/data-dir-lock';
import { version } from '../version.js';
import { checkRequired, globalOptions, parseOptions, resolveCommand, rootOptions, subcommandsOf, UsageError } from './args.js';
import type { Command, CommandContext, CommandServices, StartServer } from './command.js';
import { commands } from './commands/index.js';
import { withOwnDatabase } from './context.js';
import { CliError, reportError } from './errors.js';
import { commandHelp, groupHelp, rootHelp, usageLine } from './help.js';
import { printError, printOutput, type CliIo, type CommandOutput } from './output.js';

export interface RunOptions {
  /**
   * A running server's own services, for a command it runs on the CLI's
   * behalf: only forwardable commands run, on these, whatever the flags and
   * the configuration say.
   */
  lent?: CommandServices;
  /** How `serve` starts the server; only the CLI's entry point gives it (a server never runs `serve` for the CLI). */
  startServer?: StartServer;
}

/**
 * Runs one command line. Resolves to the exit status, or to undefined when
 * the command keeps the process running (`serve`).
 */
export async function run(argv: readonly string[], io: CliIo, options: RunOptions = {}): Promise<number | undefined> {
  // Known before parsing succeeds, so even a usage error is reported as JSON.
  const json = argv.includes('--json');
  const { lent } = options;
  // Kept, so a command that read it can still be forwarded to a server with it.
  let stdin: Promise<string> | undefined;
  const readStdin = () => (stdin ??= io.readStdin());
  try {
    const resolved = resolveCommand(argv, commands);
    if (lent && !(resolved.kind === 'command' && resolved.command.forwardable)) {
      const allowed = commands.filter((c) => c.forwardable).map((c) => c.path.join(' '));
      throw new CliError('FORBIDDEN', `a running server runs only these commands for the CLI: ${allowed.join(', ')}`);
    }
    if (resolved.kind === 'help') {
      const command = findCommand(resolved.words);
      io.stdout(command ? commandHelp(command) : resolved.words.length ? groupHelp(commands, resolved.words) : rootHelp(commands));
      return 0;
    }
    if (resolved.kind === 'none') {
      const args = parseOptions(resolved.rest, rootOptions, [], []);
      if (args.flag('version')) {
        printOutput(io, { json: { version }, text: `helio ${version}` }, json);
        return 0;
      }
      if (args.flag('help')) {
        io.stdout(rootHelp(commands));
        return 0;
      }
      throw new UsageError('no command given');
    }
    if (resolved.kind === 'group') {
      const args = parseOptions(resolved.rest, globalOptions, [], resolved.words);
      if (args.flag('help')) {
        io.stdout(groupHelp(commands, resolved.words));
        return 0;
      }
      throw new UsageError(
        `"${resolved.words.join(' ')}" needs a command: ${subcommandsOf(commands, resolved.words).join(', ')}`,
        resolved.words,
      );
    }

    const { command } = resolved;
    const positionals = command.positionals ?? [];
    const args = parseOptions(resolved.rest, { ...globalOptions, ...command.options }, positionals, command.path);
    if (args.flag('help')) {
      io.stdout(commandHelp(command));
      return 0;
    }
    checkRequired(args, command.options, positionals, command.path);
    // Here, not with the command table: help, --version and usage errors need neither YAML nor the config schema.
    const { loadConfig } = await import('../config.js');
    const config: CommandContext['config'] = (overrides = {}) =>
      lent
        ? lent.config
        : loadConfig({
            file: args.string('config'),
            env: io.env,
            overrides: { databaseUrl: args.string('database-url'), dataDir: args.string('data-dir'), ...overrides },
          });
    const cx: CommandContext = {
      io: { ...io, readStdin },
      json: args.flag('json'),
      config,
      withServices: (fn) => (lent ? fn(lent) : withOwnDatabase(config(), fn)),
      startServer: options.startServer ?? (() => Promise.reject(new CliError('INTERNAL_ERROR', 'this runner cannot start a server'))),
    };
    let output: CommandOutput | undefined;
    try {
      output = await command.run(cx, args);
    } catch (err) {
      // The server holds the PGlite directory: let it run the command, if it listens for that.
      if (!(err instanceof DataDirLockedError) || !command.forwardable || lent) throw err;
      const { forwardToServer } = await import('../admin-channel/forward.js');
      const reply = await forwardToServer(err, { argv: [...argv], ...(stdin ? { stdin: await stdin } : {}) });
      if (!reply) throw err;
      if (reply.stdout) io.stdout(reply.stdout);
      if (reply.stderr) io.stderr(reply.stderr);
      return reply.exitCode;
    }
    if (output === undefined) return undefined;
    printOutput(io, output, cx.json);
    return 0;
  } catch (err) {
    const report = await reportError(err);
    if (err instanceof UsageError) report.hint = usageHint(err.commandPath);
    printError(io, report, json);
    return report.exitCode;
  }
}

function findCommand(words: readonly string[]): Command | undefined {
  return commands.find((c) => c.path.length === words.length && c.path.every((w, i) => words[i] === w));
}

function usageHint(words: readonly string[]): string {
  const command = findCommand(words);
  if (command) return `usage: ${usageLine(command)} (see \`npx helio ${words.join(' ')} --help\`)`;
  if (words.length) return `see \`npx helio ${words.join(' ')} --help\``;
  return `commands: ${subcommandsOf(commands, []).join(', ')} (see \`npx helio --help\`)`;
}
