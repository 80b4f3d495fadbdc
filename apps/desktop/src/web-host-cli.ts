// `npm run desktop:web`: the desktop app in a browser, on this machine only.
import { join, resolve } from 'node:path';
import { loadDesktopConfig } from './main/config.js';
import { startWebHost } from './web-host.js';

const appDir = resolve(import.meta.dirname, '..');
const config = loadDesktopConfig();
const dataDir = config.dataDir ?? resolve(config.invokedFrom, '.helio-desktop');

try {
  const host = await startWebHost({ dataDir, rendererDir: join(appDir, 'dist', 'renderer'), host: config.host, port: config.port });
  console.log(`Helio desktop (web host) on ${host.url} with data in ${dataDir}`);
  const stop = () => {
    void host.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
