// The device simulator against Helio's own gateway (started by startServer,
// as `npm start` starts it), on each engine: each credential method over TLS
// (the package's port) and PASSWORD over plain TCP when asked, MQTT 3.1.1 and 5, telemetry stored through the plant's template, a message the
// gateway drops, commands answered, and a suspension that cuts the plant off.
import { plants, type ServiceContext } from '@helio/core';
import type { Engine } from '@helio/db';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startGatewayServer, type GatewayFixture } from '../mqtt/testing.js';
import { describeEachEngine } from '../test-engines.js';
import { parseProvisioningPackage } from './package.js';
import { createDeviceSimulator, type DeviceSimulator, type DeviceSimulatorOptions, type SimulatorEvent } from './simulator.js';

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describeEachEngine('device simulator on Helio gateway', (engine: Engine) => {
  let gw: GatewayFixture;
  let system: ServiceContext;
  const simulators: DeviceSimulator[] = [];

  beforeAll(async () => {
    gw = await startGatewayServer(engine);
    system = gw.system;
  }, 60_000);
  afterAll(async () => {
    await Promise.all(simulators.map((s) => s.close()));
    await gw?.close();
  });

  async function simulatorFor(authMethod: plants.AuthMethod, options: DeviceSimulatorOptions = {}, templateId?: string) {
    const pkg = parseProvisioningPackage(JSON.parse(JSON.stringify(await gw.plant(authMethod, templateId ? { templateId } : {}))));
    const events: SimulatorEvent[] = [];
    // The package names the public host (127.0.0.1 here), for which the gateway's certificate is issued.
    const sim = createDeviceSimulator(pkg, { ratePerSecond: 50, reconnectInitialMs: 100, ...options, onEvent: (e) => events.push(e) });
    simulators.push(sim);
    return { sim, events, pkg };
  }

  it('MTLS over TLS, MQTT 3.1.1: the plant turns ACTIVE and ONLINE, its template readings land in energy today', async () => {
    // A 5 MW plant, so that 10 messages 20 ms apart make enough energy to show in kWh.
    const { sim, pkg } = await simulatorFor('MTLS', { peakW: 5_000_000 }, plants.SYSTEM_TEMPLATE_IDS.pvInverter);
    expect(sim.url).toBe(`mqtts://${pkg.mqtt.broker}:${gw.server.mqtt!.tlsPort}`);
    await sim.start();
    const stats = await sim.run({ count: 10 });
    expect(stats.telemetry).toMatchObject({ acked: 10, rejected: 0 });
    const plant = await plants.getPlant(system, pkg.plantId);
    expect(plant).toMatchObject({ lifecycleStatus: 'ACTIVE', status: 'ONLINE', droppedMessageCount: 0 });
    // The lifetime counter (kWh, scale 1000) became interval energy between its readings.
    const energy = await plants.energyToday(system, pkg.plantId);
    expect(energy.produced).toBeGreaterThan(0);
  });

  it('PASSWORD over TLS, MQTT 5: a message the gateway drops comes back as a refused PUBACK, and is counted on the plant', async () => {
    const { sim, events, pkg } = await simulatorFor('PASSWORD', { protocolVersion: 5 });
    // The package's port is the TLS one for every method.
    expect(pkg.mqtt).toMatchObject({ port: gw.server.mqtt!.tlsPort, tls: true, tcpPort: gw.server.mqtt!.port });
    expect(sim.url).toBe(`mqtts://${pkg.mqtt.broker}:${gw.server.mqtt!.tlsPort}`);
    await sim.start();
    sim.publishTelemetry({ W: 1200, Wh: 10 });
    sim.publishTelemetry({ NotAField: 1 });
    expect(await sim.flush(15_000)).toBe(true);
    expect(sim.stats().telemetry).toMatchObject({ acked: 1, rejected: 1 });
    expect(events.find((e) => e.type === 'telemetry-rejected')).toBeDefined();
    const plant = await plants.getPlant(system, pkg.plantId);
    expect(plant.droppedMessageCount).toBe(1);
    expect(plant.lastDropReason).toMatch(/NotAField/);
  });

  it('TOKEN over TLS: commands are answered acked then done, or declined, in the command history', async () => {
    const { sim, pkg } = await simulatorFor('TOKEN');
    expect(sim.url).toBe(`mqtts://${pkg.mqtt.broker}:${gw.server.mqtt!.tlsPort}`);
    await sim.start();
    const ttl = { ttlSeconds: 600 };
    const ping = (await plants.sendCommand(system, pkg.plantId, { command: 'ping' }, ttl)).command;
    const unknown = (await plants.sendCommand(system, pkg.plantId, { command: 'warp_drive' }, ttl)).command;
    const stateOf = async (cmdId: string) => (await plants.listCommands(system, pkg.plantId)).data.find((c) => c.cmdId === cmdId)!;
    await until(async () => (await stateOf(ping.cmdId)).state === 'done' && (await stateOf(unknown.cmdId)).state === 'declined');
    const done = await stateOf(ping.cmdId);
    expect(done).toMatchObject({ responseStatus: 'done', response: { pong: true } });
    expect(done.sentAt).not.toBeNull();
    expect(done.ackedAt).not.toBeNull();
    expect((await stateOf(unknown.cmdId)).response).toEqual({ reason: 'unknown command "warp_drive"' });
    expect(sim.stats().commands).toMatchObject({ received: 2, done: 1, declined: 1, rejected: 0 });
  });

  it('over plain TCP when asked: is cut off when the plant is suspended, and refused while it stays so', async () => {
    const { sim, events, pkg } = await simulatorFor('PASSWORD', { tcp: true });
    expect(sim.url).toBe(`mqtt://${pkg.mqtt.broker}:${gw.server.mqtt!.port}`);
    await sim.start();
    await plants.suspendPlant(system, pkg.plantId);
    await until(() => events.some((e) => e.type === 'disconnected'));
    await until(() => events.some((e) => e.type === 'refused'));
    expect(sim.connected).toBe(false);
    expect((await plants.getPlant(system, pkg.plantId)).status).toBe('OFFLINE');
  });
});
