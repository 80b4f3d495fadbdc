// `npx helio ...` (through bin/helio.js) and `npm start` land here.
import type { CliIo } from './output.js';
import { run } from './run.js';

const io: CliIo = {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};

const status = await run(process.argv.slice(2), io, {
  // Loaded only for `serve`, so the other commands do not pay for Fastify and its plugins.
  startServer: async (config) => (await import('../server.js')).startServer(config),
});
// Set, not process.exit(): output still queued for a pipe gets written first.
if (status !== undefined) process.exitCode = status;
