// `npx helio ...` (through bin/helio.js) and `npm start` land here.
import { CliError } from './errors.js';
import type { CliIo } from './output.js';
import { run } from './run.js';

const io: CliIo = {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    // Strictly: a lenient decoder would hand the command U+FFFD for each bad byte, and it would be stored so.
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
    } catch {
      throw new CliError('MALFORMED_REQUEST', 'standard input is not UTF-8: nothing was done with it', {
        hint: 'send UTF-8 text (a file saved as UTF-8)',
      });
    }
  },
  stderrIsTTY: process.stderr.isTTY === true,
  onInterrupt: (handler) => {
    const signals = ['SIGINT', 'SIGTERM'] as const;
    const once = () => {
      stop();
      handler();
    };
    const stop = () => signals.forEach((s) => process.off(s, once));
    signals.forEach((s) => process.on(s, once));
    return stop;
  },
};

const status = await run(process.argv.slice(2), io, {
  // Loaded only for `serve`, so the other commands do not pay for Fastify and its plugins.
  startServer: async (config) => (await import('../server.js')).startServer(config),
});
// Set, not process.exit(): output still queued for a pipe gets written first.
if (status !== undefined) process.exitCode = status;
