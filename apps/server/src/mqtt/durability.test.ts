// An acknowledged reading is never lost: a `helio serve` process killed with
// SIGKILL in the middle of 1,000 QoS 1 publishes from a reconnecting client,
// then started again. Every reading whose PUBACK the client received is
// stored, and none twice (its rollups count it once).
import { createServer, type AddressInfo } from 'node:net';
import {
  createUuidV7Generator,
  organisations,
  plants,
  readings as readingsService,
  sites,
  systemClock,
  systemPrincipal,
} from '@helio/core';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openMigratedDatabase } from '../open-database.js';
import { createPlantEnvironment } from '../plant-environment.js';
import { createDocumentServices, serviceContext, type AppServices } from '../services.js';
import { describeEachEngine } from '../test-engines.js';
import { clientOptions, gatewayTestConfig, serverDatabase, signed, spawnServer, TEST_SECRET, type SpawnedServer } from './testing.js';

const MESSAGES = 1000;
const KILL_AFTER = 300;
const IN_FLIGHT = 50;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

describeEachEngine('a server killed during QoS 1 telemetry', (engine) => {
  let db: Awaited<ReturnType<typeof serverDatabase>>;
  let pkg: plants.ProvisioningPackage;
  let componentId: string;
  let server: SpawnedServer | undefined;
  let client: MqttClient | undefined;

  /** Opens the server's database in this process (while no server runs, as PGlite requires). */
  async function withDatabase<T>(fn: (services: AppServices) => Promise<T>): Promise<T> {
    const config = gatewayTestConfig(db);
    const database = await openMigratedDatabase(config, { autoMigrate: true });
    try {
      return await fn({ db: database, clock: systemClock, ids: createUuidV7Generator(), config, ...createDocumentServices(config) });
    } finally {
      await database.close();
    }
  }

  beforeAll(async () => {
    db = await serverDatabase(engine);
    ({ pkg, componentId } = await withDatabase(async (services) => {
      const system = serviceContext(services, systemPrincipal);
      const org = await organisations.createOrganisation(system, { name: 'Durability' });
      const site = await sites.createSite(system, { siteName: 'Field', organisationId: org.id });
      const plant = await plants.createPlant(
        system,
        { name: 'Logger', serialNumber: 'DUR-1', type: 'GATEWAY', authMethod: 'PASSWORD', siteId: site.id },
        { organisationId: org.id },
      );
      const env = await createPlantEnvironment(services.config);
      return { pkg: await plants.provisionPlant(system, env, plant.id), componentId: plant.componentId! };
    }));
  }, 120_000);
  afterAll(async () => {
    client?.end(true);
    await server?.stop('SIGKILL');
    await db?.dispose();
  });

  it('keeps every acknowledged reading, once', async () => {
    const port = await freePort();
    const env = {
      HELIO_DATA_DIR: db.dataDir,
      HELIO_SECRET: TEST_SECRET,
      HELIO_HOST: '127.0.0.1',
      HELIO_MQTT_PORT: String(port),
      HELIO_MQTTS_PORT: '0',
      ...(db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : {}),
    };
    server = await spawnServer(db.dataDir, env);

    // A device: reconnects at once, resends what was not acknowledged.
    client = mqtt.connect(clientOptions({ ...pkg, mqtt: { ...pkg.mqtt, tcpPort: port } }, { reconnectPeriod: 100, clean: true }));
    client.on('error', () => undefined);
    const base = Math.floor(Date.now() / 1000) * 1000 - 2 * 3600_000;
    const tsOf = (i: number) => new Date(base + i * 1000).toISOString();
    const acked = new Set<number>();
    let next = 0;
    let killed: Promise<void> | undefined;
    let ackedBeforeKill = 0;

    await new Promise<void>((resolve, reject) => {
      const publishNext = () => {
        if (next >= MESSAGES) return;
        const i = next++;
        client!.publish(
          pkg.mqtt.topics.telemetry,
          signed(pkg.security.hmacSecret, { ts: tsOf(i), values: { W: i } }),
          { qos: 1 },
          (err) => {
            if (err) return reject(err);
            acked.add(i);
            if (acked.size === KILL_AFTER && !killed) {
              ackedBeforeKill = acked.size;
              // Killed while messages are in flight; started again on the same ports.
              killed = server!.stop('SIGKILL').then(async () => {
                server = await spawnServer(db.dataDir, env);
              });
              killed.catch(reject);
            }
            if (acked.size === MESSAGES) resolve();
            publishNext();
          },
        );
      };
      client!.once('connect', () => {
        for (let k = 0; k < IN_FLIGHT; k++) publishNext();
      });
    });
    expect(killed).toBeDefined();
    await killed;
    expect(ackedBeforeKill).toBe(KILL_AFTER);
    client.end(true);
    await server.stop('SIGTERM');
    server = undefined;

    const stored = await withDatabase(async ({ db: database }) => {
      const readings = await database.query<{ ts: Date; value: number }>(
        'SELECT ts, value FROM readings WHERE component_id = $1 AND field = 1 ORDER BY ts',
        [componentId],
      );
      // What a reader sees: the readings stored with marks, settled into their rollups first.
      await readingsService.settleRollups(database, [componentId]);
      const rollups = await database.query<{ n: number }>(
        'SELECT COALESCE(sum(count), 0)::int AS n FROM reading_rollups WHERE component_id = $1 AND field = 1 AND level = 1',
        [componentId],
      );
      return { readings: readings.rows, rolledUp: rollups.rows[0]!.n };
    });
    // Every message was acknowledged in the end, each one stored with its own value, and counted once.
    expect(acked.size).toBe(MESSAGES);
    expect(stored.readings).toHaveLength(MESSAGES);
    expect(stored.readings.map((r) => [r.ts.toISOString(), r.value])).toEqual(Array.from({ length: MESSAGES }, (_, i) => [tsOf(i), i]));
    expect(stored.rolledUp).toBe(MESSAGES);
  }, 120_000);
});
