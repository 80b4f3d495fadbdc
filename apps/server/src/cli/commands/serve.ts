import type { Command } from '../command.js';

export const serve: Command = {
  path: ['serve'],
  summary: 'Run the HTTP server, migrating the database first',
  description:
    'Applies pending migrations, then serves the REST APIs, /trpc and /docs until SIGINT or SIGTERM, ' +
    'when it stops accepting connections, finishes requests in flight and closes the database. ' +
    'Logs are JSON lines on stdout whether or not --json is given; the "listening" line carries the URL.',
  options: {
    host: { type: 'string', value: 'host', description: 'Interface to listen on (default: $HELIO_HOST or 127.0.0.1)' },
    port: { type: 'string', value: 'port', description: 'Port to listen on, 0 for any free port (default: $HELIO_PORT or 3000)' },
  },
  examples: ['npx helio serve', 'npx helio serve --host 0.0.0.0 --port 8080', 'DATABASE_URL=postgres://helio@db/helio npx helio serve'],
  async run(cx, args) {
    const config = cx.config({ host: args.string('host'), port: args.string('port') });
    const server = await cx.startServer(config);
    const docs = `${server.url}/docs`;
    server.app.log.info({ url: server.url, docs }, `Helio is listening on ${server.url} (docs at ${docs})`);
    const shutdown = (signal: NodeJS.Signals) => {
      server.app.log.info(`${signal} received, shutting down`);
      server.close().then(
        () => process.exit(0),
        (err: unknown) => {
          server.app.log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
    return undefined;
  },
};
