import { createUuidV7Generator, plants, systemClock } from '@helio/core';
import type { FastifyInstance } from 'fastify';
import { openAdminChannel } from './admin-channel/listen.js';
import { buildApp } from './app.js';
import { describeConfig, type Config } from './config.js';
import { startAlertJob } from './jobs/alerts.js';
import { startCommandExpiryJob } from './jobs/commands.js';
import { startRollupJob } from './jobs/rollups.js';
import { startGateway, type Gateway } from './mqtt/gateway.js';
import { describeDatabase, openMigratedDatabase } from './open-database.js';
import { PortInUseError } from './port-in-use.js';
import { createDocumentServices, type AppServices } from './services.js';

export interface RunningServer {
  app: FastifyInstance;
  services: AppServices;
  url: string;
  /** The MQTT gateway (undefined when `mqtt.enabled` is false), with the ports it really listens on. */
  mqtt: Gateway | undefined;
  close(): Promise<void>;
}

/** Seconds between runs of command expiry. */
const COMMAND_EXPIRY_INTERVAL_SECONDS = 5;
/** Readings stored with a mark are summed into their rollups at least this often (reads settle their own at once). */
const ROLLUP_SETTLE_INTERVAL_SECONDS = 30;

/** Opens the database (migrating it), builds the app, listens, and starts the MQTT gateway. */
export async function startServer(config: Config, options: { logger?: boolean } = {}): Promise<RunningServer> {
  const documentServices = createDocumentServices(config); // before the database, so a bad secret file leaves nothing open
  const db = await openMigratedDatabase(config, { autoMigrate: true });
  const services: AppServices = { db, clock: systemClock, ids: createUuidV7Generator(), config, ...documentServices };
  const app = await buildApp(services, { logger: options.logger ?? true });
  app.log.info({ config: describeConfig(config) }, `database: ${describeDatabase(config)}`);
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    await app.close();
    await db.close();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError(config.host, config.port);
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  let mqtt: Gateway | undefined;
  try {
    await plants.ensureSystemTemplates(db);
    if (config.mqtt.enabled) {
      mqtt = await startGateway(services, { log: app.log });
      app.log.info(
        { mqtt: { host: config.mqtt.host, port: mqtt.port, tlsPort: mqtt.tlsPort, publicHost: config.mqtt.publicHost } },
        `MQTT gateway listening on mqtt://${config.mqtt.host}:${mqtt.port} and mqtts://${config.mqtt.host}:${mqtt.tlsPort}`,
      );
    }
  } catch (err) {
    await app.close();
    await db.close();
    throw err;
  }
  // On PGlite this process holds the data directory, so CLI commands run here (on PostgreSQL they run anywhere).
  const adminChannel = config.databaseUrl ? undefined : await openAdminChannel(services, app.log);
  const alertJob = startAlertJob(services, { intervalSeconds: config.alertsIntervalSeconds, log: app.log });
  const commandJob = startCommandExpiryJob(services, { intervalSeconds: COMMAND_EXPIRY_INTERVAL_SECONDS, log: app.log });
  const rollupJob = startRollupJob(services, { intervalSeconds: ROLLUP_SETTLE_INTERVAL_SECONDS, log: app.log });
  let closing: Promise<void> | undefined;
  return {
    app,
    services,
    url,
    mqtt,
    close: () =>
      (closing ??= (async () => {
        // Before the database closes: plants' last messages and runs under way finish first.
        await mqtt?.close();
        await commandJob.stop();
        await rollupJob.stop();
        await alertJob?.stop();
        await adminChannel?.close();
        await app.close();
        await db.close();
      })()),
  };
}
