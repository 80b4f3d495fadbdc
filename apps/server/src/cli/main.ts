import { ConfigError, loadConfig } from '../config.js';
import { startServer } from '../server.js';

async function serve(): Promise<void> {
  const config = loadConfig();
  const server = await startServer(config);
  server.app.log.info(`Helio is listening on ${server.url} (docs at ${server.url}/docs)`);
  const shutdown = (signal: string) => {
    server.app.log.info(`${signal} received, shutting down`);
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

const [command = 'serve'] = process.argv.slice(2);
if (command === 'serve') {
  serve().catch((err: unknown) => {
    console.error(err instanceof ConfigError ? err.message : err);
    process.exit(1);
  });
}
