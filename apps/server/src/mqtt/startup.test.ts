// Starting the gateway with the server: a port already taken stops the start
// with a message naming the setting to change, and leaves nothing open.
import { connect as connectTcp, createServer, type AddressInfo, type Server } from 'node:net';
import * as mqttPacket from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { organisations, plants, systemPrincipal } from '@helio/core';
import { plantEnvironment } from '../plant-environment.js';
import { PortInUseError } from '../port-in-use.js';
import { serviceContext } from '../services.js';
import { startServer } from '../server.js';
import { gatewayTestConfig, seededDataDir } from './testing.js';
import { rmSync } from 'node:fs';

describe('starting the MQTT gateway', () => {
  let holder: Server;
  let taken: number;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await seededDataDir();
    // Another program (a system Mosquitto, say) listening where the gateway is told to.
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    taken = (holder.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => holder.close(() => resolve()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('fails on a taken port with a message naming the setting, and leaves nothing open', async () => {
    const tcp = startServer(gatewayTestConfig({ dataDir }, { port: taken }), { logger: false });
    await expect(tcp).rejects.toThrow(PortInUseError);
    await expect(tcp).rejects.toThrow(
      `port ${taken} on 127.0.0.1 is already in use: stop the process using it, or choose another port for the MQTT gateway with ` +
        'HELIO_MQTT_PORT or "mqtt.port" in the config file (helio.yaml) (0 picks a free port), or turn the gateway off with HELIO_MQTT_ENABLED=false',
    );
    await expect(startServer(gatewayTestConfig({ dataDir }, { tlsPort: taken }), { logger: false })).rejects.toThrow(
      /HELIO_MQTTS_PORT or "mqtt\.tlsPort"/,
    );

    // The database, the HTTP port and the other listener were released: the same data directory starts again.
    const server = await startServer(gatewayTestConfig({ dataDir }), { logger: false });
    try {
      expect(server.mqtt).toMatchObject({ port: expect.any(Number), tlsPort: expect.any(Number) });
      expect(server.mqtt!.port).not.toBe(taken);
    } finally {
      await server.close();
    }
  });

  it('marks plants left ONLINE by a crashed run OFFLINE when it starts alone', async () => {
    let server = await startServer(gatewayTestConfig({ dataDir }), { logger: false });
    let plantId: string;
    try {
      const system = serviceContext(server.services, systemPrincipal);
      const org = await organisations.createOrganisation(system, { name: 'Crashed' });
      plantId = (
        await plants.createPlant(
          system,
          { name: 'Logger', serialNumber: 'CRASH-1', type: 'SENSOR', authMethod: 'PASSWORD' },
          { organisationId: org.id },
        )
      ).id;
      // What a run killed while the plant was connected leaves behind.
      await server.services.db.query(`UPDATE plants SET status = 'ONLINE' WHERE id = $1`, [plantId]);
    } finally {
      await server.close();
    }
    server = await startServer(gatewayTestConfig({ dataDir }), { logger: false });
    try {
      expect((await plants.getPlant(serviceContext(server.services, systemPrincipal), plantId)).status).toBe('OFFLINE');
    } finally {
      await server.close();
    }
  });

  /** A provisioned PASSWORD plant of a new organisation on `server`. */
  async function guessedPlant(server: Awaited<ReturnType<typeof startServer>>, serialNumber: string) {
    const system = serviceContext(server.services, systemPrincipal);
    const org = await organisations.createOrganisation(system, { name: `Guessers ${serialNumber}` });
    const plant = await plants.createPlant(
      system,
      { name: 'Logger', serialNumber, type: 'SENSOR', authMethod: 'PASSWORD' },
      { organisationId: org.id },
    );
    await plants.provisionPlant(system, await plantEnvironment(server.services), plant.id);
    return { system, plantId: plant.id };
  }

  /** A CONNECT as `plantId` with a wrong password from `localAddress`: its CONNACK's return code and how long it took; `socket` to give up. */
  function guess(port: number, plantId: string, localAddress: string) {
    const started = Date.now();
    const socket = connectTcp({ port, host: '127.0.0.1', localAddress }, () =>
      socket.write(
        mqttPacket.generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clean: true,
          keepalive: 30,
          clientId: plantId,
          username: plantId,
          password: Buffer.from('guess'),
        }),
      ),
    );
    const connack = new Promise<{ code: number; ms: number }>((resolve, reject) => {
      const parser = mqttPacket.parser();
      parser.on('packet', (p) => {
        socket.destroy();
        resolve({ code: (p as { returnCode: number }).returnCode, ms: Date.now() - started });
      });
      socket.on('data', (d) => parser.parse(d));
      socket.on('error', reject);
    });
    return { connack, socket };
  }

  it('slows down a source whose connections keep failing: from the third failure, each refusal waits twice as long', async () => {
    const server = await startServer(gatewayTestConfig({ dataDir }, { authFailureDelayMs: 400 }), { logger: false });
    try {
      const { system, plantId } = await guessedPlant(server, 'SLOW-1');
      const tries = [];
      for (let i = 0; i < 4; i++) tries.push(await guess(server.mqtt!.port, plantId, '127.0.0.7').connack);
      expect(tries.map((t) => t.code)).toEqual([4, 4, 4, 4]);
      expect(tries[2]!.ms).toBeGreaterThanOrEqual(400);
      expect(tries[3]!.ms).toBeGreaterThanOrEqual(800);
      expect((await plants.getPlant(system, plantId)).authFailureCount).toBe(4);
    } finally {
      await server.close();
    }
  });

  it('checks a few CONNECTs of one address at a time, a refusal’s wait included: parallel guesses are not checked at once', async () => {
    // Two at a time; from the third failure a refusal waits 10 s, holding its turn.
    const server = await startServer(gatewayTestConfig({ dataDir }, { authFailureDelayMs: 10_000, connectsPerSource: 2 }), {
      logger: false,
    });
    try {
      const { system, plantId } = await guessedPlant(server, 'PARALLEL-1');
      const failures = async () => (await plants.getPlant(system, plantId)).authFailureCount;
      const guesses = Array.from({ length: 12 }, () => guess(server.mqtt!.port, plantId, '127.0.0.9'));
      // The first two are refused at once and hand on their turns; the next two wait 10 s in theirs.
      const first = await Promise.race(guesses.map((g) => g.connack));
      expect(first.code).toBe(4);
      for (let polls = 0; (await failures()) < 4 && polls < 100; polls++) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 1000));
      expect(await failures()).toBe(4);
      // The others, given up while they waited, are never checked.
      for (const g of guesses) g.socket.destroy();
      await new Promise((r) => setTimeout(r, 500));
      expect(await failures()).toBe(4);
      // Another address is not held up by them.
      const other = await guess(server.mqtt!.port, plantId, '127.0.0.10').connack;
      expect(other).toMatchObject({ code: 4 });
      expect(other.ms).toBeLessThan(5000);
    } finally {
      await server.close();
    }
  }, 30_000);

  it('fails at once, naming the setting, when Redis cannot be reached', async () => {
    // A program that is no Redis (it answers like a web server), and a port nobody listens on.
    const web = createServer((socket) => socket.once('data', () => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n')));
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    try {
      const port = (web.address() as AddressInfo).port;
      await expect(
        startServer(gatewayTestConfig({ dataDir }, { redisUrl: `redis://127.0.0.1:${port}/0` }), { logger: false }),
      ).rejects.toThrow(
        `cannot reach Redis at redis://127.0.0.1:${port}/0 (mqtt.redisUrl, HELIO_MQTT_REDIS_URL): the server there does not speak Redis`,
      );
    } finally {
      await new Promise<void>((resolve) => web.close(() => resolve()));
    }
    const closedPort = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as AddressInfo;
        s.close(() => resolve(port));
      });
    });
    await expect(
      startServer(gatewayTestConfig({ dataDir }, { redisUrl: `redis://:secret-pw@127.0.0.1:${closedPort}/0` }), { logger: false }),
    ).rejects.toThrow(/cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0 .*ECONNREFUSED/);
  });

  it('does not start when turned off', async () => {
    const server = await startServer(gatewayTestConfig({ dataDir }, { enabled: false, port: taken }), { logger: false });
    try {
      expect(server.mqtt).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});
